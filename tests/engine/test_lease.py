"""One engine per drill, in the engine: the lease is held before anything is recorded.

The leases here are the in-memory back-end (`MemoryLeases`); the event store's are
tested in tests/store/test_leases.py and across processes in tests/cli.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Sequence
from types import SimpleNamespace

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import DrillInterrupted, DrillStarted, Event, InjectFired, PageQueued
from drill.engine.lease import (
    ClaimAction,
    DrillLease,
    DrillLeases,
    Lease,
    LeaseHeld,
    LeaseLost,
    LeaseOwner,
    MemoryLeases,
    claim,
    wall_now,
)
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.plan.models import Plan

T0 = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)


def engine(
    plan: Plan, sink: MemorySink, leases: DrillLeases, *, operator: str = "佐藤"
) -> DrillRunner:
    return DrillRunner(
        plan,
        plan.scenarios[0].id,
        sink=sink,
        notifiers=[SimulatedNotifier(ResponseModel(seed=4))],
        clock=VirtualClock(),
        drill_id="d1",
        operator=operator,
        leases=leases,
    )


async def resumed(plan: Plan, sink: MemorySink, leases: DrillLeases, by: str) -> DrillRunner:
    return await DrillRunner.resume(
        "d1",
        plan,
        sink=sink,
        notifiers=[SimulatedNotifier(ResponseModel(seed=4))],
        clock=VirtualClock(),
        by=by,
        leases=leases,
    )


async def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def once_each(events: Sequence[Event]) -> None:
    injects = [e.index for e in events if isinstance(e, InjectFired)]
    pages = [e.page_id for e in events if isinstance(e, PageQueued)]
    assert len(injects) == len(set(injects)) and len(pages) == len(set(pages))


def test_the_rule_acquire_keep_refuse_take_over_after_expiry() -> None:
    me, other = LeaseOwner("a:1:x", "a", 1), LeaseOwner("b:2:y", "b", 2, "鈴木")
    first = claim(None, "d", me, T0, 30)
    assert first.action is ClaimAction.ACQUIRED and first.lease.owner == me
    assert first.lease.expires_at == T0 + dt.timedelta(seconds=30)

    later = T0 + dt.timedelta(seconds=10)
    assert claim(first.lease, "d", me, later, 30).action is ClaimAction.KEPT
    refused = claim(first.lease, "d", other, later, 30)
    assert refused.action is ClaimAction.REFUSED and refused.lease == first.lease

    expired = T0 + dt.timedelta(seconds=30)
    taken = claim(first.lease, "d", other, expired, 30)
    assert taken.action is ClaimAction.TAKEN_OVER
    assert (taken.lease.owner, taken.lease.taken_over_from) == (other, "a:1:x")

    released = Lease("d", me, T0, T0, later, released_at=later)
    free = claim(released, "d", other, later, 30)
    assert free.action is ClaimAction.ACQUIRED and free.lease.taken_over_from is None


async def test_a_second_engine_on_a_running_drill_is_refused_and_records_nothing(
    kit: SimpleNamespace,
) -> None:
    plan = kit.rich_plan()
    sink, leases = MemorySink(), MemoryLeases()
    first = engine(plan, sink, leases)
    await first.run_until(5)
    held = leases.holder("d1")
    assert held is not None and held.owner.operator == "佐藤" and held.released_at is None
    before = await sink.read("d1")

    with pytest.raises(LeaseHeld) as caught:
        await resumed(plan, sink, leases, by="鈴木")
    message = caught.value.message
    since = held.started_at.astimezone(plan.info.zone).strftime("%Y-%m-%d %H:%M:%S JST")
    assert held.owner.id in message and "佐藤" in message and since in message
    assert f"PID {held.owner.pid}" in message and held.owner.host in message
    assert "実行中です" in message and "is being run by" in message
    assert caught.value.lease == held
    # A fresh engine given the same drill id is refused the same way.
    with pytest.raises(LeaseHeld):
        await engine(plan, sink, leases, operator="鈴木").start()
    assert await sink.read("d1") == before

    await first.run()
    events = [item.event for item in await sink.read("d1")]
    assert not any(isinstance(e, DrillInterrupted) for e in events)
    assert sum(isinstance(e, DrillStarted) for e in events) == 1
    once_each(events)
    assert [(action, who) for action, _, who, _ in leases.history] == [
        ("acquired", held.owner.id),
        ("released", held.owner.id),
    ]


async def test_a_released_lease_lets_the_next_engine_resume_at_once(kit: SimpleNamespace) -> None:
    plan = kit.rich_plan()
    sink, leases = MemorySink(), MemoryLeases()
    first = engine(plan, sink, leases)
    await first.run_until(5)
    await first.close()  # the console left the drill open, to be resumed later

    second = await resumed(plan, sink, leases, by="鈴木")
    await second.run()

    events = [item.event for item in await sink.read("d1")]
    once_each(events)
    assert [action for action, *_ in leases.history] == [
        "acquired",
        "released",
        "acquired",
        "released",
    ]


class CutOff:
    """The lease back-end as one engine sees it through a network that can fail: while
    `cut` is set, its heartbeats do not get through (a partition, a frozen process)."""

    def __init__(self, leases: MemoryLeases) -> None:
        self.leases = leases
        self.cut = False

    def lease(self, drill_id: str, owner: LeaseOwner) -> DrillLease:
        return CutOffLease(self, self.leases.lease(drill_id, owner))


class CutOffLease:
    def __init__(self, link: CutOff, inner: DrillLease) -> None:
        self.link = link
        self.inner = inner
        self.drill_id = inner.drill_id
        self.owner = inner.owner
        self.ttl = inner.ttl

    async def acquire(self) -> Lease:
        return await self.inner.acquire()

    async def renew(self) -> Lease | None:
        if self.link.cut:
            raise ConnectionError("the lease store cannot be reached")
        return await self.inner.renew()

    async def release(self) -> None:
        await self.inner.release()


async def test_after_its_lease_expired_and_was_taken_over_the_old_engine_records_nothing(
    kit: SimpleNamespace,
) -> None:
    plan = kit.rich_plan()
    sink, leases = MemorySink(), MemoryLeases(ttl=0.5)
    link = CutOff(leases)
    first = engine(plan, sink, link)
    await first.run_until(5)
    old = leases.holder("d1")
    assert old is not None

    # The first engine's heartbeats stop getting through; it keeps the drill until its
    # lease expires (the real clock: the drill's own clock is virtual and stands still).
    link.cut = True
    with pytest.raises(LeaseHeld):
        await resumed(plan, sink, leases, by="鈴木")
    await wait_until(
        lambda: (held := leases.holder("d1")) is not None and not held.live(wall_now())
    )

    second = await resumed(plan, sink, leases, by="鈴木")
    taken = leases.holder("d1")
    assert taken is not None and taken.owner.operator == "鈴木"
    assert taken.taken_over_from == old.owner.id
    assert leases.history[-1] == ("taken_over", "d1", taken.owner.id, old.owner.id)
    recorded = len(await sink.read("d1"))

    # The first engine comes back: it learns it was replaced before it records anything.
    link.cut = False
    with pytest.raises(LeaseLost) as caught:
        await first.run_until(30)
    assert taken.owner.id in caught.value.message and "took it over" in caught.value.message
    assert len(await sink.read("d1")) == recorded
    await first.close()

    await second.run()
    once_each([item.event for item in await sink.read("d1")])


async def test_the_heartbeat_runs_on_the_real_clock_while_a_virtual_drill_stands_still(
    kit: SimpleNamespace,
) -> None:
    plan = kit.rich_plan()
    sink, leases = MemorySink(), MemoryLeases(ttl=0.3)
    first = engine(plan, sink, leases)
    await first.run_until(5)
    acquired = leases.holder("d1")
    assert acquired is not None

    # Several lifetimes of the lease pass in real time; the virtual drill does not move.
    await wait_until(
        lambda: (
            (held := leases.holder("d1")) is not None
            and held.heartbeat_at > acquired.expires_at + dt.timedelta(seconds=0.6)
        )
    )
    with pytest.raises(LeaseHeld):
        await resumed(plan, sink, leases, by="鈴木")
    assert first.elapsed() == pytest.approx(300)

    await first.close()
    released = leases.holder("d1")
    assert released is not None and released.released_at is not None
