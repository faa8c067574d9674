"""The operator's side, in virtual time: pause, abort, finish, injects, playbook steps, notes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    CancelReason,
    DrillAborted,
    DrillCompleted,
    DrillMode,
    DrillPaused,
    DrillResumed,
    DrillStarted,
    InjectFired,
    LevelStarted,
    NoteAdded,
    PageQueued,
    PagingCancelled,
    StepCompleted,
    StepDue,
    StepTiming,
)
from drill.engine.state import DrillStatus
from drill.errors import EngineError


def playbook_plan(kit: SimpleNamespace, *, injects: tuple[tuple[float, str], ...] = ()) -> object:
    b = kit.PlanBuilder()
    b.person("alice")
    b.person("bob")
    b.role("chief", "alice", ["bob"])
    b.level("t", "only", ["chief"], timeout=3)
    b.playbook(
        "pb",
        [("report", 10, ()), ("revoke", 20, ("report",)), ("notify", None, ("report",))],
    )
    b.scenario(injects=injects, playbook="pb")
    return b.build()


async def test_pause_freezes_timers_and_resume_shifts_them(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(channels=("sms",)), people={"alice": "absent"})
    await h.runner.run_until(1)
    await h.runner.pause(by="duty officer", reason="電話対応のため")
    await h.runner.run_until(11)
    assert [e.elapsed for e in await h.of(AttemptTimedOut)] == []
    assert h.runner.state.status is DrillStatus.PAUSED

    await h.runner.unpause(by="duty officer")
    assert h.runner.state.status is DrillStatus.RUNNING
    await h.runner.run_until(20)

    resumed = (await h.of(DrillResumed))[0]
    assert resumed.paused_seconds == 600.0
    # The SMS timeout (3 min after the page at 0) comes 10 minutes later than it would have.
    assert next(e.elapsed for e in await h.of(AttemptTimedOut)) == 180.0 + 600.0
    assert h.runner.state.paused_seconds == 600.0


async def test_an_acknowledgement_while_paused_is_kept_and_the_next_level_waits(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent", "carol": "voice@10"})
    await h.runner.run_until(1)
    await h.runner.pause(by="duty officer")
    assert await h.runner.acknowledge_manually("chief", entered_by="duty officer") == "accepted"
    await h.runner.run_until(5)
    assert [e.level for e in await h.of(LevelStarted)] == ["first"]

    await h.runner.unpause(by="duty officer")
    await h.runner.run()
    second = next(e for e in await h.of(LevelStarted) if e.level == "second")
    assert second.elapsed == 300.0
    assert h.runner.state.contact("chief").acknowledged_source == "manual"


async def test_pausing_twice_or_resuming_a_running_drill_is_refused(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan())
    await h.runner.run_until(0.5)
    with pytest.raises(EngineError, match="not paused"):
        await h.runner.unpause(by="op")
    await h.runner.pause(by="op")
    with pytest.raises(EngineError, match="already paused"):
        await h.runner.pause(by="op")
    assert len(await h.of(DrillPaused)) == 1


async def test_abort_cancels_paging_and_ends_the_drill(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(first=("chief", "admin"))
    h = kit.Harness(plan, people={"alice": "absent", "carol": "absent"})
    await h.runner.run_until(2)
    await h.runner.abort(by="duty officer", reason="本番障害が発生したため中止")
    state = await h.runner.run()

    names = await h.names()
    assert names[-3:] == ["DrillAborted", "PagingCancelled", "PagingCancelled"]
    assert {e.why for e in await h.of(PagingCancelled)} == {CancelReason.DRILL_ABORTED}
    assert (await h.of(DrillAborted))[0].reason == "本番障害が発生したため中止"
    assert state.status is DrillStatus.ABORTED
    assert await h.runner.acknowledge("d1-p1", source="sms") == "finished"
    with pytest.raises(EngineError, match="already ended"):
        await h.runner.add_note("after the end", by="op")


async def test_finish_ends_the_drill_as_completed(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent"})
    await h.runner.run_until(2)
    await h.runner.finish(by="duty officer")

    completed = (await h.of(DrillCompleted))[0]
    assert (completed.reason, completed.by, completed.elapsed) == (
        "finished",
        "duty officer",
        120.0,
    )
    assert [e.why for e in await h.of(PagingCancelled)] == [CancelReason.DRILL_FINISHED]
    assert h.runner.state.status is DrillStatus.COMPLETED


async def test_injects_fire_at_their_times_and_hold_the_drill_open(kit: SimpleNamespace) -> None:
    plan = playbook_plan(kit, injects=((0, "訓練開始"), (6, "副支所長へ切替"), (50, "訓練終了")))
    h = kit.Harness(plan, people={"alice": "voice@20"}, operator=True)
    await h.runner.run()

    fired = await h.of(InjectFired)
    assert [(e.text_ja, e.elapsed) for e in fired] == [
        ("訓練開始", 0.0),
        ("副支所長へ切替", 360.0),
        ("訓練終了", 3000.0),
    ]
    names = await h.names()
    assert names.index("InjectFired") < names.index("PageQueued")  # T+0 is told first
    assert (await h.of(DrillCompleted))[0].elapsed == 3000.0


async def test_steps_on_time_late_and_in_order(kit: SimpleNamespace) -> None:
    h = kit.Harness(playbook_plan(kit), people={"alice": "voice@20"})
    await h.runner.run_until(5)
    with pytest.raises(EngineError, match="complete report before 'revoke'"):
        await h.runner.complete_step("revoke", by="op")
    with pytest.raises(EngineError, match="did you mean 'report'"):
        await h.runner.complete_step("reprot", by="op")
    assert await h.runner.complete_step("report", by="op", note="第一報済") == StepTiming.ON_TIME
    with pytest.raises(EngineError, match="already completed"):
        await h.runner.complete_step("report", by="op")

    await h.runner.run_until(25)
    due = await h.of(StepDue)
    assert [(e.step, e.elapsed) for e in due] == [("revoke", 1200.0)]
    assert await h.runner.complete_step("revoke", by="op") == StepTiming.LATE

    steps = h.runner.state.steps
    assert steps["report"].timing is StepTiming.ON_TIME and steps["report"].note == "第一報済"
    assert steps["revoke"].timing is StepTiming.LATE
    assert [e.step for e in await h.of(StepCompleted)] == ["report", "revoke"]


async def test_a_step_without_target_holds_the_drill_until_done_or_idle(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(playbook_plan(kit), people={"alice": "voice@20"})
    await h.runner.run_until(30)
    assert h.runner.state.status is DrillStatus.RUNNING  # "notify" has no target
    await h.runner.complete_step("report", by="op")
    await h.runner.complete_step("notify", by="op")
    assert (await h.of(DrillCompleted))[0].reason == "completed"

    idle = kit.Harness(playbook_plan(kit), people={"alice": "voice@20"})
    await idle.runner.run()
    completed = (await idle.of(DrillCompleted))[0]
    assert completed.reason == "idle"
    assert completed.outstanding_steps == ("notify",)


async def test_the_simulated_operator_completes_steps_around_their_targets(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(playbook_plan(kit), people={"alice": "voice@20"}, operator=True, seed=3)
    state = await h.runner.run()

    done = {e.step: e for e in await h.of(StepCompleted)}
    assert set(done) == {"report", "revoke", "notify"}
    assert done["revoke"].elapsed > done["report"].elapsed
    assert done["notify"].elapsed > done["report"].elapsed
    assert state.status is DrillStatus.COMPLETED
    assert (await h.of(DrillCompleted))[0].reason == "completed"


async def test_manual_acknowledgement_is_attributed_and_can_be_back_dated(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent"})
    await h.runner.run_until(4)
    reached = h.clock.now() - dt.timedelta(minutes=1)
    outcome = await h.runner.acknowledge_manually(
        "alice", entered_by="佐藤（当番）", reached_at=reached, note="携帯に折り返しあり"
    )

    assert outcome == "accepted"
    ack = (await h.of(Acknowledged))[0]
    assert (ack.member, ack.person_id, ack.source, ack.entered_by) == (
        "chief",
        "alice",
        "manual",
        "佐藤（当番）",
    )
    assert ack.received_at == reached and ack.page_id is None
    assert ack.note == "携帯に折り返しあり"
    with pytest.raises(EngineError, match="did you mean 'chief'"):
        await h.runner.acknowledge_manually("chiefs", entered_by="op")


async def test_notes_are_recorded_and_modes_are_explicit(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "voice@5", "carol": "voice@5"})
    await h.runner.run_until(0.05)
    await h.runner.add_note("訓練開始を庁内放送で周知", by="op")
    await h.runner.run()
    assert [(e.by, e.text) for e in await h.of(NoteAdded)] == [("op", "訓練開始を庁内放送で周知")]
    assert (await h.of(DrillStarted))[0].mode is DrillMode.DRILL
    assert {p.mode for p in h.notifier.sent} == {"drill"}

    real = kit.Harness(kit.two_level_plan(), mode="incident", drill_id="i1")
    await real.runner.run_until(0.05)
    assert (await real.of(DrillStarted))[0].mode is DrillMode.INCIDENT
    assert {p.mode for p in real.notifier.sent} == {"incident"}


async def test_pages_after_an_abort_are_not_sent(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent"})
    await h.runner.run_until(1)
    count = len(h.notifier.sent)
    await h.runner.abort(by="op", reason="中止")
    await h.runner.run()
    assert len(h.notifier.sent) == count
    assert [e.elapsed for e in await h.of(PageQueued)] == [0.0, 30.0]


async def test_people_still_answer_during_a_pause_and_the_level_completes_on_resume(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(kit.two_level_plan(channels=("sms",)), people={"alice": "sms@120"})
    await h.runner.run_until(1)
    await h.runner.pause(by="duty officer")
    await h.runner.run_until(5)
    ack = (await h.of(Acknowledged))[0]
    assert (ack.member, ack.elapsed) == ("chief", 120.0)
    assert [e.level for e in await h.of(LevelStarted)] == ["first"]

    await h.runner.unpause(by="duty officer")
    second = next(e for e in await h.of(LevelStarted) if e.level == "second")
    assert second.elapsed == 300.0
