"""Hostile CLI: a command that needs a terminal says so and exits when there is none
(found: `drillkit tui </dev/null` hung)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_tui_without_a_terminal_says_so_and_exits(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "drill", "tui"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "DRILLKIT_HOME": str(tmp_path / "home"), "COLUMNS": "300"},
        timeout=60,  # the hang guard: before the fix this never returned
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "drillkit tui needs a terminal" in result.stderr
    assert "drillkit validate" in result.stderr  # what to use instead
