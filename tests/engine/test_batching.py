"""Inputs that arrive together share one commit, and nothing else changes.

A drill is held still inside a handler (as if its loop were waiting for the disk) while
acknowledgements and delivery reports queue up from other tasks; then it goes on, and
the queued inputs are taken together: their first events are stored by one
`append_many`, applied only once stored, and each caller answered after that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from drill.engine.events import (
    Acknowledged,
    DeliveryFailed,
    DeliveryUpdated,
    Event,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    PageQueued,
    PagingCancelled,
)
from drill.engine.notifier import DeliveryStatus, FailureReason, Inbox, Page, SendResult
from drill.engine.sink import Appended, MemorySink, StoredEvent
from drill.engine.state import DrillState
from drill.plan.models import Plan

MEMBERS = ("r0", "r1", "r2", "r3", "r4", "r5")


class Disk(Exception):
    """The store could not write."""


class CountingSink:
    """A memory sink that records the size of every write (an `append` is a write of 1)."""

    def __init__(self) -> None:
        self.inner = MemorySink()
        self.writes: list[int] = []
        self.fail = False
        self.stuck: asyncio.Event | None = None  # set: writes of several wait for ever

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        self.writes.append(1)
        if self.fail:
            raise Disk(event.type_name)
        return await self.inner.append(drill_id, event, key)

    async def append_many(
        self, drill_id: str, items: Sequence[tuple[Event, str | None]]
    ) -> list[Appended]:
        self.writes.append(len(items))
        if self.fail:
            raise Disk(f"{len(items)} events")
        if self.stuck is not None:
            self.stuck.set()
            await asyncio.Event().wait()
        return await self.inner.append_many(drill_id, items)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.inner.read(drill_id)

    def stored(self) -> list[Event]:
        return [item.event for item in self.inner._events.get("d1", [])]


class AppendOnlySink:
    """A sink with `append` and `read` only (no `append_many`)."""

    def __init__(self) -> None:
        self.inner = MemorySink()
        self.writes = 0

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        self.writes += 1
        await asyncio.sleep(0)
        return await self.inner.append(drill_id, event, key)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.inner.read(drill_id)


class Hold:
    """A handler that stops the drill's loop at the first inject until `go` is set."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.go = asyncio.Event()

    async def __call__(self, drill_id: str, event: Event) -> None:
        if isinstance(event, InjectFired) and not self.reached.is_set():
            self.reached.set()
            await self.go.wait()


class Checked:
    """A notifier that fails the test if a page goes out before its PageQueued is stored."""

    def __init__(self, inner: Any, sink: CountingSink) -> None:
        self.inner = inner
        self.kinds = inner.kinds
        self.local = True  # wraps simulated people: nobody real is paged
        self.sink = sink
        self.early: list[str] = []

    async def start(self, inbox: Inbox) -> None:
        await self.inner.start(inbox)

    async def send(self, page: Page) -> SendResult:
        queued = {e.page_id for e in self.sink.stored() if isinstance(e, PageQueued)}
        if page.page_id not in queued:
            self.early.append(page.page_id)
        result: SendResult = await self.inner.send(page)
        return result

    async def close(self) -> None:
        await self.inner.close()


def level_plan(kit: SimpleNamespace, required: str | int = "all") -> Plan:
    """Six roles paged at once (nobody answers by themselves), then one more level; an
    inject at T+1 min, where the tests hold the drill."""
    b = kit.PlanBuilder()
    roles = [b.role(ref, b.person(f"{ref}-holder")) for ref in MEMBERS]
    b.level("t", "first", roles, required=required, timeout=5, channels=("sms",))
    b.level("t", "second", [b.role("last", b.person("last-holder"))], channels=("sms",))
    b.scenario(injects=[(1, "状況付与")])
    return b.build()


class Drill:
    """A harnessed drill on a `CountingSink`, held at T+1 min with its loop running."""

    def __init__(self, kit: SimpleNamespace, plan: Plan, sink: Any = None) -> None:
        people = {f"{ref}-holder": "absent" for ref in (*MEMBERS, "last")}
        self.sink = sink if sink is not None else CountingSink()
        self.h = kit.Harness(plan, people=people, sink=self.sink)
        self.runner = self.h.runner
        self.hold = Hold()
        self.runner.subscribe(self.hold)
        self.early_handler: list[str] = []
        self.runner.subscribe(self._seen)
        self.driving: asyncio.Task[Any] | None = None

    async def _seen(self, drill_id: str, event: Event) -> None:
        stored = [item.event for item in await self.sink.read(drill_id)]
        if not any(item is event for item in stored):
            self.early_handler.append(event.type_name)

    async def start(self, minutes: float = 10) -> None:
        self.driving = asyncio.create_task(self.runner.run_until(minutes))
        await self.hold.reached.wait()

    async def page(self, member: str) -> str:
        return next(e.page_id for e in await self.h.of(PageQueued) if e.member == member)

    async def together(self, *calls: Any) -> list[Any]:
        """Queue `calls` while the drill is held, let it go, and return their answers."""
        tasks = [asyncio.ensure_future(call) for call in calls]
        await asyncio.sleep(0)  # every call is queued now
        assert self.runner._queue and len(self.runner._queue) == len(calls)
        self.hold.go.set()
        try:
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        finally:
            assert self.driving is not None
            await asyncio.gather(self.driving, return_exceptions=True)


def writes_after_hold(sink: CountingSink, before: int) -> list[int]:
    return sink.writes[before:]


async def test_a_burst_of_acknowledgements_is_stored_by_one_commit(kit: SimpleNamespace) -> None:
    d = Drill(kit, level_plan(kit))
    await d.start()
    pages = [await d.page(ref) for ref in MEMBERS[:4]]
    before = len(d.sink.writes)

    outcomes = await d.together(
        *(d.runner.acknowledge(p, source="sms", key=f"link:{n}") for n, p in enumerate(pages))
    )

    assert outcomes == ["accepted"] * 4
    assert d.sink.writes[before] == 4  # the four acknowledgements: one write
    assert d.early_handler == []  # no handler heard of an event before it was stored
    acked = {e.member for e in await d.h.of(Acknowledged)}
    assert acked == set(MEMBERS[:4])
    assert {c.member for c in d.runner.state.contacts.values() if c.acknowledged} == acked
    assert d.runner.state.levels[("t", "first")].acknowledged == 4


async def test_a_batch_records_what_the_inputs_one_at_a_time_would_have(
    kit: SimpleNamespace,
) -> None:
    """All six acknowledgements complete the level: the same events, in the same order,
    as when they come one after another (the level reacts to the last one either way)."""

    async def batched() -> list[tuple[str, str]]:
        d = Drill(kit, level_plan(kit))
        await d.start()
        pages = [await d.page(ref) for ref in MEMBERS]
        calls = (d.runner.acknowledge(p, source="sms", key=f"k{n}") for n, p in enumerate(pages))
        assert await d.together(*calls) == ["accepted"] * 6
        await d.runner.run_until(10)
        return kit.records(await d.h.events())

    async def one_at_a_time() -> list[tuple[str, str]]:
        d = Drill(kit, level_plan(kit))
        d.hold.go.set()
        await d.runner.run_until(1)  # the inject at T+1 has fired; the loop has stopped
        for n, ref in enumerate(MEMBERS):
            page = await d.page(ref)
            assert await d.runner.acknowledge(page, source="sms", key=f"k{n}") == "accepted"
        await d.runner.run_until(10)
        return kit.records(await d.h.events())

    expected = await one_at_a_time()
    assert await batched() == expected
    names = [name for name, _ in expected]
    assert names.count("Acknowledged") == 6 and "LevelCompleted" in names


async def test_a_key_twice_in_one_batch_and_a_key_seen_before_are_duplicates(
    kit: SimpleNamespace,
) -> None:
    d = Drill(kit, level_plan(kit))
    d.hold.go.set()
    await d.runner.run_until(0.5)
    r0 = await d.page("r0")
    assert await d.runner.acknowledge(r0, source="sms", key="link:a") == "accepted"
    d.hold.go.clear()
    await d.start()
    before = len(d.sink.writes)

    outcomes = await d.together(
        d.runner.acknowledge(r0, source="voice", key="gather:CA1"),
        d.runner.acknowledge(r0, source="voice", key="gather:CA1"),
        d.runner.acknowledge(r0, source="sms", key="link:a"),
        d.runner.acknowledge(await d.page("r1"), source="sms", key="link:b"),
    )

    assert outcomes == ["already_acknowledged", "duplicate", "duplicate", "accepted"]
    assert d.sink.writes[before] == 4
    stored = [s for s in await d.sink.read("d1") if isinstance(s.event, Acknowledged)]
    assert [(s.key, s.duplicate) for s in stored] == [
        ("link:a", False),
        ("gather:CA1", False),
        ("gather:CA1", True),
        ("link:a", True),
        ("link:b", False),
    ]
    assert len(d.runner.state.acknowledgements) == 3  # duplicates are not applied
    assert d.runner.state.levels[("t", "first")].acknowledged == 2
    # ... but counted, as the fold of the stored record counts them (a report of the
    # drill at the end of its run is made from this fold).
    stored_fold = DrillState.from_events(await d.sink.read("d1"))
    assert d.runner.state.duplicates == stored_fold.duplicates == 2


async def test_a_second_acknowledgement_of_a_contact_in_a_burst_waits_for_the_first(
    kit: SimpleNamespace,
) -> None:
    d = Drill(kit, level_plan(kit))
    await d.start()
    r0, r1, r2 = [await d.page(ref) for ref in ("r0", "r1", "r2")]
    before = len(d.sink.writes)

    outcomes = await d.together(
        d.runner.acknowledge(r0, source="sms", key="1"),
        d.runner.acknowledge(r1, source="sms", key="2"),
        d.runner.acknowledge(r0, source="voice", key="3"),
        d.runner.acknowledge(r2, source="sms", key="4"),
    )

    assert outcomes == ["accepted", "accepted", "already_acknowledged", "accepted"]
    # r0's second acknowledgement is built once its first is applied: a second batch.
    assert writes_after_hold(d.sink, before)[:2] == [2, 2]
    firsts = [(e.member, e.first) for e in await d.h.of(Acknowledged)]
    assert firsts == [("r0", True), ("r1", True), ("r0", False), ("r2", True)]


async def test_acknowledgements_that_arrive_together_all_count_before_the_level_reacts(
    kit: SimpleNamespace,
) -> None:
    d = Drill(kit, level_plan(kit, required=2))
    await d.start()
    pages = [await d.page(ref) for ref in ("r0", "r1", "r2")]

    outcomes = await d.together(
        *(d.runner.acknowledge(p, source="sms", key=str(n)) for n, p in enumerate(pages))
    )
    await d.runner.run_until(10)

    assert outcomes == ["accepted"] * 3
    completed = next(e for e in await d.h.of(LevelCompleted) if e.level == "first")
    assert completed.satisfied and completed.acknowledged == 3
    cancelled = {e.member for e in await d.h.of(PagingCancelled)}
    assert cancelled == {"r3", "r4", "r5"}  # exactly the paging of those not reached
    second = next(e for e in await d.h.of(LevelStarted) if e.level == "second")
    assert second.elapsed == 60.0
    assert d.early_handler == []


async def test_the_next_levels_page_goes_out_only_once_its_page_queued_is_stored(
    kit: SimpleNamespace,
) -> None:
    sink = CountingSink()
    d = Drill(kit, level_plan(kit, required="any"), sink=sink)
    checked = Checked(d.h.notifier, sink)
    d.runner._notifiers = {kind: checked for kind in d.runner._notifiers}
    await d.start()

    outcomes = await d.together(
        d.runner.acknowledge(await d.page("r3"), source="sms", key="x"),
        d.runner.delivery_status(await d.page("r4"), DeliveryStatus.DELIVERED, key="dlr:1"),
    )

    assert outcomes == ["accepted", None]
    assert [p.role_id for p in d.h.notifier.sent][-1] == "last"
    assert checked.early == []


async def test_delivery_reports_share_the_commit_and_paging_goes_on(kit: SimpleNamespace) -> None:
    d = Drill(kit, level_plan(kit))
    await d.start()
    r0, r1, r2 = [await d.page(ref) for ref in ("r0", "r1", "r2")]
    before = len(d.sink.writes)

    outcomes = await d.together(
        d.runner.delivery_status(r0, DeliveryStatus.DELIVERED, key="dlr:r0"),
        d.runner.delivery_failed(r1, FailureReason.INVALID_NUMBER, detail="21211", key="f:r1"),
        d.runner.delivery_failed(r1, FailureReason.INVALID_NUMBER, detail="21211", key="f:r1"),
        d.runner.acknowledge(r2, source="sms", key="link:r2"),
        d.runner.acknowledge("d1-p999", source="sms", key="link:nobody"),
    )

    assert outcomes == [None, None, None, "accepted", "unknown_page"]
    assert d.sink.writes[before] == 4  # the unknown page is answered without recording
    ours = {"dlr:r0", "f:r1", "link:r2", "link:nobody"}
    keyed = [(type(s.event), s.key, s.duplicate) for s in await d.sink.read("d1") if s.key in ours]
    assert keyed == [
        (DeliveryUpdated, "dlr:r0", False),
        (DeliveryFailed, "f:r1", False),
        (DeliveryFailed, "f:r1", True),  # the second report is a duplicate
        (Acknowledged, "link:r2", False),
    ]
    # r1 (no deputy) has no other way to be reached: given up at once, not at its timeout.
    unreached = {e.member: e.elapsed for e in await d.h.of(MemberUnreached)}
    assert unreached["r1"] == 60.0


@pytest.mark.parametrize("count", [3, 300])  # 300: more than one batch is waiting
async def test_a_failed_commit_answers_every_caller_with_it_and_applies_nothing(
    kit: SimpleNamespace, count: int
) -> None:
    d = Drill(kit, level_plan(kit))
    await d.start()
    pages = [await d.page(ref) for ref in MEMBERS]
    d.sink.fail = True

    outcomes = await d.together(
        *(d.runner.acknowledge(pages[n % 6], source="sms", key=str(n)) for n in range(count))
    )

    assert all(isinstance(o, Disk) for o in outcomes)
    assert d.driving is not None and isinstance(d.driving.exception(), Disk)
    assert d.runner.state.acknowledgements == []
    assert all(m.status.name != "ACKED" for m in d.runner._members.values())


async def test_callers_waiting_on_a_drill_that_is_cancelled_are_cancelled_not_left_hanging(
    kit: SimpleNamespace,
) -> None:
    d = Drill(kit, level_plan(kit))
    await d.start()
    pages = [await d.page(ref) for ref in MEMBERS]
    d.sink.stuck = asyncio.Event()
    calls = [
        asyncio.ensure_future(d.runner.acknowledge(pages[n % 6], source="sms", key=str(n)))
        for n in range(300)
    ]
    await asyncio.sleep(0)
    d.hold.go.set()
    await d.sink.stuck.wait()  # the first batch is being written
    assert d.driving is not None
    d.driving.cancel()

    outcomes = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
    assert d.runner.state.acknowledgements == []


async def test_a_sink_without_append_many_gets_one_append_after_another(
    kit: SimpleNamespace,
) -> None:
    sink = AppendOnlySink()
    d = Drill(kit, level_plan(kit), sink=sink)
    await d.start()
    pages = [await d.page(ref) for ref in MEMBERS[:3]]
    before = sink.writes

    outcomes = await d.together(
        d.runner.acknowledge(pages[0], source="sms", key="a"),
        d.runner.acknowledge(pages[1], source="sms", key="a"),
        d.runner.acknowledge(pages[2], source="sms", key="c"),
    )

    assert outcomes == ["accepted", "duplicate", "accepted"]
    assert sink.writes - before >= 3
    assert d.early_handler == []


@pytest.mark.parametrize("count", [1, 300])
async def test_bursts_larger_than_one_batch_are_all_answered(
    kit: SimpleNamespace, count: int
) -> None:
    d = Drill(kit, level_plan(kit))
    await d.start()
    pages: Mapping[str, str] = {ref: await d.page(ref) for ref in MEMBERS}
    refs = [MEMBERS[n % len(MEMBERS)] for n in range(count)]

    outcomes = await d.together(
        *(d.runner.acknowledge(pages[ref], source="sms", key=f"k{n}") for n, ref in enumerate(refs))
    )

    assert outcomes.count("accepted") == min(count, len(MEMBERS))
    assert outcomes.count("already_acknowledged") == count - min(count, len(MEMBERS))
    assert len(await d.h.of(Acknowledged)) == count
    assert d.early_handler == []
