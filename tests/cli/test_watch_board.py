"""`drillkit watch` in a terminal is a live board; in a pipe it stays a line per event.

One process runs a drill; two `drillkit watch` processes follow it, one on a
pseudo-terminal (the board: status, who runs and who watches, counts, a row per level)
and one through a pipe (plain lines, no board). A console aborts the drill: the board
shows it aborted, both watchers end by themselves.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import ask
from tests.cli.running import started_drill

REPO = Path(__file__).resolve().parents[2]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")

pytestmark = pytest.mark.slow


def drillkit(db: Path, *args: str, **streams: object) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("DRILLKIT_FAULT_KILL_AFTER_EVENTS", None)
    env.pop("NO_COLOR", None)
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="60")
    options: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    options.update(streams)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "drill", *args, "--db", str(db)], cwd=REPO, env=env, **options
    )


class Screen:
    """What a process wrote to its terminal or pipe, escape codes removed, as it comes."""

    def __init__(self, proc: subprocess.Popen[bytes], fd: int) -> None:
        self.proc = proc
        self.raw = bytearray()
        self._thread = threading.Thread(target=self._read, args=(fd,), daemon=True)
        self._thread.start()

    def _read(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal closed (EIO): the process ended
                return
            if not chunk:
                return
            self.raw.extend(chunk)

    @property
    def text(self) -> str:
        return _ANSI.sub("", bytes(self.raw).decode("utf-8", "replace"))

    def wait_for(self, what: str, condition: Callable[[str], bool]) -> None:
        deadline = time.monotonic() + 90
        while not condition(self.text):
            if self.proc.poll() is not None and not self._thread.is_alive():
                pytest.fail(f"watch ended before {what}: {self.text[-3000:]}")
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {self.text[-3000:]}"
            time.sleep(0.05)


async def _abort(db: Path, drill_id: str) -> None:
    async with EventStore.open(db) as store:
        answer = await ask(
            store, drill_id, "abort", {"reason": "打ち切り"}, operator="統括",
            console=ConsoleIdentity.here("統括"),
        )  # fmt: skip
        assert answer.applied


def test_watch_is_a_live_board_in_a_terminal_and_lines_in_a_pipe(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    runner = drillkit(
        db, "run", "stolen-terminal", "--simulate", "--speed", "20", "--seed", "3",
        "--no-report", "--quiet", "--operator", "佐藤",
    )  # fmt: skip
    procs = [runner]
    try:
        drill_id = started_drill(runner, db)

        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 160, 0, 0))
        board = drillkit(
            db, "watch", drill_id, "--lang", "ja", "--operator", "盤面",
            stdin=slave, stdout=slave, stderr=slave,
        )  # fmt: skip
        os.close(slave)
        procs.append(board)
        piped = drillkit(db, "watch", drill_id, "--lang", "ja", "--operator", "記録")
        procs.append(piped)
        assert piped.stdout is not None
        on_screen, in_pipe = Screen(board, master), Screen(piped, piped.stdout.fileno())

        on_screen.wait_for(
            "the board",
            lambda text: "段階" in text and "応答／必要数" in text and "連絡先 " in text,
        )
        on_screen.wait_for(
            "who runs it and who watches",
            lambda text: "実行: 佐藤@" in text and "盤面@" in text and "記録@" in text,
        )
        on_screen.wait_for("a level's row", lambda text: "実施中" in text and "/" in text)
        in_pipe.wait_for("a line per event", lambda text: "T+00:00" in text)

        asyncio.run(_abort(db, drill_id))
        assert board.wait(timeout=60) == 0, on_screen.text[-3000:]
        assert piped.wait(timeout=60) == 0
        assert runner.wait(timeout=60) == 0
        on_screen.wait_for("the end", lambda text: "中止" in text)
        in_pipe.wait_for("the abort", lambda text: "中止（統括）: 打ち切り" in text)
        # The pipe stays plain lines: no board, no escape codes.
        assert "応答／必要数" not in in_pipe.text
        assert b"\x1b[" not in bytes(in_pipe.raw)
        assert "Traceback" not in on_screen.text
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
