"""Resume after a crash: state from the events alone, no page sent twice, nothing lost.

A crash is simulated by a sink that fails after N appends, which stops the runner at
exactly that event boundary; the events stored so far are what a killed process leaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import SimpleNamespace

import pytest

from drill.engine.clock import VIRTUAL_START, VirtualClock
from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    DrillInterrupted,
    DrillRecovered,
    DuplicatesCounted,
    Event,
    InjectFired,
    PageQueued,
    PageSent,
    StepDue,
)
from drill.engine.inputs import KEPT_REPEATS
from drill.engine.notifier import Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier, SimulatedOperator
from drill.engine.sink import Appended, MemorySink, StoredEvent
from drill.engine.state import DrillState, DrillStatus
from drill.errors import EngineError
from drill.plan.models import ChannelKind

MARKERS = ("DrillInterrupted", "DrillRecovered")


class Crash(Exception):
    """The process died here."""


class CrashingSink:
    """Stores `survive` events, then fails every append: what a kill -9 leaves behind."""

    def __init__(self, survive: int) -> None:
        self.inner = MemorySink()
        self.left = survive

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        if self.left <= 0:
            raise Crash(event.type_name)
        self.left -= 1
        return await self.inner.append(drill_id, event, key)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.inner.read(drill_id)


class Forgetful:
    """A notifier that cannot say what became of a page after a crash (no `recover`)."""

    def __init__(self, inner: SimulatedNotifier) -> None:
        self.inner = inner
        self.kinds = inner.kinds
        self.local = True  # wraps simulated people: nobody real is paged

    async def start(self, inbox: Inbox) -> None:
        await self.inner.start(inbox)

    async def send(self, page: Page) -> SendResult:
        return await self.inner.send(page)

    async def close(self) -> None:
        await self.inner.close()


async def crashed_run(
    kit: SimpleNamespace,
    survive: int,
    seed: int,
    *,
    operator: bool = True,
    activation: str = "sequential",
    batched: bool = False,
) -> MemorySink:
    sink = CrashingSink(survive)
    h = kit.Harness(
        kit.rich_plan(activation),
        people=kit.RICH_PEOPLE,
        seed=seed,
        operator=operator,
        sink=sink,
        batched=batched,
    )
    with pytest.raises(Crash):
        await h.runner.run()
    return sink.inner


async def resume(
    kit: SimpleNamespace,
    sink: MemorySink,
    seed: int,
    clock: VirtualClock | None = None,
    notifier: object | None = None,
    operator: bool = True,
    activation: str = "sequential",
    batched: bool = False,
) -> tuple[DrillRunner, SimulatedNotifier]:
    model = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=seed).model
    sim = SimulatedNotifier(model)
    runner = await DrillRunner.resume(
        "d1",
        kit.rich_plan(activation),
        sink=sink,
        notifiers=[notifier or sim],  # type: ignore[list-item]
        clock=clock or VirtualClock(),
        simulated_operator=SimulatedOperator(seed) if operator else None,
        by="duty officer",
        commit_in_batches=batched,
    )
    return runner, sim


async def events(sink: MemorySink) -> list[Event]:
    return [s.event for s in await sink.read("d1") if not s.duplicate]


async def uninterrupted(
    kit: SimpleNamespace, seed: int, activation: str = "sequential"
) -> list[tuple[str, str]]:
    h = kit.Harness(kit.rich_plan(activation), people=kit.RICH_PEOPLE, seed=seed, operator=True)
    await h.runner.run()
    return kit.records(await h.events())


@pytest.mark.parametrize("batched", [False, True], ids=["one commit each", "batched commits"])
async def test_resuming_after_a_crash_at_any_event_gives_the_uninterrupted_drill(
    kit: SimpleNamespace, batched: bool
) -> None:
    # Batched, a crash inside a batch's commit leaves the same kind of prefix: the events
    # kept back but not yet written are simply done again by the resumed engine.
    expected = await uninterrupted(kit, seed=21)
    # Every boundary of the dense start (levels starting, pages going out), then every
    # second one: about ninety crash points of every kind of event.
    points = [n for n in range(1, len(expected)) if n <= 60 or n % 2 == 0]
    assert len(points) > 80
    for survive in points:
        sink = await crashed_run(kit, survive, seed=21, batched=batched)
        runner, _ = await resume(kit, sink, seed=21, batched=batched)
        await runner.run()
        got = kit.records(await events(sink), skip=MARKERS)
        assert got == expected, f"diverged after a crash following event {survive}"


async def test_a_parallel_drill_resumed_after_a_crash_at_any_event_is_the_uninterrupted_one(
    kit: SimpleNamespace,
) -> None:
    expected = await uninterrupted(kit, seed=21, activation="parallel")
    started = [n for n, (name, _) in enumerate(expected) if name == "TreeStarted"]
    assert len(started) == 2 and started[1] < 40  # both trees start in the dense T+0
    points = [n for n in range(1, len(expected)) if n <= 60 or n % 2 == 0]
    for survive in points:
        sink = await crashed_run(kit, survive, seed=21, activation="parallel")
        runner, _ = await resume(kit, sink, seed=21, activation="parallel")
        await runner.run()
        got = kit.records(await events(sink), skip=MARKERS)
        assert got == expected, f"diverged after a crash following event {survive}"


async def test_resuming_a_drill_stopped_at_a_moment_continues_it_exactly(
    kit: SimpleNamespace,
) -> None:
    expected = await uninterrupted(kit, seed=4)
    for minutes in (0.5, 3, 6.2, 11, 29):
        h = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=4, operator=True)
        await h.runner.run_until(minutes)
        snapshot = MemorySink()
        for stored in await h.sink.read("d1"):
            await snapshot.append("d1", stored.event, stored.key)
        runner, _ = await resume(kit, snapshot, seed=4)
        await runner.run()
        assert kit.records(await events(snapshot), skip=MARKERS) == expected


async def test_downtime_fires_each_overdue_timer_once_marked_and_resends_nothing(
    kit: SimpleNamespace,
) -> None:
    sink = await crashed_run(kit, 12, seed=8, operator=False)
    before = await events(sink)
    sent_before = {e.page_id for e in before if isinstance(e, PageQueued)}
    last = before[-1].elapsed

    later = VirtualClock(start=VIRTUAL_START + dt.timedelta(minutes=20))
    runner, sim = await resume(kit, sink, seed=8, clock=later, operator=False)
    await runner.run_until(40)
    after = (await events(sink))[len(before) :]

    interrupted = next(e for e in after if isinstance(e, DrillInterrupted))
    assert interrupted.downtime_seconds == pytest.approx(1200 - last)
    recovered = next(e for e in after if isinstance(e, DrillRecovered))
    assert recovered.overdue_timers >= 2

    overdue = [e for e in after if getattr(e, "overdue", False)]
    assert {type(e) for e in overdue} >= {InjectFired, StepDue}
    assert all(e.elapsed == pytest.approx(1200) for e in overdue)
    fired = [(type(e).__name__, getattr(e, "index", getattr(e, "step", None))) for e in overdue]
    assert len(fired) == len(set(fired))  # each fires once

    queued = [e.page_id for e in after if isinstance(e, PageQueued)]
    assert not set(queued) & sent_before  # no page id is used twice
    assert not {p.page_id for p in sim.sent} & sent_before  # nothing sent again


async def test_a_page_in_flight_is_never_sent_again_and_waits_for_its_timeout(
    kit: SimpleNamespace,
) -> None:
    expected = await uninterrupted(kit, seed=3)
    first_queued = next(i for i, (name, _) in enumerate(expected) if name == "PageQueued")
    sink = await crashed_run(kit, first_queued + 1, seed=3)
    page = (await events(sink))[-1]
    assert isinstance(page, PageQueued)

    model = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=3).model
    forgetful = Forgetful(SimulatedNotifier(model))
    runner, _ = await resume(kit, sink, seed=3, notifier=forgetful)
    await runner.run()
    after = await events(sink)

    interrupted = next(e for e in after if isinstance(e, DrillInterrupted))
    assert interrupted.pages_in_flight == (page.page_id,)
    assert [e for e in after if isinstance(e, PageSent) and e.page_id == page.page_id] == []
    timed_out = [e for e in after if isinstance(e, AttemptTimedOut) and e.page_id == page.page_id]
    assert [e.elapsed for e in timed_out] == [page.elapsed + page.timeout_seconds]
    assert page.page_id not in {p.page_id for p in forgetful.inner.sent}
    same_attempt = [
        e
        for e in after
        if isinstance(e, PageQueued)
        and (e.person_id, e.channel, e.attempt, e.candidate_index)
        == (page.person_id, page.channel, page.attempt, page.candidate_index)
    ]
    assert same_attempt == [page]


async def test_every_acknowledgement_before_the_crash_is_kept(kit: SimpleNamespace) -> None:
    expected = await uninterrupted(kit, seed=6)
    first_ack = next(i for i, (name, _) in enumerate(expected) if name == "Acknowledged")
    sink = await crashed_run(kit, first_ack + 1, seed=6)
    ack = (await events(sink))[-1]
    assert isinstance(ack, Acknowledged)

    runner, sim = await resume(kit, sink, seed=6)
    recovered = next(e for e in await events(sink) if isinstance(e, DrillRecovered))
    assert recovered.acknowledged == 1
    await runner.run()

    contact = runner.state.contact(ack.member, tree=ack.tree)
    assert contact.acknowledged_elapsed == ack.elapsed
    member_pages = [p for p in sim.sent if p.role_id == ack.member]
    assert member_pages == []  # nobody of that contact is paged again


async def test_resume_refuses_what_it_cannot_continue(kit: SimpleNamespace) -> None:
    with pytest.raises(EngineError, match="no drill 'd1'"):
        await resume(kit, MemorySink(), seed=1)

    h = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=1, operator=True)
    await h.runner.run()
    with pytest.raises(EngineError, match="already ended"):
        await resume(kit, h.sink, seed=1)

    sink = await crashed_run(kit, 10, seed=1)
    changed = kit.two_level_plan()
    with pytest.raises(EngineError, match=r"no scenario|plan changed"):
        await DrillRunner.resume(
            "d1", changed, sink=sink, notifiers=[SimulatedNotifier()], clock=VirtualClock()
        )


async def test_a_paused_drill_stays_paused_after_a_resume(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=2)
    await h.runner.run_until(2)
    await h.runner.pause(by="op")
    runner, _ = await resume(kit, h.sink, seed=2)
    assert runner.paused and runner.state.status is DrillStatus.PAUSED
    await runner.run_until(10)
    stored = await events(h.sink)
    assert stored[-1].type_name == "DrillRecovered"
    await runner.unpause(by="op")
    await runner.run()
    assert runner.state.status is DrillStatus.COMPLETED


def test_markers_name_the_resume_events() -> None:
    assert ChannelKind.VOICE  # keeps the import honest for type checkers
    assert (DrillInterrupted.__name__, DrillRecovered.__name__) == MARKERS


async def test_a_resumed_engine_goes_on_counting_repeats_where_the_last_one_stopped(
    kit: SimpleNamespace,
) -> None:
    """Repeats of an acknowledgement beyond the first few are counted, not stored; a
    resumed engine remembers what the journal says it saw, rather than keeping
    `KEPT_REPEATS` more of every key as rows."""
    h = kit.Harness(kit.rich_plan(), seed=4)
    await h.runner.run_until(0)
    page_id = next(e.page_id for e in await h.events() if isinstance(e, PageSent))
    for _ in range(1 + KEPT_REPEATS + 2):  # the original, the kept repeats, two counted
        await h.runner.acknowledge(page_id, source="sms", key="k-1")
    before = await h.sink.read("d1")
    assert sum(1 for s in before if s.duplicate) == KEPT_REPEATS
    assert [e.count for e in (s.event for s in before) if isinstance(e, DuplicatesCounted)] == [1]

    runner, _ = await resume(kit, h.sink, seed=4)
    for _ in range(2):
        await runner.acknowledge(page_id, source="sms", key="k-1")
    await runner.finish(by="test")
    after = (await h.sink.read("d1"))[len(before) :]
    assert not [s for s in after if s.duplicate], "the resumed engine stored repeats again"
    counted = [s.event for s in after if isinstance(s.event, DuplicatesCounted)]
    assert [e.count for e in counted] == [2]  # recorded when the drill ended
    # One repeat was counted but not yet recorded when the first engine stopped.
    folded = DrillState.from_events(await h.sink.read("d1"))
    assert folded.duplicates == KEPT_REPEATS + 1 + 2
