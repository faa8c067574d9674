"""The drill book: scheduled drills and their reminders, kept in APScheduler's job store.

Jobs live in the event store's database (table `drillkit_schedule_jobs`), so they survive
restarts and travel with the events. A `DrillBook` works on any APScheduler 3 scheduler
that uses that store: the CLI opens a *paused* one (jobs can be added, listed and removed
without ever running them), `drillkit serve` its running `AsyncIOScheduler`.

One schedule is one drill job (id `annual-roll-call-3f9a`, a `CalendarTrigger`) plus one
reminder job per lead time (`annual-roll-call-3f9a~remind-1d`, a `ReminderTrigger`). Job
arguments are plain JSON-friendly values; job functions are referenced by name
(`drill.schedule.service:drill_due`), as APScheduler requires.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import dataclasses
import datetime as dt
import re
import secrets
import threading
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from drill.plan import LoadedPlan, load_plan, sample_plan_dir
from drill.plan.findings import did_you_mean
from drill.plan.models import ChannelKind
from drill.schedule.calendar import (
    CalendarPolicy,
    Decision,
    ReminderPolicy,
    format_duration,
    load_calendar,
    parse_duration,
)
from drill.schedule.errors import ScheduleError
from drill.schedule.ledger import JOB_TABLE, Ledger, open_engine, sync_url
from drill.schedule.recurrence import Recurrence, SpecKind
from drill.schedule.triggers import CalendarTrigger, ReminderTrigger
from drill.store import EventStore
from drill.store.location import describe, resolve_url

__all__ = [
    "DRILL_FUNC",
    "REMINDER_FUNC",
    "DrillBook",
    "Reminder",
    "ScheduledDrill",
    "job_defaults",
    "jobstore",
    "prepare_database",
    "resolve_scenario",
]

DRILL_FUNC = "drill.schedule.service:drill_due"
REMINDER_FUNC = "drill.schedule.service:reminder_due"
_REMIND = "~remind-"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


def job_defaults() -> dict[str, Any]:
    """Defaults for every calendar job.

    `misfire_grace_time=None`: APScheduler's default (1 s) drops a late job with only a log
    line; ours never drops one, and the service decides explicitly (run late or skip, and
    records it). `coalesce=False`: every missed occurrence reaches the service, which
    records each. `max_instances`: a long drill must not make the next occurrence vanish.
    """
    return {"misfire_grace_time": None, "coalesce": False, "max_instances": 5}


def jobstore(engine: Engine) -> SQLAlchemyJobStore:
    """APScheduler's SQLAlchemy job store on the event store's database."""
    return SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)


class _BookScheduler(BackgroundScheduler):  # type: ignore[misc]  # apscheduler is untyped
    """A scheduler that only edits the job store and never runs a job.

    Starting a scheduler paused is APScheduler's way to edit a persistent store from
    another process, but its `shutdown()` wakes the scheduler thread, which then processes
    due jobs on the stopped scheduler: a CLI command could consume (and lose) a due drill
    that `drillkit serve` must handle. Here processing is switched off entirely.
    """

    def _process_jobs(self) -> None:
        return None


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion from synchronous code, even inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="drillkit-prepare-db")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _migrate(url: str) -> None:
    store = await EventStore.open(url)
    await store.close()


def prepare_database(db: str | None) -> tuple[str, str]:
    """Create or migrate the event store first (it refuses a database whose only tables are
    someone else's), then return its (async URL, sync URL)."""
    url = resolve_url(db)
    _run(_migrate(url))
    return url, sync_url(url)


@dataclasses.dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder to the coordinator, `lead` before each drill of a schedule."""

    job_id: str
    lead: dt.timedelta
    to: tuple[str, ...]
    channels: tuple[ChannelKind, ...]
    next_run: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "before": format_duration(self.lead),
            "to": list(self.to),
            "channels": [kind.value for kind in self.channels],
            "next_run": self.next_run.isoformat() if self.next_run else None,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class ScheduledDrill:
    """One schedule: a scenario of a plan, when it runs, and its reminders."""

    id: str
    scenario_id: str
    scenario_file: str
    plan_dir: Path
    recurrence: Recurrence
    simulate: bool
    added_at: dt.datetime
    next_run: dt.datetime | None
    """When it next runs (after the calendar's decision), in the plan's zone."""
    trigger: CalendarTrigger
    reminders: tuple[Reminder, ...]

    @property
    def timezone(self) -> str:
        return self.recurrence.zone

    @property
    def policy(self) -> CalendarPolicy:
        return self.trigger.policy

    def upcoming(self, now: dt.datetime, count: int = 5) -> list[Decision]:
        """The next `count` nominal occurrences and what the calendar does with each."""
        return self.trigger.decisions(now, count)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario_id,
            "scenario_file": self.scenario_file,
            "plan": str(self.plan_dir),
            "when": {"kind": self.recurrence.kind, "text": self.recurrence.text},
            "timezone": self.timezone,
            "channels": "simulated" if self.simulate else "real",
            "added_at": self.added_at.isoformat(),
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "on_closed_day": self.policy.on_closed_day,
            "misfire": self.policy.misfire.model_dump(mode="json"),
            "reminders": [reminder.as_dict() for reminder in self.reminders],
        }


def resolve_scenario(scenario: str | Path, plan: Path | None) -> tuple[LoadedPlan, str, str]:
    """A scenario file (`scenarios/<id>.yaml` of a plan directory), or a scenario id of
    `plan` (the bundled sample plan by default) -> (loaded plan, scenario id, file)."""
    path = Path(scenario).expanduser()
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScheduleError(f"There is no scenario file {path}.")
        path = path.resolve()
        root = plan.resolve() if plan is not None else path.parent.parent
        loaded = load_plan(root)
        for scenario_model in loaded.plan.scenarios:
            place = loaded.locator.places.get(("scenario", scenario_model.id))
            if place is not None and place.file.resolve() == path:
                return loaded, scenario_model.id, _relative(path, loaded.plan.root)
        raise ScheduleError(
            f"{path} is not a scenario of the plan at {root} (is it listed in plan.yaml "
            "contents.scenarios?)."
        )
    root = plan.resolve() if plan is not None else sample_plan_dir()
    loaded = load_plan(root)
    scenario_id = str(scenario)
    if not loaded.plan.has("scenario", scenario_id):
        ids = [s.id for s in loaded.plan.scenarios]
        hint = did_you_mean(scenario_id, ids) or f"the scenarios are: {', '.join(ids)}"
        raise ScheduleError(f"The plan at {root} has no scenario '{scenario_id}' — {hint}")
    place = loaded.locator.places.get(("scenario", scenario_id))
    file = _relative(place.file, loaded.plan.root) if place else f"scenarios/{scenario_id}.yaml"
    return loaded, scenario_id, file


def _relative(path: Path, root: Path | None) -> str:
    if root is None:
        return str(path)
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


class DrillBook:
    """Adds, lists and removes scheduled drills in an APScheduler scheduler's job store."""

    def __init__(
        self,
        scheduler: Any,
        ledger: Ledger,
        *,
        where: str,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.ledger = ledger
        self.where = where
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._owned = False

    # -- opening (for the CLI) ----------------------------------------------------------

    @classmethod
    def open(
        cls, db: str | None = None, *, clock: Callable[[], dt.datetime] | None = None
    ) -> DrillBook:
        """A book on a paused scheduler: nothing it holds is run by this process."""
        url, sync = prepare_database(db)
        engine = open_engine(sync)
        ledger = Ledger(engine)
        ledger.create()
        scheduler = _BookScheduler(
            jobstores={"default": jobstore(engine)},
            job_defaults=job_defaults(),
            timezone=dt.UTC,
        )
        scheduler.start(paused=True)
        book = cls(scheduler, ledger, where=describe(url), clock=clock)
        book._owned = True
        return book

    def close(self) -> None:
        if self._owned:
            self._owned = False
            self.scheduler.shutdown(wait=False)
            self.ledger.engine.dispose()

    def __enter__(self) -> DrillBook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- adding -------------------------------------------------------------------------

    def add(
        self,
        scenario: str | Path,
        *,
        kind: SpecKind,
        when: str,
        plan: Path | None = None,
        simulate: bool = True,
        remind_to: Sequence[str] | None = None,
        remind_before: Sequence[str] | None = None,
        schedule_id: str | None = None,
    ) -> ScheduledDrill:
        """Schedule a scenario. The plan, its `calendar.yaml` and the reminder recipients
        are checked now, and a schedule that would never run is refused with the reason."""
        loaded, scenario_id, scenario_file = resolve_scenario(scenario, plan)
        info = loaded.plan.info
        root = loaded.plan.root
        assert root is not None
        if not simulate and info.sample:
            raise ScheduleError(
                "The bundled sample plan can never be drilled with real channels. Schedule it "
                "with --simulate, or schedule your own plan.",
                title="Refused: sample plan",
            )
        policy = load_calendar(root)
        reminders = _reminder_policy(policy.reminders, remind_to, remind_before)
        for ref in reminders.to:
            if not (loaded.plan.has("role", ref) or loaded.plan.has("person", ref)):
                choices = [r.id for r in loaded.plan.roles] + [p.id for p in loaded.plan.people]
                hint = did_you_mean(ref, choices) or "name a role or a person of the plan"
                raise ScheduleError(f"--remind {ref!r} is not a role or person — {hint}")
        recurrence = Recurrence(kind, when, info.timezone)
        trigger = CalendarTrigger(recurrence.trigger(), policy, info.timezone)
        now = self._clock()
        first = trigger.get_next_fire_time(None, now)
        if first is None:
            raise ScheduleError(_never_runs(recurrence, trigger, now))
        job_id = schedule_id or f"{scenario_id}-{secrets.token_hex(2)}"
        if not _ID.match(job_id):
            raise ScheduleError(
                f"--id {job_id!r}: use lower-case letters, digits, '-' and '_' (up to 80)"
            )
        common = {
            "schedule_id": job_id,
            "plan_dir": str(root),
            "scenario_id": scenario_id,
            "simulate": simulate,
            "timezone": info.timezone,
        }
        drill_kwargs = {
            **common,
            "scenario_file": scenario_file,
            "spec_kind": kind,
            "spec": when,
            "added_at": now.isoformat(),
        }
        try:
            self.scheduler.add_job(
                DRILL_FUNC,
                trigger=trigger,
                id=job_id,
                name=f"{scenario_id} ({recurrence.describe()})",
                kwargs=drill_kwargs,
                next_run_time=first,
                **job_defaults(),
            )
        except ConflictingIdError:
            raise ScheduleError(f"A schedule with id '{job_id}' already exists.") from None
        if reminders.to:
            for lead in reminders.before:
                reminder = ReminderTrigger(trigger, lead)
                self.scheduler.add_job(
                    REMINDER_FUNC,
                    trigger=reminder,
                    id=f"{job_id}{_REMIND}{format_duration(lead)}",
                    name=f"reminder {format_duration(lead)} before {scenario_id}",
                    kwargs={
                        **common,
                        "lead": format_duration(lead),
                        "to": list(reminders.to),
                        "channels": [k.value for k in reminders.channels],
                    },
                    next_run_time=first - lead,
                    **job_defaults(),
                )
        return self.get(job_id)

    # -- reading ------------------------------------------------------------------------

    def list(self) -> list[ScheduledDrill]:
        """Every schedule, soonest first (finished ones last)."""
        jobs = self.scheduler.get_jobs()
        reminders: dict[str, list[Any]] = {}
        for job in jobs:
            if job.func_ref == REMINDER_FUNC:
                reminders.setdefault(job.kwargs["schedule_id"], []).append(job)
        drills = [
            _scheduled(job, reminders.get(job.id, [])) for job in jobs if job.func_ref == DRILL_FUNC
        ]
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted(drills, key=lambda d: (d.next_run or far, d.id))

    def get(self, schedule_id: str) -> ScheduledDrill:
        job = self.scheduler.get_job(schedule_id)
        if job is None or job.func_ref != DRILL_FUNC:
            raise self._unknown(schedule_id)
        reminders = [
            j
            for j in self.scheduler.get_jobs()
            if j.func_ref == REMINDER_FUNC and j.kwargs.get("schedule_id") == schedule_id
        ]
        return _scheduled(job, reminders)

    # -- changing -----------------------------------------------------------------------

    def remove(self, schedule_id: str) -> ScheduledDrill:
        """Remove a schedule and its reminders; returns what was removed."""
        removed = self.get(schedule_id)
        for reminder in removed.reminders:
            # Already gone (removed concurrently) is fine: the goal is reached.
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(reminder.job_id)
        try:
            self.scheduler.remove_job(schedule_id)
        except JobLookupError:
            raise self._unknown(schedule_id) from None
        return removed

    def refresh(self, schedule_ids: Iterable[str] | None = None) -> builtins.list[ScheduledDrill]:
        """Apply each plan's current `calendar.yaml` to its schedules; returns those changed.

        A schedule with an occurrence already due (not yet handled by `serve`) keeps that
        occurrence: only future times are recomputed.
        """
        changed: list[ScheduledDrill] = []
        wanted = set(schedule_ids) if schedule_ids is not None else None
        now = self._clock()
        for drill in self.list():
            if wanted is not None and drill.id not in wanted:
                continue
            policy = load_calendar(drill.plan_dir)
            if policy == drill.policy:
                continue
            trigger = CalendarTrigger(drill.trigger.nominal, policy, drill.timezone)
            changes: dict[str, Any] = {"trigger": trigger}
            if drill.next_run is not None and drill.next_run > now:
                changes["next_run_time"] = trigger.get_next_fire_time(None, now)
            self.scheduler.modify_job(drill.id, **changes)
            for reminder in drill.reminders:
                reminder_trigger = ReminderTrigger(trigger, reminder.lead)
                reminder_changes: dict[str, Any] = {"trigger": reminder_trigger}
                if reminder.next_run is not None and reminder.next_run > now:
                    reminder_changes["next_run_time"] = reminder_trigger.get_next_fire_time(
                        None, now
                    )
                self.scheduler.modify_job(reminder.job_id, **reminder_changes)
            changed.append(self.get(drill.id))
        return changed

    def _unknown(self, schedule_id: str) -> ScheduleError:
        ids = [j.id for j in self.scheduler.get_jobs() if j.func_ref == DRILL_FUNC]
        hint = did_you_mean(schedule_id, ids)
        known = f"the schedules are: {', '.join(sorted(ids))}" if ids else "nothing is scheduled"
        return ScheduleError(
            f"There is no schedule '{schedule_id}' in {self.where} — {hint or known}"
        )


def _reminder_policy(
    base: ReminderPolicy, to: Sequence[str] | None, before: Sequence[str] | None
) -> ReminderPolicy:
    if not to and not before:
        return base
    leads = base.before
    if before:
        try:
            leads = tuple(parse_duration(text) for text in before)
        except ValueError as exc:
            raise ScheduleError(f"--remind-before: {exc}") from None
        if any(lead <= dt.timedelta(0) for lead in leads):
            raise ScheduleError("--remind-before must be positive")
        leads = tuple(dict.fromkeys(leads))
    return ReminderPolicy(before=leads, to=tuple(to) if to else base.to, channels=base.channels)


def _never_runs(recurrence: Recurrence, trigger: CalendarTrigger, now: dt.datetime) -> str:
    decisions = trigger.decisions(now - dt.timedelta(days=1), 3)
    skipped = [d for d in decisions if d.skipped]
    if recurrence.kind == "at":
        if decisions and decisions[0].nominal < now:
            return (
                f"{recurrence.describe()} is in the past (it is now "
                f"{now.astimezone(trigger.zone):%Y-%m-%d %H:%M %Z})."
            )
        if skipped:
            return (
                f"{recurrence.describe()} would never run: {skipped[0].reason}, and the plan's "
                f"calendar says on_closed_day: {trigger.policy.on_closed_day}. Pick a working day."
            )
    return f"{recurrence.describe()} never runs on a working day from now on."


def _scheduled(job: Any, reminder_jobs: Sequence[Any]) -> ScheduledDrill:
    kwargs = job.kwargs
    trigger: CalendarTrigger = job.trigger
    zone = trigger.zone
    reminders = tuple(
        sorted(
            (
                Reminder(
                    job_id=r.id,
                    lead=r.trigger.lead,
                    to=tuple(r.kwargs["to"]),
                    channels=tuple(ChannelKind(c) for c in r.kwargs["channels"]),
                    next_run=r.next_run_time.astimezone(zone) if r.next_run_time else None,
                )
                for r in reminder_jobs
            ),
            key=lambda r: -r.lead,
        )
    )
    return ScheduledDrill(
        id=job.id,
        scenario_id=kwargs["scenario_id"],
        scenario_file=kwargs["scenario_file"],
        plan_dir=Path(kwargs["plan_dir"]),
        recurrence=Recurrence(kwargs["spec_kind"], kwargs["spec"], kwargs["timezone"]),
        simulate=bool(kwargs["simulate"]),
        added_at=dt.datetime.fromisoformat(kwargs["added_at"]),
        next_run=job.next_run_time.astimezone(zone) if job.next_run_time else None,
        trigger=trigger,
        reminders=reminders,
    )
