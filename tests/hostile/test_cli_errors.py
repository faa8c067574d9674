"""Hostile CLI: no command prints a traceback. An unexpected error is one line naming the
log file, exit 70, with the whole traceback in the log; a message is never read as Rich
markup (found: "[twilio]" and "[smtp]" vanished from error panels)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _drillkit(
    args: list[str], tmp_path: Path, *, code: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "drill", *args]
    if code is not None:
        command = [sys.executable, "-c", code, *args]
    base = {
        **os.environ,
        "DRILLKIT_HOME": str(tmp_path / "home"),
        "DRILLKIT_CONFIG": str(tmp_path / "none.toml"),
        "DRILLKIT_LINK_KEY": "hostile-test-link-key-0123456789",
        "COLUMNS": "300",
    }
    base.pop("DRILLKIT_DB", None)  # the store follows DRILLKIT_HOME
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**base, **env},
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


# A command that fails the way a bug would, added through click's public API, run
# through the real entry point (`drill.cli.main`) and its top-level handler.
BUGGY = """
import sys, click
from drill.cli import cli, main

@cli.command("explode")
def explode() -> None:
    raise KeyError("no such page")

sys.argv = ["drillkit", *sys.argv[1:]]
main()
"""


def test_an_unexpected_error_is_one_line_a_log_and_exit_70(tmp_path: Path) -> None:
    result = _drillkit(["explode"], tmp_path, code=BUGGY, DRILLKIT_LANG="en")
    assert result.returncode == 70
    assert "Traceback" not in result.stdout + result.stderr
    log = tmp_path / "home" / "logs" / "drillkit.log"
    assert result.stderr.strip().splitlines() == [
        f"drillkit: unexpected error (KeyError: 'no such page'); details in {log}"
    ]
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "line 7, in explode" in text and "KeyError: 'no such page'" in text


def test_the_unexpected_error_line_is_japanese_by_default(tmp_path: Path) -> None:
    result = _drillkit(["explode"], tmp_path, code=BUGGY)
    assert result.returncode == 70
    assert result.stderr.startswith("drillkit: 予期しないエラーです（KeyError")
    assert "drillkit.log に記録しました。" in result.stderr


def test_a_broken_home_still_gives_one_line_and_a_log(tmp_path: Path) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("not a directory\n", encoding="utf-8")
    result = _drillkit(["drills"], tmp_path, DRILLKIT_HOME=str(home), DRILLKIT_LANG="en")
    assert result.returncode in (2, 70), result.stderr  # a clear error, or the handler
    assert "Traceback" not in result.stdout + result.stderr
    if result.returncode == 70:
        assert len(result.stderr.strip().splitlines()) == 1
        log = Path(result.stderr.rsplit("details in ", 1)[1].strip())
        assert "Traceback" in log.read_text(encoding="utf-8")


def test_brackets_in_a_message_are_shown_not_read_as_markup(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[ack]\nlisten_port = 0\n", encoding="utf-8")
    result = _drillkit(["run", "annual-roll-call"], tmp_path, DRILLKIT_CONFIG=str(config))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "set [twilio] account_sid and/or [smtp] host" in result.stderr


def test_a_usage_error_is_still_click_s_own(tmp_path: Path) -> None:
    result = _drillkit(["validate", "--no-such-option"], tmp_path)
    assert result.returncode == 2
    assert "No such option" in result.stderr and "Traceback" not in result.stderr
