"""The state of a drill as a pure fold of its events: what the TUI, reports and lists show.

`DrillState.from_events(events)` rebuilds any drill, live or years old, from its events
alone; `state.apply(event)` folds one more, so a screen can follow a running drill.
Nothing here asks the plan: everything shown is in the events (`DrillStarted` names the
trees, steps and number of contacts; `LevelStarted` names the members of a level).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    CancelReason,
    DeliveryFailed,
    DeliveryUpdated,
    DrillAborted,
    DrillCompleted,
    DrillInterrupted,
    DrillMode,
    DrillPaused,
    DrillRecovered,
    DrillResumed,
    DrillStarted,
    Escalated,
    Event,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    NoteAdded,
    PageQueued,
    PageSent,
    PagingCancelled,
    StepCompleted,
    StepDue,
    StepTiming,
    TreeCompleted,
    TreeStarted,
)
from drill.engine.notifier import DeliveryStatus, FailureReason
from drill.engine.sink import StoredEvent
from drill.plan.models import ChannelKind

__all__ = [
    "ContactState",
    "ContactStatus",
    "DrillState",
    "DrillStatus",
    "InjectState",
    "LevelState",
    "LevelStatus",
    "SiteProgress",
    "StepState",
    "StepStatus",
    "Summary",
    "TreeState",
]


class DrillStatus(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    """Recovery began and did not finish. A RUNNING or PAUSED drill that no process is
    running is interrupted too; only the caller can know that (see `DrillState.is_open`)."""


class ContactStatus(StrEnum):
    """Where the paging of one contact stands, as shown on a screen."""

    WAITING = "waiting"  # its level has not reached it
    QUEUED = "queued"  # page written, channel not yet answered
    CALLING = "calling"  # voice call accepted by the provider
    SENT = "sent"  # SMS or e-mail accepted by the provider
    RINGING = "ringing"
    DELIVERED = "delivered"
    OPENED = "opened"  # acknowledgement link opened, not yet confirmed
    NO_ANSWER = "no_answer"  # rang out, busy, or timed out; the next page follows
    FAILED = "failed"  # the page failed (see `failure`); the next page follows
    ESCALATED = "escalated"  # moved to a deputy, whose first page follows
    ACKNOWLEDGED = "acknowledged"
    UNREACHED = "unreached"
    CANCELLED = "cancelled"  # the level was satisfied, or the drill ended


_IN_PROGRESS = {
    DeliveryStatus.QUEUED: None,
    DeliveryStatus.RINGING: ContactStatus.RINGING,
    DeliveryStatus.IN_PROGRESS: ContactStatus.RINGING,
    DeliveryStatus.DELIVERED: ContactStatus.DELIVERED,
    DeliveryStatus.OPENED: ContactStatus.OPENED,
    DeliveryStatus.COMPLETED: None,
}
_NO_ANSWER = frozenset({FailureReason.NO_ANSWER, FailureReason.BUSY})
_FINAL = frozenset({ContactStatus.ACKNOWLEDGED, ContactStatus.UNREACHED, ContactStatus.CANCELLED})


@dataclasses.dataclass
class ContactState:
    """One contact: a member of a level (a role, paged holder first, or a person)."""

    tree: str
    level: str
    member: str
    site: str | None = None
    status: ContactStatus = ContactStatus.WAITING
    role_id: str | None = None
    person_id: str | None = None
    """The person being paged now (or who acknowledged)."""
    person_name: str | None = None
    candidate_index: int = 0
    """0 while the holder is paged, 1… once escalated to deputies."""
    channel: ChannelKind | None = None
    address: str | None = None
    attempt: int = 0
    pages: int = 0
    page_id: str | None = None
    first_paged_elapsed: float | None = None
    failure: FailureReason | None = None
    failure_detail: str | None = None
    escalations: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    """(from person, to person), in order."""
    acknowledged_elapsed: float | None = None
    acknowledged_at: dt.datetime | None = None
    """When they acknowledged (for a relayed call: when they were reached)."""
    acknowledged_by: str | None = None
    """The person who acknowledged."""
    acknowledged_channel: ChannelKind | None = None
    acknowledged_source: str | None = None
    acknowledged_late: bool = False
    entered_by: str | None = None
    cancelled: CancelReason | None = None
    unreached_reason: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_elapsed is not None

    @property
    def escalated(self) -> bool:
        return self.candidate_index > 0

    @property
    def finished(self) -> bool:
        return self.status in _FINAL

    @property
    def response_seconds(self) -> float | None:
        """From the first page of this contact to its acknowledgement."""
        if self.acknowledged_elapsed is None or self.first_paged_elapsed is None:
            return None
        return max(0.0, self.acknowledged_elapsed - self.first_paged_elapsed)


class LevelStatus(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    SATISFIED = "satisfied"
    EXHAUSTED = "exhausted"  # everyone tried, quorum not met


@dataclasses.dataclass
class LevelState:
    tree: str
    level: str
    name_ja: str
    name_en: str | None
    mode: str
    required: int
    members: tuple[str, ...]
    status: LevelStatus = LevelStatus.RUNNING
    acknowledged: int = 0
    started_elapsed: float | None = None
    completed_elapsed: float | None = None
    reason: str | None = None


class TreeStatus(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    COMPLETED = "completed"


@dataclasses.dataclass
class TreeState:
    tree: str
    name_ja: str | None = None
    name_en: str | None = None
    scope: str | None = None
    status: TreeStatus = TreeStatus.WAITING
    satisfied: bool | None = None
    started_elapsed: float | None = None
    completed_elapsed: float | None = None


@dataclasses.dataclass(frozen=True)
class SiteProgress:
    """Progress at one site (拠点): contacts of started levels there, and when all were in."""

    site: str
    contacts: int
    acknowledged: int
    all_acknowledged_elapsed: float | None


class StepStatus(StrEnum):
    PENDING = "pending"
    DUE = "due"  # its target passed, not completed yet
    COMPLETED = "completed"


@dataclasses.dataclass
class StepState:
    step: str
    status: StepStatus = StepStatus.PENDING
    target_minutes: float | None = None
    timing: StepTiming | None = None
    due_elapsed: float | None = None
    completed_elapsed: float | None = None
    by: str | None = None
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class InjectState:
    index: int
    at_minutes: float
    text_ja: str
    text_en: str | None
    elapsed: float


@dataclasses.dataclass(frozen=True)
class Summary:
    """The headline figures of a drill."""

    contacts: int
    paged: int
    acknowledged: int
    unreached: int
    percent_acknowledged: float
    """Of all contacts of the scenario's trees (0–100)."""
    pages: int
    escalations: int
    duration_seconds: float
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


class DrillState:
    """Everything known about one drill, folded from its events in order."""

    def __init__(self) -> None:
        self.started: DrillStarted | None = None
        self.status = DrillStatus.NOT_STARTED
        self.elapsed = 0.0
        """Drill seconds of the last event."""
        self.last_at: dt.datetime | None = None
        self.ended: DrillCompleted | DrillAborted | None = None
        self.contacts: dict[tuple[str, str, str], ContactState] = {}
        """By (tree, level, member), for members of levels that started."""
        self.levels: dict[tuple[str, str], LevelState] = {}
        self.trees: dict[str, TreeState] = {}
        self.steps: dict[str, StepState] = {}
        self.injects: list[InjectState] = []
        self.notes: list[NoteAdded] = []
        self.pages: dict[str, ContactState] = {}
        """The contact of every page id."""
        self.acknowledgements: list[Acknowledged] = []
        """Every acknowledgement recorded, including repeated ones."""
        self.paused_seconds = 0.0
        self.interruptions = 0
        self.events = 0
        self._paused_at: float | None = None
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            DrillStarted: self._started,
            TreeStarted: self._tree_started,
            TreeCompleted: self._tree_completed,
            LevelStarted: self._level_started,
            LevelCompleted: self._level_completed,
            PageQueued: self._page_queued,
            PageSent: self._page_sent,
            DeliveryUpdated: self._delivery_updated,
            DeliveryFailed: self._delivery_failed,
            AttemptTimedOut: self._timed_out,
            Acknowledged: self._acknowledged,
            Escalated: self._escalated,
            MemberUnreached: self._unreached,
            PagingCancelled: self._cancelled,
            InjectFired: self._inject,
            StepDue: self._step_due,
            StepCompleted: self._step_completed,
            NoteAdded: self.notes.append,
            DrillPaused: self._paused,
            DrillResumed: self._resumed,
            DrillInterrupted: self._interrupted,
            DrillRecovered: self._recovered,
            DrillAborted: self._ended,
            DrillCompleted: self._ended,
        }

    @classmethod
    def from_events(cls, events: Iterable[Event | StoredEvent]) -> DrillState:
        """Fold events (or stored events, whose duplicates are skipped) into a state."""
        state = cls()
        for item in events:
            if isinstance(item, StoredEvent):
                if item.duplicate:
                    continue
                state.apply(item.event)
            else:
                state.apply(item)
        return state

    def apply(self, event: Event) -> None:
        self.events += 1
        self.elapsed = max(self.elapsed, event.elapsed)
        self.last_at = event.at
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    # -- questions --------------------------------------------------------------------

    @property
    def drill_id(self) -> str | None:
        return self.started.drill_id if self.started else None

    @property
    def mode(self) -> DrillMode | None:
        return self.started.mode if self.started else None

    @property
    def is_open(self) -> bool:
        """Neither completed nor aborted: running, paused or interrupted."""
        return self.status in (DrillStatus.RUNNING, DrillStatus.PAUSED, DrillStatus.INTERRUPTED)

    def contact(self, member: str, tree: str | None = None) -> ContactState:
        """The contact of `member` (in `tree`, if the member appears in several)."""
        for (t, _, m), state in self.contacts.items():
            if m == member and (tree is None or t == tree):
                return state
        raise KeyError(member)

    def sites(self) -> dict[str, SiteProgress]:
        grouped: dict[str, list[ContactState]] = {}
        for contact in self.contacts.values():
            if contact.site is not None:
                grouped.setdefault(contact.site, []).append(contact)
        out: dict[str, SiteProgress] = {}
        for site, contacts in grouped.items():
            acked = [c.acknowledged_elapsed for c in contacts if c.acknowledged_elapsed is not None]
            done = max(acked) if len(acked) == len(contacts) else None
            out[site] = SiteProgress(site, len(contacts), len(acked), done)
        return out

    def summary(self) -> Summary:
        contacts = self.started.contacts if self.started else len(self.contacts)
        acknowledged = sum(1 for c in self.contacts.values() if c.acknowledged)
        started_at = self.started.at if self.started else None
        ended_at = self.ended.at if self.ended else None
        duration = self.ended.elapsed if self.ended else self.elapsed
        return Summary(
            contacts=contacts,
            paged=sum(1 for c in self.contacts.values() if c.pages),
            acknowledged=acknowledged,
            unreached=sum(1 for c in self.contacts.values() if c.status is ContactStatus.UNREACHED),
            percent_acknowledged=round(100.0 * acknowledged / contacts, 1) if contacts else 0.0,
            pages=len(self.pages),
            escalations=sum(len(c.escalations) for c in self.contacts.values()),
            duration_seconds=duration,
            started_at=started_at,
            ended_at=ended_at,
        )

    # -- the fold ---------------------------------------------------------------------

    def _started(self, e: DrillStarted) -> None:
        self.started = e
        self.status = DrillStatus.RUNNING
        self.trees = {tree: TreeState(tree) for tree in e.trees}
        self.steps = {step: StepState(step) for step in e.steps}

    def _tree_started(self, e: TreeStarted) -> None:
        tree = self.trees.setdefault(e.tree, TreeState(e.tree))
        tree.name_ja, tree.name_en, tree.scope = e.name_ja, e.name_en, e.scope
        tree.status = TreeStatus.RUNNING
        tree.started_elapsed = e.elapsed

    def _tree_completed(self, e: TreeCompleted) -> None:
        tree = self.trees.setdefault(e.tree, TreeState(e.tree))
        tree.status = TreeStatus.COMPLETED
        tree.satisfied = e.satisfied
        tree.completed_elapsed = e.elapsed

    def _level_started(self, e: LevelStarted) -> None:
        level = LevelState(e.tree, e.level, e.name_ja, e.name_en, e.mode, e.required, e.members)
        level.started_elapsed = e.elapsed
        self.levels[(e.tree, e.level)] = level
        for member, site in zip(e.members, e.member_sites, strict=True):
            contact = self._contact(e.tree, e.level, member)
            contact.site = site
            if contact.acknowledged:
                level.acknowledged += 1

    def _level_completed(self, e: LevelCompleted) -> None:
        level = self.levels.get((e.tree, e.level))
        if level is None:
            return
        level.status = LevelStatus.SATISFIED if e.satisfied else LevelStatus.EXHAUSTED
        level.completed_elapsed = e.elapsed
        level.reason = e.reason

    def _contact(self, tree: str, level: str, member: str) -> ContactState:
        key = (tree, level, member)
        found = self.contacts.get(key)
        if found is None:
            found = self.contacts[key] = ContactState(tree, level, member)
        return found

    def _page_queued(self, e: PageQueued) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        self.pages[e.page_id] = contact
        contact.role_id = e.role_id
        contact.site = e.site if e.site is not None else contact.site
        contact.person_id, contact.person_name = e.person_id, e.person_name
        contact.candidate_index = e.candidate_index
        contact.channel, contact.address, contact.attempt = e.channel, e.address, e.attempt
        contact.page_id = e.page_id
        contact.pages += 1
        if contact.first_paged_elapsed is None:
            contact.first_paged_elapsed = e.elapsed
        if not contact.finished:
            contact.status = ContactStatus.QUEUED

    def _current(self, page_id: str) -> ContactState | None:
        """The contact whose latest page this is, if it is still being paged."""
        contact = self.pages.get(page_id)
        if contact is None or contact.page_id != page_id or contact.finished:
            return None
        return contact

    def _page_sent(self, e: PageSent) -> None:
        contact = self._current(e.page_id)
        if contact is None:
            return
        if e.accepted:
            voice = contact.channel is ChannelKind.VOICE
            contact.status = ContactStatus.CALLING if voice else ContactStatus.SENT
        else:
            contact.status = ContactStatus.FAILED
            contact.failure, contact.failure_detail = e.failure, e.detail

    def _delivery_updated(self, e: DeliveryUpdated) -> None:
        contact = self._current(e.page_id)
        shown = _IN_PROGRESS.get(e.status)
        if contact is not None and shown is not None:
            contact.status = shown

    def _delivery_failed(self, e: DeliveryFailed) -> None:
        contact = self._current(e.page_id)
        if contact is None:
            return
        no_answer = e.reason in _NO_ANSWER
        contact.status = ContactStatus.NO_ANSWER if no_answer else ContactStatus.FAILED
        contact.failure, contact.failure_detail = e.reason, e.detail

    def _timed_out(self, e: AttemptTimedOut) -> None:
        contact = self._current(e.page_id)
        if contact is not None:
            contact.status = ContactStatus.NO_ANSWER
            contact.failure, contact.failure_detail = FailureReason.TIMEOUT, None

    def _acknowledged(self, e: Acknowledged) -> None:
        self.acknowledgements.append(e)
        contact = self._contact(e.tree, e.level, e.member)
        if contact.acknowledged:
            return
        contact.status = ContactStatus.ACKNOWLEDGED
        contact.acknowledged_elapsed = e.elapsed
        contact.acknowledged_at = e.received_at
        contact.acknowledged_by = e.person_id
        contact.acknowledged_channel = e.channel
        contact.acknowledged_source = e.source
        contact.acknowledged_late = e.late
        contact.entered_by = e.entered_by
        if contact.person_id is None:
            contact.person_id, contact.person_name = e.person_id, e.person_name
        level = self.levels.get((e.tree, e.level))
        if level is not None:
            level.acknowledged += 1

    def _escalated(self, e: Escalated) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        contact.escalations.append((e.from_person, e.to_person))
        contact.candidate_index = e.candidate_index
        contact.person_id, contact.person_name = e.to_person, None
        contact.channel = contact.address = None
        if not contact.finished:
            contact.status = ContactStatus.ESCALATED

    def _unreached(self, e: MemberUnreached) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        if not contact.acknowledged:
            contact.status = ContactStatus.UNREACHED
            contact.unreached_reason = e.reason.value

    def _cancelled(self, e: PagingCancelled) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        if not contact.acknowledged:
            contact.status = ContactStatus.CANCELLED
            contact.cancelled = e.why

    def _inject(self, e: InjectFired) -> None:
        self.injects.append(InjectState(e.index, e.at_minutes, e.text_ja, e.text_en, e.elapsed))

    def _step_due(self, e: StepDue) -> None:
        step = self.steps.setdefault(e.step, StepState(e.step))
        step.target_minutes = e.target_minutes
        step.due_elapsed = e.elapsed
        if step.status is not StepStatus.COMPLETED:
            step.status = StepStatus.DUE

    def _step_completed(self, e: StepCompleted) -> None:
        step = self.steps.setdefault(e.step, StepState(e.step))
        step.status = StepStatus.COMPLETED
        step.target_minutes = e.target_minutes
        step.timing = e.timing
        step.completed_elapsed = e.elapsed
        step.by, step.note = e.by, e.note

    def _paused(self, e: DrillPaused) -> None:
        self.status = DrillStatus.PAUSED
        self._paused_at = e.elapsed

    def _resumed(self, e: DrillResumed) -> None:
        self.status = DrillStatus.RUNNING
        self.paused_seconds += e.paused_seconds
        self._paused_at = None

    def _interrupted(self, e: DrillInterrupted) -> None:
        self.interruptions += 1
        self.status = DrillStatus.INTERRUPTED

    def _recovered(self, e: DrillRecovered) -> None:
        self.status = DrillStatus.PAUSED if e.paused else DrillStatus.RUNNING

    def _ended(self, e: DrillCompleted | DrillAborted) -> None:
        self.ended = e
        aborted = isinstance(e, DrillAborted)
        self.status = DrillStatus.ABORTED if aborted else DrillStatus.COMPLETED
