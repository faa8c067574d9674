"""The report's templates are compiled once and kept; a damaged cache is not a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_COMPILE = """
from drill.report.layout import environment
template = environment().get_template("report.html.j2")
print(template.name)
"""


def _compile(home: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _COMPILE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "DRILLKIT_HOME": str(home)},
    )
    return done.stdout.strip()


def test_a_compiled_template_is_kept_and_a_damaged_one_is_recompiled(tmp_path: Path) -> None:
    assert _compile(tmp_path) == "report.html.j2"
    kept = list((tmp_path / "cache" / "templates").iterdir())
    assert len(kept) == 1 and kept[0].stat().st_size > 1000

    kept[0].write_bytes(b"not a compiled template")
    assert _compile(tmp_path) == "report.html.j2"
    assert kept[0].stat().st_size > 1000  # written again, whole
