"""One composition root: the CLI, the console and the calendar start the same drill.

Each entry point is driven through its own public API (`drill.session.run_scenario`,
`drill.tui.session.LiveRun`, `drill.schedule.launch.RunnerLauncher`) with the same
request, and the `DrillStarted` each records is compared: the clock's kind and speed,
whether it is simulated, where its pages went, the seed its simulated people play.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from drill.engine import Event, HandlerSet
from drill.engine.assembly import ClockRequest
from drill.engine.events import DrillMode, DrillStarted
from drill.plan import load_plan, sample_plan_dir
from drill.schedule.launch import DrillRequest, RunnerLauncher
from drill.session import RunOptions, run_scenario
from drill.store import EventStore
from drill.tui.session import LiveRun, RunRequest

SCENARIO = "annual-roll-call"
START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)

Entry = Callable[[Path, str, ClockRequest, int], Awaitable[None]]


def fields(started: DrillStarted) -> dict[str, Any]:
    return {
        "clock": started.clock,
        "speed": started.speed,
        "real_at set": started.real_at is not None,
        "simulated": started.simulated,
        "channels": started.channels,
        "seed": started.seed,
        "mode": started.mode,
        "scenario": started.scenario_id,
        "at": started.at if started.clock == "virtual" else None,
    }


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A copy of the sample plan (a drill records where its plan is)."""
    root = tmp_path / "plan"
    root.mkdir()
    shutil.copy(sample_plan_dir() / "plan.yaml", root / "plan.yaml")
    for folder in ("contacts", "scenarios", "playbooks"):
        shutil.copytree(sample_plan_dir() / folder, root / folder)
    return root


async def by_cli(db: Path, drill_id: str, clock: ClockRequest, seed: int) -> None:
    loaded = load_plan(plan_root(db))
    options = RunOptions(
        simulate=True,
        speed=clock.speed,
        start_at=clock.start_at,
        seed=seed,
        db=str(db),
        report=False,
        drill_id=drill_id,
    )
    begun = asyncio.Event()

    def seen(_drill_id: str, event: Event) -> None:
        begun.set()

    handlers = HandlerSet()
    handlers.subscribe(seen)
    run = asyncio.create_task(run_scenario(loaded, SCENARIO, options, handlers=handlers))
    waiter = asyncio.create_task(begun.wait())
    await asyncio.wait({run, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if not run.done():  # a scaled drill: its start is what the test compares
        run.cancel()
    await asyncio.wait({run}, timeout=30)
    if not run.cancelled():
        run.result()


async def by_console(db: Path, drill_id: str, clock: ClockRequest, seed: int) -> None:
    loaded = load_plan(plan_root(db))
    request = RunRequest(
        SCENARIO,
        DrillMode.DRILL,
        simulated=True,
        speed=clock.speed or 1.0,
        seed=seed,
        drill_id=drill_id,
    )
    errors: list[BaseException] = []
    async with EventStore.open(db) as store:
        run = await LiveRun.create(
            loaded.plan,
            request,
            sink=store,
            notifiers=None,
            clock=clock,
            on_end=lambda _run: None,
            on_error=errors.append,
        )
        await run.begin()
        await run.leave()
    assert not errors


async def by_calendar(db: Path, drill_id: str, clock: ClockRequest, seed: int) -> None:
    async with EventStore.open(db) as store:
        launcher = RunnerLauncher(store, clock=lambda _request: clock, reports=False)
        outcome = await launcher(
            DrillRequest(
                schedule_id="annual",
                plan_dir=plan_root(db),
                scenario_id=SCENARIO,
                drill_id=drill_id,
                simulate=True,
                scheduled_for=START,
            )
        )
    assert outcome.status == "completed"


def plan_root(db: Path) -> Path:
    return db.parent / "plan"


async def started_by(entry: Entry, db: Path, clock: ClockRequest, seed: int) -> DrillStarted:
    drill_id = f"D-{entry.__name__}"
    await entry(db, drill_id, clock, seed)
    async with EventStore.open(db) as store:
        first = (await store.read(drill_id))[0].event
    assert isinstance(first, DrillStarted)
    return first


async def test_the_three_entry_points_record_the_same_start_in_virtual_time(
    plan_dir: Path,
) -> None:
    db = plan_dir.parent / "events.db"
    virtual = ClockRequest(kind="virtual", start_at=START)
    recorded = {
        entry.__name__: await started_by(entry, db, virtual, 7)
        for entry in (by_cli, by_console, by_calendar)
    }
    # The calendar has no seed to ask for: its simulated people play a seed it records.
    calendar = recorded.pop("by_calendar")
    assert isinstance(calendar.seed, int)
    assert fields(calendar) == {**fields(recorded["by_cli"]), "seed": calendar.seed}
    assert fields(recorded["by_cli"]) == fields(recorded["by_console"])
    assert fields(recorded["by_cli"]) == {
        "clock": "virtual",
        "speed": None,
        "real_at set": False,
        "simulated": True,
        "channels": "simulated",
        "seed": 7,
        "mode": DrillMode.DRILL,
        "scenario": SCENARIO,
        "at": START,
    }


async def test_the_cli_and_the_console_record_the_same_scaled_clock(plan_dir: Path) -> None:
    db = plan_dir.parent / "events.db"
    fast = ClockRequest(speed=30.0)
    cli = await started_by(by_cli, db, fast, 11)
    console = await started_by(by_console, db, fast, 11)
    assert fields(cli) == fields(console)
    assert (cli.clock, cli.speed, cli.simulated, cli.channels, cli.seed) == (
        "scaled",
        30.0,
        True,
        "simulated",
        11,
    )
    assert cli.real_at is not None
