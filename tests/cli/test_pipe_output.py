"""Every listing command, its output sent to a file, as a person types it at a terminal.

`drillkit drills > f` typed at an 80-column terminal: stdin is that terminal, stdout a
file. Rich used to take the terminal's width from *any* standard stream and cut the
file's lines at 80 columns. Here each command runs in its own process with stdin on a
pseudo-terminal 60 columns wide (and `COLUMNS=60` set), stdout and stderr in files, and
every long value its `--json` twin holds must be found whole on one line, with no `…`.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drill.cli.console import PIPE_WIDTH
from drill.words.findings import CODES_JA

TERMINAL_COLUMNS = 60


@pytest.fixture
def terminal() -> Iterator[int]:
    """A pseudo-terminal 60 columns wide, for the command's stdin."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, TERMINAL_COLUMNS, 0, 0))
    yield follower
    os.close(follower)
    os.close(leader)


def drillkit(terminal: int, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run `drillkit ARGS` with stdin on the terminal and stdout/stderr in files."""
    out_file = tmp_path / "stdout.txt"
    err_file = tmp_path / "stderr.txt"
    env = {**os.environ, "COLUMNS": str(TERMINAL_COLUMNS), "DRILLKIT_LANG": "ja"}
    with out_file.open("wb") as out, err_file.open("wb") as err:
        code = subprocess.run(
            [sys.executable, "-m", "drill", *args],
            stdin=terminal,
            stdout=out,
            stderr=err,
            env=env,
            timeout=120,
            check=False,
        ).returncode
    return code, out_file.read_text(encoding="utf-8"), err_file.read_text(encoding="utf-8")


def assert_whole(text: str, values: list[str], command: str, *, wide: bool = True) -> None:
    """Each value is on one line, whole; no line was cut short with an ellipsis (and,
    when `wide`, some line is wider than the terminal: the test proves something)."""
    assert values, f"{command}: nothing to look for"
    lines = text.splitlines()
    assert not [line for line in lines if "…" in line], f"{command}: a line was cut:\n{text}"
    for value in values:
        assert any(value in line for line in lines), (
            f"{command}: {value!r} is not whole on any line:\n{text}"
        )
    assert not wide or any(len(line) > TERMINAL_COLUMNS for line in lines), (
        f"{command}: every line fits {TERMINAL_COLUMNS} columns, so nothing was proven:\n{text}"
    )


def json_of(terminal: int, tmp_path: Path, *args: str) -> Any:
    code, out, err = drillkit(terminal, tmp_path, *args, "--json")
    assert code in (0, 1), err
    return json.loads(out)


def test_listing_commands_written_to_a_file_are_never_cut(
    terminal: int, tmp_path: Path, sample_dir: Path
) -> None:
    code, _, err = drillkit(
        terminal, tmp_path, "run", "annual-roll-call", "--simulate", "--seed", "5", "-q"
    )
    assert code == 0, err
    code, _, err = drillkit(
        terminal,
        tmp_path,
        "schedule",
        "add",
        "annual-roll-call",
        "--every",
        "last friday of january 10:00",
        "--remind",
        "sysadmin",
        "--remind-before",
        "2d",
    )
    assert code == 0, err

    # drills: every id, title and start time whole
    rows = json_of(terminal, tmp_path, "drills")
    code, out, _ = drillkit(terminal, tmp_path, "drills")
    assert code == 0
    assert_whole(
        out, [v for r in rows for v in (r["drill_id"], r["title"], r["started"])], "drills"
    )

    # schedule list, next, log: ids, descriptions and next runs
    listed = json_of(terminal, tmp_path, "schedule", "list")
    code, out, _ = drillkit(terminal, tmp_path, "schedule", "list")
    assert code == 0
    assert_whole(
        out,
        [v for s in listed["schedules"] for v in (s["id"], s["scenario"], s["when"]["text"])]
        + [s["next_run"][:10] for s in listed["schedules"]],
        "schedule list",
    )
    upcoming = json_of(terminal, tmp_path, "schedule", "next")
    code, out, _ = drillkit(terminal, tmp_path, "schedule", "next")
    assert code == 0
    assert_whole(
        out,
        [o["decision"] for s in upcoming["schedules"] for o in s["occurrences"] if o["decision"]]
        + [
            r["at_shown"]
            for s in upcoming["schedules"]
            for o in s["occurrences"]
            for r in o["reminders"]
        ],
        "schedule next",
        wide=False,
    )

    # tree: every address of every candidate, as the --json says it
    trees = json_of(terminal, tmp_path, "tree")
    code, out, _ = drillkit(terminal, tmp_path, "tree")
    assert code == 0
    addresses = [
        channel["address"]
        for t in trees
        for level in t["levels"]
        for member in level["members"]
        for candidate in member["candidates"]
        for channel in candidate["channels"]
    ]
    assert_whole(out, addresses, "tree")

    # explain: every code's title (in Japanese; JSON keeps the English)
    codes = json_of(terminal, tmp_path, "explain")
    code, out, _ = drillkit(terminal, tmp_path, "explain")
    assert code == 0
    assert_whole(out, [f"{c} {CODES_JA[c][0]}" for c in codes], "explain", wide=False)
    code, out, _ = drillkit(terminal, tmp_path, "explain", "DK-W007")
    assert_whole(out, [CODES_JA["DK-W007"][1]], "explain DK-W007")

    # doctor: every check's detail (no providers configured: skipped or failing checks)
    checks = json_of(terminal, tmp_path, "doctor")
    code, out, _ = drillkit(terminal, tmp_path, "doctor")
    assert_whole(out, [c["detail"] for c in checks], "doctor")

    # validate: the summary line, and the findings of a plan with warnings on stderr
    code, out, _ = drillkit(terminal, tmp_path, "validate")
    assert code == 0
    assert_whole(out, ["シナリオ 4・対応手順 4・目標"], "validate")


def test_the_width_of_a_pipe_is_unbounded() -> None:
    from drill.cli.console import out

    # No terminal under pytest's capture: the console lays out for the pipe width.
    assert not out.is_terminal
    assert out.width == PIPE_WIDTH
