"""The projection: what a screen or report shows, folded from the events alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from types import SimpleNamespace

from drill.engine.clock import VIRTUAL_START
from drill.engine.events import (
    EVENT_TYPES,
    DrillInterrupted,
    from_record,
    to_record,
)
from drill.engine.notifier import FailureReason
from drill.engine.sink import MemorySink
from drill.engine.state import (
    ContactStatus,
    DrillState,
    DrillStatus,
    LevelStatus,
    StepStatus,
)
from drill.plan.models import ChannelKind


async def test_a_contact_goes_from_queued_to_ringing_to_acknowledged(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "voice@40"})
    await h.runner.run_until(0)
    chief = h.runner.state.contact("chief")
    assert chief.status is ContactStatus.CALLING
    assert (chief.person_id, chief.channel, chief.attempt) == ("alice", ChannelKind.VOICE, 1)
    assert ("t", "second", "admin") not in h.runner.state.contacts  # its level has not begun

    await h.runner.run_until(0.5)
    assert chief.status is ContactStatus.RINGING

    await h.runner.run_until(1)
    assert chief.status is ContactStatus.ACKNOWLEDGED
    assert chief.acknowledged_channel is ChannelKind.VOICE
    assert chief.acknowledged_at == VIRTUAL_START + dt.timedelta(seconds=40)
    assert chief.response_seconds == 40.0


async def test_no_answer_failure_and_escalation_are_shown_with_their_reason(
    kit: SimpleNamespace,
) -> None:
    plan = kit.two_level_plan(first=("chief", "admin"), channels=("voice", "sms"))
    people = {"alice": "absent", "bob": "absent", "carol": "invalid", "dave": "absent"}
    h = kit.Harness(plan, people=people)
    await h.runner.run_until(0.6)  # alice's call rang out at 30 s; her SMS is out
    chief = h.runner.state.contact("chief")
    admin = h.runner.state.contact("admin")
    assert chief.status is ContactStatus.DELIVERED and chief.channel is ChannelKind.SMS
    assert admin.escalated and admin.person_id == "dave"  # carol's numbers are all wrong
    assert admin.escalations == [("carol", "dave")]

    await h.runner.run_until(3.6)  # alice's SMS timed out at 210 s; bob's phone rings
    assert chief.escalated and chief.escalations == [("alice", "bob")]
    assert (chief.person_id, chief.channel, chief.status) == (
        "bob",
        ChannelKind.VOICE,
        ContactStatus.RINGING,
    )
    await h.runner.run_until(4.05)  # bob's call rang out at 240 s: his SMS follows at once
    assert (chief.channel, chief.status) == (ChannelKind.SMS, ContactStatus.DELIVERED)

    await h.runner.run()
    assert admin.status is ContactStatus.UNREACHED
    assert (admin.failure, admin.unreached_reason) == (FailureReason.TIMEOUT, "ladder_exhausted")
    assert h.runner.state.levels[("t", "first")].status in (
        LevelStatus.SATISFIED,
        LevelStatus.EXHAUSTED,
    )


async def test_levels_sites_steps_and_summary(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(first=("north", "east"), second=("chief",))
    h = kit.Harness(plan, people={"erin": "voice@30", "gina": "voice@90", "alice": "voice@10"})
    state = await h.runner.run()

    first = state.levels[("t", "first")]
    assert (first.status, first.acknowledged, first.required) == (LevelStatus.SATISFIED, 2, 2)
    assert (first.started_elapsed, first.completed_elapsed) == (0.0, 90.0)
    sites = state.sites()
    assert sites["north"].all_acknowledged_elapsed == 30.0
    assert sites["east"].all_acknowledged_elapsed == 90.0
    summary = state.summary()
    assert (summary.contacts, summary.acknowledged, summary.percent_acknowledged) == (3, 3, 100.0)
    assert summary.duration_seconds == 100.0
    assert state.status is DrillStatus.COMPLETED and not state.is_open


async def test_the_projection_is_a_pure_function_of_the_stored_events(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=7, operator=True)
    await h.runner.run_until(8)
    page = next(iter(h.runner.state.pages))
    await h.runner.acknowledge(page, source="sms", key="dup")
    await h.runner.acknowledge(page, source="sms", key="dup")  # kept as a duplicate
    await h.runner.run()

    stored = await h.sink.read("d1")
    assert any(s.duplicate for s in stored)
    # Through JSON and back, as a store keeps them, then folded again.
    reread = [
        dataclasses.replace(
            s, event=from_record(*json.loads(json.dumps(to_record(s.event), ensure_ascii=False)))
        )
        for s in stored
        if not s.duplicate
    ]
    again = DrillState.from_events(reread)
    assert again.summary() == h.runner.state.summary()
    assert again.contacts == h.runner.state.contacts
    assert DrillState.from_events(stored).summary() == h.runner.state.summary()
    steps = again.steps
    assert set(steps) == {"report", "check", "close"}
    assert all(step.status in (StepStatus.COMPLETED, StepStatus.DUE) for step in steps.values())


async def test_every_event_type_survives_json(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=7, operator=True)
    await h.runner.run_until(3)
    await h.runner.pause(by="op", reason="確認")
    await h.runner.unpause(by="op")
    await h.runner.add_note("メモ", by="op")
    await h.runner.abort(by="op", reason="訓練中止")
    seen = {}
    for item in await h.events():
        name, payload = to_record(item)
        text = json.dumps(payload, ensure_ascii=False)
        assert from_record(name, json.loads(text)) == item
        seen[name] = item
    expected = {
        "DrillStarted",
        "InjectFired",
        "TreeStarted",
        "LevelStarted",
        "PageQueued",
        "PageSent",
        "DeliveryUpdated",
        "DeliveryFailed",
        "Acknowledged",
        "DrillPaused",
        "DrillResumed",
        "NoteAdded",
        "DrillAborted",
        "PagingCancelled",
    }
    assert expected <= set(seen)
    assert set(EVENT_TYPES) >= expected | {"DrillInterrupted", "DrillRecovered", "StepDue"}


async def test_status_follows_pause_abort_and_interruption(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent"})
    await h.runner.run_until(1)
    await h.runner.pause(by="op")
    assert h.runner.state.status is DrillStatus.PAUSED and h.runner.state.is_open
    await h.runner.abort(by="op", reason="中止")
    assert h.runner.state.status is DrillStatus.ABORTED

    events = await h.events()
    started = events[0]
    interrupted = DrillInterrupted(
        at=started.at,
        elapsed=61.0,
        last_seq=len(events),
        last_event="DrillPaused",
        last_elapsed=60.0,
        downtime_seconds=1.0,
        pages_in_flight=(),
    )
    partial = DrillState.from_events([*events[:-3], interrupted])
    assert partial.status is DrillStatus.INTERRUPTED and partial.interruptions == 1


def test_an_empty_fold_has_not_started() -> None:
    state = DrillState.from_events(MemorySink()._events.get("x", []))
    assert state.status is DrillStatus.NOT_STARTED and state.drill_id is None
    assert state.summary().percent_acknowledged == 0.0
