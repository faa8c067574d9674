"""A finished drill is freed as soon as it is dropped, by reference counting alone.

A nationwide drill's runner holds some 10^5 objects (its roster, its fold, its timers).
Were any of them in a reference cycle, all of them would stay in memory until Python's
cycle collector next ran a full collection, and that collection, a second or more of
walking them, would land in the middle of whatever the process did next: the console or
the ack server answering the next drill's acknowledgements, or the report of the same
run, whose peak memory would then hold two drills. These tests run with the cycle
collector off, so that only reference counting can free anything.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier, SimulatedOperator
from drill.engine.sink import MemorySink
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _refs(runner: DrillRunner) -> dict[str, weakref.ref[object]]:
    """Weak references to the runner and to what it built while the drill ran."""
    member = next(iter(runner._members.values()))
    assert member.current is not None, "every member of the sample drill was paged"
    return {
        "runner": weakref.ref(runner),
        "fold": weakref.ref(runner.state),
        "tree": weakref.ref(runner._levels.trees[0]),
        "member": weakref.ref(member),
        "paging": weakref.ref(runner._paging),
        "timers": weakref.ref(runner._timers),
        "plan": weakref.ref(runner.plan),
    }


def _alive(refs: dict[str, weakref.ref[object]]) -> list[str]:
    return [name for name, ref in refs.items() if ref() is not None]


async def test_a_simulated_drill_is_freed_when_dropped(no_cycle_collector: None) -> None:
    sink = MemorySink()
    runner = DrillRunner(
        load_plan(sample_plan_dir(), lint=False).plan,
        "annual-roll-call",
        sink=sink,
        notifiers=[SimulatedNotifier(ResponseModel(seed=3))],
        clock=VirtualClock(),
        drill_id="freed",
        simulated_operator=SimulatedOperator(3),
    )
    state = await runner.run()
    assert state.summary().acknowledged > 0
    refs = _refs(runner)
    del runner, state

    assert _alive(refs) == []
    assert len(await sink.read("freed")) > 100  # what was recorded stays, of course


async def test_a_drill_stored_in_batches_is_freed_when_closed(
    no_cycle_collector: None, tmp_path: Path
) -> None:
    """The product path of `drillkit run --simulate`: the event store, its lease, events
    committed in batches, the runner closed at the end."""
    async with EventStore.open(tmp_path / "events.db") as store:
        runner = DrillRunner(
            load_plan(sample_plan_dir(), lint=False).plan,
            "annual-roll-call",
            sink=store,
            notifiers=[SimulatedNotifier(ResponseModel(seed=5))],
            clock=VirtualClock(),
            drill_id="freed-stored",
            simulated_operator=SimulatedOperator(5),
            commit_in_batches=True,
        )
        await runner.run()
        await runner.close()
        refs = _refs(runner)
        del runner

        assert _alive(refs) == []
        assert (await store.verify("freed-stored")).ok
