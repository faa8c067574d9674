"""The console's view of the event store: past runs, their events, a person's answers.

The store is opened once, in a worker, when the console starts; a store that cannot be
opened leaves the console usable (plan, contacts, simulated drills in memory) and says
why. Screens never touch the database: they await these methods from workers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drill.engine.events import Event
from drill.engine.sink import EventSink, MemorySink
from drill.engine.state import ContactStatus, DrillState
from drill.errors import DrillError, StoreError
from drill.tui.cells import clock_text
from drill.tui.i18n import language, t
from drill.words import words

if TYPE_CHECKING:
    from drill.plan.models import Plan
    from drill.store import EventStore

__all__ = ["PersonAck", "Records", "RunRecord", "run_status"]

log = logging.getLogger(__name__)

_RECENT = 5
"""How many past runs the person detail looks at."""
_FINISHED = ("completed", "finished", "idle", "failed", "aborted")


def run_status(events: Sequence[Event]) -> str:
    """How the run went, as the drill's fold says (completed, finished, idle, failed,
    aborted), or interrupted: it stopped without an ending event."""
    state = DrillState.from_events(events)
    return _status(state.ended is not None, state.outcome().value)


def _status(ended: bool, outcome: str) -> str:
    return outcome if ended else "interrupted"


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """One past (or unfinished) run as the history lists it."""

    drill_id: str
    started_at: dt.datetime
    scenario_id: str
    title_ja: str
    title_en: str | None
    mode: str
    simulated: bool
    organisation: str
    plan_root: str | None
    plan_digest: str | None
    events: int
    status: str | None
    """The fold's outcome (completed, finished, idle, failed, aborted), running (an
    engine holds its lease: another console or machine runs it) or interrupted; None
    until its events have been read."""
    held_by: str | None = None
    """Who runs it (`operator@host`), while it is running elsewhere."""

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_ja

    @property
    def finished(self) -> bool:
        return self.status in _FINISHED


@dataclasses.dataclass(frozen=True)
class PersonAck:
    """How long one person took to acknowledge in one past run."""

    when: dt.datetime
    scenario: str
    seconds: float | None
    """From their first page to their acknowledgement; None when they never answered."""
    channel: str
    late: bool = False
    """Acknowledged after their paging had ended (counted by nothing)."""

    def describe(self) -> str:
        if self.seconds is None:
            return t(
                "detail.no_ack_line",
                date=self.when.strftime("%Y-%m-%d"),
                scenario=self.scenario,
            )
        return t(
            "detail.ack_line",
            date=self.when.strftime("%Y-%m-%d"),
            scenario=self.scenario,
            minutes=clock_text(self.seconds),
            channel=self._how(),
        )

    def _how(self) -> str:
        w = words(language())
        channel = w.channel(self.channel)
        if not self.late:
            return channel
        return (
            f"{channel}、{w.status('late')}" if w.lang == "ja" else f"{channel}, {w.status('late')}"
        )


def _record(summary: Any, status: str | None, held_by: str | None = None) -> RunRecord | None:
    payload = summary.first_payload or {}
    if summary.first_type != "DrillStarted":
        return None
    try:
        started = dt.datetime.fromisoformat(payload["at"])
    except (KeyError, TypeError, ValueError):
        started = summary.first_recorded_at
    return RunRecord(
        drill_id=summary.drill_id,
        started_at=started,
        scenario_id=str(payload.get("scenario_id", "")),
        title_ja=str(payload.get("scenario_title_ja", "")),
        title_en=payload.get("scenario_title_en"),
        mode=str(payload.get("mode", "drill")),
        simulated=bool(payload.get("simulated", True)),
        organisation=str(payload.get("organisation", "")),
        plan_root=payload.get("plan_root"),
        plan_digest=payload.get("plan_digest"),
        events=summary.event_count,
        status=status,
        held_by=held_by,
    )


class Records:
    """Read access to the event store, shared by the screens; the store is opened lazily."""

    MEMORY = "memory:"
    """The url that keeps runs in memory only (tests, and trying the console out)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self.store: EventStore | None = None
        self.memory: MemorySink | None = MemorySink() if url == self.MEMORY else None
        self.error: DrillError | None = None
        self._events: dict[str, list[Event]] = {}
        self._status: dict[str, str] = {}
        self._opened = False

    @property
    def where(self) -> str:
        return self.store.where if self.store is not None else ""

    async def open(self) -> EventStore | None:
        """Open the store (once); on failure remember why and return None."""
        if self._opened or self.memory is not None:
            return self.store
        self._opened = True
        try:
            from drill.store import EventStore  # SQLAlchemy is slow to import: not at start-up

            self.store = await EventStore.open(self.url)
        except DrillError as exc:
            self.error = exc
        except Exception as exc:  # a broken driver must not stop the console
            log.exception("cannot open the event store")
            self.error = StoreError(str(exc))
        return self.store

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
            self.store = None

    def forget(self, drill_id: str) -> None:
        """Drop cached events of a run that is still being written."""
        self._events.pop(drill_id, None)

    async def events(self, drill_id: str) -> list[Event]:
        """The run's events, duplicates left out (they were never applied)."""
        cached = self._events.get(drill_id)
        if cached is not None:
            return cached
        store = await self.open()
        sink: EventSink | None = store if store is not None else self.memory
        if sink is None:
            return []
        stored = await sink.read(drill_id)
        items = [s.event for s in stored if not s.duplicate]
        if run_status(items) in _FINISHED:
            self._events[drill_id] = items
        return items

    async def runs(self, *, with_status: int = 20) -> list[RunRecord]:
        """Every run, newest first; the newest `with_status` have their outcome read."""
        store = await self.open()
        if store is None:
            return []
        out: list[RunRecord] = []
        now = dt.datetime.now(dt.UTC)
        held = {d: lease for d, lease in (await store.leases()).items() if lease.live(now)}
        for index, summary in enumerate(reversed(await store.drills())):
            status = self._status.get(summary.drill_id)
            if status is None and index < with_status:
                status = await self._run_status(store, summary.drill_id)
                if status in _FINISHED:  # an ended run's outcome never changes
                    self._status[summary.drill_id] = status
            lease = held.get(summary.drill_id)
            holder = None
            if lease is not None and status == "interrupted":
                # Not stopped: an engine elsewhere holds it and runs it now.
                status = "running"
                owner = lease.owner
                holder = f"{owner.operator}@{owner.host}" if owner.operator else owner.host
            record = _record(summary, status, holder)
            if record is not None:
                out.append(record)
        return out

    async def _run_status(self, store: EventStore, drill_id: str) -> str:
        """`run_status` of the run, from the figures kept of its fold (its report's, or
        kept here once folded): the console offers to resume at start, and the ten
        newest runs of a prefecture's store may be nationwide drills of 88,000 events."""
        from drill.report import kept_history

        kept = await kept_history.look_up(store, drill_id, None)
        past = kept.past
        if past is None:
            state = DrillState()
            past = kept.keep(state, await store.read_parts(drill_id, state.take))
            if past is None:  # not a drill (no DrillStarted): as its events say
                return _status(state.ended is not None, state.outcome().value)
        return _status(past.ended, past.outcome)

    async def unfinished(self, *, look_back: int = 10, plan: Plan | None = None) -> list[RunRecord]:
        """Recent runs that stopped without completing or being aborted, and those another
        engine is running (to follow); with `plan`, only its own (`drill.session.of_plan`:
        same folder or same content)."""
        runs = [
            r
            for r in await self.runs(with_status=look_back)
            if r.status in ("interrupted", "running")
        ]
        if plan is None:
            return runs
        from drill.session import of_plan

        return [r for r in runs if of_plan(r.plan_root, r.plan_digest, plan)]

    async def person_acks(self, person_id: str) -> list[PersonAck]:
        """How fast `person_id` acknowledged in the last few runs that paged them."""
        try:
            runs = await self.runs(with_status=0)
        except DrillError:
            return []
        out: list[PersonAck] = []
        for run in runs[: _RECENT * 4]:
            if len(out) >= _RECENT:
                break
            # Read from the drill's fold: acknowledged in time or late, and when.
            state = DrillState.from_events(await self.events(run.drill_id))
            pages = [
                (contact, record.queued.elapsed)
                for contact in state.contacts.values()
                for record in contact.attempts
                if record.queued.person_id == person_id
            ]
            if not pages:
                continue
            first_page = min(elapsed for _, elapsed in pages)
            answered = next(
                (
                    contact
                    for contact, _ in pages
                    if contact.acknowledged_by == person_id
                    and contact.status in (ContactStatus.ACKNOWLEDGED, ContactStatus.LATE)
                    and contact.acknowledged_elapsed is not None
                ),
                None,
            )
            if answered is None or answered.acknowledged_elapsed is None:
                out.append(PersonAck(run.started_at, run.title_ja, None, ""))
                continue
            source = answered.acknowledged_source
            channel = answered.acknowledged_channel
            how = "manual" if source == "manual" else str(channel.value if channel else source)
            seconds = max(0.0, answered.acknowledged_elapsed - first_page)
            out.append(PersonAck(run.started_at, run.title_ja, seconds, how, answered.late))
        return out
