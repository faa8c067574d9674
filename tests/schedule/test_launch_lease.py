"""The calendar resuming a drill after a crash: it waits out a dead holder's lease, and
never runs a drill that another engine (with a heartbeat) is running."""

from __future__ import annotations

from pathlib import Path

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import DrillCompleted, DrillRecovered
from drill.engine.lease import LeaseHeld, LeaseKeeper, LeaseOwner, wall_now
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.plan import load_plan
from drill.schedule.launch import DrillRequest, RunnerLauncher
from drill.store import EventStore

from .conftest import jst

DRILL = "roll-call-20260106-1000"
CRASHED = LeaseOwner("host:4242:dead00", "host", 4242, "drillkit serve")


def request(plan_dir: Path) -> DrillRequest:
    return DrillRequest(
        schedule_id="roll-call",
        plan_dir=plan_dir,
        scenario_id="annual-roll-call",
        drill_id=DRILL,
        simulate=True,
        scheduled_for=jst(2026, 1, 6, 10),
        resume=True,
    )


async def interrupted(store: EventStore, plan_dir: Path) -> None:
    """A drill started by the calendar and left open, as a stop leaves it."""
    plan = load_plan(plan_dir, lint=False).plan
    runner = DrillRunner(
        plan,
        "annual-roll-call",
        sink=store,
        notifiers=[SimulatedNotifier()],
        clock=VirtualClock(start=jst(2026, 1, 6, 10)),
        drill_id=DRILL,
        simulated=True,
    )
    await runner.run_until(3)
    await runner.close()


def launcher(store: EventStore) -> RunnerLauncher:
    return RunnerLauncher(store, clock=lambda r: VirtualClock(start=r.scheduled_for), reports=False)


async def test_after_a_crash_the_calendar_waits_for_its_old_lease_then_resumes(
    tmp_path: Path, plan_dir: Path
) -> None:
    async with EventStore.open(tmp_path / "events.db", lease_ttl=0.5) as store:
        await interrupted(store, plan_dir)
        # What a kill -9 leaves: the lease of the dead process, no longer renewed.
        dead = await store.lease(DRILL, CRASHED).acquire()

        outcome = await launcher(store)(request(plan_dir))

        events = [item.event for item in await store.read(DRILL)]
        history = await store.lease_history(DRILL)
    assert outcome.status == "completed"
    assert outcome.detail == "completed"  # said once, never "completed (completed)"
    assert wall_now() >= dead.expires_at
    assert sum(isinstance(e, DrillRecovered) for e in events) == 1
    assert isinstance(events[-1], DrillCompleted)
    assert [(e.action, e.previous_holder) for e in history][-3:] == [
        ("acquired", None),
        ("taken_over", CRASHED.id),
        ("released", None),
    ]


async def test_the_calendar_does_not_resume_a_drill_another_engine_is_running(
    tmp_path: Path, plan_dir: Path
) -> None:
    async with EventStore.open(tmp_path / "events.db", lease_ttl=0.5) as store:
        await interrupted(store, plan_dir)
        other = LeaseKeeper(store.lease(DRILL, LeaseOwner.here("鈴木")))
        await other.acquire()  # with its heartbeat: a live engine
        before = await store.records(DRILL)

        with pytest.raises(LeaseHeld, match="鈴木"):
            await launcher(store)(request(plan_dir))

        assert await store.records(DRILL) == before
        await other.release()
