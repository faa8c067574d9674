"""The calendar service: runs scheduled drills and reminders, and handles what was missed.

`ScheduleService` runs APScheduler 3's `AsyncIOScheduler` on the running event loop, with
the jobs of the `DrillBook` (the event store's database). APScheduler only says *when*;
what happens at an occurrence is decided here, explicitly:

- **Run key.** Each occurrence has a run key (`<schedule id>@<UTC time>`) and a drill id
  derived from it. The first ledger row for the key is a claim that only one process can
  win, and the event store is checked for the drill id before starting: a drill is never
  started twice, even if APScheduler fires it again after a crash.
- **Misfires.** Jobs never expire in APScheduler (`misfire_grace_time=None`). An occurrence
  that comes in later than the plan's `misfire.grace` (the service was down) is logged and
  recorded, then run late or skipped as `misfire.action` and `misfire.late_limit` say;
  never on a closed day. When several occurrences of one schedule were missed, all but the
  latest are recorded as missed. Nothing is dropped silently.
- **Reminders** go to the coordinator once per occurrence, lead time and person (claimed
  in the ledger before sending), late if the service was down but the drill is still
  ahead, recorded as missed otherwise.
- **Stopping** (SIGTERM): job processing is paused, drills in flight are cancelled (their
  events so far are durable) and recorded as interrupted; the next start resumes them
  from the event store with the engine's resume.

APScheduler's SQLAlchemy job store is synchronous: it runs on the loop only when the
scheduler wakes (rarely: a calendar has few jobs), and the ledger is written from a worker
thread. Per-step escalation timers are the engine's, never APScheduler jobs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import signal
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from drill.ack.server import AckServer, DrillRegistry
from drill.channels.links import Links
from drill.config import Config, load_config
from drill.engine.assembly import ClockRequest
from drill.engine.clock import Clock
from drill.engine.events import DrillAborted, DrillCompleted
from drill.engine.notifier import Notifier
from drill.errors import DrillError
from drill.plan import Plan, load_plan
from drill.plan.models import ChannelKind
from drill.schedule.book import (
    DRILL_FUNC,
    REMINDER_FUNC,
    DrillBook,
    job_defaults,
    jobstore,
)
from drill.schedule.calendar import closed_reason, format_duration
from drill.schedule.errors import ScheduleError
from drill.schedule.launch import (
    DrillLauncher,
    DrillRequest,
    NotifierFactory,
    RunnerLauncher,
    no_real_channels,
)
from drill.schedule.ledger import Ledger, Outcome, open_engine, sync_url
from drill.schedule.reminders import (
    IgnoringInbox,
    LoggedNotifier,
    coordinators,
    reminder_message,
    send_reminder,
)
from drill.schedule.triggers import CalendarTrigger, ReminderTrigger
from drill.store import EventStore
from drill.store.location import resolve_url

__all__ = [
    "RealNotifiers",
    "ScheduleService",
    "drill_due",
    "drill_id_for",
    "logged_reminders",
    "reminder_due",
    "run_key",
    "serve",
]

log = logging.getLogger(__name__)

ReminderNotifiers = Callable[[Plan, bool], Sequence[Notifier]]
RealNotifiers = Callable[[Config, Plan, Links], Sequence[Notifier]]
"""Builds the configured providers' notifiers for a plan, their links on this ack server."""

_active: ScheduleService | None = None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_key(schedule_id: str, run_at: dt.datetime) -> str:
    """The key of one occurrence: `annual-roll-call-3f9a@20270129T010000Z`."""
    return f"{schedule_id}@{run_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def drill_id_for(schedule_id: str, run_at: dt.datetime, zone: dt.tzinfo) -> str:
    """The drill id of one occurrence: `annual-roll-call-3f9a-20270129-1000` (local time)."""
    return f"{schedule_id}-{run_at.astimezone(zone):%Y%m%d-%H%M}"


def logged_reminders(plan: Plan, simulate: bool) -> Sequence[Notifier]:
    """The default reminder channels: logged (simulated) for simulated drills; real drills
    need a composition that provides real channels."""
    if simulate:
        return [LoggedNotifier()]
    raise ScheduleError(
        "This schedule uses real channels, but the service was started without them; the "
        "reminder could not be sent.",
        title="Real channels not available",
    )


def _fields(**values: Any) -> dict[str, Any]:
    return {"fields": values}


# --- APScheduler entry points (importable module-level functions) ----------------------


async def drill_due(**kwargs: Any) -> None:
    """The function of every drill job. Runs through the active `ScheduleService`."""
    await _current().fire(str(kwargs["schedule_id"]))


async def reminder_due(**kwargs: Any) -> None:
    """The function of every reminder job. Runs through the active `ScheduleService`."""
    lead = str(kwargs["lead"])
    await _current().fire(f"{kwargs['schedule_id']}~remind-{lead}")


def _current() -> ScheduleService:
    if _active is None:
        raise ScheduleError("Scheduled jobs run only inside `drillkit serve`.")
    return _active


class _OccurrenceExecutor(AsyncIOExecutor):  # type: ignore[misc]  # apscheduler is untyped
    """Hands each due job, with the times it was due, to the service.

    APScheduler's own executors call the job function without its scheduled time and drop
    late runs themselves; the service needs the time (for the run key) and decides about
    late runs explicitly.
    """

    def __init__(self, service: ScheduleService) -> None:
        super().__init__()
        self._service = service

    def _do_submit_job(self, job: Any, run_times: list[dt.datetime]) -> None:
        task = self._eventloop.create_task(self._service._dispatch(job, list(run_times)))
        self._pending_futures.add(task)
        self._service._track(task)

        def done(finished: asyncio.Future[None]) -> None:
            self._pending_futures.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                exc = finished.exception()
                self._run_job_error(job.id, exc, exc.__traceback__ if exc else None)
            else:
                self._run_job_success(job.id, [])

        task.add_done_callback(done)


class ScheduleService:
    """Runs the drill calendar in the current event loop (see the module doc)."""

    def __init__(
        self,
        db: str | None = None,
        *,
        launcher: DrillLauncher | None = None,
        registry: DrillRegistry | None = None,
        reminder_notifiers: ReminderNotifiers = logged_reminders,
        clock: Callable[[], dt.datetime] = _utc_now,
        poll_seconds: float = 30.0,
        drill_clock: Callable[[DrillRequest], Clock | ClockRequest] | None = None,
        drill_notifiers: NotifierFactory = no_real_channels,
    ) -> None:
        """`launcher` runs due drills (default: the engine's runner on this store, with
        `drill_clock` making each drill's clock: a `VirtualClock` in tests). `clock` is the
        wall time the service decides by (on time, late, missed)."""
        self.db = db
        self._drill_clock = drill_clock
        self.registry = registry
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._launcher = launcher
        self._reminder_notifiers = reminder_notifiers
        self._drill_notifiers = drill_notifiers
        self._tasks: set[asyncio.Task[Any]] = set()
        self._drills: dict[str, asyncio.Task[Any]] = {}
        self._stopping = False
        self._poller: asyncio.Task[None] | None = None
        self._store: EventStore | None = None
        self._ledger: Ledger | None = None
        self._book: DrillBook | None = None
        self.scheduler: Any = None

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, *, paused: bool = False) -> None:
        """Open the store and the job store, resume interrupted drills, start the scheduler.

        Occurrences that came due while the service was down are handled at once. With
        `paused`, APScheduler handles nothing by itself; occurrences come only from `fire`
        (tests drive time this way).
        """
        global _active
        if _active is not None and _active is not self:
            raise ScheduleError("Another schedule service is already running in this process.")
        url = resolve_url(self.db)
        self._store = await EventStore.open(url)
        engine = open_engine(sync_url(url))
        self._ledger = Ledger(engine)  # recorded_at is real time, even under a test clock
        await asyncio.to_thread(self._ledger.create)
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": jobstore(engine)},
            executors={"default": _OccurrenceExecutor(self)},
            job_defaults=job_defaults(),
            timezone=dt.UTC,
        )
        self._book = DrillBook(
            self.scheduler, self._ledger, where=self._store.where, clock=self.clock
        )
        if self._launcher is None:
            self._launcher = RunnerLauncher(
                self._store,
                registry=self.registry,
                clock=self._drill_clock,
                notifiers=self._drill_notifiers,
            )
        _active = self
        await self._resume_unfinished()
        self.scheduler.start(paused=paused)
        if self.poll_seconds > 0 and not paused:
            self._poller = asyncio.create_task(self._poll(), name="drillkit-schedule-poll")

    async def stop(self) -> None:
        """Pause job processing, interrupt drills in flight (resumable), release everything."""
        global _active
        if self._stopping:
            return
        self._stopping = True
        if self._poller is not None:
            self._poller.cancel()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        in_flight = [task for task in self._tasks if not task.done()]
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        if self._store is not None:
            await self._store.close()
        if self._ledger is not None:
            self._ledger.engine.dispose()
        if _active is self:
            _active = None

    async def __aenter__(self) -> ScheduleService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def book(self) -> DrillBook:
        """The schedules (add, list, remove) on the running scheduler."""
        if self._book is None:
            raise ScheduleError("The schedule service is not started.")
        return self._book

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            raise ScheduleError("The schedule service is not started.")
        return self._ledger

    @property
    def store(self) -> EventStore:
        if self._store is None:
            raise ScheduleError("The schedule service is not started.")
        return self._store

    def running_drills(self) -> list[str]:
        """Run keys of the drills in flight."""
        return sorted(key for key, task in self._drills.items() if not task.done())

    async def settle(self) -> None:
        """Let the scheduler handle what is due now, and wait for the work it started.

        For tests and tools: it never waits for a future occurrence.
        """
        for _ in range(1000):
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            pending = [task for task in self._tasks if not task.done()]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

    async def fire(self, job_id: str, at: dt.datetime | None = None) -> None:
        """Handle `job_id` as if APScheduler found it due for `at` (default: the job's next
        run time). What a direct call of a job function does; tests drive time with it."""
        job = self.scheduler.get_job(job_id)
        if job is None:
            raise ScheduleError(f"There is no job '{job_id}'.")
        when = at or job.next_run_time or self.clock()
        await self._dispatch(job, [when])

    # -- internals ----------------------------------------------------------------------

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poll(self) -> None:
        # Another process (the CLI) may add a job the scheduler's timer does not know of.
        while True:
            await asyncio.sleep(self.poll_seconds)
            self.scheduler.wakeup()

    async def _dispatch(self, job: Any, run_times: list[dt.datetime]) -> None:
        try:
            if job.func_ref == DRILL_FUNC:
                await self._drill_due(job, run_times)
            elif job.func_ref == REMINDER_FUNC:
                await self._reminder_due(job, run_times)
            else:
                log.error("job %s has an unknown function %s; ignored", job.id, job.func_ref)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("handling job %s failed", job.id, extra=_fields(job=job.id))

    async def _claim(self, key: str, **values: Any) -> bool:
        return await asyncio.to_thread(self.ledger.claim, key, **values)

    # -- drills -------------------------------------------------------------------------

    async def _drill_due(self, job: Any, run_times: list[dt.datetime]) -> None:
        trigger: CalendarTrigger = job.trigger
        zone = trigger.zone
        misfire = trigger.policy.misfire
        times = sorted(t.astimezone(zone) for t in run_times)
        now = self.clock()
        for run_at in times[:-1]:
            await self._decide(
                job,
                run_at,
                now,
                Outcome.MISSED,
                "missed while the service was not running; a later occurrence was due too "
                "and only the latest one is considered",
            )
        run_at = times[-1]
        late_by = now - run_at
        outcome, reason = Outcome.STARTED, None
        if late_by > misfire.grace:
            closed_today = closed_reason(now.astimezone(zone).date(), trigger.policy)
            if misfire.action == "skip":
                outcome, reason = Outcome.MISSED, "the plan's misfire policy is skip"
            elif late_by > misfire.late_limit:
                outcome = Outcome.MISSED
                reason = (
                    f"{_human(late_by)} late, more than the plan's late_limit "
                    f"({format_duration(misfire.late_limit)})"
                )
            elif closed_today is not None:
                outcome, reason = Outcome.MISSED, f"today is {closed_today}"
            else:
                outcome, reason = Outcome.STARTED_LATE, f"run {_human(late_by)} late"
            log.warning(
                "scheduled drill was missed while the service was not running",
                extra=_fields(
                    schedule=job.id,
                    scheduled_for=run_at,
                    late_by_seconds=round(late_by.total_seconds()),
                    decision=outcome,
                    reason=reason,
                ),
            )
        request = await self._decide(job, run_at, now, outcome, reason)
        if request is not None and outcome in (Outcome.STARTED, Outcome.STARTED_LATE):
            await self._run(request, run_key(job.id, run_at))

    async def _decide(
        self, job: Any, run_at: dt.datetime, now: dt.datetime, outcome: str, reason: str | None
    ) -> DrillRequest | None:
        """Claim the occurrence with its decision; None if it was decided before."""
        trigger: CalendarTrigger = job.trigger
        kwargs = job.kwargs
        key = run_key(job.id, run_at)
        drill_id = drill_id_for(job.id, run_at, trigger.zone)
        decision = trigger.decision_for(run_at)
        detail = {
            "plan_dir": kwargs["plan_dir"],
            "scenario_id": kwargs["scenario_id"],
            "simulate": bool(kwargs["simulate"]),
            "drill_id": drill_id,
            "scheduled_for": run_at.isoformat(),
            "nominal": decision.nominal.isoformat() if decision else None,
            "moved_because": decision.reason if decision and decision.moved else None,
            "late_by_seconds": max(0, round((now - run_at).total_seconds())),
            "reason": reason,
        }
        claimed = await self._claim(
            f"{key}#decision",
            run_key=key,
            job_id=job.id,
            kind="drill",
            outcome=outcome,
            scheduled_for=run_at,
            detail=detail,
        )
        if not claimed:
            earlier = await asyncio.to_thread(self.ledger.entries, run_key=key)
            first = next((e for e in earlier if e.key == f"{key}#decision"), None)
            log.info(
                "scheduled drill already handled; not run again",
                extra=_fields(
                    schedule=job.id,
                    scheduled_for=run_at,
                    earlier=first.outcome if first else None,
                ),
            )
            await self._claim(
                f"{key}#again@{now.astimezone(dt.UTC).isoformat()}",
                run_key=key,
                job_id=job.id,
                kind="drill",
                outcome=Outcome.DUPLICATE,
                scheduled_for=run_at,
                detail={"earlier": first.outcome if first else None},
            )
            return None
        if outcome == Outcome.MISSED:
            log.warning(
                "scheduled drill not run",
                extra=_fields(schedule=job.id, scheduled_for=run_at, reason=reason),
            )
            return None
        return DrillRequest(
            schedule_id=job.id,
            plan_dir=Path(kwargs["plan_dir"]),
            scenario_id=kwargs["scenario_id"],
            drill_id=drill_id,
            simulate=bool(kwargs["simulate"]),
            scheduled_for=run_at,
        )

    async def _run(self, request: DrillRequest, key: str) -> None:
        """Start the drill, or resume it when the event store already has its events."""
        stored = await self.store.read(request.drill_id)
        if any(isinstance(item.event, DrillCompleted | DrillAborted) for item in stored):
            await self._result(request, key, Outcome.COMPLETED, "already ended in the event store")
            return
        request = dataclasses.replace(request, resume=bool(stored))
        task = asyncio.current_task()
        assert task is not None
        self._drills[key] = task
        log.info(
            "drill resumed" if request.resume else "drill started",
            extra=_fields(
                schedule=request.schedule_id,
                drill=request.drill_id,
                scenario=request.scenario_id,
                scheduled_for=request.scheduled_for,
                channels="simulated" if request.simulate else "real",
            ),
        )
        assert self._launcher is not None
        try:
            outcome = await self._launcher(request)
        except asyncio.CancelledError:
            if self._stopping:
                # Written synchronously: the loop is shutting down, and this must be on disk.
                self.ledger.claim(
                    f"{key}#interrupted@{self.clock().astimezone(dt.UTC).isoformat()}",
                    run_key=key,
                    job_id=request.schedule_id,
                    kind="drill",
                    outcome=Outcome.INTERRUPTED,
                    scheduled_for=request.scheduled_for,
                    detail={"drill_id": request.drill_id},
                )
                log.warning(
                    "drill interrupted by the service stopping; it resumes at the next start",
                    extra=_fields(schedule=request.schedule_id, drill=request.drill_id),
                )
            raise
        except DrillError as exc:
            await self._result(request, key, Outcome.FAILED, exc.message)
        except Exception as exc:
            log.exception("drill %s failed", request.drill_id)
            await self._result(request, key, Outcome.FAILED, f"{type(exc).__name__}: {exc}")
        else:
            result = Outcome.FAILED if outcome.status == "failed" else Outcome.COMPLETED
            await self._result(request, key, result, outcome.detail, outcome.status)
        finally:
            self._drills.pop(key, None)

    async def _result(
        self,
        request: DrillRequest,
        key: str,
        outcome: str,
        detail: str | None,
        status: str | None = None,
    ) -> None:
        await self._claim(
            f"{key}#result",
            run_key=key,
            job_id=request.schedule_id,
            kind="drill",
            outcome=outcome,
            scheduled_for=request.scheduled_for,
            detail={"drill_id": request.drill_id, "detail": detail, "status": status},
        )
        level = logging.ERROR if outcome == Outcome.FAILED else logging.INFO
        log.log(
            level,
            "drill failed" if outcome == Outcome.FAILED else "drill ended",
            extra=_fields(
                schedule=request.schedule_id, drill=request.drill_id, detail=detail, status=status
            ),
        )

    async def _resume_unfinished(self) -> None:
        now = self.clock()
        for entry in await asyncio.to_thread(self.ledger.unfinished):
            detail = entry.detail
            request = DrillRequest(
                schedule_id=entry.job_id,
                plan_dir=Path(detail["plan_dir"]),
                scenario_id=detail["scenario_id"],
                drill_id=detail["drill_id"],
                simulate=bool(detail["simulate"]),
                scheduled_for=entry.scheduled_for,
                resume=True,
            )
            await self._claim(
                f"{entry.run_key}#resumed@{now.astimezone(dt.UTC).isoformat()}",
                run_key=entry.run_key,
                job_id=entry.job_id,
                kind="drill",
                outcome=Outcome.RESUMED,
                scheduled_for=entry.scheduled_for,
                detail={"drill_id": request.drill_id},
            )
            task = asyncio.create_task(self._run(request, entry.run_key))
            self._track(task)

    # -- reminders ----------------------------------------------------------------------

    async def _reminder_due(self, job: Any, run_times: list[dt.datetime]) -> None:
        trigger: ReminderTrigger = job.trigger
        kwargs = job.kwargs
        schedule_id = str(kwargs["schedule_id"])
        lead = str(kwargs["lead"])
        for fire in sorted(run_times):
            drill_at = trigger.drill_time(fire)
            key = run_key(schedule_id, drill_at)
            base = f"{key}#remind-{lead}"
            now = self.clock()
            if now >= drill_at:
                if await self._claim(
                    f"{base}#missed",
                    run_key=key,
                    job_id=schedule_id,
                    kind="reminder",
                    outcome=Outcome.REMINDER_MISSED,
                    scheduled_for=drill_at,
                    detail={"lead": lead, "reason": "the drill time passed first"},
                ):
                    log.warning(
                        "reminder missed: the drill time passed while the service was down",
                        extra=_fields(schedule=schedule_id, scheduled_for=drill_at, lead=lead),
                    )
                continue
            await self._remind(job, trigger, drill_at, key, base, now)

    async def _remind(
        self,
        job: Any,
        trigger: ReminderTrigger,
        drill_at: dt.datetime,
        key: str,
        base: str,
        now: dt.datetime,
    ) -> None:
        kwargs = job.kwargs
        schedule_id = str(kwargs["schedule_id"])
        simulate = bool(kwargs["simulate"])
        plan = (await asyncio.to_thread(load_plan, kwargs["plan_dir"], lint=False)).plan
        scenario = plan.scenario(kwargs["scenario_id"])
        decision = trigger.drill.decision_for(drill_at)
        moved_from = decision.nominal if decision is not None and decision.moved else None
        late_by = max(dt.timedelta(0), now - (drill_at - trigger.lead))
        drill_id = drill_id_for(schedule_id, drill_at, trigger.drill.zone)
        try:
            notifiers = list(self._reminder_notifiers(plan, simulate))
        except DrillError as exc:
            await self._claim(
                f"{base}#failed",
                run_key=key,
                job_id=schedule_id,
                kind="reminder",
                outcome=Outcome.REMINDER_FAILED,
                scheduled_for=drill_at,
                detail={"lead": kwargs["lead"], "reason": exc.message},
            )
            log.error("reminder not sent: %s", exc.message, extra=_fields(schedule=schedule_id))
            return
        inbox = IgnoringInbox()
        for notifier in notifiers:
            await notifier.start(inbox)
        try:
            for person, role in coordinators(plan, kwargs["to"]):
                person_key = f"{base}#{person.id}"
                claimed = await self._claim(
                    person_key,
                    run_key=key,
                    job_id=schedule_id,
                    kind="reminder",
                    outcome=Outcome.REMINDER_SENDING,
                    scheduled_for=drill_at,
                    detail={"lead": kwargs["lead"], "person": person.id},
                )
                if not claimed:
                    log.info(
                        "reminder already sent; not sent again",
                        extra=_fields(schedule=schedule_id, person=person.id, lead=kwargs["lead"]),
                    )
                    continue
                message = reminder_message(
                    person=person,
                    scenario_title=scenario.title.get(person.language),
                    run_at=drill_at,
                    schedule_id=schedule_id,
                    moved_from=moved_from,
                )
                try:
                    delivery = await send_reminder(
                        notifiers=notifiers,
                        person=person,
                        role_name=role,
                        message=message,
                        drill_id=drill_id,
                        page_key=person_key,
                        channels=[ChannelKind(c) for c in kwargs["channels"]],
                    )
                    accepted, channel, note = delivery.accepted, delivery.channel, delivery.detail
                except Exception as exc:  # a notifier must not raise; if one does, record it
                    accepted, channel, note = False, None, f"{type(exc).__name__}: {exc}"
                await self._claim(
                    f"{person_key}#result",
                    run_key=key,
                    job_id=schedule_id,
                    kind="reminder",
                    outcome=Outcome.REMINDER_SENT if accepted else Outcome.REMINDER_FAILED,
                    scheduled_for=drill_at,
                    detail={
                        "lead": kwargs["lead"],
                        "person": person.id,
                        "channel": channel.value if channel else None,
                        "late_by_seconds": round(late_by.total_seconds()),
                        "detail": None if accepted else note,
                    },
                )
                log.log(
                    logging.INFO if accepted else logging.ERROR,
                    "reminder sent" if accepted else "reminder could not be sent",
                    extra=_fields(
                        schedule=schedule_id,
                        person=person.id,
                        channel=channel.value if channel else None,
                        drill_at=drill_at,
                        lead=kwargs["lead"],
                        detail=None if accepted else note,
                    ),
                )
        finally:
            for notifier in notifiers:
                try:
                    await notifier.close()
                except Exception:
                    log.exception("closing a reminder channel failed")


def _human(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return format_duration(dt.timedelta(minutes=minutes)) if minutes else "under a minute"


# --- `drillkit serve` ------------------------------------------------------------------


def _real_channels(
    config: Config, server: AckServer | None, real_notifiers: RealNotifiers | None
) -> NotifierFactory | None:
    """The configured providers, with links pointing at this process's ack server."""
    if real_notifiers is None or server is None:
        return None
    if not (config.twilio.account_sid or config.smtp.host):
        return None

    def build(plan: Plan, simulate: bool) -> Sequence[Notifier]:
        return real_notifiers(config, plan, server.links)

    return build


def _or_real(simulated: NotifierFactory, real: NotifierFactory | None) -> NotifierFactory:
    """Simulated drills use `simulated`; real ones the configured channels, or a clear error."""
    if real is None:
        return simulated

    def choose(plan: Plan, simulate: bool) -> Sequence[Notifier]:
        return simulated(plan, simulate) if simulate else real(plan, simulate)

    return choose


async def serve(
    db: str | None = None,
    *,
    config: Config | None = None,
    ack_server: bool = True,
    launcher: DrillLauncher | None = None,
    reminder_notifiers: ReminderNotifiers = logged_reminders,
    poll_seconds: float = 30.0,
    stop: asyncio.Event | None = None,
    signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    clock: Callable[[], dt.datetime] = _utc_now,
    real_notifiers: RealNotifiers | None = None,
) -> None:
    """Run the calendar, the acknowledgement server and reminders until a signal (or `stop`).

    `real_notifiers` builds the configured providers' notifiers for real drills and
    reminders (the composition root passes `drill.session.real_notifiers`); without it,
    or without the ack server their links point at, only simulated drills can run.
    SIGTERM and SIGINT stop cleanly: drills in flight are interrupted, resumable at the
    next start.
    """
    config = config or load_config()
    registry = DrillRegistry()
    server = AckServer(config.ack, registry) if ack_server else None
    if server is not None:
        try:
            await server.start()
        except OSError as exc:
            raise ScheduleError(
                f"The acknowledgement server cannot listen on {config.ack.listen_host}:"
                f"{config.ack.listen_port}: {exc.strerror}. Change [ack] listen_port in the "
                "configuration, or stop what uses the port."
            ) from exc
    channels = _real_channels(config, server, real_notifiers)
    service = ScheduleService(
        db,
        launcher=launcher,
        registry=registry,
        reminder_notifiers=_or_real(reminder_notifiers, channels),
        poll_seconds=poll_seconds,
        clock=clock,
        drill_notifiers=_or_real(no_real_channels, channels),
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
        installed.append(sig)
    try:
        await service.start()
        if server is not None:
            # Drills that other processes run on this store are answered too (their
            # callbacks recorded for their engines): serve instances share one database.
            from drill.ack.relay import StoreRelay

            registry.relay = StoreRelay(service.store)
        schedules = service.book.list()
        log.info(
            "drillkit serve started",
            extra=_fields(
                store=service.store.where,
                ack_server=server.url if server is not None else None,
                schedules=len(schedules),
                next=[
                    {"id": d.id, "next_run": d.next_run}
                    for d in schedules
                    if d.next_run is not None
                ][:5],
            ),
        )
        await stop.wait()
        log.info("drillkit serve stopping", extra=_fields(in_flight=service.running_drills()))
    finally:
        await service.stop()
        if server is not None:
            await server.stop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        log.info("drillkit serve stopped")
