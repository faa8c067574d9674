"""A level that repeats its round (an escalation policy's repeat), in virtual time.

When every candidate of a member (holder, then deputies) was tried without an answer, a
level with `repeat: N` waits `repeat_after_minutes` and pages the member again from the
holder, up to N more rounds, before the member counts as unreached.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import (
    Acknowledged,
    MemberUnreached,
    PageQueued,
    RepeatScheduled,
    RoundStarted,
)
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.engine.state import ContactStatus, DrillState
from drill.plan.models import Plan
from tests.engine.test_resume import Crash, CrashingSink


def one_role_plan(kit: SimpleNamespace, **level: object) -> Plan:
    b = kit.PlanBuilder()
    for person in ("alice", "bob"):
        b.person(person, sms=0, email=0)
    b.role("admin", "alice", ["bob"], name="システム管理者")
    b.level("t", "first", ["admin"], timeout=2, channels=("voice",), **level)
    return b.build()


async def test_nobody_answers_the_round_repeats_after_the_wait_then_gives_up(
    kit: SimpleNamespace,
) -> None:
    plan = one_role_plan(kit, repeat=2, repeat_after_minutes=5)
    h = kit.Harness(plan, people={"alice": "absent", "bob": "absent"})
    await h.runner.run()

    paged = [e.person_id for e in await h.of(PageQueued)]
    assert paged == ["alice", "bob"] * 3  # the first round and two repeats
    scheduled = await h.of(RepeatScheduled)
    started = await h.of(RoundStarted)
    assert [e.round for e in scheduled] == [2, 3] and [e.round for e in started] == [2, 3]
    for rest, round_ in zip(scheduled, started, strict=True):
        assert round_.elapsed - rest.elapsed == 300  # five minutes between rounds
    (unreached,) = await h.of(MemberUnreached)
    assert unreached.elapsed > started[-1].elapsed  # only after the last round


async def test_an_answer_while_the_level_rests_stops_the_next_round(
    kit: SimpleNamespace,
) -> None:
    plan = one_role_plan(kit, repeat=3, repeat_after_minutes=10)
    h = kit.Harness(plan, people={"alice": "absent", "bob": "absent"})
    # Round 1 ends when bob's page times out (2 + 2 minutes); the level then rests.
    await h.runner.run_until(6)
    state = h.runner.state
    assert state.contacts[("t", "first", "admin")].status is ContactStatus.RESTING
    assert await h.runner.acknowledge_manually("admin", entered_by="当番") == "accepted"
    await h.runner.run()

    assert await h.of(RoundStarted) == []
    assert len(await h.of(PageQueued)) == 2
    (ack,) = await h.of(Acknowledged)
    assert ack.source == "manual"
    final = DrillState.from_events(await h.sink.read(h.drill_id))
    assert final.contacts[("t", "first", "admin")].status is ContactStatus.ACKNOWLEDGED


async def test_a_drill_crashed_at_any_event_of_its_rounds_resumes_as_the_uninterrupted_one(
    kit: SimpleNamespace,
) -> None:
    plan = one_role_plan(kit, repeat=1, repeat_after_minutes=7)
    people = {"alice": "absent", "bob": "absent"}
    whole = kit.Harness(plan, people=people)
    await whole.runner.run()
    expected = kit.records(await whole.events())
    names = [name for name, _ in expected]
    assert "RepeatScheduled" in names and "RoundStarted" in names
    markers = ("DrillInterrupted", "DrillRecovered")
    for survive in range(1, len(expected)):
        sink = CrashingSink(survive)
        h = kit.Harness(plan, people=people, sink=sink)
        with pytest.raises(Crash):
            await h.runner.run()
        model = kit.Harness(plan, people=people).model
        runner = await DrillRunner.resume(
            "d1",
            plan,
            sink=sink.inner,
            notifiers=[SimulatedNotifier(model)],
            clock=VirtualClock(),
            by="duty officer",
        )
        await runner.run()
        got = kit.records(
            [s.event for s in await sink.inner.read("d1") if not s.duplicate], skip=markers
        )
        assert got == expected, f"diverged after a crash following event {survive}"
