"""Drill leases in the event store, SQLite on disk: one engine per drill.

Two `EventStore`s opened on one file are what two processes are to each other: separate
connections and writer threads, taking turns through SQLite's write lock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import DrillInterrupted, InjectFired, PageQueued
from drill.engine.lease import LeaseHeld, LeaseKeeper, LeaseLost, LeaseOwner, wall_now
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.errors import StoreError
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore

SCENARIO = "stolen-terminal"


async def wait_until(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def owner(name: str) -> LeaseOwner:
    return LeaseOwner(f"host-{name}:{len(name)}:{name}", f"host-{name}", len(name), name)


def notifiers() -> list[SimulatedNotifier]:
    return [SimulatedNotifier(ResponseModel(seed=7))]


async def test_two_engines_on_one_drill_exactly_one_runs_it(db: Path | str) -> None:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    async with EventStore.open(db) as mine, EventStore.open(db) as theirs:
        first = DrillRunner(
            plan,
            SCENARIO,
            sink=mine,
            notifiers=notifiers(),
            clock=VirtualClock(),
            operator="佐藤",
            simulated=True,
        )
        await first.run_until(10)
        drill_id = first.drill_id
        held = (await theirs.leases())[drill_id]
        assert held.owner.operator == "佐藤" and held.live(wall_now())
        before = await theirs.records(drill_id)

        # A second engine (another store, as another process has): resume is refused...
        with pytest.raises(LeaseHeld) as caught:
            await DrillRunner.resume(
                drill_id, plan, sink=theirs, notifiers=notifiers(), clock=VirtualClock(), by="鈴木"
            )
        message = caught.value.message
        since = held.started_at.astimezone(plan.info.zone).strftime("%Y-%m-%d %H:%M:%S")
        assert held.owner.id in message and "佐藤" in message and since in message
        assert "実行中です" in message and "is being run by" in message
        # ... and so is a new engine given the same drill id.
        second = DrillRunner(
            plan,
            SCENARIO,
            sink=theirs,
            notifiers=notifiers(),
            clock=VirtualClock(),
            drill_id=drill_id,
            simulated=True,
        )
        with pytest.raises(LeaseHeld):
            await second.start()
        await second.close()
        assert await theirs.records(drill_id) == before

        await first.run()
        records = await theirs.records(drill_id)
        leases = await theirs.leases()
        history = await theirs.lease_history(drill_id)

    assert records[: len(before)] == before
    assert not [r for r in records if r.type == DrillInterrupted.type_name]
    injects = [r.payload["index"] for r in records if r.type == InjectFired.type_name]
    pages = [r.payload["page_id"] for r in records if r.type == PageQueued.type_name]
    assert injects and len(injects) == len(set(injects))
    assert pages and len(pages) == len(set(pages))
    assert leases[drill_id].released_at is not None
    assert [(e.action, e.owner.id) for e in history] == [
        ("acquired", held.owner.id),
        ("released", held.owner.id),
    ]


async def test_acquiring_at_once_from_several_connections_gives_one_holder(db: Path | str) -> None:
    async with (
        EventStore.open(db) as a,
        EventStore.open(db) as b,
        EventStore.open(db) as c,
    ):
        people = {"a": a, "b": b, "c": c}
        leases = await asyncio.gather(
            *(store.lease("d", owner(name)).acquire() for name, store in people.items())
        )
        history = await a.lease_history("d")

    (winner,) = {lease.owner for lease in leases}
    assert [(e.action, e.owner) for e in history] == [("acquired", winner)]


async def test_a_lease_without_heartbeats_is_taken_over_after_it_expires(db: Path | str) -> None:
    async with EventStore.open(db, lease_ttl=0.5) as store:
        crashed = await store.lease("d", owner("crashed")).acquire()
        successor = store.lease("d", owner("successor"))
        refused = await successor.acquire()
        assert refused == crashed  # refused: the holder's lease, unchanged

        async def taken() -> bool:
            return (await successor.acquire()).owner == successor.owner

        await wait_until(taken)
        assert wall_now() >= crashed.expires_at
        lease = (await store.leases())["d"]
        history = await store.lease_history("d")
        # The crashed engine, back again, finds its lease gone.
        assert await store.lease("d", crashed.owner).renew() == lease

    assert lease.owner == successor.owner and lease.taken_over_from == crashed.owner.id
    assert [(e.action, e.owner.id, e.previous_holder) for e in history] == [
        ("acquired", crashed.owner.id, None),
        ("taken_over", successor.owner.id, crashed.owner.id),
    ]


async def test_a_heartbeat_keeps_the_lease_and_a_replaced_keeper_refuses_to_write(
    db: Path | str, kinds: SimpleNamespace
) -> None:
    async with EventStore.open(db, lease_ttl=0.4) as store:
        keeper = LeaseKeeper(store.lease("d", owner("alive")))
        first = await keeper.acquire()
        other = store.lease("d", owner("other"))

        async def renewed_past_first_expiry() -> bool:
            lease = (await store.leases())["d"]
            return lease.heartbeat_at > first.expires_at

        await wait_until(renewed_past_first_expiry)
        assert (await other.acquire()).owner == keeper.owner  # still refused

        # The keeper gives it up: the next engine gets it at once, not as a takeover.
        await keeper.release()
        assert (await other.acquire()).owner == other.owner
        history = await store.lease_history("d")
        assert [e.action for e in history] == ["acquired", "released", "acquired"]

        # A keeper that lost its lease stores nothing more through its guard.
        late = LeaseKeeper(store.lease("late", owner("late")), heartbeat=3600)
        await late.acquire()
        guarded = late.guard(store)

        async def taken_over() -> bool:
            return (await store.lease("late", owner("next")).acquire()).owner == owner("next")

        await wait_until(taken_over)
        with pytest.raises(LeaseLost, match="host-next"):
            await guarded.append("late", kinds.paged(1))
        assert await store.records("late") == []
        await late.release()


async def test_a_bad_lease_setting_is_refused_clearly(
    db: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRILLKIT_LEASE_TTL", "soon")
    with pytest.raises(StoreError, match="DRILLKIT_LEASE_TTL='soon' is not a number of seconds"):
        await EventStore.open(db)
    monkeypatch.setenv("DRILLKIT_LEASE_TTL", "2.5")
    async with EventStore.open(db) as store:
        assert store.lease_ttl == 2.5
