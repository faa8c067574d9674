"""Hostile plans: special files. A FIFO, /dev/zero, a symlink loop, a dangling link, a
directory where a file belongs and an unreadable path are each an error naming the path,
never silently skipped and never a hang (found: all silently ignored)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

MINIMAL = Path(__file__).resolve().parents[1] / "plan" / "fixtures" / "minimal"


def _plan(tmp_path: Path) -> Path:
    plan = tmp_path / "plan"
    shutil.copytree(MINIMAL, plan)
    return plan


def _validate(
    plan: Path, tmp_path: Path, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "drill", "validate", str(plan)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DRILLKIT_HOME": str(tmp_path / "home"),
            "COLUMNS": "250",
            "DRILLKIT_LANG": "en",
        },
        timeout=60,  # a FIFO read would block forever: this is the hang guard
    )


def _fifo(plan: Path) -> str:
    os.mkfifo(plan / "contacts" / "pipe.yaml")
    return "contacts/pipe.yaml: not a regular file but a named pipe (FIFO)"


def _dev_zero(plan: Path) -> str:
    (plan / "contacts" / "zero.yaml").symlink_to("/dev/zero")
    return "contacts/zero.yaml: not a regular file but a device"


def _loop(plan: Path) -> str:
    (plan / "contacts" / "loop.yaml").symlink_to("loop.yaml")
    return "contacts/loop.yaml: a symbolic link that points to itself (a loop)"


def _dangling(plan: Path) -> str:
    (plan / "scenarios" / "gone.yaml").symlink_to("nowhere.yaml")
    return "scenarios/gone.yaml: a symbolic link to a missing file (nowhere.yaml)"


def _directory(plan: Path) -> str:
    (plan / "playbooks" / "folder.yaml").mkdir()
    return "playbooks/folder.yaml: not a regular file but a directory"


def _env_directory(plan: Path) -> str:
    (plan / ".env").mkdir()
    return ".env: not a regular file but a directory"


def _env_fifo(plan: Path) -> str:
    os.mkfifo(plan / ".env")
    return ".env: not a regular file but a named pipe (FIFO)"


def _plan_fifo(plan: Path) -> str:
    (plan / "plan.yaml").unlink()
    os.mkfifo(plan / "plan.yaml")
    return "plan.yaml: not a regular file but a named pipe (FIFO)"


CASES: dict[str, Callable[[Path], str]] = {
    "fifo": _fifo,
    "dev-zero": _dev_zero,
    "symlink-loop": _loop,
    "dangling-link": _dangling,
    "directory": _directory,
    "env-directory": _env_directory,
    "env-fifo": _env_fifo,
    "plan-fifo": _plan_fifo,
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_special_file_is_an_error_naming_its_path(tmp_path: Path, case: str) -> None:
    plan = _plan(tmp_path)
    expected = CASES[case](plan)
    result = _validate(plan, tmp_path)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert f"error DK-E001: {expected}" in result.stderr
    assert "—" in result.stderr.split(expected, 1)[1].splitlines()[0]  # and what to do


def test_a_plan_directory_that_is_a_symlink_loop_is_a_plan_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    result = _validate(loop, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot open the plan directory" in result.stderr and "loop" in result.stderr


# Root reads every file whatever its mode, through two capabilities: as root, the check
# runs without them (setpriv, from util-linux, is on every Debian), so it never skips.
_AS_A_USER = (
    ("setpriv", "--bounding-set=-dac_override,-dac_read_search") if os.geteuid() == 0 else ()
)


def test_an_unreadable_file_and_folder_are_errors_naming_them(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    (plan / "contacts" / "roles.yaml").chmod(0)
    (plan / "playbooks").chmod(0)
    try:
        result = _validate(plan, tmp_path, _AS_A_USER)
    finally:
        (plan / "contacts" / "roles.yaml").chmod(0o644)
        (plan / "playbooks").chmod(0o755)
    assert result.returncode == 2
    assert "contacts/roles.yaml: cannot read: permission denied" in result.stderr
    assert "cannot list the folder playbooks/" in result.stderr
