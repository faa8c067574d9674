"""`drillkit watch`, the real CLI in a subprocess, on a drill another process runs.

`drillkit run --simulate --speed` runs the drill in one process; `drillkit watch` in
another prints its events as lines (through a pipe) and who runs and who watches it. A
console elsewhere asks, through the store, to abort: the running process's engine
applies it with who asked and from where, the board prints it, and both processes end.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from drill.engine.events import DrillAborted
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import ask
from tests.cli.running import drillkit, started_drill

pytestmark = pytest.mark.slow


class Lines:
    """A process's stdout, line by line, as it comes (read on a thread)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        assert proc.stdout is not None
        stream = proc.stdout
        self._thread = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._thread.start()

    def wait_for(self, what: str, condition: Callable[[list[str]], bool]) -> None:
        deadline = time.monotonic() + 60
        while not condition(list(self.lines)):
            if self.proc.poll() is not None and not self._thread.is_alive():
                pytest.fail(f"watch ended before {what}: {self.lines} {self.proc.stderr}")
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {self.lines}"
            time.sleep(0.05)


def test_watch_prints_a_running_drill_live_and_who_aborted_it(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    runner = drillkit(
        db, "run", "stolen-terminal", "--simulate", "--speed", "20", "--seed", "3",
        "--no-report", "--quiet", "--operator", "佐藤",
    )  # fmt: skip
    watcher: subprocess.Popen[str] | None = None
    try:
        drill_id = started_drill(runner, db)

        watcher = drillkit(db, "watch", drill_id, "--lang", "ja", "--operator", "見守り")
        out = Lines(watcher)
        out.wait_for("the header", lambda lines: any(drill_id in line for line in lines))
        out.wait_for("the start", lambda lines: any("T+00:00" in line for line in lines))
        out.wait_for(
            "who runs it and who watches",
            lambda lines: any("実行: 佐藤@" in ln and "監視: 見守り@" in ln for ln in lines),
        )
        seen = len(out.lines)
        out.wait_for("a live event", lambda lines: any("T+" in ln for ln in lines[seen:]))

        async def abort() -> int | None:
            async with EventStore.open(db) as store:
                me = ConsoleIdentity.here("統括")
                answer = await ask(
                    store, drill_id, "abort", {"reason": "訓練を打ち切り"}, operator="統括",
                    console=me,
                )  # fmt: skip
                stored = {s.seq: s.event for s in await store.read(drill_id)}
                event = stored[answer.seq] if answer.seq is not None else None
                assert isinstance(event, DrillAborted)
                assert event.by == "統括" and event.origin == me.id
                return answer.seq

        assert asyncio.run(abort()) is not None
        out.wait_for(
            "the abort", lambda lines: any("中止（統括）: 訓練を打ち切り" in ln for ln in lines)
        )
        assert watcher.wait(timeout=60) == 0, watcher.stderr
        assert runner.wait(timeout=60) == 0
        assert "Traceback" not in (watcher.stderr.read() if watcher.stderr else "")
    finally:
        for proc in (runner, watcher):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def test_watch_of_an_unknown_drill_says_so(tmp_path: Path) -> None:
    proc = drillkit(tmp_path / "events.db", "watch", "no-such-drill")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "no-such-drill" in err and "drillkit drills" in err and "Traceback" not in err
