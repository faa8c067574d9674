"""Paging now and marking away through the store, SQLite on disk.

A console asks the engine running the drill (another `EventStore` on the same file) to
page someone not in the plan and to mark a person away: the engine's desk applies both
with the console recorded as their origin. The ad hoc number never enters the journal;
it is kept in `ad_hoc_points`, where an engine resuming the drill after a crash between
the order and its pages finds it and sends the rest, once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import (
    Event,
    OperatorPaged,
    OutsidePageQueued,
    PersonMarkedUnavailable,
    to_record,
)
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import Appended, StoredEvent
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import OperatorDesk, RequestRefused, ask
from tests.store.test_consoles import SCENARIO, answered, runner_on

NUMBER = "+819000123456"


async def test_a_console_pages_ad_hoc_and_marks_away_through_the_engine(db_path: Path) -> None:
    async with EventStore.open(db_path) as engine_store, EventStore.open(db_path) as console:
        runner = runner_on(engine_store)
        await runner.run_until(0.2)
        desk = OperatorDesk(engine_store, runner)
        me = ConsoleIdentity.here("鈴木")
        drill = runner.drill_id
        page = ask(
            console, drill, "page",
            {"asked": "ad_hoc", "name": "保守業者 田中", "phone": "090-0012-3456"},
            operator="鈴木", console=me,
        )  # fmt: skip
        first = await answered(desk, page)
        away = ask(
            console, drill, "unavailable",
            {"person": "yoshida-takeshi", "reason": "出張", "until": "2026-01-31T18:00:00+09:00"},
            operator="鈴木", console=me,
        )  # fmt: skip
        second = await answered(desk, away)

        stored = {s.seq: s.event for s in await console.read(drill)}
        order, mark = stored[first.seq], stored[second.seq]  # type: ignore[index]
        assert isinstance(order, OperatorPaged) and isinstance(mark, PersonMarkedUnavailable)
        assert (order.by, order.origin, order.target_name) == ("鈴木", me.id, "保守業者 田中")
        assert (mark.by, mark.origin, mark.reason) == ("鈴木", me.id, "出張")
        assert mark.until is not None and mark.until.hour == 9  # 18:00 in Tokyo, kept in UTC
        journal = json.dumps([to_record(e) for e in stored.values()], ensure_ascii=False)
        assert NUMBER not in journal and "0012-3456" not in journal
        kept = await console.ad_hoc_people(drill)
        assert kept["adhoc:1"] == ("保守業者 田中", (("voice", NUMBER), ("sms", NUMBER)))
        with sqlite3.connect(db_path) as conn:  # beside the journal, not in it
            (rows,) = conn.execute("SELECT count(*) FROM ad_hoc_points").fetchone()
            events = conn.execute("SELECT payload FROM events").fetchall()
        assert rows == 1 and not any("0012-3456" in str(p) for (p,) in events)

        refused = ask(
            console, drill, "page", {"asked": "ad_hoc", "name": "x", "phone": "090-98"},
            operator="鈴木", console=me,
        )  # fmt: skip
        with pytest.raises(RequestRefused, match="number is not valid"):
            await answered(desk, refused)
        await runner.close()


class Dies:
    """The event store until `survive` more events were appended, then a dead process."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.left: int | None = None

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        if self.left is not None:
            if self.left <= 0:
                raise RuntimeError("killed")
            self.left -= 1
        return await self.store.append(drill_id, event, key)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.store.read(drill_id)

    async def keep_ad_hoc(self, drill_id: str, ref: str, name: str, points: object) -> None:
        await self.store.keep_ad_hoc(drill_id, ref, name, points)  # type: ignore[arg-type]

    async def ad_hoc_people(self, drill_id: str) -> dict[str, object]:
        return dict(await self.store.ad_hoc_people(drill_id))


async def test_a_resumed_engine_reaches_the_ad_hoc_person_from_the_side_table(
    db_path: Path,
) -> None:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    async with EventStore.open(db_path) as store:
        dies = Dies(store)
        first = SimulatedNotifier(ResponseModel(seed=7))
        runner = DrillRunner(
            plan, SCENARIO, sink=dies, notifiers=[first], clock=VirtualClock(), simulated=True
        )
        await runner.run_until(0.2)
        dies.left = 2  # the order and its first page are recorded, then the process dies
        with pytest.raises(RuntimeError, match="killed"):
            await runner.page_now("ad_hoc", name="田中", phone="090-0012-3456", by="o")
        sent_before = [p for p in first.sent if p.person_id == "adhoc:1"]
        assert len(sent_before) == 1

    async with EventStore.open(db_path) as store:  # another process
        again = SimulatedNotifier(ResponseModel(seed=7))
        resumed = await DrillRunner.resume(
            runner.drill_id, plan, sink=store, notifiers=[again], clock=VirtualClock(), by="o"
        )
        await resumed.run_until(1)
        sent_after = [p for p in again.sent if p.person_id == "adhoc:1"]
        queued = [
            s.event
            for s in await store.read(runner.drill_id)
            if isinstance(s.event, OutsidePageQueued)
        ]
        assert sorted(q.index for q in queued) == [0, 1]  # voice and SMS, each once
        assert [p.address for p in sent_after] == [NUMBER]  # the rest, with the full number
        assert {p.page_id for p in sent_after}.isdisjoint({p.page_id for p in sent_before})
        await resumed.close()
