"""Safe clocks: real channels only on the real clock, and a resume on the drill's own clock.

A notifier that does not declare itself local stands for a real provider: the runner
refuses to start (or resume) it on a scaled or virtual clock, before anything is recorded
or sent. A drill resumed without a clock goes on on the one `DrillStarted` recorded; one
of another kind or speed is refused; a scaled drill's time goes on from where real time
× speed says, never backwards, and `DrillInterrupted` tells the real and the drill gap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from types import SimpleNamespace

import pytest

from drill.engine.clock import (
    Clock,
    RealClock,
    RealClockRequired,
    ScaledClock,
    VirtualClock,
    clock_kind,
)
from drill.engine.events import DrillInterrupted, DrillStarted, Event, PageSent
from drill.engine.notifier import Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.errors import EngineError
from drill.plan.models import ChannelKind


class Pager:
    """A provider as the engine sees it: it accepts every page and says nothing about
    whom it reaches, so it counts as real (unless told `local`)."""

    kinds = frozenset(ChannelKind)

    def __init__(self, *, local: bool | None = None) -> None:
        if local is not None:
            self.local = local
        self.pages: list[Page] = []

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, page: Page) -> SendResult:
        self.pages.append(page)
        return SendResult.ok(f"p{len(self.pages)}")

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("clock", [ScaledClock(10), VirtualClock()], ids=["10x", "virtual"])
async def test_real_channels_are_refused_any_clock_but_the_real_one(
    kit: SimpleNamespace, clock: Clock
) -> None:
    sink, pager = MemorySink(), Pager()
    runner = DrillRunner(kit.two_level_plan(), "drill", sink=sink, notifiers=[pager], clock=clock)

    with pytest.raises(RealClockRequired) as refused:
        await runner.run()

    assert "real clock" in refused.value.message and "--simulate" in refused.value.message
    assert "実時間" in refused.value.message
    assert await sink.read(runner.drill_id) == [] and pager.pages == []


async def test_on_the_real_clock_real_channels_page(kit: SimpleNamespace) -> None:
    sink, pager = MemorySink(), Pager()
    runner = DrillRunner(
        kit.two_level_plan(), "drill", sink=sink, notifiers=[pager], clock=RealClock()
    )
    await runner.start()
    await runner.abort(by="test", reason="done")

    started = (await sink.read(runner.drill_id))[0].event
    assert isinstance(started, DrillStarted)
    assert (started.clock, started.speed, started.channels) == ("real", None, "real")
    assert pager.pages


async def test_a_notifier_that_declares_itself_local_may_run_faster(kit: SimpleNamespace) -> None:
    sink = MemorySink()
    runner = DrillRunner(
        kit.two_level_plan(),
        "drill",
        sink=sink,
        notifiers=[Pager(local=True)],
        clock=VirtualClock(),
        simulated=False,
    )
    await runner.run_until(1)

    started = (await sink.read(runner.drill_id))[0].event
    assert isinstance(started, DrillStarted)
    assert (started.clock, started.channels) == ("virtual", "sandbox")


async def test_a_resume_refuses_a_clock_other_than_the_recorded_one(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent"})
    await h.runner.run_until(2)

    for other in (ScaledClock(60), RealClock()):
        with pytest.raises(EngineError, match="started on the virtual clock"):
            await DrillRunner.resume(
                "d1", h.plan, sink=h.sink, notifiers=[SimulatedNotifier()], clock=other
            )
    last = (await h.events())[-1]
    runner = await DrillRunner.resume("d1", h.plan, sink=h.sink, notifiers=[SimulatedNotifier()])
    assert clock_kind(runner.clock) == "virtual"
    gap = next(e for e in await h.events() if isinstance(e, DrillInterrupted))
    # Where it stopped: no virtual time passes while the process is down.
    assert gap.elapsed == last.elapsed and gap.at == last.at
    assert gap.downtime_seconds == gap.drill_downtime_seconds == 0


async def test_a_scaled_drill_resumes_at_its_speed_and_its_time_goes_on(
    kit: SimpleNamespace,
) -> None:
    plan = kit.two_level_plan(channels=("sms",))
    people = {"alice": "absent", "bob": "absent", "carol": "sms@60"}
    model = kit.Harness(plan, people=people).model
    sink = MemorySink()
    first = DrillRunner(
        plan,
        "drill",
        sink=sink,
        notifiers=[SimulatedNotifier(model)],
        clock=ScaledClock(600),  # a 3-minute timeout is 0.3 s
        drill_id="d1",
    )
    paged = asyncio.Event()
    first.subscribe(lambda _d, e: paged.set() if isinstance(e, PageSent) else None)
    running = asyncio.create_task(first.run())
    await asyncio.wait_for(paged.wait(), timeout=5)
    running.cancel()  # the process stops: no ending event is written
    with pytest.raises(asyncio.CancelledError):
        await running
    await first.close()
    before = [s.event for s in await sink.read("d1")]

    resumed = await DrillRunner.resume(
        "d1", plan, sink=sink, notifiers=[SimulatedNotifier(model)], by="duty officer"
    )
    assert isinstance(resumed.clock, ScaledClock) and resumed.clock.speed == 600
    state = await asyncio.wait_for(resumed.run(), timeout=20)

    assert state.status.value == "completed"
    events: list[Event] = [s.event for s in await sink.read("d1") if not s.duplicate]
    started = events[0]
    assert isinstance(started, DrillStarted)
    assert started.clock == "scaled" and started.speed == 600 and started.real_at is not None
    assert started.channels == "simulated"
    assert all(a.elapsed <= b.elapsed for a, b in itertools.pairwise(events))
    assert all(a.at <= b.at for a, b in itertools.pairwise(events))
    (gap,) = [e for e in events if isinstance(e, DrillInterrupted)]
    assert (gap.clock, gap.speed) == ("scaled", 600)
    assert gap.drill_downtime_seconds == pytest.approx(gap.downtime_seconds * 600)
    assert 0 <= gap.downtime_seconds < 10
    assert gap.last_elapsed == pytest.approx(before[-1].elapsed)
    # After the resume, drill wall time is still the start plus drill time (give or take
    # the microseconds between the two readings of one stamp, × 600).
    zero = started.at - dt.timedelta(seconds=started.elapsed)
    for item in events[len(before) :]:
        assert (item.at - zero).total_seconds() == pytest.approx(item.elapsed, abs=0.5)


def test_a_restored_scaled_clock_reads_the_drill_time_it_was_put_at() -> None:
    clock = ScaledClock(60)
    start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    clock.restore(start, 600.0)
    assert 600.0 <= clock.monotonic() < 600.0 + 60 * 5
    assert clock.now() - start >= dt.timedelta(seconds=600)
    real = clock.real_time(clock.monotonic())
    assert abs((real - clock.real_now()).total_seconds()) < 5
    assert [clock_kind(c) for c in (RealClock(), clock, VirtualClock())] == [
        "real",
        "scaled",
        "virtual",
    ]
