"""A drill on a running clock (scaled very fast): inputs from other tasks go through the
loop's queue, and the loop wakes for them instead of waiting for its next timer."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from drill.engine.clock import ScaledClock
from drill.engine.events import Event, PageSent
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.engine.state import DrillStatus
from drill.errors import EngineError


def scaled_runner(kit: SimpleNamespace, speed: float) -> tuple[DrillRunner, asyncio.Event]:
    people = {"alice": "absent", "bob": "absent", "carol": "sms@60"}
    model = kit.Harness(kit.two_level_plan(channels=("sms",)), people=people).model
    runner = DrillRunner(
        kit.two_level_plan(channels=("sms",)),
        "drill",
        sink=MemorySink(),
        notifiers=[SimulatedNotifier(model)],
        clock=ScaledClock(speed),
    )
    first_page = asyncio.Event()

    def on_event(drill_id: str, event: Event) -> None:
        if isinstance(event, PageSent):
            first_page.set()

    runner.subscribe(on_event)
    return runner, first_page


async def test_an_operator_in_another_task_is_heard_by_the_running_drill(
    kit: SimpleNamespace,
) -> None:
    runner, first_page = scaled_runner(kit, speed=600)  # a 3-minute timeout is 0.3 s
    drill = asyncio.create_task(runner.run())
    await first_page.wait()
    outcome = await asyncio.wait_for(
        runner.acknowledge_manually("chief", entered_by="duty officer"), timeout=5
    )
    with pytest.raises(EngineError, match="already running"):
        await runner.run()
    state = await asyncio.wait_for(drill, timeout=10)

    assert outcome == "accepted"
    chief = state.contact("chief")
    assert chief.acknowledged_source == "manual" and chief.pages == 1
    assert state.status is DrillStatus.COMPLETED


async def test_an_abort_from_another_task_stops_a_waiting_drill(kit: SimpleNamespace) -> None:
    runner, first_page = scaled_runner(kit, speed=1)  # real time: it would wait minutes
    drill = asyncio.create_task(runner.run())
    await first_page.wait()
    await asyncio.wait_for(runner.abort(by="duty officer", reason="中止"), timeout=5)
    state = await asyncio.wait_for(drill, timeout=5)
    assert state.status is DrillStatus.ABORTED
