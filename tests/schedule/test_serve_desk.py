"""The calendar's engine takes requests from the consoles: `serve` runs a scheduled drill,
another console acts on it through the store.

`serve` (its own process, the engine's own launcher, on the real clock) finds a
scheduled drill due and runs it with simulated people. A console in this process, which
does not run the drill, asks through the store for a note, a manual acknowledgement and
then an abort: the service's engine applies each, recorded with who asked and from which
console, and answers; the abort ends the drill, and the calendar's ledger says so.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drill.engine.events import Acknowledged, DrillAborted, DrillStarted, NoteAdded, PageQueued
from drill.schedule.book import DrillBook
from drill.schedule.ledger import Ledger, Outcome, open_engine, sync_url
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import ask

from .conftest import fixed, jst

pytestmark = pytest.mark.slow

SCENARIO = "scenarios/annual-roll-call.yaml"
DRILL = "desk-20260106-1000"

SERVE_SCRIPT = textwrap.dedent(
    """
    import asyncio, datetime as dt, sys

    from drill.schedule import journal
    from drill.schedule.service import serve

    db, now = sys.argv[1], dt.datetime.fromisoformat(sys.argv[2])
    journal.configure()
    asyncio.run(serve(db, ack_server=False, poll_seconds=0, clock=lambda: now))
    """
)


async def running(db: str) -> list[str]:
    """The members being paged once the service's engine has started the drill."""
    deadline = time.monotonic() + 120
    async with EventStore.open(db) as store:
        while True:
            stored = [s.event for s in await store.read(DRILL)]
            lease = await store.lease_of(DRILL)
            paged = [e.person_id for e in stored if isinstance(e, PageQueued)]
            if stored and isinstance(stored[0], DrillStarted) and lease and paged:
                return paged
            assert time.monotonic() < deadline, "the scheduled drill never started"
            await asyncio.sleep(0.1)


async def console(db: str, service_pid: int) -> None:
    """A console elsewhere: asks for a note, a manual acknowledgement and an abort."""
    paged = await running(db)
    me = ConsoleIdentity.here("統括")
    async with EventStore.open(db) as store:
        noted = await ask(store, DRILL, "note", {"text": "本部を設置"}, operator="統括", console=me)
        reached = await ask(
            store, DRILL, "ack", {"ref": paged[0], "note": "電話で確認"}, operator="統括",
            console=me,
        )  # fmt: skip
        aborted = await ask(
            store, DRILL, "abort", {"reason": "机上確認で終了"}, operator="統括", console=me
        )
        by_seq = {s.seq: s.event for s in await store.read(DRILL)}
    note, ack, abort = (by_seq[a.seq] for a in (noted, reached, aborted) if a.seq)
    assert isinstance(note, NoteAdded) and (note.by, note.origin) == ("統括", me.id)
    assert isinstance(ack, Acknowledged) and ack.source == "manual"
    assert (ack.entered_by, ack.origin, ack.person_id) == ("統括", me.id, paged[0])
    assert isinstance(abort, DrillAborted) and (abort.by, abort.origin) == ("統括", me.id)
    # Answered by the service's engine (its lease owner id names its process).
    assert f":{service_pid}:" in noted.holder and reached.holder == noted.holder


def test_serve_applies_console_requests_to_the_scheduled_drill_it_runs(
    db: str, plan_dir: Path, tmp_path: Path
) -> None:
    # Scheduled on 1/5 for Tuesday 1/6 10:00; the service (its clock fixed at 10:01)
    # finds it due at once.
    with DrillBook.open(db, clock=fixed(jst(2026, 1, 5, 9))) as book:
        book.add(plan_dir / SCENARIO, kind="at", when="2026-01-06 10:00", schedule_id="desk")
    script = tmp_path / "serve_script.py"
    script.write_text(SERVE_SCRIPT, encoding="utf-8")
    log = tmp_path / "serve.log"
    with log.open("ab") as stderr:
        service = subprocess.Popen(
            [sys.executable, str(script), db, jst(2026, 1, 6, 10, 1).isoformat()],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
        )
    try:
        asyncio.run(console(db, service.pid))
        # The service's engine ends the drill; the calendar's ledger records how.
        ledger = Ledger(open_engine(sync_url(db)))
        deadline = time.monotonic() + 60
        while (ended := ledger.entries(job_id="desk")[-1]).outcome != Outcome.COMPLETED:
            assert time.monotonic() < deadline, ended
            time.sleep(0.1)
        assert "aborted by 統括" in json.dumps(ended.detail, ensure_ascii=False), ended.detail
        ledger.engine.dispose()
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            assert service.wait(timeout=60) == 0
        finally:
            if service.poll() is None:
                service.kill()
                service.wait()
    messages = [json.loads(line)["message"] for line in log.read_text().splitlines()]
    assert messages[-1] == "drillkit serve stopped"
