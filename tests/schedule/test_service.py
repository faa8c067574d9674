"""The calendar service: on time, late, missed, never twice, reminders once.

Occurrences are either already due in real time when the service starts (APScheduler
handles them at once, as after a restart) or driven with `fire`; the service's clock,
which decides on time / late / missed, is fixed by each test. Nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from drill.engine.events import NoteAdded
from drill.schedule.book import DrillBook, ScheduledDrill
from drill.schedule.ledger import Entry, Outcome
from drill.schedule.service import ScheduleService, drill_due, drill_id_for, run_key
from drill.store import EventStore

from .conftest import JST, ChannelDouble, FakeLauncher, fixed, jst

SCENARIO = "scenarios/annual-roll-call.yaml"


def schedule(
    db: str, plan_dir: Path, *, then: dt.datetime, kind: str = "at", when: str, **options: Any
) -> ScheduledDrill:
    """Add a schedule as the CLI does, on a day (`then`) before its first occurrence."""
    with DrillBook.open(db, clock=fixed(then)) as book:
        return book.add(plan_dir / SCENARIO, kind=kind, when=when, **options)  # type: ignore[arg-type]


def outcomes(entries: list[Entry], kind: str = "drill") -> list[str]:
    return [e.outcome for e in entries if e.kind == kind]


async def run_service(
    db: str, now: dt.datetime, launcher: FakeLauncher, **options: Any
) -> ScheduleService:
    service = ScheduleService(db, launcher=launcher, clock=fixed(now), poll_seconds=0, **options)
    await service.start()
    await service.settle()
    return service


async def test_a_drill_due_now_runs_once_with_its_run_key(db: str, plan_dir: Path) -> None:
    drill = schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    launcher = FakeLauncher()
    service = await run_service(db, jst(2026, 1, 6, 10, 0) + dt.timedelta(seconds=30), launcher)
    try:
        (request,) = launcher.requests
        assert request.drill_id == "roll-call-20260106-1000"
        assert request.scenario_id == "annual-roll-call" and request.simulate
        assert request.scheduled_for == jst(2026, 1, 6, 10)
        assert not request.resume
        entries = service.ledger.entries(run_key=run_key(drill.id, jst(2026, 1, 6, 10)))
        assert outcomes(entries) == [Outcome.STARTED, Outcome.COMPLETED]
        assert service.book.list() == []  # a one-off schedule is done
    finally:
        await service.stop()


async def test_a_drill_missed_while_down_runs_late_and_is_reported(
    db: str, plan_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    launcher = FakeLauncher()
    caplog.set_level(logging.WARNING, logger="drill.schedule.service")
    service = await run_service(db, jst(2026, 1, 6, 12, 0), launcher)
    try:
        assert len(launcher.requests) == 1
        (decision, result) = service.ledger.entries(job_id="roll-call")
        assert decision.outcome == Outcome.STARTED_LATE
        assert decision.detail["late_by_seconds"] == 2 * 3600
        assert decision.detail["reason"] == "run 2h late"
        assert result.outcome == Outcome.COMPLETED
        assert "missed while the service was not running" in caplog.text
    finally:
        await service.stop()


async def test_misfire_policy_skip_records_the_miss_and_runs_nothing(
    db: str, plan_dir: Path
) -> None:
    (plan_dir / "calendar.yaml").write_text("misfire: {action: skip}\n", encoding="utf-8")
    schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    launcher = FakeLauncher()
    service = await run_service(db, jst(2026, 1, 6, 10, 20), launcher)
    try:
        assert launcher.requests == []
        (entry,) = service.ledger.entries(job_id="roll-call")
        assert entry.outcome == Outcome.MISSED
        assert entry.detail["reason"] == "the plan's misfire policy is skip"
    finally:
        await service.stop()


async def test_a_drill_later_than_the_limit_is_missed(db: str, plan_dir: Path) -> None:
    schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    launcher = FakeLauncher()
    service = await run_service(db, jst(2026, 1, 6, 18, 0), launcher)
    try:
        assert launcher.requests == []
        (entry,) = service.ledger.entries(job_id="roll-call")
        assert entry.outcome == Outcome.MISSED
        assert entry.detail["reason"] == "8h late, more than the plan's late_limit (4h)"
    finally:
        await service.stop()


async def test_a_late_drill_never_runs_on_a_closed_day(db: str, plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text("misfire: {late_limit: 3d}\n", encoding="utf-8")
    schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-09 10:00", schedule_id="roll-call"
    )
    launcher = FakeLauncher()
    service = await run_service(db, jst(2026, 1, 10, 9, 0), launcher)  # Saturday
    try:
        assert launcher.requests == []
        (entry,) = service.ledger.entries(job_id="roll-call")
        assert (entry.outcome, entry.detail["reason"]) == (Outcome.MISSED, "today is Saturday")
    finally:
        await service.stop()


async def test_several_missed_occurrences_are_each_recorded_and_only_the_latest_runs(
    db: str, plan_dir: Path
) -> None:
    schedule(
        db,
        plan_dir,
        then=jst(2023, 12, 1),
        kind="every",
        when="january 6 10:00",
        schedule_id="yearly",
    )
    launcher = FakeLauncher()
    service = await run_service(db, jst(2026, 1, 6, 10, 1), launcher)
    try:
        entries = service.ledger.entries(job_id="yearly")
        by_time = {
            e.scheduled_for.astimezone(JST): e.outcome
            for e in entries
            if e.key.endswith("#decision")
        }
        assert by_time == {
            jst(2024, 1, 9, 10): Outcome.MISSED,  # 1/6 Sat, 1/8 成人の日 -> Tue 1/9
            jst(2025, 1, 6, 10): Outcome.MISSED,
            jst(2026, 1, 6, 10): Outcome.STARTED,
        }
        assert [r.scheduled_for for r in launcher.requests] == [jst(2026, 1, 6, 10)]
        (drill,) = service.book.list()
        assert drill.next_run == jst(2027, 1, 6, 10)  # the schedule goes on
    finally:
        await service.stop()


async def test_an_occurrence_fired_again_is_not_run_twice(db: str, plan_dir: Path) -> None:
    schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    launcher = FakeLauncher()
    service = await run_service(db, jst(2026, 1, 6, 10, 1), launcher)
    await service.stop()
    # As if the process had died before APScheduler moved the job on: the same
    # occurrence is in the job store again, and a new service finds it due.
    schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    again = await run_service(db, jst(2026, 1, 6, 10, 2), launcher)
    try:
        assert len(launcher.requests) == 1
        entries = again.ledger.entries(job_id="roll-call")
        assert outcomes(entries) == [Outcome.STARTED, Outcome.COMPLETED, Outcome.DUPLICATE]
        assert entries[-1].detail == {"earlier": Outcome.STARTED}
    finally:
        await again.stop()


async def test_the_event_store_is_checked_before_starting(db: str, plan_dir: Path) -> None:
    schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    drill_id = drill_id_for("roll-call", jst(2026, 1, 6, 10), JST)
    async with EventStore.open(db) as store:
        note = NoteAdded(at=jst(2026, 1, 6, 10).astimezone(dt.UTC), elapsed=0.0, by="t", text="x")
        await store.append(drill_id, note)
    launcher = FakeLauncher()
    service = await run_service(db, jst(2026, 1, 6, 10, 1), launcher)
    try:
        (request,) = launcher.requests
        assert request.drill_id == drill_id and request.resume  # continued, not started again
    finally:
        await service.stop()


async def test_a_job_function_called_outside_the_service_says_so() -> None:
    from drill.schedule.errors import ScheduleError

    with pytest.raises(ScheduleError, match="only inside `drillkit serve`"):
        await drill_due(schedule_id="x")


# --- reminders ---------------------------------------------------------------------------


async def reminder_service(
    db: str, now: dt.datetime, double: ChannelDouble
) -> tuple[ScheduleService, FakeLauncher]:
    launcher = FakeLauncher()
    service = ScheduleService(
        db,
        launcher=launcher,
        clock=fixed(now),
        poll_seconds=0,
        reminder_notifiers=lambda plan, simulate: [double],
    )
    await service.start(paused=True)
    return service, launcher


async def test_the_coordinator_is_reminded_once_with_the_drill_marker(
    db: str, plan_dir: Path
) -> None:
    drill = schedule(
        db,
        plan_dir,
        then=jst(2026, 12, 1),
        when="2027-01-01 10:00",
        schedule_id="roll-call",
        remind_to=["sysadmin"],
        remind_before=["1d"],
    )
    (reminder,) = drill.reminders
    assert reminder.next_run == jst(2027, 1, 3, 10)  # the drill moved to 1/4, so did this
    double = ChannelDouble()
    service, launcher = await reminder_service(db, jst(2027, 1, 3, 10, 0), double)
    try:
        await service.fire(reminder.job_id)
        await service.fire(reminder.job_id)  # fired twice: still one reminder
    finally:
        await service.stop()
    again, _ = await reminder_service(db, jst(2027, 1, 3, 10, 5), double)
    try:
        await again.fire(reminder.job_id, at=jst(2027, 1, 3, 10))  # and after a restart
        entries = again.ledger.entries(job_id="roll-call")
    finally:
        await again.stop()
    assert launcher.requests == []  # a reminder is not the drill
    (page, text) = double.delivered[0]
    assert len(double.delivered) == 1
    plan_sysadmin = "sysadmin"
    assert page.mode == "drill" and page.channel.value == "email"
    assert text.startswith("【訓練】")
    assert "2027年1月4日(月) 10:00" in text and "2027年1月1日(金) 10:00" in text  # moved, and why
    assert "参加者には事前に知らせない訓練です" in text
    assert page.role_name is not None and plan_sysadmin  # sent as the role's holder
    assert outcomes(entries, "reminder") == [Outcome.REMINDER_SENDING, Outcome.REMINDER_SENT]


async def test_only_the_coordinators_are_reminded(db: str, plan_dir: Path) -> None:
    drill = schedule(
        db,
        plan_dir,
        then=jst(2026, 12, 1),
        when="2027-01-29 10:00",
        remind_to=["sysadmin", "juki-chief"],
    )
    double = ChannelDouble()
    service, _ = await reminder_service(db, jst(2027, 1, 28, 10), double)
    try:
        await service.fire(drill.reminders[0].job_id)
    finally:
        await service.stop()
    from drill.plan import load_plan

    plan = load_plan(plan_dir).plan
    expected = {plan.candidates("sysadmin")[0].id, plan.candidates("juki-chief")[0].id}
    assert {page.person_id for page, _ in double.delivered} == expected


async def test_a_reminder_whose_drill_has_passed_is_recorded_as_missed(
    db: str, plan_dir: Path
) -> None:
    drill = schedule(
        db, plan_dir, then=jst(2026, 12, 1), when="2027-01-29 10:00", remind_to=["sysadmin"]
    )
    double = ChannelDouble()
    service, _ = await reminder_service(db, jst(2027, 1, 29, 11), double)
    try:
        await service.fire(drill.reminders[0].job_id)
        entries = service.ledger.entries(job_id=drill.id)
    finally:
        await service.stop()
    assert double.delivered == []
    assert outcomes(entries, "reminder") == [Outcome.REMINDER_MISSED]


async def test_a_reminder_late_but_before_the_drill_is_still_sent(db: str, plan_dir: Path) -> None:
    drill = schedule(
        db, plan_dir, then=jst(2026, 12, 1), when="2027-01-29 10:00", remind_to=["sysadmin"]
    )
    double = ChannelDouble()
    service, _ = await reminder_service(db, jst(2027, 1, 29, 8), double)  # 22 h late, 2 h ahead
    try:
        await service.fire(drill.reminders[0].job_id)
        (_, result) = [e for e in service.ledger.entries(job_id=drill.id) if e.kind == "reminder"]
    finally:
        await service.stop()
    assert len(double.delivered) == 1
    assert result.outcome == Outcome.REMINDER_SENT
    assert result.detail["late_by_seconds"] == 22 * 3600


async def test_a_scheduled_drill_runs_end_to_end_through_the_engine(
    db: str, plan_dir: Path
) -> None:
    from drill.engine.clock import VirtualClock
    from drill.engine.events import DrillCompleted, DrillStarted

    drill = schedule(
        db, plan_dir, then=jst(2026, 1, 5, 9), when="2026-01-06 10:00", schedule_id="roll-call"
    )
    service = ScheduleService(
        db,
        clock=fixed(jst(2026, 1, 6, 10, 0)),
        poll_seconds=0,
        drill_clock=lambda request: VirtualClock(start=request.scheduled_for),
    )
    await service.start(paused=True)
    try:
        await service.fire(drill.id)
        stored = await service.store.read("roll-call-20260106-1000")
        entries = service.ledger.entries(job_id="roll-call")
    finally:
        await service.stop()
    started = stored[0].event
    assert isinstance(started, DrillStarted)
    assert started.scenario_id == "annual-roll-call" and started.simulated
    assert started.at == jst(2026, 1, 6, 10)
    assert isinstance(stored[-1].event, DrillCompleted)
    assert outcomes(entries) == [Outcome.STARTED, Outcome.COMPLETED]
    assert entries[-1].detail["status"] == "completed"
    # Its report is written like any run's, into the data directory.
    from drill.config import data_dir

    report = data_dir() / "reports" / "roll-call-20260106-1000" / "report.md"
    assert "緊急時連絡網 年次訓練" in report.read_text(encoding="utf-8")
