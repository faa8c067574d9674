"""A scenario's trees activated one after the other (sequential) or all at T+0 (parallel)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Literal

from drill.engine.clock import VirtualClock
from drill.engine.events import (
    DrillCompleted,
    DrillStarted,
    LevelCompleted,
    LevelStarted,
    PageQueued,
    TreeCompleted,
    TreeStarted,
    from_record,
    to_record,
)
from drill.engine.runner import DrillRunner, plan_digest
from drill.engine.simulation import SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.engine.state import DrillStatus
from drill.plan import load_plan, sample_plan_dir
from drill.plan.models import Plan

Activation = Literal["sequential", "parallel"]


def two_trees(kit: SimpleNamespace, activation: Activation) -> Plan:
    """internal: two levels of one role each; external: one level of one role."""
    b = kit.PlanBuilder()
    for person in ("alice", "bob", "pref"):
        b.person(person)
    b.role("chief", "alice")
    b.role("admin", "bob")
    b.role("prefecture", "pref")
    b.level("internal", "leaders", ["chief"], timeout=3, channels=("voice",))
    b.level("internal", "admins", ["admin"], timeout=3, channels=("voice",))
    b.level("external", "agencies", ["prefecture"], timeout=3, channels=("voice",))
    b.scenario(activation=activation)
    return b.build()


PEOPLE = {"alice": "voice@60", "bob": "voice@120", "pref": "voice@30"}


async def started_at(h: SimpleNamespace) -> dict[str, float]:
    return {e.tree: e.elapsed for e in await h.of(TreeStarted)}


async def test_parallel_trees_all_start_at_t0_and_each_runs_its_levels_in_order(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(two_trees(kit, "parallel"), people=PEOPLE)
    state = await h.runner.run()

    assert await started_at(h) == {"internal": 0.0, "external": 0.0}
    levels = {(e.tree, e.level): e.elapsed for e in await h.of(LevelStarted)}
    assert levels == {
        ("internal", "leaders"): 0.0,
        ("internal", "admins"): 60.0,  # when the leaders' level was reached
        ("external", "agencies"): 0.0,
    }
    first_pages = {e.tree: e.elapsed for e in await h.of(PageQueued) if e.attempt == 1}
    assert first_pages["external"] == 0.0
    completed = {e.tree: e.elapsed for e in await h.of(TreeCompleted)}
    assert completed == {"external": 30.0, "internal": 180.0}
    (done,) = await h.of(DrillCompleted)
    assert done.reason == "completed" and done.elapsed == 180.0  # when the last tree finished
    assert state.status is DrillStatus.COMPLETED
    (started,) = await h.of(DrillStarted)
    assert started.activation == "parallel"


async def test_sequential_trees_start_one_after_the_other(kit: SimpleNamespace) -> None:
    h = kit.Harness(two_trees(kit, "sequential"), people=PEOPLE)
    await h.runner.run()

    assert await started_at(h) == {"internal": 0.0, "external": 180.0}
    completed = {e.tree: e.elapsed for e in await h.of(TreeCompleted)}
    assert completed == {"internal": 180.0, "external": 210.0}
    (started,) = await h.of(DrillStarted)
    assert started.activation == "sequential"


async def test_parallel_drill_waits_for_the_slowest_tree_even_when_the_first_is_done(
    kit: SimpleNamespace,
) -> None:
    people = {"alice": "voice@10", "bob": "voice@10", "pref": "voice@170"}
    h = kit.Harness(two_trees(kit, "parallel"), people=people)
    await h.runner.run()

    completed = {e.tree: e.elapsed for e in await h.of(TreeCompleted)}
    assert completed == {"internal": 20.0, "external": 170.0}
    (done,) = await h.of(DrillCompleted)
    assert done.elapsed == 170.0


async def test_two_seeded_parallel_runs_are_identical(kit: SimpleNamespace) -> None:
    async def run(seed: int) -> list[tuple[str, str]]:
        plan = kit.rich_plan("parallel")
        h = kit.Harness(plan, people=kit.RICH_PEOPLE, seed=seed, operator=True)
        await h.runner.run()
        return kit.records(await h.events())

    first = await run(13)
    assert first == await run(13)
    sequential = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=13, operator=True)
    await sequential.runner.run()
    assert first != kit.records(await sequential.events())


async def test_a_drill_started_before_activation_was_recorded_resumes_sequentially(
    kit: SimpleNamespace,
) -> None:
    """An old `DrillStarted` has no `activation`: it loads as sequential, and a drill
    that was started that way goes on that way even if the scenario now says parallel."""
    plan = two_trees(kit, "parallel")
    h = kit.Harness(two_trees(kit, "sequential"), people=PEOPLE)
    await h.runner.run_until(0.5)

    old = MemorySink()
    for item in await h.sink.read("d1"):
        event = item.event
        if isinstance(event, DrillStarted):
            name, payload = to_record(event)
            del payload["activation"]
            event = from_record(name, payload)
            assert isinstance(event, DrillStarted) and event.activation == "sequential"
            # The digest of the plan the resume is given (same trees, now parallel).
            event = dataclasses.replace(event, plan_digest=plan_digest(plan))
        await old.append("d1", event, item.key)

    runner = await DrillRunner.resume(
        "d1",
        plan,
        sink=old,
        notifiers=[SimulatedNotifier(h.model)],
        clock=VirtualClock(),
    )
    await runner.run()
    stored = [s.event for s in await old.read("d1")]
    started = {e.tree: e.elapsed for e in stored if isinstance(e, TreeStarted)}
    assert started == {"internal": 0.0, "external": 180.0}


async def test_the_sample_roll_call_activates_its_trees_together_and_completes(
    kit: SimpleNamespace,
) -> None:
    plan = load_plan(sample_plan_dir()).plan
    scenario = plan.scenario("annual-roll-call")
    assert scenario.activation == "parallel" and len(scenario.trees) >= 2
    h = kit.Harness(plan, scenario="annual-roll-call", seed=7, operator=True)
    state = await h.runner.run()

    assert set((await started_at(h)).values()) == {0.0}
    first_levels = {
        e.tree: e.elapsed
        for e in await h.of(LevelStarted)
        if e.level == plan.tree(e.tree).levels[0].id
    }
    assert first_levels == dict.fromkeys(scenario.trees, 0.0)
    assert {e.tree for e in await h.of(TreeCompleted)} == set(scenario.trees)
    assert state.status is DrillStatus.COMPLETED
    assert all(e.satisfied or e.reason for e in await h.of(LevelCompleted))
