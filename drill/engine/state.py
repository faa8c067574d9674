"""The one fold: a drill's events turned into its outcome, and nothing else decides it.

`DrillState.from_events(events)` rebuilds any drill, live or years old, from its events
alone; `state.apply(event)` folds one more, so a screen can follow a running drill. The
runner's escalation decisions (is a level satisfied? a tree?), the console's board, every
report format and `drillkit drills` read this fold; none of them recounts.

The rules, written once (docs/outcome.md says the same in words):

- A contact's acknowledgement **counts** unless it is recorded after the contact was
  given up: every person and channel tried (ladder exhausted), nobody to page, or the
  drill ended before they were reached. Such a one is a **late acknowledgement**: kept,
  shown with its time as late, and counted by no level, tree, site, target or curve. A
  contact whose level was satisfied without it was not given up: it was not needed, and
  if they acknowledge anyway (the call was already ringing) they are acknowledged; their
  level, already satisfied, does not change.
- A level is satisfied when `required` counted acknowledgements arrived while it was
  open **and** every member it must hear from each (`LevelStarted.each`: every one of
  them, as opposed to any one of them) is among them; a tree is satisfied only when
  every one of its levels is. These are computed here,
  never taken from the runner's `LevelCompleted.satisfied` / `TreeCompleted.satisfied`.
- A target over a tree is met only when the tree is satisfied in time; "every regional
  centre reached" counts a centre reached when one of its contacts acknowledged in time.
- A contact still open when the drill is aborted (or finished by the operator) is "not
  reached (drill aborted / ended)", never "not needed"; one whose level was satisfied
  without it is "not needed".
- A drill that ended without a single page accepted by a provider and without any
  acknowledgement **failed**: every page failed (provider errors are kept per page).
- Times of acknowledgement are when the person acknowledged: a relayed call entered
  later counts from when the person was reached (`Acknowledged.received_at`).
- A status update (第N報, `UpdateIssued`) is acknowledged by each of its people on their
  own copy (`UpdateAcknowledged`); those acknowledgements are the update's alone (who
  acknowledged it, when, how long after it was issued, who not) and never count for a
  contact, level, tree, site, target or curve.
- Answers (a scenario's question: 出社可否, 安否): a contact's **first answer counts**,
  i.e. the first acknowledgement that carries a choice (one without a choice, a plain
  了解 or an operator's entry without one, answers nothing). A later acknowledgement of
  the same contact with a different choice is kept as a **change** (who, when, from
  what to what) and moves nothing in the tally; the same choice again is nothing new.
  An answer given late (after the contact was given up) is still tallied, marked late:
  the tally says what people answered, it is no quorum. Answers never change whether
  an acknowledgement counts, and an acknowledgement is counted once whatever it says.
- Pages the operator ordered outside the ladder (`OperatorPaged`: a person or a role's
  holders paged now, an ad hoc person, 臨時) are kept apart (`orders`, `outside_pages`):
  their answers (`OutsideAcknowledged`) are shown with their times and counted by no
  contact, level, tree, site, target, curve or summary figure. A tree contact paged
  again by the operator (unanswered) is paged as itself: an answer to that page is the
  contact's own `Acknowledged`, counted by the rules above (late if it had been given
  up). People marked away from the console (`PersonMarkedUnavailable`) are listed in
  `marked_unavailable`; the ladder passing them over is an `Escalated` as for a plan
  absence. A mark taken back (`PersonMarkedAvailable`, 復帰) is paired with it in
  `marked_back` (by the mark's place in that list).

Nothing here asks the plan, except `target_outcome`, which is given a plan target and
the set of regional centres (both facts of the plan, not of the drill).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Collection, Iterable
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
    DuplicatesCounted,
    Escalated,
    EscalationReason,
    Event,
    HandedOver,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    NoteAdded,
    OperatorPaged,
    OutsideAcknowledged,
    OutsidePageQueued,
    PageQueued,
    PageSent,
    PagingCancelled,
    PersonMarkedAvailable,
    PersonMarkedUnavailable,
    RepeatScheduled,
    RoundStarted,
    StepCompleted,
    StepDue,
    StepTiming,
    TreeCompleted,
    TreeStarted,
    UpdateAcknowledged,
    UpdateIssued,
    UpdateQueued,
    UpdateSent,
)
from drill.engine.notifier import DeliveryStatus, FailureReason
from drill.engine.sink import StoredEvent
from drill.plan.models import ChannelKind, Metric, Plan, Target

__all__ = [
    "Answer",
    "ChoiceInfo",
    "ContactState",
    "ContactStatus",
    "DrillOutcome",
    "DrillState",
    "DrillStatus",
    "InjectState",
    "LevelState",
    "LevelStatus",
    "Officer",
    "OperatorOrder",
    "OutsidePageState",
    "PageRecord",
    "SiteProgress",
    "StepState",
    "StepStatus",
    "Summary",
    "Tally",
    "TargetOutcome",
    "TreeState",
    "TreeStatus",
    "UpdateCopy",
    "UpdateState",
    "regional_centres",
    "shares_needed",
    "sites_reached",
]

_EPS = 1e-6  # seconds; absorbs float rounding of elapsed times


class DrillStatus(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    """Ended without a single page accepted and without any acknowledgement."""
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    """Recovery began and did not finish. A RUNNING or PAUSED drill that no process is
    running is interrupted too; only the caller can know that (see `DrillState.is_open`)."""


class DrillOutcome(StrEnum):
    """How a drill went, as the report and `drillkit drills` say it."""

    COMPLETED = "completed"
    FINISHED = "finished"  # the operator ended it
    IDLE = "idle"  # virtual time, nothing left to wait for
    FAILED = "failed"  # no page could be delivered
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"  # its process stopped and it was not resumed
    RUNNING = "running"


class ContactStatus(StrEnum):
    """Where one contact stands. The last five are final."""

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
    RESTING = "resting"  # everyone tried; the level repeats: the next round follows
    ACKNOWLEDGED = "acknowledged"  # in time: counted
    LATE = "late"  # acknowledged after its paging ended: shown, counted by nothing
    UNREACHED = "unreached"  # every person and channel tried, no acknowledgement
    CANCELLED = "cancelled"  # not needed: its level was satisfied without it
    ABORTED = "aborted"  # not reached: the drill was aborted or ended first


_IN_PROGRESS = {
    DeliveryStatus.QUEUED: None,
    DeliveryStatus.RINGING: ContactStatus.RINGING,
    DeliveryStatus.IN_PROGRESS: ContactStatus.RINGING,
    DeliveryStatus.DELIVERED: ContactStatus.DELIVERED,
    DeliveryStatus.OPENED: ContactStatus.OPENED,
    DeliveryStatus.COMPLETED: None,
}
_NO_ANSWER = frozenset({FailureReason.NO_ANSWER, FailureReason.BUSY})
_CLOSED = frozenset(
    {
        ContactStatus.ACKNOWLEDGED,
        ContactStatus.LATE,
        ContactStatus.UNREACHED,
        ContactStatus.CANCELLED,
        ContactStatus.ABORTED,
    }
)
"""Final statuses: nothing but a late acknowledgement changes them."""
_GIVEN_UP = frozenset({ContactStatus.UNREACHED, ContactStatus.ABORTED})
"""Statuses after which an acknowledgement is late: the contact was given up."""
_QUEUED, _CALLING, _SENT, _ACKNOWLEDGED = (
    ContactStatus.QUEUED,
    ContactStatus.CALLING,
    ContactStatus.SENT,
    ContactStatus.ACKNOWLEDGED,
)
_VOICE = ChannelKind.VOICE
"""What the fold sets or tests for every page, read off the classes once: on Python 3.11
each `ContactStatus.X` is a call through EnumType.__getattr__'s hook."""


@dataclasses.dataclass(slots=True)
class PageRecord:
    """One page (an attempt): a person, a channel, an address, and what came of it."""

    queued: PageQueued
    seq: int | None
    outcome: str = "pending"
    """pending, acknowledged, failed, timed_out or cancelled."""
    reason: str | None = None
    """Why it failed (a FailureReason value) or timed out (voice_no_keypress,
    link_not_confirmed, never_confirmed)."""
    detail: str | None = None
    """The provider's words for a failure."""
    delivery: str | None = None
    """The last progress the provider reported (ringing, delivered, opened)."""
    accepted: bool | None = None
    """Whether the provider accepted the send (None: no answer recorded)."""
    ended_elapsed: float | None = None

    @property
    def page_id(self) -> str:
        return self.queued.page_id


@dataclasses.dataclass(slots=True)
class OutsidePageState:
    """One page the operator ordered outside the ladder, and what came of it."""

    queued: OutsidePageQueued
    seq: int | None
    outcome: str = "pending"
    """pending, acknowledged, failed or unanswered (the drill ended first)."""
    reason: str | None = None
    """Why it failed (a FailureReason value)."""
    detail: str | None = None
    accepted: bool | None = None
    delivery: str | None = None
    acknowledged_at: dt.datetime | None = None
    """When the person answered (the first answer to this page)."""
    acknowledged_elapsed: float | None = None
    acknowledged_source: str | None = None
    ack_seq: int | None = None

    @property
    def page_id(self) -> str:
        return self.queued.page_id


@dataclasses.dataclass
class OperatorOrder:
    """An operator's order to page now (`OperatorPaged`) and its pages."""

    order: OperatorPaged
    seq: int | None
    pages: list[OutsidePageState] = dataclasses.field(default_factory=list)

    def answered(self) -> dict[str, OutsidePageState]:
        """Per person (plan id or ad hoc ref): their first answered page."""
        out: dict[str, OutsidePageState] = {}
        for page in sorted(
            (p for p in self.pages if p.acknowledged_elapsed is not None),
            key=lambda p: p.acknowledged_elapsed or 0.0,
        ):
            out.setdefault(page.queued.person_id, page)
        return out


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
    attempts: list[PageRecord] = dataclasses.field(default_factory=list)
    """Every page of this contact, in order."""
    first_paged_elapsed: float | None = None
    failure: FailureReason | None = None
    failure_detail: str | None = None
    escalations: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    """(from person, to person), in order."""
    escalation_events: list[tuple[int | None, Escalated]] = dataclasses.field(default_factory=list)
    passed_over: list[tuple[int | None, Escalated]] = dataclasses.field(default_factory=list)
    round: int = 1
    """Which round of its level's repeats the contact is in (1: the first)."""
    """Candidates not paged because they were marked away (休暇, 出張 …), in order."""
    ack: Acknowledged | None = None
    """The first acknowledgement of this contact (in time or late)."""
    ack_seq: int | None = None
    acknowledged_elapsed: float | None = None
    """When the person acknowledged, in drill seconds (a relayed call: when reached)."""
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: str | None = None
    """The person who acknowledged."""
    acknowledged_candidate: int | None = None
    """0 the holder, 1… a deputy (代理者), for the person who acknowledged."""
    acknowledged_channel: ChannelKind | None = None
    acknowledged_source: str | None = None
    after_deadline: bool = False
    """The acknowledgement came after its page's own timeout (still counted if in time)."""
    entered_by: str | None = None
    second_acks: int = 0
    cancelled: CancelReason | None = None
    unreached_reason: str | None = None
    unreached_seq: int | None = None
    given_up: str | None = None
    """Why paging of this contact ended without an acknowledgement in time: an
    EscalationReason or CancelReason value (kept when a late acknowledgement follows)."""

    @property
    def acknowledged(self) -> bool:
        """Acknowledged in time (counted)."""
        return self.status is _ACKNOWLEDGED

    @property
    def late(self) -> bool:
        return self.status is ContactStatus.LATE

    @property
    def escalated(self) -> bool:
        return self.candidate_index > 0

    @property
    def finished(self) -> bool:
        return self.status in _CLOSED

    @property
    def response_seconds(self) -> float | None:
        """From the first page of this contact to its acknowledgement (in time or late)."""
        if self.acknowledged_elapsed is None or self.first_paged_elapsed is None:
            return None
        return max(0.0, self.acknowledged_elapsed - self.first_paged_elapsed)


class LevelStatus(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    SATISFIED = "satisfied"
    EXHAUSTED = "exhausted"  # finished without its quorum


@dataclasses.dataclass
class LevelState:
    tree: str
    level: str
    name_ja: str
    name_en: str | None
    mode: str
    required: int
    members: tuple[str, ...]
    each: tuple[str, ...] = ()
    """Members that must each acknowledge (every one of them), whatever `required` says."""
    status: LevelStatus = LevelStatus.RUNNING
    acknowledged: int = 0
    """Counted acknowledgements: recorded while the contact and the level were open."""
    counted: set[str] = dataclasses.field(default_factory=set)
    """The members whose acknowledgement was counted."""
    late: int = 0
    started_elapsed: float | None = None
    started_seq: int | None = None
    completed_elapsed: float | None = None
    completed_seq: int | None = None
    satisfied_elapsed: float | None = None
    """When the quorum was met (the counted acknowledgement that met it)."""
    unreached: tuple[str, ...] = ()
    """Members whose paging ran out of people or channels."""

    @property
    def met(self) -> bool:
        """Its quorum is met: `required` counted acknowledgements, every one of `each`
        among them."""
        return self.acknowledged >= self.required and all(m in self.counted for m in self.each)

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """Members it must each hear from that have not acknowledged in time (yet)."""
        return tuple(m for m in self.each if m not in self.counted)

    @property
    def satisfied(self) -> bool | None:
        """None while the level runs."""
        if self.status is LevelStatus.SATISFIED:
            return True
        if self.status is LevelStatus.EXHAUSTED:
            return False
        return None


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
    """Every level satisfied (None until the tree completed)."""
    started_elapsed: float | None = None
    started_seq: int | None = None
    completed_elapsed: float | None = None
    completed_seq: int | None = None
    contacts: int | None = None
    """How many contacts the tree holds (from `DrillStarted`, else what was seen)."""
    sites: tuple[str, ...] | None = None
    """The sites of its contacts (from `DrillStarted`, else what was seen)."""

    @property
    def satisfied_elapsed(self) -> float | None:
        """When the tree completed with every level satisfied; None otherwise."""
        return self.completed_elapsed if self.satisfied else None


@dataclasses.dataclass(frozen=True)
class SiteProgress:
    """Progress at one site (拠点): its contacts, and when they acknowledged in time."""

    site: str
    contacts: int
    acknowledged: int
    first_elapsed: float | None
    """When the site was reached: its first counted acknowledgement."""
    first_by: str | None
    """Who that was (the person's name)."""
    all_acknowledged_elapsed: float | None

    @property
    def reached(self) -> bool:
        return self.first_elapsed is not None


class StepStatus(StrEnum):
    PENDING = "pending"
    DUE = "due"  # its target passed, not completed yet
    COMPLETED = "completed"


@dataclasses.dataclass
class StepState:
    step: str
    status: StepStatus = StepStatus.PENDING
    target_minutes: float | None = None
    owner: str | None = None
    timing: StepTiming | None = None
    due_elapsed: float | None = None
    due_seq: int | None = None
    completed_elapsed: float | None = None
    completed_at: dt.datetime | None = None
    completed_seq: int | None = None
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
class TargetOutcome:
    """One plan target measured against this drill."""

    target: Target
    actual_seconds: float | None
    """When it was reached in time-counting terms; None if never."""
    met: bool
    missing_sites: tuple[str, ...] = ()
    """For all_sites_reached: the regional centres nobody acknowledged in time."""

    @property
    def limit_seconds(self) -> float:
        return self.target.within_minutes * 60.0

    @property
    def margin_seconds(self) -> float | None:
        return self.limit_seconds - self.actual_seconds if self.actual_seconds is not None else None

    def status(self, elapsed: float, ended: bool) -> str:
        """met, missed, or open (still reachable at drill second `elapsed`)."""
        if self.met:
            return "met"
        if ended or elapsed > self.limit_seconds + _EPS or self.actual_seconds is not None:
            return "missed"
        return "open"


@dataclasses.dataclass(frozen=True)
class Summary:
    """The headline figures of a drill."""

    contacts: int
    paged: int
    acknowledged: int
    """In time (counted)."""
    late: int
    """Acknowledged after their paging ended (counted by nothing)."""
    unreached: int
    not_needed: int
    """Their level was satisfied without them."""
    not_reached_ended: int
    """Still open when the drill was aborted or ended."""
    paging: int
    not_paged: int
    percent_acknowledged: float
    """Counted acknowledgements of all contacts of the scenario's trees (0–100)."""
    pages: int
    pages_accepted: int
    escalations: int
    duration_seconds: float
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    trees_completed_seconds: float | None
    """When the last tree completed, if every tree was satisfied; None otherwise."""
    second_acknowledgements: int


@dataclasses.dataclass(slots=True)
class UpdateCopy:
    """One person's copy of a status update: where it went and whether they acknowledged."""

    person_id: str
    person_name: str
    page_id: str | None = None
    channel: ChannelKind | None = None
    address: str | None = None
    audience: str | None = None
    accepted: bool | None = None
    """Whether the provider accepted the send (None: queued, no answer recorded, or not
    queued yet)."""
    failure: FailureReason | None = None
    acknowledged_at: dt.datetime | None = None
    """When they acknowledged (their first acknowledgement of this update)."""
    acknowledged_elapsed: float | None = None
    source: str | None = None
    acknowledgements: int = 0
    """How many acknowledgements of this copy were recorded (repeats included)."""

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


@dataclasses.dataclass(slots=True)
class UpdateState:
    """A status update (第N報): what was said, by whom, to whom, and who acknowledged it."""

    issued: UpdateIssued
    seq: int | None
    copies: dict[str, UpdateCopy]
    """By person id, in the order of `UpdateIssued.recipients`."""

    @property
    def number(self) -> int:
        return self.issued.number

    @property
    def kind(self) -> str:
        return self.issued.kind.value

    @property
    def recipients(self) -> int:
        return len(self.copies)

    @property
    def acknowledged_by(self) -> tuple[str, ...]:
        """Who acknowledged it, in the order they did."""
        done = [c for c in self.copies.values() if c.acknowledged_elapsed is not None]
        done.sort(key=lambda c: c.acknowledged_elapsed or 0.0)
        return tuple(c.person_id for c in done)

    @property
    def acknowledged(self) -> int:
        return sum(1 for c in self.copies.values() if c.acknowledged)

    @property
    def not_acknowledged(self) -> tuple[str, ...]:
        """Who has not acknowledged it (yet), in the order it was sent."""
        return tuple(c.person_id for c in self.copies.values() if not c.acknowledged)

    def seconds_to_acknowledge(self) -> list[float]:
        """Seconds from the update to each acknowledgement (when the person acknowledged)."""
        issued_at = self.issued.at
        return sorted(
            max(0.0, (c.acknowledged_at - issued_at).total_seconds())
            for c in self.copies.values()
            if c.acknowledged_at is not None
        )


@dataclasses.dataclass(frozen=True)
class ChoiceInfo:
    """One choice of the scenario's question, as `DrillStarted` recorded it."""

    key: str
    label_ja: str
    label_en: str | None
    means: str | None
    """coming, needs_help or None."""

    def label(self, language: str) -> str:
        return self.label_en if language == "en" and self.label_en else self.label_ja


@dataclasses.dataclass(frozen=True)
class Answer:
    """One contact's answer to the scenario's question: who, what, when."""

    tree: str
    level: str
    member: str
    person_id: str
    person_name: str
    choice: str
    """The key of the choice."""
    at: dt.datetime
    """When the person answered (a relayed call: when they were reached)."""
    elapsed: float
    """The same, in drill seconds."""
    source: str
    late: bool
    """Given after the contact was given up (still tallied; see the module's rules)."""
    seq: int | None


@dataclasses.dataclass(frozen=True)
class Tally:
    """The answers to the scenario's question: of the whole drill, a tree or a level."""

    question_ja: str | None
    question_en: str | None
    choices: tuple[ChoiceInfo, ...]
    answers: dict[str, tuple[Answer, ...]]
    """By choice key, in the order they were given (a key the question lacks too)."""
    contacts: int
    """Contacts in scope: those who could answer."""
    changes: tuple[tuple[Answer, Answer], ...]
    """(the answer counted, a later different one) of the same contact, in order."""

    @property
    def asked(self) -> bool:
        return bool(self.choices)

    @property
    def answered(self) -> int:
        return sum(len(found) for found in self.answers.values())

    @property
    def unanswered(self) -> int:
        return max(0, self.contacts - self.answered)

    def count(self, key: str) -> int:
        return len(self.answers.get(key, ()))

    def meaning(self, means: str) -> int:
        """How many answered a choice that means `means` (coming, needs_help)."""
        return sum(self.count(c.key) for c in self.choices if c.means == means)

    def question(self, language: str) -> str:
        text = self.question_en if language == "en" and self.question_en else self.question_ja
        return text or ""


def sites_reached(
    sites: dict[str, SiteProgress],
) -> tuple[dict[str, float | None], float | None]:
    """`DrillState.all_sites_reached` of the progress `DrillState.sites` gave (for a
    caller that asked it already: each asking walks every contact)."""
    reached = {site: progress.first_elapsed for site, progress in sites.items()}
    times = list(reached.values())
    if not times or any(t is None for t in times):
        return reached, None
    return reached, max(t for t in times if t is not None)


def regional_centres(plan: Plan) -> frozenset[str]:
    """The sites that count for "every regional centre reached" (a plan fact)."""
    return frozenset(site.id for site in plan.sites if site.regional_centre)


def shares_needed(share: float, total: int) -> int:
    """How many contacts make `share` of `total` (90 % of 7 is 7: a share is never rounded down)."""
    return math.ceil(share * total - 1e-9)


@dataclasses.dataclass(frozen=True)
class Officer:
    """One link of the chain of officers in charge (責任者) of a drill."""

    name: str
    since_elapsed: float
    since_at: dt.datetime
    seq: int | None
    """The seq of the event that put them in charge (`DrillStarted` or `HandedOver`)."""
    handover: HandedOver | None = None
    """The handover that put them in charge; None for the operator who started the drill."""


class DrillState:
    """Everything known about one drill, folded from its events in order."""

    def __init__(self) -> None:
        self.started: DrillStarted | None = None
        self.started_seq: int | None = None
        """The seq of `DrillStarted`: the record that names the plan and the scenario."""
        self.status = DrillStatus.NOT_STARTED
        self.elapsed = 0.0
        """Drill seconds of the last event."""
        self.last_at: dt.datetime | None = None
        self.last_event: Event | None = None
        self.ended: DrillCompleted | DrillAborted | None = None
        self.ended_seq: int | None = None
        self.contacts: dict[tuple[str, str, str], ContactState] = {}
        """By (tree, level, member), for members of levels that started."""
        self.levels: dict[tuple[str, str], LevelState] = {}
        self.trees: dict[str, TreeState] = {}
        self.steps: dict[str, StepState] = {}
        self.injects: list[InjectState] = []
        self.notes: list[NoteAdded] = []
        self.officers: list[Officer] = []
        """The chain of officers in charge: who started the drill, then each handover."""
        self.timeline: list[tuple[int | None, Event]] = []
        """The events a reader follows the drill by, in order, each with its seq: the
        start, injects, notes, pauses, interruptions and recoveries, levels, trees and
        steps completed, steps overdue, and the end. Whether a level or tree completed
        satisfied is read from `levels` and `trees`, never from these events."""
        self.pages: dict[str, ContactState] = {}
        """The contact of every page id."""
        self.page_records: dict[str, PageRecord] = {}
        self.acknowledgements: list[Acknowledged] = []
        """Every acknowledgement recorded, including repeated ones."""
        self.pages_accepted = 0
        self.paused_seconds = 0.0
        self.interruptions = 0
        self.events = 0
        self.duplicates = 0
        """Repeated acknowledgements: stored events the store marked duplicates (kept,
        never applied), plus the repeats counted by `DuplicatesCounted`."""
        self.recovering = False
        """An interruption was found and recovery has not finished."""
        self.updates: list[UpdateState] = []
        """The status updates (第N報) in the order issued; see `UpdateState`."""
        self._update_pages: dict[str, UpdateCopy] = {}
        self.choices: tuple[ChoiceInfo, ...] = ()
        """The choices of the scenario's question (empty: it asks none)."""
        self.answers: dict[tuple[str, str, str], Answer] = {}
        """Each contact's counted answer (its first), by (tree, level, member)."""
        self.answer_changes: list[tuple[Answer, Answer]] = []
        """(the answer counted, a later different one), in order."""
        self.orders: dict[str, OperatorOrder] = {}
        """The operator's orders to page now, outside the ladder, by request id."""
        self.outside_pages: dict[str, OutsidePageState] = {}
        """Their pages, by page id: counted by no contact, level, tree or target."""
        self.marked_unavailable: list[tuple[int | None, PersonMarkedUnavailable]] = []
        """People marked away from the console, in order, with the seq of each mark."""
        self.marked_back: dict[int, tuple[int | None, PersonMarkedAvailable]] = {}
        """Marks taken back (復帰): index in `marked_unavailable` -> (seq, event)."""
        self._seq: int | None = None
        self._paused_at: float | None = None

    @classmethod
    def from_events(cls, events: Iterable[Event | StoredEvent]) -> DrillState:
        """Fold events (or stored events, whose duplicates are skipped) into a state."""
        state = cls()
        for item in events:
            state.take(item)
        return state

    def take(self, item: Event | StoredEvent) -> None:
        """Fold one event, or one stored event (its seq kept as evidence; duplicates skipped)."""
        if isinstance(item, StoredEvent):
            if item.duplicate:
                self.duplicates += 1
                return
            self.apply(item.event, item.seq)
        else:
            self.apply(item)

    def apply(self, event: Event, seq: int | None = None) -> None:
        self.events += 1
        self._seq = seq
        elapsed = event.elapsed
        if elapsed > self.elapsed:  # `max(self.elapsed, elapsed)`, without the call
            self.elapsed = elapsed
        self.last_at = event.at
        self.last_event = event
        kind = type(event)
        step = _APPLY.get(kind)
        if step is not None:
            step(self, event)
        if kind in _TIMELINE:
            self.timeline.append((seq, event))

    # -- questions: the drill ---------------------------------------------------------

    @property
    def officer(self) -> Officer | None:
        """Who is in charge now (None when the drill was started without a name)."""
        return self.officers[-1] if self.officers else None

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

    @property
    def failed(self) -> bool:
        """Ended (not aborted) with pages sent, none accepted, and nobody acknowledging."""
        return (
            isinstance(self.ended, DrillCompleted)
            and bool(self.page_records)
            and self.pages_accepted == 0
            and not self.acknowledgements
        )

    def outcome(self, *, running: bool | None = None) -> DrillOutcome:
        """How the drill went. `running`: whether a process is running it now (when the
        caller knows); an open drill nobody runs was interrupted."""
        if isinstance(self.ended, DrillAborted):
            return DrillOutcome.ABORTED
        if isinstance(self.ended, DrillCompleted):
            if self.failed:
                return DrillOutcome.FAILED
            reason = self.ended.reason
            if reason == "finished":
                return DrillOutcome.FINISHED
            if reason == "idle":
                return DrillOutcome.IDLE
            return DrillOutcome.COMPLETED
        if running is None:
            # Without a word from the caller: a drill whose last event is its recovery is
            # being run again; one that stopped elsewhere was interrupted.
            running = self.interruptions > 0 and not self.recovering
        return DrillOutcome.RUNNING if running else DrillOutcome.INTERRUPTED

    def provider_errors(self) -> list[PageRecord]:
        """Pages that failed for a reason on the provider's side (not a person's)."""
        return [
            page
            for page in self.page_records.values()
            if page.outcome == "failed"
            and page.reason
            in ("provider_error", "config", "rate_limited", "blocked", "timeout", None)
        ]

    # -- questions: contacts ----------------------------------------------------------

    def contact(self, member: str, tree: str | None = None) -> ContactState:
        """The contact of `member` (in `tree`, if the member appears in several)."""
        for (t, _, m), state in self.contacts.items():
            if m == member and (tree is None or t == tree):
                return state
        raise KeyError(member)

    def status_of(self, key: tuple[str, str, str]) -> ContactStatus:
        """The status of a contact, also of one whose level never started (the plan knows
        it; the events do not): waiting, or not reached once the drill has ended."""
        found = self.contacts.get(key)
        if found is not None:
            return found.status
        return self._unstarted_status()

    def _unstarted_status(self) -> ContactStatus:
        return ContactStatus.ABORTED if self.ended is not None else ContactStatus.WAITING

    def ack_times(self, tree: str | None = None) -> list[float]:
        """Counted acknowledgement times (drill seconds), sorted: the curve."""
        return sorted(
            c.acknowledged_elapsed
            for c in self.contacts.values()
            if c.status is ContactStatus.ACKNOWLEDGED
            and c.acknowledged_elapsed is not None
            and (tree is None or c.tree == tree)
        )

    def tree_size(self, tree: str | None = None) -> int:
        """Contacts of one tree (or of all the scenario's trees)."""
        if tree is None:
            if self.started is not None:
                return max(self.started.contacts, len(self.contacts))
            return len(self.contacts)
        found = self.trees.get(tree)
        seen = sum(1 for key in self.contacts if key[0] == tree)
        if found is not None and found.contacts is not None:
            return max(found.contacts, seen)
        return seen

    # -- questions: sites and targets -------------------------------------------------

    def sites(
        self, only: Collection[str] | None = None, tree: str | None = None
    ) -> dict[str, SiteProgress]:
        """Progress per site (of `tree`; only the sites in `only`, if given), including
        sites the scenario's trees will reach whose levels have not started."""
        grouped: dict[str, list[ContactState]] = {}
        for (tree_id, _, _), contact in self.contacts.items():
            if contact.site is None or (tree is not None and tree_id != tree):
                continue
            if only is not None and contact.site not in only:
                continue
            grouped.setdefault(contact.site, []).append(contact)
        for tree_id, found in self.trees.items():
            if tree is not None and tree_id != tree:
                continue
            for site in found.sites or ():
                if only is None or site in only:
                    grouped.setdefault(site, [])
        out: dict[str, SiteProgress] = {}
        for site, contacts in grouped.items():
            acked = [  # `c.acknowledged`, without the property's call
                c
                for c in contacts
                if c.status is ContactStatus.ACKNOWLEDGED and c.acknowledged_elapsed is not None
            ]
            first = min(acked, key=lambda c: c.acknowledged_elapsed or 0.0, default=None)
            done = (
                max(c.acknowledged_elapsed or 0.0 for c in acked)
                if acked and len(acked) == len(contacts) and self._site_complete(site, tree)
                else None
            )
            out[site] = SiteProgress(
                site=site,
                contacts=len(contacts),
                acknowledged=len(acked),
                first_elapsed=first.acknowledged_elapsed if first is not None else None,
                first_by=(first.ack.person_name if first and first.ack else None),
                all_acknowledged_elapsed=done,
            )
        return out

    def _site_complete(self, site: str, tree: str | None) -> bool:
        """Every level that holds contacts of `site` has started (so all are counted)."""
        for tree_id, found in self.trees.items():
            if tree is not None and tree_id != tree:
                continue
            if found.status is TreeStatus.WAITING and site in (found.sites or ()):
                return False
        return True

    def all_sites_reached(
        self, regional: Collection[str] | None, tree: str | None = None
    ) -> tuple[dict[str, float | None], float | None]:
        """Per regional centre, when it was first reached in time; when all of them were."""
        return sites_reached(self.sites(regional, tree))

    def levels_satisfied(self, tree: str) -> bool:
        """Whether every level of `tree` that has started is satisfied (a tree is
        satisfied only when every one of its levels is)."""
        levels = [lv for (t, _), lv in self.levels.items() if t == tree]
        return bool(levels) and all(lv.satisfied for lv in levels)

    def trees_completed_seconds(self) -> float | None:
        """When the last tree completed, if every tree of the scenario was satisfied."""
        names = self.started.trees if self.started is not None else tuple(self.trees)
        done: list[float] = []
        for tree in names:
            found = self.trees.get(tree)
            if found is None or found.satisfied_elapsed is None:
                return None
            done.append(found.satisfied_elapsed)
        return max(done) if done else None

    def target_outcome(self, target: Target, regional: Collection[str] | None) -> TargetOutcome:
        """Measure one plan target (`regional`: the plan's regional centres)."""
        actual: float | None
        missing: tuple[str, ...] = ()
        if target.metric is Metric.ALL_SITES_REACHED:
            reached, actual = self.all_sites_reached(regional, target.tree)
            missing = tuple(site for site, at in reached.items() if at is None)
        elif target.metric is Metric.TREE_COMPLETED:
            if target.tree is not None:
                found = self.trees.get(target.tree)
                actual = found.satisfied_elapsed if found is not None else None
            else:
                actual = self.trees_completed_seconds()
        elif target.metric is Metric.LEVEL_COMPLETED:
            assert target.tree is not None and target.level is not None
            level = self.levels.get((target.tree, target.level))
            actual = level.completed_elapsed if level is not None and level.satisfied else None
        else:
            assert target.share is not None
            times = self.ack_times(target.tree)
            needed = shares_needed(target.share, self.tree_size(target.tree))
            actual = times[needed - 1] if needed and len(times) >= needed else None
        met = actual is not None and actual <= target.within_minutes * 60.0 + _EPS
        return TargetOutcome(target, actual, met, missing)

    # -- questions: answers to the scenario's question -------------------------------

    def tally(self, tree: str | None = None, level: str | None = None) -> Tally:
        """The answers of the drill, of one tree, or of one level of a tree."""

        def inside(key: tuple[str, str, str]) -> bool:
            return (tree is None or key[0] == tree) and (level is None or key[1] == level)

        grouped: dict[str, list[Answer]] = {c.key: [] for c in self.choices}
        for key, answer in self.answers.items():
            if inside(key):
                grouped.setdefault(answer.choice, []).append(answer)
        if level is not None and tree is not None and (tree, level) in self.levels:
            contacts = len(self.levels[(tree, level)].members)
        elif level is not None:
            contacts = sum(1 for key in self.contacts if inside(key))
        else:
            contacts = self.tree_size(tree)
        question = self.started
        return Tally(
            question_ja=question.question_ja if question is not None else None,
            question_en=question.question_en if question is not None else None,
            choices=self.choices,
            answers={k: tuple(sorted(v, key=lambda a: a.elapsed)) for k, v in grouped.items()},
            contacts=contacts,
            changes=tuple(
                (counted, later)
                for counted, later in self.answer_changes
                if inside((counted.tree, counted.level, counted.member))
            ),
        )

    # -- questions: the whole -----------------------------------------------------------

    def summary(self) -> Summary:
        contacts = self.tree_size()
        counts = dict.fromkeys(ContactStatus, 0)
        for contact in self.contacts.values():
            counts[contact.status] += 1
        final = counts[ContactStatus.ACKNOWLEDGED] + counts[ContactStatus.LATE]
        final += counts[ContactStatus.UNREACHED] + counts[ContactStatus.CANCELLED]
        final += counts[ContactStatus.ABORTED]
        unseen = max(0, contacts - len(self.contacts))
        unstarted = self._unstarted_status()
        not_reached_ended = counts[ContactStatus.ABORTED]
        if unstarted is ContactStatus.ABORTED:
            not_reached_ended += unseen
        waiting = counts[ContactStatus.WAITING] + (
            unseen if unstarted is ContactStatus.WAITING else 0
        )
        paging = len(self.contacts) - final - counts[ContactStatus.WAITING]
        acknowledged = counts[ContactStatus.ACKNOWLEDGED]
        started_at = self.started.at if self.started else None
        ended_at = self.ended.at if self.ended else None
        duration = self.ended.elapsed if self.ended else self.elapsed
        return Summary(
            contacts=contacts,
            paged=sum(1 for c in self.contacts.values() if c.pages),
            acknowledged=acknowledged,
            late=counts[ContactStatus.LATE],
            unreached=counts[ContactStatus.UNREACHED],
            not_needed=counts[ContactStatus.CANCELLED],
            not_reached_ended=not_reached_ended,
            paging=paging,
            not_paged=waiting,
            percent_acknowledged=round(100.0 * acknowledged / contacts, 1) if contacts else 0.0,
            pages=len(self.pages),
            pages_accepted=self.pages_accepted,
            escalations=sum(len(c.escalations) for c in self.contacts.values()),
            duration_seconds=duration,
            started_at=started_at,
            ended_at=ended_at,
            trees_completed_seconds=self.trees_completed_seconds(),
            second_acknowledgements=sum(c.second_acks for c in self.contacts.values()),
        )

    # -- the fold ---------------------------------------------------------------------

    def _note(self, e: NoteAdded) -> None:
        self.notes.append(e)

    def _started(self, e: DrillStarted) -> None:
        self.started, self.started_seq = e, self._seq
        self.status = DrillStatus.RUNNING
        sizes = e.tree_contacts if len(e.tree_contacts) == len(e.trees) else None
        sites = e.tree_sites if len(e.tree_sites) == len(e.trees) else None
        self.trees = {}
        for i, tree in enumerate(e.trees):
            self.trees[tree] = TreeState(
                tree,
                contacts=sizes[i] if sizes is not None else None,
                sites=sites[i] if sites is not None else None,
            )
        self.steps = {step: StepState(step) for step in e.steps}
        self.choices = tuple(
            ChoiceInfo(key, ja, en or None, means or None) for key, ja, en, means in e.choices
        )
        if e.operator:
            self.officers = [Officer(e.operator, e.elapsed, e.at, self._seq)]

    def _tree_started(self, e: TreeStarted) -> None:
        tree = self.trees.setdefault(e.tree, TreeState(e.tree))
        tree.name_ja, tree.name_en, tree.scope = e.name_ja, e.name_en, e.scope
        tree.status = TreeStatus.RUNNING
        tree.started_elapsed, tree.started_seq = e.elapsed, self._seq

    def _tree_completed(self, e: TreeCompleted) -> None:
        tree = self.trees.setdefault(e.tree, TreeState(e.tree))
        tree.status = TreeStatus.COMPLETED
        # Satisfied only when every level is: never what the event said.
        tree.satisfied = self.levels_satisfied(e.tree)
        tree.completed_elapsed, tree.completed_seq = e.elapsed, self._seq

    def _level_started(self, e: LevelStarted) -> None:
        level = LevelState(
            e.tree, e.level, e.name_ja, e.name_en, e.mode, e.required, e.members, e.each
        )
        level.started_elapsed, level.started_seq = e.elapsed, self._seq
        self.levels[(e.tree, e.level)] = level
        for member, site in zip(e.members, e.member_sites, strict=True):
            contact = self._contact(e.tree, e.level, member)
            contact.site = site
            if contact.acknowledged:  # acknowledged before its level began: it counts
                self._count(level, contact)

    def _level_completed(self, e: LevelCompleted) -> None:
        level = self.levels.get((e.tree, e.level))
        if level is None:
            return
        met = level.met
        level.status = LevelStatus.SATISFIED if met else LevelStatus.EXHAUSTED
        level.completed_elapsed, level.completed_seq = e.elapsed, self._seq
        level.unreached = tuple(
            m
            for m in level.members
            if (c := self.contacts.get((e.tree, e.level, m))) is not None
            and c.unreached_reason is not None
        )
        for member in level.members:
            contact = self._contact(e.tree, e.level, member)
            if not contact.finished:
                # Never paged, or still being paged as the level closed: not needed.
                contact.status = ContactStatus.CANCELLED
                contact.cancelled = contact.cancelled or CancelReason.LEVEL_SATISFIED
                contact.given_up = contact.given_up or contact.cancelled.value

    def _contact(self, tree: str, level: str, member: str) -> ContactState:
        key = (tree, level, member)
        found = self.contacts.get(key)
        if found is None:
            found = self.contacts[key] = ContactState(tree, level, member)
            if self.ended is not None:
                found.status = ContactStatus.ABORTED
        return found

    def _page_queued(self, e: PageQueued) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        record = PageRecord(e, self._seq)
        self.pages[e.page_id] = contact
        self.page_records[e.page_id] = record
        contact.attempts.append(record)
        contact.role_id = e.role_id
        contact.site = e.site if e.site is not None else contact.site
        contact.candidate_index = e.candidate_index
        contact.channel, contact.address, contact.attempt = e.channel, e.address, e.attempt
        contact.page_id = e.page_id
        contact.pages += 1
        if contact.first_paged_elapsed is None:
            contact.first_paged_elapsed = e.elapsed
        if not contact.finished:
            contact.person_id, contact.person_name = e.person_id, e.person_name
            contact.status = _QUEUED

    def _current(self, page_id: str) -> ContactState | None:
        """The contact whose latest page this is, if it is still being paged."""
        contact = self.pages.get(page_id)
        if contact is None or contact.page_id != page_id or contact.finished:
            return None
        return contact

    def _page_sent(self, e: PageSent) -> None:
        outside = self.outside_pages.get(e.page_id)
        if outside is not None:
            outside.accepted = e.accepted
            if not e.accepted and outside.outcome == "pending":
                reason = e.failure.value if e.failure is not None else "provider_error"
                outside.outcome, outside.reason, outside.detail = "failed", reason, e.detail
            return
        record = self.page_records.get(e.page_id)
        if record is not None:
            record.accepted = e.accepted
            if e.accepted:
                self.pages_accepted += 1
            elif record.outcome == "pending":
                reason = e.failure.value if e.failure is not None else "provider_error"
                record.outcome, record.reason, record.detail = "failed", reason, e.detail
                record.ended_elapsed = e.elapsed
        contact = self._current(e.page_id)
        if contact is None:
            return
        if e.accepted:
            voice = contact.channel is _VOICE
            contact.status = _CALLING if voice else _SENT
        else:
            contact.status = ContactStatus.FAILED
            contact.failure, contact.failure_detail = e.failure, e.detail

    def _duplicates_counted(self, e: DuplicatesCounted) -> None:
        self.duplicates += e.count

    def _delivery_updated(self, e: DeliveryUpdated) -> None:
        outside = self.outside_pages.get(e.page_id)
        if outside is not None:
            outside.delivery = e.status.value
            return
        record = self.page_records.get(e.page_id)
        if record is not None:
            record.delivery = e.status.value
        contact = self._current(e.page_id)
        shown = _IN_PROGRESS.get(e.status)
        if contact is not None and shown is not None:
            contact.status = shown

    def _delivery_failed(self, e: DeliveryFailed) -> None:
        outside = self.outside_pages.get(e.page_id)
        if outside is not None:
            if outside.outcome == "pending":
                outside.outcome, outside.reason, outside.detail = "failed", e.reason.value, e.detail
            return
        record = self.page_records.get(e.page_id)
        if record is not None and record.outcome in ("pending", "timed_out"):
            record.outcome, record.reason, record.detail = "failed", e.reason.value, e.detail
            record.ended_elapsed = e.elapsed
        contact = self._current(e.page_id)
        if contact is None:
            return
        no_answer = e.reason in _NO_ANSWER
        contact.status = ContactStatus.NO_ANSWER if no_answer else ContactStatus.FAILED
        contact.failure, contact.failure_detail = e.reason, e.detail

    def _timed_out(self, e: AttemptTimedOut) -> None:
        record = self.page_records.get(e.page_id)
        if record is not None and record.outcome == "pending":
            record.outcome, record.reason = "timed_out", _timeout_reason(record)
            record.ended_elapsed = e.elapsed
        contact = self._current(e.page_id)
        if contact is not None:
            contact.status = ContactStatus.NO_ANSWER
            contact.failure, contact.failure_detail = FailureReason.TIMEOUT, None

    def _acknowledged(self, e: Acknowledged) -> None:
        self.acknowledgements.append(e)
        outside = self.outside_pages.get(e.page_id) if e.page_id else None
        if outside is not None:  # a tree contact paged again by the operator answered
            self._outside_answer(outside, e.received_at, e.elapsed, e.at, e.source)
        record = self.page_records.get(e.page_id) if e.page_id else None
        if record is not None:
            record.outcome, record.reason, record.ended_elapsed = "acknowledged", None, e.elapsed
        contact = self._contact(e.tree, e.level, e.member)
        if contact.site is None:
            contact.site = e.site
        if e.choice is not None:
            self._answered(e, contact)
        if contact.ack is not None:
            contact.second_acks += 1
            return
        contact.ack, contact.ack_seq = e, self._seq
        # A relayed call entered later counts from when the person was reached.
        behind = (e.at - e.received_at).total_seconds()
        contact.acknowledged_elapsed = e.elapsed - behind if behind > 0 else e.elapsed
        contact.acknowledged_at = e.received_at
        contact.acknowledged_by = e.person_id
        contact.acknowledged_channel = e.channel
        contact.acknowledged_source = e.source
        contact.after_deadline = e.late
        contact.entered_by = e.entered_by
        contact.acknowledged_candidate = next(
            (
                r.queued.candidate_index
                for r in contact.attempts
                if r.queued.person_id == e.person_id
            ),
            None,
        )
        contact.person_id, contact.person_name = e.person_id, e.person_name
        level = self.levels.get((e.tree, e.level))
        if contact.status in _GIVEN_UP:
            contact.status = ContactStatus.LATE
            if level is not None:
                level.late += 1
            return
        contact.status = _ACKNOWLEDGED
        contact.given_up = None  # not needed, yet acknowledged: nothing was given up
        if level is not None:
            self._count(level, contact)

    def _answered(self, e: Acknowledged, contact: ContactState) -> None:
        assert e.choice is not None
        behind = (e.at - e.received_at).total_seconds()
        answer = Answer(
            tree=e.tree,
            level=e.level,
            member=e.member,
            person_id=e.person_id,
            person_name=e.person_name,
            choice=e.choice,
            at=e.received_at,
            elapsed=e.elapsed - behind if behind > 0 else e.elapsed,
            source=e.source,
            late=contact.status in _GIVEN_UP or contact.status is ContactStatus.LATE,
            seq=self._seq,
        )
        key = (e.tree, e.level, e.member)
        counted = self.answers.get(key)
        if counted is None:
            self.answers[key] = answer
            return
        latest = self._last_change(key) or counted
        if latest.choice != e.choice:  # the same answer again is nothing new
            self.answer_changes.append((counted, answer))

    def _last_change(self, key: tuple[str, str, str]) -> Answer | None:
        """The latest change of answer of the contact `key`, if any."""
        for counted, later in reversed(self.answer_changes):
            if (counted.tree, counted.level, counted.member) == key:
                return later
        return None

    def _count(self, level: LevelState, contact: ContactState) -> None:
        level.acknowledged += 1
        level.counted.add(contact.member)
        if level.satisfied_elapsed is None and level.met:
            level.satisfied_elapsed = contact.acknowledged_elapsed

    def _escalated(self, e: Escalated) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        contact.escalations.append((e.from_person, e.to_person))
        contact.escalation_events.append((self._seq, e))
        if e.reason is EscalationReason.UNAVAILABLE:
            contact.passed_over.append((self._seq, e))
        if contact.finished:
            return
        contact.candidate_index = e.candidate_index
        contact.person_id, contact.person_name = e.to_person, None
        contact.channel = contact.address = None
        contact.status = ContactStatus.ESCALATED

    def _repeat_scheduled(self, e: RepeatScheduled) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        if not contact.finished:
            contact.status = ContactStatus.RESTING

    def _round_started(self, e: RoundStarted) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        contact.round = e.round
        if contact.finished:
            return
        contact.candidate_index = 0
        contact.person_id = contact.person_name = None
        contact.channel = contact.address = None
        contact.status = ContactStatus.WAITING

    def _unreached(self, e: MemberUnreached) -> None:
        contact = self._contact(e.tree, e.level, e.member)
        contact.unreached_reason, contact.unreached_seq = e.reason.value, self._seq
        if not contact.finished:
            contact.status = ContactStatus.UNREACHED
            contact.given_up = e.reason.value

    def _cancelled(self, e: PagingCancelled) -> None:
        record = self.page_records.get(e.page_id) if e.page_id else None
        if record is not None and record.outcome == "pending":
            record.outcome, record.ended_elapsed = "cancelled", e.elapsed
        contact = self._contact(e.tree, e.level, e.member)
        if contact.finished and contact.status is not ContactStatus.ABORTED:
            return
        contact.cancelled, contact.given_up = e.why, e.why.value
        satisfied = e.why is CancelReason.LEVEL_SATISFIED
        contact.status = ContactStatus.CANCELLED if satisfied else ContactStatus.ABORTED

    def _inject(self, e: InjectFired) -> None:
        self.injects.append(InjectState(e.index, e.at_minutes, e.text_ja, e.text_en, e.elapsed))

    def _step_due(self, e: StepDue) -> None:
        step = self.steps.setdefault(e.step, StepState(e.step))
        step.target_minutes, step.owner = e.target_minutes, e.owner
        if step.due_elapsed is None:
            step.due_elapsed, step.due_seq = e.elapsed, self._seq
        if step.status is not StepStatus.COMPLETED:
            step.status = StepStatus.DUE

    def _step_completed(self, e: StepCompleted) -> None:
        step = self.steps.setdefault(e.step, StepState(e.step))
        if step.status is StepStatus.COMPLETED:
            return
        step.status = StepStatus.COMPLETED
        step.target_minutes = (
            e.target_minutes if e.target_minutes is not None else step.target_minutes
        )
        step.timing = e.timing
        step.completed_elapsed, step.completed_at, step.completed_seq = e.elapsed, e.at, self._seq
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
        self.recovering = True
        self.status = DrillStatus.INTERRUPTED

    def _recovered(self, e: DrillRecovered) -> None:
        self.recovering = False
        self.status = DrillStatus.PAUSED if e.paused else DrillStatus.RUNNING

    def _ordered(self, e: OperatorPaged) -> None:
        self.orders[e.request] = OperatorOrder(e, self._seq)

    def _outside_queued(self, e: OutsidePageQueued) -> None:
        page = OutsidePageState(e, self._seq)
        self.outside_pages[e.page_id] = page
        order = self.orders.get(e.request)
        if order is not None:
            order.pages.append(page)

    def _outside_acknowledged(self, e: OutsideAcknowledged) -> None:
        page = self.outside_pages.get(e.page_id)
        if page is not None:
            self._outside_answer(page, e.received_at, e.elapsed, e.at, e.source)

    def _outside_answer(
        self,
        page: OutsidePageState,
        received_at: dt.datetime,
        elapsed: float,
        at: dt.datetime,
        source: str,
    ) -> None:
        if page.acknowledged_at is not None:
            return
        page.outcome = "acknowledged"
        page.reason = None
        behind = (at - received_at).total_seconds()
        page.acknowledged_at = received_at
        page.acknowledged_elapsed = elapsed - behind if behind > 0 else elapsed
        page.acknowledged_source = source
        page.ack_seq = self._seq

    def _marked(self, e: PersonMarkedUnavailable) -> None:
        self.marked_unavailable.append((self._seq, e))

    def console_mark(self, person_id: str, at: dt.datetime) -> PersonMarkedUnavailable | None:
        """The console mark keeping `person_id` away at `at` (None: none holds then)."""
        for index in range(len(self.marked_unavailable) - 1, -1, -1):
            mark = self.marked_unavailable[index][1]
            if mark.person_id != person_id:
                continue
            if mark.at > at:
                continue  # a later mark: what held at `at` is an earlier one
            back = self.marked_back.get(index)
            if back is not None and back[1].at <= at:
                return None
            return mark if mark.until is None or at < mark.until else None
        return None

    def _back(self, e: PersonMarkedAvailable) -> None:
        for index in range(len(self.marked_unavailable) - 1, -1, -1):
            mark = self.marked_unavailable[index][1]
            if mark.person_id == e.person_id:
                if index not in self.marked_back:
                    self.marked_back[index] = (self._seq, e)
                return

    def _handed_over(self, e: HandedOver) -> None:
        self.officers.append(Officer(e.to_officer, e.elapsed, e.at, self._seq, e))

    def _ended(self, e: DrillCompleted | DrillAborted) -> None:
        for page in self.outside_pages.values():
            if page.outcome == "pending":
                page.outcome = "unanswered"
        self.ended, self.ended_seq = e, self._seq
        if isinstance(e, DrillAborted):
            self.status = DrillStatus.ABORTED
        else:
            self.status = DrillStatus.FAILED if self.failed else DrillStatus.COMPLETED
        why = (
            CancelReason.DRILL_ABORTED
            if isinstance(e, DrillAborted)
            else CancelReason.DRILL_FINISHED
        )
        for contact in self.contacts.values():
            if not contact.finished:
                # Still open as the drill ended: not reached, whatever the runner says next.
                contact.status = ContactStatus.ABORTED
                contact.cancelled, contact.given_up = why, why.value

    # -- status updates (第N報): their own acknowledgements, never a contact's -----------

    def update(self, number: int) -> UpdateState | None:
        """The status update numbered `number` (1 for 第1報), if issued."""
        return self.updates[number - 1] if 0 < number <= len(self.updates) else None

    def _update_issued(self, e: UpdateIssued) -> None:
        copies = {p: UpdateCopy(p, p) for p in e.recipients}
        self.updates.append(UpdateState(e, self._seq, copies))

    def _update_queued(self, e: UpdateQueued) -> None:
        update = self.update(e.number)
        if update is None:
            return
        copy = update.copies.get(e.person_id)
        if copy is None:
            copy = update.copies[e.person_id] = UpdateCopy(e.person_id, e.person_name)
        copy.person_name, copy.page_id = e.person_name, e.page_id
        copy.channel, copy.address, copy.audience = e.channel, e.address, e.audience
        self._update_pages[e.page_id] = copy

    def _update_sent(self, e: UpdateSent) -> None:
        copy = self._update_pages.get(e.page_id)
        if copy is not None:
            copy.accepted, copy.failure = e.accepted, e.failure

    def _update_acknowledged(self, e: UpdateAcknowledged) -> None:
        copy = self._update_pages.get(e.page_id)
        if copy is None:
            return
        copy.acknowledgements += 1
        if copy.acknowledged_at is None:
            copy.acknowledged_at, copy.source = e.received_at, e.source
            behind = (e.at - e.received_at).total_seconds()
            copy.acknowledged_elapsed = e.elapsed - behind if behind > 0 else e.elapsed


_APPLY: dict[type[Event], Callable[[DrillState, Any], None]] = {
    DrillStarted: DrillState._started,
    TreeStarted: DrillState._tree_started,
    TreeCompleted: DrillState._tree_completed,
    LevelStarted: DrillState._level_started,
    LevelCompleted: DrillState._level_completed,
    PageQueued: DrillState._page_queued,
    PageSent: DrillState._page_sent,
    DeliveryUpdated: DrillState._delivery_updated,
    DuplicatesCounted: DrillState._duplicates_counted,
    DeliveryFailed: DrillState._delivery_failed,
    AttemptTimedOut: DrillState._timed_out,
    Acknowledged: DrillState._acknowledged,
    Escalated: DrillState._escalated,
    MemberUnreached: DrillState._unreached,
    RepeatScheduled: DrillState._repeat_scheduled,
    RoundStarted: DrillState._round_started,
    PagingCancelled: DrillState._cancelled,
    InjectFired: DrillState._inject,
    StepDue: DrillState._step_due,
    StepCompleted: DrillState._step_completed,
    NoteAdded: DrillState._note,
    DrillPaused: DrillState._paused,
    DrillResumed: DrillState._resumed,
    DrillInterrupted: DrillState._interrupted,
    DrillRecovered: DrillState._recovered,
    DrillAborted: DrillState._ended,
    DrillCompleted: DrillState._ended,
    UpdateIssued: DrillState._update_issued,
    UpdateQueued: DrillState._update_queued,
    UpdateSent: DrillState._update_sent,
    UpdateAcknowledged: DrillState._update_acknowledged,
    OperatorPaged: DrillState._ordered,
    OutsidePageQueued: DrillState._outside_queued,
    OutsideAcknowledged: DrillState._outside_acknowledged,
    PersonMarkedUnavailable: DrillState._marked,
    PersonMarkedAvailable: DrillState._back,
    HandedOver: DrillState._handed_over,
}
"""The fold's step for each kind of event, taken from the class: a table of bound methods
built for each state would tie every state to itself in a reference cycle, and a fold of
10^5 events would then wait for the cycle collector instead of being freed as soon as
it is dropped."""

_TIMELINE: frozenset[type[Event]] = frozenset(
    {
        DrillStarted,
        InjectFired,
        NoteAdded,
        DrillPaused,
        DrillResumed,
        DrillInterrupted,
        DrillRecovered,
        LevelCompleted,
        TreeCompleted,
        StepDue,
        StepCompleted,
        DrillAborted,
        DrillCompleted,
        UpdateIssued,
        OperatorPaged,
        PersonMarkedUnavailable,
        PersonMarkedAvailable,
        HandedOver,
    }
)


def _timeout_reason(record: PageRecord) -> str:
    if record.delivery == "opened":
        return "link_not_confirmed"
    if record.queued.channel in (ChannelKind.SMS, ChannelKind.EMAIL):
        return "never_confirmed"
    return "voice_no_keypress"
