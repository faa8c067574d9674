"""The drill report as data: a pure function of a drill's events.

`build(events, plan)` reads the stored events of one drill (and, for the year-on-year
table, those of earlier drills of the same scenario) and returns a frozen `Report`; the
renderers only format it. Nothing here reads a clock, a file or the store, so a drill
recorded years ago re-renders exactly as it did on the day.

What the events carry is preferred over the plan: the scenario's title, the tree and
level names, who was paged and through which address were all recorded when the drill
ran. The plan is consulted only for what the events do not hold: role and site names,
which sites are regional centres (支所), the plan's targets, the playbook's step titles
and owners, and the self-inspection (自己点検) items the scenario and playbook cite.

All times are seconds on the drill's clock from its start (`elapsed`), or aware
datetimes in the plan's time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import statistics
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    DeliveryFailed,
    DeliveryUpdated,
    DrillAborted,
    DrillCompleted,
    DrillInterrupted,
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
from drill.engine.runner import plan_digest
from drill.engine.sink import StoredEvent
from drill.plan.checklist import CHECKLIST, SCORES
from drill.plan.contact import mask_number
from drill.plan.models import Metric, Plan, Scenario, Target
from drill.report.wording import reason_pair

__all__ = [
    "NAGASAKI_ALL_SITES_MINUTES",
    "NAGASAKI_WHOLE_MINUTES",
    "SHARES",
    "Attempt",
    "ChecklistEvidence",
    "ContactRow",
    "Curve",
    "DrillInfo",
    "Evidence",
    "Finding",
    "History",
    "HistoryRow",
    "Integrity",
    "Label",
    "LevelTiming",
    "Milestone",
    "PlaybookReport",
    "Report",
    "SiteTiming",
    "StepRow",
    "Summary",
    "TargetResult",
    "TimelineEntry",
    "TreeTiming",
    "build",
    "mask_address",
]

NAGASAKI_WHOLE_MINUTES = 50.0
"""Nagasaki City's annual contact-tree drill took about 50 minutes (seed 002)."""
NAGASAKI_ALL_SITES_MINUTES = 10.0
"""…and reached every regional centre in about 10 minutes."""
SHARES = (0.5, 0.9, 1.0)
"""The shares of contacts whose time to acknowledge the curve reports."""

_BAD_POINT = frozenset({"invalid_number", "wrong_number", "landline", "bounced", "refused"})
_SETUP = frozenset({"config", "provider_error", "rate_limited", "timeout", "blocked"})
_EPS = 1e-6

Input = StoredEvent | Event


# == the model ============================================================================


@dataclass(frozen=True, slots=True)
class Label:
    """A text in Japanese and, where known, English."""

    ja: str
    en: str | None = None

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.ja


def _same(text: str) -> Label:
    return Label(text, text)


@dataclass(frozen=True, slots=True)
class DrillInfo:
    """Which drill this is, and how it went as a whole."""

    drill_id: str
    organisation: Label
    plan_title: Label | None
    plan_version: str
    plan_digest: str
    plan_changed: bool | None
    """True when the plan given to `build` is not the one the drill ran (None: no plan)."""
    current_plan_version: str | None
    scenario_id: str
    scenario_title: Label
    mode: str
    """drill (訓練) or incident."""
    simulated: bool
    seed: int | None
    operator: str | None
    clock: str
    timezone: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_seconds: float | None
    outcome: str
    """completed, finished, idle, aborted, interrupted (not resumed) or running."""
    outcome_by: str | None
    outcome_reason: str | None
    """Why the drill was aborted."""
    paused_seconds: float
    interruptions: int


@dataclass(frozen=True, slots=True)
class TreeTiming:
    tree: str
    name: Label
    scope: str
    started_seconds: float | None
    completed_seconds: float | None
    satisfied: bool | None
    contacts: int
    acknowledged: int


@dataclass(frozen=True, slots=True)
class LevelTiming:
    tree: str
    level: str
    name: Label
    mode: str
    required: int
    members: int
    acknowledged: int
    started_seconds: float | None
    completed_seconds: float | None
    satisfied: bool | None
    """None when the level never finished."""
    unreached: tuple[str, ...]
    reason: str | None

    @property
    def took_seconds(self) -> float | None:
        if self.started_seconds is None or self.completed_seconds is None:
            return None
        return self.completed_seconds - self.started_seconds


@dataclass(frozen=True, slots=True)
class SiteTiming:
    site: str
    name: Label
    regional_centre: bool
    contacts: int
    reached_seconds: float | None
    """When the first contact of this site acknowledged."""
    reached_by: str | None
    """Who acknowledged first (person's name)."""


@dataclass(frozen=True, slots=True)
class TargetResult:
    id: str
    name: Label
    metric: str
    within_minutes: float
    actual_seconds: float | None
    met: bool
    margin_seconds: float | None
    """Seconds to spare (positive) or over (negative); None when never reached."""
    detail: Label | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    contacts: int
    acknowledged: int
    unreached: int
    cancelled: int
    """Paging stopped because the level was already satisfied (or the drill ended)."""
    not_paged: int
    paging: int
    share_acknowledged: float | None
    sites_total: int
    """Regional centres (支所) the scenario's trees should reach."""
    sites_reached: int
    all_sites_seconds: float | None
    trees_completed_seconds: float | None
    """When the last tree finished (None when a tree never finished)."""
    nagasaki_whole_minutes: float
    nagasaki_all_sites_minutes: float
    targets: tuple[TargetResult, ...]
    duplicates: int
    second_acknowledgements: int


@dataclass(frozen=True, slots=True)
class Milestone:
    share: float
    count: int
    seconds: float | None


@dataclass(frozen=True, slots=True)
class Curve:
    """Cumulative acknowledgements over time: the safety-confirmation services' curve."""

    total: int
    points: tuple[tuple[float, int], ...]
    """(seconds from the start, contacts acknowledged so far), one per acknowledgement."""
    milestones: tuple[Milestone, ...]
    times_to_ack: tuple[float, ...]
    """Per acknowledged contact: seconds from its first page to its acknowledgement."""
    median_seconds: float | None
    p90_seconds: float | None
    max_seconds: float | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One page: a person, a channel, an address, and what came of it."""

    page_id: str
    person_id: str
    person_name: str
    candidate_index: int
    channel: str
    address: str
    """Masked: `090-****-**01`, `y***@example.jp`."""
    attempt: int
    queued_seconds: float
    queued_at: dt.datetime
    outcome: str
    """acknowledged, failed, timed_out, cancelled or pending."""
    reason: str | None
    """Why it failed or timed out (a FailureReason value, or link_not_confirmed, …)."""
    delivery: str | None
    """The last progress the provider reported (ringing, delivered, opened)."""
    ended_seconds: float | None


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One contact (a member of a level): who was paged, how, and what came of it."""

    tree: str
    level: str
    level_name: Label
    member: str
    name: Label
    """The role's name (or the person's, for a member who is a person)."""
    site: str | None
    site_name: Label | None
    status: str
    """acknowledged, unreached, cancelled, aborted, not_paged or paging."""
    acknowledged_by: str | None
    acknowledged_person: str | None
    candidate_index: int | None
    """0 the holder, 1… a deputy (代理者)."""
    ack_channel: str | None
    ack_source: str | None
    entered_by: str | None
    acknowledged_at: dt.datetime | None
    ack_seconds: float | None
    """From the start of the drill."""
    time_to_ack_seconds: float | None
    """From this contact's first page."""
    late: bool
    failures: tuple[str, ...]
    """Why pages failed, in order, each reason once."""
    unreached_reason: str | None
    attempts: tuple[Attempt, ...]
    ack_seq: int | None


@dataclass(frozen=True, slots=True)
class StepRow:
    step: str
    title: Label
    owner: str | None
    owner_name: Label | None
    target_minutes: float | None
    completed_seconds: float | None
    completed_at: dt.datetime | None
    by: str | None
    status: str
    """on_time, late, missed (due, never done) or not_done."""
    late_by_seconds: float | None
    checklist: tuple[str, ...]
    seq: int | None


@dataclass(frozen=True, slots=True)
class PlaybookReport:
    id: str | None
    title: Label | None
    steps: tuple[StepRow, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    """unreached, bad_number, deputy_answered, step_late, step_missed, target_missed, …"""
    severity: str
    """high, medium or low."""
    subject: Label
    text: Label
    fix: Label
    evidence: tuple[int, ...]
    """Seqs of the events that show it."""


@dataclass(frozen=True, slots=True)
class Evidence:
    seq: int
    type: str
    what: Label


@dataclass(frozen=True, slots=True)
class ChecklistEvidence:
    number: str
    item: Label
    cited_by: tuple[str, ...]
    """"scenario", or "step:<id>"."""
    evidence: tuple[Evidence, ...]
    score: int | None
    """3 運用している when the drill exercised it successfully; 2 when it did not."""
    score_label: Label | None
    reason: Label


@dataclass(frozen=True, slots=True)
class HistoryRow:
    drill_id: str
    started_at: dt.datetime
    mode: str
    simulated: bool
    outcome: str
    duration_seconds: float | None
    all_sites_seconds: float | None
    share_acknowledged: float | None
    acknowledged: int
    contacts: int
    levels: tuple[float | None, ...]
    """Seconds from the start until each level of `History.levels` finished."""
    current: bool


@dataclass(frozen=True, slots=True)
class History:
    """The same scenario's drills side by side, oldest first, this one last."""

    levels: tuple[tuple[str, str, Label], ...]
    """(tree, level, name) of the columns of `HistoryRow.levels`."""
    rows: tuple[HistoryRow, ...]
    trend: tuple[Label, ...]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    seq: int
    elapsed: float
    at: dt.datetime
    kind: str
    text: Label


@dataclass(frozen=True, slots=True)
class Integrity:
    """The event chain: its head hash, and whether it verified when the report was made."""

    head_hash: str | None
    event_count: int
    verified: bool | None = None
    problem: str | None = None

    @property
    def command(self) -> str:
        return "drillkit verify {drill_id}"


@dataclass(frozen=True, slots=True)
class Report:
    drill: DrillInfo
    summary: Summary
    curve: Curve
    trees: tuple[TreeTiming, ...]
    levels: tuple[LevelTiming, ...]
    sites: tuple[SiteTiming, ...]
    contacts: tuple[ContactRow, ...]
    playbook: PlaybookReport
    findings: tuple[Finding, ...]
    checklist: tuple[ChecklistEvidence, ...]
    history: History
    timeline: tuple[TimelineEntry, ...]
    integrity: Integrity
    plan_available: bool
    notes: tuple[Label, ...] = field(default=())

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.drill.timezone)


# == helpers ==============================================================================


@functools.lru_cache(maxsize=65536)
def mask_address(address: str) -> str:
    """A phone number or e-mail address, partly hidden for reports that circulate."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_number(address)


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _entries(events: Iterable[Input]) -> tuple[list[tuple[int, Event]], int]:
    """(seq, event) for each applied event, and how many duplicates were left out."""
    out: list[tuple[int, Event]] = []
    duplicates = 0
    for index, item in enumerate(events, start=1):
        if isinstance(item, StoredEvent):
            if item.duplicate:
                duplicates += 1
                continue
            out.append((item.seq, item.event))
        else:
            out.append((index, item))
    return out, duplicates


def _nth(sorted_times: Sequence[float], count: int) -> float | None:
    """The time of the `count`-th acknowledgement (1-based), None when there were fewer."""
    if count <= 0:
        return 0.0
    return sorted_times[count - 1] if len(sorted_times) >= count else None


def _needed(share: float, total: int) -> int:
    return math.ceil(share * total - 1e-9)


def _percentile(sorted_values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of values at or below."""
    if not sorted_values:
        return None
    rank = max(1, _needed(share, len(sorted_values)))
    return sorted_values[rank - 1]


# == reading one drill ====================================================================


@dataclass(slots=True)
class _Page:
    seq: int
    queued: PageQueued
    outcome: str = "pending"
    reason: str | None = None
    delivery: str | None = None
    ended: float | None = None


@dataclass(slots=True)
class _Member:
    tree: str
    level: str
    member: str
    site: str | None
    pages: list[_Page] = field(default_factory=list)
    ack: Acknowledged | None = None
    ack_seq: int | None = None
    ack_seconds: float | None = None
    unreached: MemberUnreached | None = None
    unreached_seq: int | None = None
    cancelled: PagingCancelled | None = None
    escalations: list[tuple[int, Escalated]] = field(default_factory=list)
    second_acks: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.tree, self.level, self.member)


@dataclass(slots=True)
class _Level:
    seq: int
    started: LevelStarted
    completed: LevelCompleted | None = None
    completed_seq: int | None = None


@dataclass(slots=True)
class _Tree:
    seq: int
    started: TreeStarted
    completed: TreeCompleted | None = None
    completed_seq: int | None = None


class _Drill:
    """One drill's events, indexed: what every section of the report is computed from."""

    def __init__(self, events: Iterable[Input]) -> None:
        entries, self.duplicates = _entries(events)
        if not entries or not isinstance(entries[0][1], DrillStarted):
            raise ValueError("a drill's events begin with DrillStarted")
        self.start: DrillStarted = entries[0][1]
        self.zone = _zone(self.start.timezone)
        self.last: Event = entries[-1][1]
        self.event_count = len(entries)
        self.trees: dict[str, _Tree] = {}
        self.levels: dict[tuple[str, str], _Level] = {}
        self.members: dict[tuple[str, str, str], _Member] = {}
        self.pages: dict[str, _Page] = {}
        self.steps_done: dict[str, tuple[int, StepCompleted]] = {}
        self.steps_due: dict[str, tuple[int, StepDue]] = {}
        self.timeline_events: list[tuple[int, Event]] = []
        self.end: DrillCompleted | DrillAborted | None = None
        self.end_seq: int | None = None
        self.paused_seconds = 0.0
        self.interruptions = 0
        self.second_acks = 0
        for seq, item in entries:
            self._apply(seq, item)

    # -- applying ----------------------------------------------------------------------

    def _apply(self, seq: int, e: Event) -> None:
        page: _Page | None
        if isinstance(e, PageQueued):
            queued = self.pages[e.page_id] = _Page(seq, e)
            self._member(e.tree, e.level, e.member, e.site).pages.append(queued)
        elif isinstance(e, PageSent):
            page = self.pages.get(e.page_id)
            if page is not None and not e.accepted:
                page.outcome = "failed"
                page.reason = e.failure.value if e.failure is not None else None
                page.ended = e.elapsed
        elif isinstance(e, DeliveryUpdated):
            page = self.pages.get(e.page_id)
            if page is not None:
                page.delivery = e.status.value
        elif isinstance(e, DeliveryFailed):
            page = self.pages.get(e.page_id)
            if page is not None and page.outcome != "acknowledged":
                page.outcome = "failed"
                page.reason = e.reason.value
                page.ended = e.elapsed
        elif isinstance(e, AttemptTimedOut):
            page = self.pages.get(e.page_id)
            if page is not None and page.outcome == "pending":
                page.outcome = "timed_out"
                page.reason = _timeout_reason(page)
                page.ended = e.elapsed
        elif isinstance(e, Acknowledged):
            self._acknowledged(seq, e)
        elif isinstance(e, Escalated):
            self._member(e.tree, e.level, e.member, None).escalations.append((seq, e))
        elif isinstance(e, MemberUnreached):
            member = self._member(e.tree, e.level, e.member, None)
            member.unreached, member.unreached_seq = e, seq
        elif isinstance(e, PagingCancelled):
            member = self._member(e.tree, e.level, e.member, None)
            if member.ack is None:
                member.cancelled = e
            page = self.pages.get(e.page_id) if e.page_id else None
            if page is not None and page.outcome == "pending":
                page.outcome, page.ended = "cancelled", e.elapsed
        elif isinstance(e, LevelStarted):
            self.levels[(e.tree, e.level)] = _Level(seq, e)
            for ref, site in zip(e.members, e.member_sites, strict=False):
                self._member(e.tree, e.level, ref, site)
        elif isinstance(e, LevelCompleted):
            level = self.levels.get((e.tree, e.level))
            if level is not None:
                level.completed, level.completed_seq = e, seq
            self.timeline_events.append((seq, e))
        elif isinstance(e, TreeStarted):
            self.trees[e.tree] = _Tree(seq, e)
        elif isinstance(e, TreeCompleted):
            tree = self.trees.get(e.tree)
            if tree is not None:
                tree.completed, tree.completed_seq = e, seq
            self.timeline_events.append((seq, e))
        elif isinstance(e, StepCompleted):
            self.steps_done.setdefault(e.step, (seq, e))
            self.timeline_events.append((seq, e))
        elif isinstance(e, StepDue):
            self.steps_due.setdefault(e.step, (seq, e))
            self.timeline_events.append((seq, e))
        elif isinstance(e, DrillCompleted | DrillAborted):
            self.end, self.end_seq = e, seq
            self.timeline_events.append((seq, e))
        elif isinstance(e, DrillResumed):
            self.paused_seconds += e.paused_seconds
            self.timeline_events.append((seq, e))
        elif isinstance(e, DrillInterrupted):
            self.interruptions += 1
            self.timeline_events.append((seq, e))
        elif isinstance(e, InjectFired | NoteAdded | DrillPaused | DrillRecovered | DrillStarted):
            self.timeline_events.append((seq, e))

    def _member(self, tree: str, level: str, member: str, site: str | None) -> _Member:
        key = (tree, level, member)
        found = self.members.get(key)
        if found is None:
            found = self.members[key] = _Member(tree, level, member, site)
        elif found.site is None and site is not None:
            found.site = site
        return found

    def _acknowledged(self, seq: int, e: Acknowledged) -> None:
        member = self._member(e.tree, e.level, e.member, None)
        page = self.pages.get(e.page_id) if e.page_id else None
        if page is not None:
            page.outcome, page.reason, page.ended = "acknowledged", None, e.elapsed
        if member.ack is not None or not e.first:
            member.second_acks += 1
            self.second_acks += 1
            return
        member.ack, member.ack_seq = e, seq
        # A relayed call entered later counts from when the person was reached.
        behind = (e.at - e.received_at).total_seconds()
        member.ack_seconds = e.elapsed - behind if behind > 0 else e.elapsed
        member.cancelled = None

    # -- derived -------------------------------------------------------------------------

    def local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(self.zone)

    @property
    def started_at(self) -> dt.datetime:
        return self.local(self.start.at)

    @property
    def ended_at(self) -> dt.datetime | None:
        return self.local(self.end.at) if self.end is not None else None

    @property
    def duration(self) -> float | None:
        return self.end.elapsed if self.end is not None else None

    @property
    def outcome(self) -> str:
        if isinstance(self.end, DrillAborted):
            return "aborted"
        if isinstance(self.end, DrillCompleted):
            return (
                self.end.reason
                if self.end.reason in ("completed", "finished", "idle")
                else ("completed")
            )
        if isinstance(self.last, DrillInterrupted | DrillRecovered):
            return "running"
        return "interrupted" if self.interruptions == 0 else "running"

    def contacts_total(self) -> int:
        return max(self.start.contacts, len(self.members))

    def ack_times(self, tree: str | None = None) -> list[float]:
        return sorted(
            m.ack_seconds
            for m in self.members.values()
            if m.ack_seconds is not None and (tree is None or m.tree == tree)
        )

    def status(self, member: _Member) -> str:
        if member.ack is not None:
            return "acknowledged"
        if member.unreached is not None:
            return "unreached"
        if member.cancelled is not None:
            return "cancelled" if member.cancelled.why.value == "level_satisfied" else "aborted"
        level = self.levels.get((member.tree, member.level))
        if level is None:
            return "not_paged"
        if level.completed is not None:
            # Sequential "any" levels never page members after the one who answered.
            return "cancelled" if not member.pages else "unreached"
        if not member.pages:
            return "aborted" if self.end is not None else "not_paged"
        return "aborted" if self.end is not None else "paging"

    def sites_reached(
        self, regional: dict[str, bool] | None, tree: str | None = None
    ) -> tuple[dict[str, float | None], float | None]:
        """Per regional centre, when it was first reached; and when all of them were."""
        reached: dict[str, float | None] = {}
        for member in self.members.values():
            if member.site is None or (tree is not None and member.tree != tree):
                continue
            if regional is not None and not regional.get(member.site, False):
                continue
            best = reached.get(member.site)
            if member.ack_seconds is not None and (best is None or member.ack_seconds < best):
                reached[member.site] = member.ack_seconds
            else:
                reached.setdefault(member.site, None)
        times = list(reached.values())
        if not times or any(t is None for t in times):
            return reached, None
        return reached, max(t for t in times if t is not None)

    def level_done(self, tree: str, level: str) -> float | None:
        found = self.levels.get((tree, level))
        if found is None or found.completed is None or not found.completed.satisfied:
            return None
        return found.completed.elapsed

    def tree_done(self, tree: str) -> float | None:
        found = self.trees.get(tree)
        if found is None or found.completed is None or not found.completed.satisfied:
            return None
        return found.completed.elapsed


def _timeout_reason(page: _Page) -> str:
    if page.delivery == "opened":
        return "link_not_confirmed"
    if page.queued.channel.value in ("sms", "email"):
        return "never_confirmed"
    return "voice_no_keypress"


# == building the report ==================================================================


def build(
    events: Iterable[Input],
    plan: Plan | None = None,
    *,
    history: Sequence[Iterable[Input]] = (),
    integrity: Integrity | None = None,
) -> Report:
    """The report of the drill whose events (in seq order) are `events`.

    `events` are `StoredEvent`s as `EventStore.read` returns them (duplicates are left
    out and counted) or bare events. `plan` supplies what the events do not carry (see
    the module docstring); `history` holds the events of earlier drills of the same
    scenario for the year-on-year table; `integrity` is what `EventStore.verify` found.
    """
    drill = _Drill(events)
    start = drill.start
    scenario = _scenario(plan, start.scenario_id)
    regional = _regional(plan)
    notes: list[Label] = []
    changed: bool | None = None
    if plan is None:
        notes.append(Label(_PLAN_MISSING_JA, _PLAN_MISSING_EN))
    else:
        changed = plan_digest(plan) != start.plan_digest
        if changed:
            notes.append(
                Label(
                    f"この訓練の後に計画が変更されています（訓練時 {start.plan_version}、現在 "
                    f"{plan.info.version}）。役割・拠点の名称と目標は現在の計画のものです。",
                    f"The plan changed after this drill (then {start.plan_version}, now "
                    f"{plan.info.version}); role and site names and targets come from the "
                    "current plan.",
                )
            )
    info = DrillInfo(
        drill_id=start.drill_id,
        organisation=(
            Label(start.organisation, plan.info.organisation.en)
            if plan is not None and plan.info.organisation.ja == start.organisation
            else Label(start.organisation)
        ),
        plan_title=(Label(plan.info.title.ja, plan.info.title.en) if plan is not None else None),
        plan_version=start.plan_version,
        plan_digest=start.plan_digest,
        plan_changed=changed,
        current_plan_version=plan.info.version if plan is not None else None,
        scenario_id=start.scenario_id,
        scenario_title=Label(start.scenario_title_ja, start.scenario_title_en),
        mode=start.mode.value,
        simulated=start.simulated,
        seed=start.seed,
        operator=start.operator,
        clock=start.clock,
        timezone=start.timezone,
        started_at=drill.started_at,
        ended_at=drill.ended_at,
        duration_seconds=drill.duration,
        outcome=drill.outcome,
        outcome_by=drill.end.by if drill.end is not None else None,
        outcome_reason=drill.end.reason if isinstance(drill.end, DrillAborted) else None,
        paused_seconds=drill.paused_seconds,
        interruptions=drill.interruptions,
    )
    contacts = _contacts(drill, plan)
    levels = _levels(drill)
    trees = _trees(drill)
    sites = _sites(drill, plan, regional)
    curve = _curve(drill, contacts)
    summary = _summary(drill, plan, scenario, regional, contacts, sites, trees)
    playbook = _playbook(drill, plan)
    findings = _findings(drill, plan, contacts, levels, playbook, summary)
    return Report(
        drill=info,
        summary=summary,
        curve=curve,
        trees=trees,
        levels=levels,
        sites=sites,
        contacts=contacts,
        playbook=playbook,
        findings=findings,
        checklist=_checklist(drill, plan, scenario, playbook, trees),
        history=_history(drill, history, regional),
        timeline=_timeline(drill),
        integrity=integrity or Integrity(head_hash=None, event_count=drill.event_count),
        plan_available=plan is not None,
        notes=tuple(notes),
    )


_PLAN_MISSING_JA = (
    "計画ファイルを読み込めなかったため、役割・拠点の名称、目標、自己点検の項目は表示できません。"
)
_PLAN_MISSING_EN = (
    "The plan could not be read, so role and site names, targets and self-inspection items "
    "are missing."
)


def _scenario(plan: Plan | None, scenario_id: str) -> Scenario | None:
    if plan is None or not plan.has("scenario", scenario_id):
        return None
    return plan.scenario(scenario_id)


def _regional(plan: Plan | None) -> dict[str, bool] | None:
    """Which sites count as regional centres; None (every site counts) without a plan."""
    if plan is None:
        return None
    return {site.id: site.regional_centre for site in plan.sites}


def _role_name(plan: Plan | None, ref: str) -> Label:
    if plan is not None:
        if plan.is_role(ref):
            name = plan.role(ref).name
            return Label(name.ja, name.en)
        if plan.has("person", ref):
            return _same(plan.person(ref).name)
    return _same(ref)


def _site_name(plan: Plan | None, site: str | None) -> Label | None:
    if site is None:
        return None
    if plan is not None and plan.has("site", site):
        name = plan.site(site).name
        return Label(name.ja, name.en)
    return _same(site)


def _contacts(drill: _Drill, plan: Plan | None) -> tuple[ContactRow, ...]:
    rows: list[ContactRow] = []
    members = list(drill.members.values())
    known = set(drill.members)
    # Members of levels that never started (an aborted drill): listed from the plan.
    if plan is not None:
        for tree_id in drill.start.trees:
            if not plan.has("tree", tree_id):
                continue
            for plan_level, plan_member in plan.members(tree_id):
                key = (tree_id, plan_level.id, plan_member.ref)
                if key not in known:
                    known.add(key)
                    site = plan.site_of(plan_member)
                    members.append(_Member(tree_id, plan_level.id, plan_member.ref, site))
    for member in members:
        level = drill.levels.get((member.tree, member.level))
        level_name = (
            Label(level.started.name_ja, level.started.name_en)
            if level is not None
            else _level_name_from_plan(plan, member.tree, member.level)
        )
        ack = member.ack
        first_page = member.pages[0].queued.elapsed if member.pages else None
        if first_page is None and level is not None:
            first_page = level.started.elapsed
        ack_person = ack.person_id if ack is not None else None
        candidate = None
        if ack is not None:
            candidate = next(
                (
                    p.queued.candidate_index
                    for p in member.pages
                    if p.queued.person_id == ack.person_id
                ),
                None,
            )
        failures: list[str] = []
        for page in member.pages:
            reason = page.reason
            if reason is not None and page.outcome != "acknowledged" and reason not in failures:
                failures.append(reason)
        rows.append(
            ContactRow(
                tree=member.tree,
                level=member.level,
                level_name=level_name,
                member=member.member,
                name=_role_name(plan, member.member),
                site=member.site,
                site_name=_site_name(plan, member.site),
                status=drill.status(member),
                acknowledged_by=ack.person_name if ack is not None else None,
                acknowledged_person=ack_person,
                candidate_index=candidate,
                ack_channel=ack.channel.value if ack is not None and ack.channel else None,
                ack_source=ack.source if ack is not None else None,
                entered_by=ack.entered_by if ack is not None else None,
                acknowledged_at=drill.local(ack.received_at) if ack is not None else None,
                ack_seconds=member.ack_seconds,
                time_to_ack_seconds=(
                    member.ack_seconds - first_page
                    if member.ack_seconds is not None and first_page is not None
                    else None
                ),
                late=bool(ack is not None and ack.late),
                failures=tuple(failures),
                unreached_reason=(
                    member.unreached.reason.value if member.unreached is not None else None
                ),
                attempts=tuple(_attempt(drill, page) for page in member.pages),
                ack_seq=member.ack_seq,
            )
        )
    return tuple(rows)


def _level_name_from_plan(plan: Plan | None, tree: str, level: str) -> Label:
    if plan is not None and plan.has("tree", tree):
        for item in plan.tree(tree).levels:
            if item.id == level:
                return Label(item.name.ja, item.name.en)
    return _same(level)


def _attempt(drill: _Drill, page: _Page) -> Attempt:
    q = page.queued
    return Attempt(
        page_id=q.page_id,
        person_id=q.person_id,
        person_name=q.person_name,
        candidate_index=q.candidate_index,
        channel=q.channel.value,
        address=mask_address(q.address),
        attempt=q.attempt,
        queued_seconds=q.elapsed,
        queued_at=drill.local(q.at),
        outcome=page.outcome,
        reason=page.reason,
        delivery=page.delivery,
        ended_seconds=page.ended,
    )


def _levels(drill: _Drill) -> tuple[LevelTiming, ...]:
    out: list[LevelTiming] = []
    for (tree, level_id), level in drill.levels.items():
        s, c = level.started, level.completed
        acknowledged = sum(
            1
            for m in drill.members.values()
            if m.tree == tree and m.level == level_id and m.ack is not None
        )
        out.append(
            LevelTiming(
                tree=tree,
                level=level_id,
                name=Label(s.name_ja, s.name_en),
                mode=s.mode,
                required=s.required,
                members=len(s.members),
                acknowledged=acknowledged,
                started_seconds=s.elapsed,
                completed_seconds=c.elapsed if c is not None else None,
                satisfied=c.satisfied if c is not None else None,
                unreached=c.unreached if c is not None else (),
                reason=c.reason if c is not None else None,
            )
        )
    return tuple(out)


def _trees(drill: _Drill) -> tuple[TreeTiming, ...]:
    out: list[TreeTiming] = []
    for tree_id, tree in drill.trees.items():
        members = [m for m in drill.members.values() if m.tree == tree_id]
        c = tree.completed
        out.append(
            TreeTiming(
                tree=tree_id,
                name=Label(tree.started.name_ja, tree.started.name_en),
                scope=tree.started.scope,
                started_seconds=tree.started.elapsed,
                completed_seconds=c.elapsed if c is not None else None,
                satisfied=c.satisfied if c is not None else None,
                contacts=c.contacts if c is not None else len(members),
                acknowledged=sum(1 for m in members if m.ack is not None),
            )
        )
    return tuple(out)


def _sites(
    drill: _Drill, plan: Plan | None, regional: dict[str, bool] | None
) -> tuple[SiteTiming, ...]:
    counts: dict[str, int] = {}
    first: dict[str, tuple[float, str]] = {}
    for member in drill.members.values():
        if member.site is None:
            continue
        counts[member.site] = counts.get(member.site, 0) + 1
        if member.ack is not None and member.ack_seconds is not None:
            best = first.get(member.site)
            if best is None or member.ack_seconds < best[0]:
                first[member.site] = (member.ack_seconds, member.ack.person_name)
    order = {s.id: i for i, s in enumerate(plan.sites)} if plan is not None else {}
    site_ids = sorted(counts, key=lambda s: (order.get(s, len(order)), s))
    out: list[SiteTiming] = []
    for site in site_ids:
        reached = first.get(site)
        name = _site_name(plan, site)
        assert name is not None
        out.append(
            SiteTiming(
                site=site,
                name=name,
                regional_centre=regional.get(site, False) if regional is not None else True,
                contacts=counts[site],
                reached_seconds=reached[0] if reached else None,
                reached_by=reached[1] if reached else None,
            )
        )
    return tuple(out)


def _curve(drill: _Drill, contacts: Sequence[ContactRow]) -> Curve:
    total = drill.contacts_total()
    times = drill.ack_times()
    points = tuple((t, i) for i, t in enumerate(times, start=1))
    milestones = tuple(
        Milestone(share, _needed(share, total), _nth(times, _needed(share, total)))
        for share in SHARES
    )
    to_ack = sorted(c.time_to_ack_seconds for c in contacts if c.time_to_ack_seconds is not None)
    return Curve(
        total=total,
        points=points,
        milestones=milestones,
        times_to_ack=tuple(to_ack),
        median_seconds=statistics.median(to_ack) if to_ack else None,
        p90_seconds=_percentile(to_ack, 0.9),
        max_seconds=to_ack[-1] if to_ack else None,
    )


def _summary(
    drill: _Drill,
    plan: Plan | None,
    scenario: Scenario | None,
    regional: dict[str, bool] | None,
    contacts: Sequence[ContactRow],
    sites: Sequence[SiteTiming],
    trees: Sequence[TreeTiming],
) -> Summary:
    total = drill.contacts_total()
    statuses = [c.status for c in contacts]
    acknowledged = statuses.count("acknowledged")
    centres = [s for s in sites if s.regional_centre]
    # Regional centres the trees should have reached but whose level never started.
    if plan is not None:
        listed = {s.site for s in centres}
        for row in contacts:
            if row.site is not None and row.site not in listed and (regional or {}).get(row.site):
                listed.add(row.site)
                centres.append(
                    SiteTiming(row.site, row.site_name or _same(row.site), True, 1, None, None)
                )
    _, all_sites = drill.sites_reached(regional)
    if not centres:
        all_sites = None
    trees_done = [t.completed_seconds for t in trees]
    targets: tuple[TargetResult, ...] = ()
    if plan is not None and scenario is not None:
        names = {site.id: Label(site.name.ja, site.name.en) for site in plan.sites}
        targets = tuple(
            _target(drill, plan.target(t), regional, total, names)
            for t in scenario.targets
            if plan.has("target", t)
        )
    return Summary(
        contacts=total,
        acknowledged=acknowledged,
        unreached=statuses.count("unreached"),
        cancelled=statuses.count("cancelled") + statuses.count("aborted"),
        not_paged=total
        - acknowledged
        - statuses.count("unreached")
        - statuses.count("cancelled")
        - statuses.count("aborted")
        - statuses.count("paging"),
        paging=statuses.count("paging"),
        share_acknowledged=acknowledged / total if total else None,
        sites_total=len(centres),
        sites_reached=sum(1 for s in centres if s.reached_seconds is not None),
        all_sites_seconds=all_sites,
        trees_completed_seconds=(
            max(t for t in trees_done if t is not None)
            if trees_done
            and all(t is not None for t in trees_done)
            and len(trees) == len(drill.start.trees)
            else None
        ),
        nagasaki_whole_minutes=NAGASAKI_WHOLE_MINUTES,
        nagasaki_all_sites_minutes=NAGASAKI_ALL_SITES_MINUTES,
        targets=targets,
        duplicates=drill.duplicates,
        second_acknowledgements=drill.second_acks,
    )


def _target(
    drill: _Drill,
    target: Target,
    regional: dict[str, bool] | None,
    total: int,
    names: dict[str, Label],
) -> TargetResult:
    trees = [target.tree] if target.tree is not None else list(drill.start.trees)
    detail: Label | None = None
    actual: float | None
    if target.metric is Metric.ALL_SITES_REACHED:
        reached, actual = drill.sites_reached(regional, target.tree)
        missing = [names.get(site, _same(site)) for site, t in reached.items() if t is None]
        if missing:
            detail = Label(
                "連絡がつかなかった拠点: " + "、".join(m.ja for m in missing),
                "Sites not reached: " + ", ".join(m.get("en") for m in missing),
            )
    elif target.metric is Metric.TREE_COMPLETED:
        done = [drill.tree_done(t) for t in trees]
        actual = max(d for d in done if d is not None) if all(d is not None for d in done) else None
        if actual is None:
            detail = Label(
                "連絡網が完了しなかった、または必要な応答数に達しない段があった",
                "A tree did not finish, or a level did not get the acknowledgements it needed",
            )
    elif target.metric is Metric.LEVEL_COMPLETED:
        assert target.tree is not None and target.level is not None
        actual = drill.level_done(target.tree, target.level)
        if actual is None:
            detail = Label(
                "段が必要な応答数に達しなかった", "The level did not get enough acknowledgements"
            )
    else:
        assert target.share is not None
        scope_total = (
            sum(1 for m in drill.members.values() if m.tree == target.tree)
            if target.tree is not None
            else total
        )
        times = drill.ack_times(target.tree)
        actual = _nth(times, _needed(target.share, scope_total))
    limit = target.within_minutes * 60.0
    met = actual is not None and actual <= limit + _EPS
    return TargetResult(
        id=target.id,
        name=Label(target.name.ja, target.name.en),
        metric=target.metric.value,
        within_minutes=target.within_minutes,
        actual_seconds=actual,
        met=met,
        margin_seconds=limit - actual if actual is not None else None,
        detail=detail,
    )


def _playbook(drill: _Drill, plan: Plan | None) -> PlaybookReport:
    playbook_id = drill.start.playbook
    book = (
        plan.playbook(playbook_id)
        if plan is not None and playbook_id is not None and plan.has("playbook", playbook_id)
        else None
    )
    rows: list[StepRow] = []
    for step_id in drill.start.steps:
        step = next((s for s in book.steps if s.id == step_id), None) if book else None
        done = drill.steps_done.get(step_id)
        due = drill.steps_due.get(step_id)
        target = step.target_minutes if step is not None else None
        if target is None and done is not None:
            target = done[1].target_minutes
        if target is None and due is not None:
            target = due[1].target_minutes
        owner = step.owner if step is not None else (due[1].owner if due is not None else None)
        completed = done[1].elapsed if done is not None else None
        if done is not None:
            status = "late" if done[1].timing is StepTiming.LATE else "on_time"
        elif due is not None:
            status = "missed"
        else:
            status = "not_done"
        late_by = (
            completed - target * 60.0
            if completed is not None and target is not None and status == "late"
            else None
        )
        rows.append(
            StepRow(
                step=step_id,
                title=Label(step.title.ja, step.title.en) if step is not None else _same(step_id),
                owner=owner,
                owner_name=_role_name(plan, owner) if owner is not None else None,
                target_minutes=target,
                completed_seconds=completed,
                completed_at=drill.local(done[1].at) if done is not None else None,
                by=done[1].by if done is not None else None,
                status=status,
                late_by_seconds=late_by,
                checklist=step.checklist if step is not None else (),
                seq=done[0] if done is not None else (due[0] if due is not None else None),
            )
        )
    return PlaybookReport(
        id=playbook_id,
        title=Label(book.title.ja, book.title.en) if book is not None else None,
        steps=tuple(rows),
    )


# -- findings -----------------------------------------------------------------------------


def _findings(
    drill: _Drill,
    plan: Plan | None,
    contacts: Sequence[ContactRow],
    levels: Sequence[LevelTiming],
    playbook: PlaybookReport,
    summary: Summary,
) -> tuple[Finding, ...]:
    out: list[Finding] = []
    if isinstance(drill.end, DrillAborted):
        out.append(
            Finding(
                "aborted",
                "high",
                _same(drill.start.drill_id),
                Label(
                    f"訓練は {drill.end.by} により中止されました（理由: {drill.end.reason}）。",
                    f"The drill was aborted by {drill.end.by} ({drill.end.reason}).",
                ),
                Label(
                    "中止の理由を解消し、同じシナリオで訓練をやり直してください。",
                    "Deal with the reason and run the scenario again.",
                ),
                (drill.end_seq or 0,),
            )
        )
    for target in summary.targets:
        if not target.met:
            out.append(_target_finding(target))
    for level in levels:
        if level.satisfied is False:
            out.append(
                Finding(
                    "level_not_satisfied",
                    "high",
                    level.name,
                    Label(
                        f"段「{level.name.ja}」は必要な応答数 {level.required} に達しませんでした"
                        f"（応答 {level.acknowledged}/{level.members}）。",
                        f"Level '{level.name.get('en')}' did not get the {level.required} "
                        f"acknowledgement(s) it needs ({level.acknowledged} of {level.members}).",
                    ),
                    Label(
                        "連絡のつかなかった役割に代理者を追加し、連絡先を確認してください。"
                        "必要な応答数（required）が実情に合っているかも見直してください。",
                        "Add deputies to the roles that were not reached and check their "
                        "numbers; check that the level's `required` matches what is needed.",
                    ),
                    tuple(
                        s
                        for s in (drill.levels[(level.tree, level.level)].completed_seq,)
                        if s is not None
                    ),
                )
            )
    for row in contacts:
        if row.status == "unreached":
            out.append(_unreached_finding(drill, plan, row))
    out.extend(_bad_numbers(drill, plan))
    for row in contacts:
        if row.status == "acknowledged" and row.candidate_index:
            holder = next((a for a in row.attempts if a.candidate_index == 0), None)
            if holder is None:
                continue
            seqs = [drill.pages[a.page_id].seq for a in row.attempts if a.candidate_index == 0]
            reasons = sorted(
                {a.reason for a in row.attempts if a.candidate_index == 0 and a.reason}
            )
            reasons_ja = "、".join(reason_pair(r)[0] for r in reasons)
            reasons_en = ", ".join(reason_pair(r)[1] for r in reasons)
            out.append(
                Finding(
                    "deputy_answered",
                    "medium",
                    row.name,
                    Label(
                        f"{row.name.ja}の担当者 {holder.person_name} に連絡がつかず、代理者 "
                        f"{row.acknowledged_by} が応答しました（{reasons_ja or '応答なし'}）。",
                        f"{row.name.get('en')}: the holder {holder.person_name} was not reached; "
                        f"the deputy {row.acknowledged_by} acknowledged "
                        f"({reasons_en or 'no answer'}).",
                    ),
                    Label(
                        f"{holder.person_name} の連絡先と不在時の連絡方法を確認してください。"
                        "不在が多い時間帯があれば、その時間は代理者を先に呼ぶよう連絡網を見直してください。",
                        f"Check {holder.person_name}'s numbers and how to reach them when away; "
                        "if they are often away at this time, page the deputy first then.",
                    ),
                    tuple(seqs) + ((row.ack_seq,) if row.ack_seq else ()),
                )
            )
    for step in playbook.steps:
        if step.status in ("late", "missed"):
            out.append(_step_finding(step))
    late_acks = [c for c in contacts if c.late]
    if late_acks:
        out.append(
            Finding(
                "late_acknowledgements",
                "low",
                _same(str(len(late_acks))),
                Label(
                    f"{len(late_acks)} 件の応答が応答待ち時間を過ぎてから届きました"
                    f"（{'、'.join(c.name.ja for c in late_acks[:5])}{' ほか' if len(late_acks) > 5 else ''}）。",
                    f"{len(late_acks)} acknowledgement(s) came after the page's timeout "
                    f"({', '.join(c.name.get('en') for c in late_acks[:5])}"
                    f"{', …' if len(late_acks) > 5 else ''}).",
                ),
                Label(
                    "応答待ち時間（ack_timeout_minutes）が短すぎないか、応答の操作が分かりにくくないかを確認してください。",
                    "Check that the ack timeout is not too short and that acknowledging is easy.",
                ),
                tuple(c.ack_seq for c in late_acks if c.ack_seq is not None)[:50],
            )
        )
    order = {"high": 0, "medium": 1, "low": 2}
    return tuple(sorted(out, key=lambda f: order[f.severity]))


def _target_finding(target: TargetResult) -> Finding:
    fixes = {
        "all_sites_reached": (
            "支所の段をより早く始めるよう前の段を短くする（応答待ち時間・手段の数）か、支所への連絡を最初の段に移してください。",
            "Start the regional-centre level sooner: shorten the levels before it (timeouts, "
            "channels), or page the centres in the first level.",
        ),
        "tree_completed": (
            "時間のかかった段と連絡のつかなかった役割を確認し、代理者の追加と応答待ち時間の見直しをしてください。",
            "Look at the slowest levels and the roles not reached: add deputies and review "
            "the timeouts.",
        ),
        "level_completed": (
            "この段の相手先（窓口）の番号と受付時間を確認し、代理の窓口を追加してください。",
            "Check the numbers and hours of this level's desks, and add a second desk.",
        ),
        "share_acknowledged": (
            "応答の遅い人・手段を確認し、最初に使う手段（電話・SMS）と応答方法の周知を見直してください。",
            "Find who and which channel were slow, and review the first channel used and how "
            "people are told to acknowledge.",
        ),
    }
    fix_ja, fix_en = fixes.get(target.metric, ("", ""))
    if target.actual_seconds is None:
        what_ja = "期限内に達成されず、最後まで達成されませんでした"
        what_en = "it was never reached"
    else:
        over = -(target.margin_seconds or 0.0)
        what_ja = f"{round(over)}秒超過しました"
        what_en = f"it was missed by {round(over)} s"
    return Finding(
        "target_missed",
        "high",
        target.name,
        Label(
            f"目標「{target.name.ja}」（{target.within_minutes:g}分以内）を達成できませんでした: {what_ja}。",
            f"Target '{target.name.get('en')}' (within {target.within_minutes:g} min) was "
            f"missed: {what_en}.",
        ),
        Label(fix_ja, fix_en),
        (),
    )


def _unreached_finding(drill: _Drill, plan: Plan | None, row: ContactRow) -> Finding:
    people = []
    for attempt in row.attempts:
        if attempt.person_name not in people:
            people.append(attempt.person_name)
    keys = list(row.failures) or ([row.unreached_reason] if row.unreached_reason else [])
    reasons_ja = "、".join(reason_pair(k)[0] for k in keys)
    reasons_en = ", ".join(reason_pair(k)[1] for k in keys)
    deputies = 0
    if plan is not None and plan.is_role(row.member):
        deputies = len(plan.role(row.member).deputies)
    if row.unreached_reason == "no_candidates":
        fix = Label(
            "この役割の担当者と代理者を決めて連絡先一覧に登録してください。",
            "Name a holder and deputies for this role in the contact list.",
        )
    elif row.unreached_reason == "no_contact_point":
        fix = Label(
            "この段で使う手段（電話・SMS・メール）の連絡先を登録してください。",
            "Add a contact point on the level's channels (voice, SMS, e-mail).",
        )
    else:
        fix = Label(
            f"連絡先を本人に確認して更新し、代理者を追加してください（現在の代理者 {deputies} 人）。",
            f"Confirm and update their numbers, and add a deputy (deputies now: {deputies}).",
        )
    seqs = [drill.pages[a.page_id].seq for a in row.attempts]
    member = drill.members.get((row.tree, row.level, row.member))
    if member is not None and member.unreached_seq is not None:
        seqs.append(member.unreached_seq)
    site = f"（{row.site_name.ja}）" if row.site_name else ""
    site_en = f" ({row.site_name.get('en')})" if row.site_name else ""
    return Finding(
        "unreached",
        "high",
        row.name,
        Label(
            f"{row.name.ja}{site}に連絡がつきませんでした。呼び出した人: {'、'.join(people) or 'なし'}。理由: {reasons_ja or '不明'}。",
            f"{row.name.get('en')}{site_en} was not reached. Paged: {', '.join(people) or 'nobody'}. "
            f"Why: {reasons_en or 'unknown'}.",
        ),
        fix,
        tuple(seqs),
    )


def _bad_numbers(drill: _Drill, plan: Plan | None) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for page in drill.pages.values():
        reason = page.reason
        if page.outcome != "failed" or reason is None:
            continue
        q = page.queued
        key = (q.person_id, q.channel.value, q.address)
        if key in seen or reason not in _BAD_POINT | _SETUP:
            continue
        seen.add(key)
        masked = mask_address(q.address)
        if reason in _BAD_POINT:
            out.append(
                Finding(
                    "bad_number",
                    "high",
                    _same(q.person_name),
                    Label(
                        f"{q.person_name} の{_CHANNEL_JA.get(q.channel.value, q.channel.value)} {masked} は使えませんでした（{reason_pair(reason)[0]}）。",
                        f"{q.person_name}'s {q.channel.value} {masked} failed ({reason_pair(reason)[1]}).",
                    ),
                    Label(
                        f"本人に正しい連絡先を確認し、連絡先一覧（contacts/、{q.person_id}）を更新してください。",
                        f"Ask them for the right number or address and update the contact list "
                        f"(contacts/, {q.person_id}).",
                    ),
                    (page.seq,),
                )
            )
        else:
            out.append(
                Finding(
                    "channel_problem",
                    "medium",
                    _same(q.channel.value),
                    Label(
                        f"{_CHANNEL_JA.get(q.channel.value, q.channel.value)}の送信が事業者側の理由で失敗しました（{reason_pair(reason)[0]}、{q.person_name}）。",
                        f"A {q.channel.value} page failed at the provider ({reason_pair(reason)[1]}, {q.person_name}).",
                    ),
                    Label(
                        "事業者の設定（drillkit の設定ファイル）と契約の送信上限を確認してください。",
                        "Check the provider settings (drillkit's config file) and the account's "
                        "sending limits.",
                    ),
                    (page.seq,),
                )
            )
    return out


_CHANNEL_JA = {"voice": "電話", "sms": "SMS", "email": "メール"}


def _step_finding(step: StepRow) -> Finding:
    owner_ja = step.owner_name.ja if step.owner_name else (step.owner or "")
    owner_en = step.owner_name.get("en") if step.owner_name else (step.owner or "")
    target = f"{step.target_minutes:g}" if step.target_minutes is not None else "—"
    if step.status == "late":
        late = round(step.late_by_seconds or 0.0)
        text = Label(
            f"手順「{step.title.ja}」（担当: {owner_ja}）は目標 {target}分を {late}秒過ぎて完了しました。",
            f"Step '{step.title.get('en')}' (owner: {owner_en}) was done {late} s after its "
            f"{target}-minute target.",
        )
        severity = "medium"
    else:
        text = Label(
            f"手順「{step.title.ja}」（担当: {owner_ja}）は目標 {target}分までに完了しませんでした。",
            f"Step '{step.title.get('en')}' (owner: {owner_en}) was not done by its "
            f"{target}-minute target.",
        )
        severity = "high"
    return Finding(
        f"step_{step.status}",
        severity,
        step.title,
        text,
        Label(
            f"{owner_ja}と代理者に手順の内容と目標時間を周知し、手順が実情に合っているか（依存する手順、目標時間）を見直してください。",
            f"Walk {owner_en} and their deputy through the step and its target, and check "
            "that the step (its dependencies and target) is realistic.",
        ),
        (step.seq,) if step.seq is not None else (),
    )


# -- self-inspection ----------------------------------------------------------------------


def _checklist(
    drill: _Drill,
    plan: Plan | None,
    scenario: Scenario | None,
    playbook: PlaybookReport,
    trees: Sequence[TreeTiming],
) -> tuple[ChecklistEvidence, ...]:
    if scenario is None:
        return ()
    cited: dict[str, list[str]] = {}
    for number in scenario.checklist:
        cited.setdefault(number, []).append("scenario")
    for step in playbook.steps:
        for number in step.checklist:
            cited.setdefault(number, []).append(f"step:{step.step}")
    ordered = sorted(cited, key=_item_order)
    return tuple(_evidence(drill, n, cited[n], playbook, trees) for n in ordered)


def _item_order(number: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in number.split("-"))
    except ValueError:
        return (999,)


def _evidence(
    drill: _Drill,
    number: str,
    cited_by: list[str],
    playbook: PlaybookReport,
    trees: Sequence[TreeTiming],
) -> ChecklistEvidence:
    item = CHECKLIST.get(number)
    label = Label(item.ja, item.en) if item is not None else _same(number)
    evidence: list[Evidence] = []
    problems: list[Label] = []
    steps = [s for s in playbook.steps if number in s.checklist]
    for step in steps:
        if step.status in ("on_time", "late") and step.seq is not None:
            evidence.append(
                Evidence(
                    step.seq,
                    "StepCompleted",
                    Label(
                        f"手順「{step.title.ja}」完了（{step.by}）",
                        f"Step '{step.title.get('en')}' completed by {step.by}",
                    ),
                )
            )
        else:
            problems.append(
                Label(
                    f"手順「{step.title.ja}」が完了していない",
                    f"step '{step.title.get('en')}' was not completed",
                )
            )
    scope = {"5-2": "internal", "5-3": "external"}.get(number)
    if scope is not None:
        scoped = [t for t in trees if t.scope == scope]
        if not scoped:
            problems.append(
                Label(
                    "この訓練では該当する連絡網を使っていない",
                    "this drill did not page such a tree",
                )
            )
        for tree in scoped:
            tree_state = drill.trees[tree.tree]
            if tree.satisfied and tree_state.completed_seq is not None:
                evidence.append(
                    Evidence(
                        tree_state.completed_seq,
                        "TreeCompleted",
                        Label(
                            f"{tree.name.ja}: 全段が必要な応答数に達して完了（応答 {tree.acknowledged}/{tree.contacts}）",
                            f"{tree.name.get('en')}: every level got its acknowledgements "
                            f"({tree.acknowledged} of {tree.contacts})",
                        ),
                    )
                )
            else:
                problems.append(
                    Label(
                        f"{tree.name.ja}で必要な応答数に達しない段があった",
                        f"a level of {tree.name.get('en')} did not get the acknowledgements it needs",
                    )
                )
    if number == "5-1":
        evidence.append(
            Evidence(
                1,
                "DrillStarted",
                Label(
                    f"計画（版 {drill.start.plan_version}）に基づき「{drill.start.scenario_title_ja}」を実施",
                    f"'{drill.start.scenario_title_en or drill.start.scenario_title_ja}' run under "
                    f"the plan (version {drill.start.plan_version})",
                ),
            )
        )
        if isinstance(drill.end, DrillCompleted) and drill.end_seq is not None:
            evidence.append(
                Evidence(
                    drill.end_seq, "DrillCompleted", Label("訓練を最後まで実施", "Run to the end")
                )
            )
        else:
            problems.append(
                Label("訓練が最後まで実施されていない", "the drill did not run to the end")
            )
    if not steps and scope is None and number != "5-1":
        if isinstance(drill.end, DrillCompleted) and drill.end_seq is not None:
            evidence.append(
                Evidence(
                    drill.end_seq,
                    "DrillCompleted",
                    Label("シナリオを最後まで実施", "Scenario run to the end"),
                )
            )
        else:
            problems.append(
                Label("シナリオが最後まで実施されていない", "the scenario did not run to the end")
            )
    if problems:
        score = 2
        reason = Label(
            "計画には定めがあるが、この訓練では確認できなかった: "
            + "、".join(p.ja for p in problems),
            "In the plan, but this drill did not show it working: "
            + "; ".join(p.get("en") for p in problems),
        )
    elif evidence:
        score = 3
        reason = Label(
            "この訓練で実際に行われ、記録で確認できる",
            "Exercised successfully in this drill, as the events show",
        )
    else:
        score = 2
        reason = Label("この訓練には根拠となる記録がない", "No event of this drill shows it")
    ja, en = SCORES[score]
    return ChecklistEvidence(
        number=number,
        item=label,
        cited_by=tuple(cited_by),
        evidence=tuple(evidence),
        score=score,
        score_label=Label(ja, en),
        reason=reason,
    )


# -- year on year -------------------------------------------------------------------------


def _history(
    drill: _Drill, earlier: Sequence[Iterable[Input]], regional: dict[str, bool] | None
) -> History:
    drills: list[_Drill] = []
    for events in earlier:
        try:
            past = _Drill(events)
        except ValueError:
            continue
        if (
            past.start.scenario_id == drill.start.scenario_id
            and past.start.drill_id != drill.start.drill_id
            and past.start.at <= drill.start.at
        ):
            drills.append(past)
    drills.sort(key=lambda d: d.start.at)
    drills.append(drill)
    columns: list[tuple[str, str, Label]] = []
    seen: set[tuple[str, str]] = set()
    for item in drills:
        for (tree, level), state in item.levels.items():
            if (tree, level) not in seen:
                seen.add((tree, level))
                columns.append((tree, level, Label(state.started.name_ja, state.started.name_en)))
    rows = tuple(
        HistoryRow(
            drill_id=item.start.drill_id,
            started_at=item.started_at,
            mode=item.start.mode.value,
            simulated=item.start.simulated,
            outcome=item.outcome,
            duration_seconds=item.duration,
            all_sites_seconds=item.sites_reached(regional)[1],
            share_acknowledged=(
                sum(1 for m in item.members.values() if m.ack is not None) / item.contacts_total()
                if item.contacts_total()
                else None
            ),
            acknowledged=sum(1 for m in item.members.values() if m.ack is not None),
            contacts=item.contacts_total(),
            levels=tuple(item.level_done(tree, level) for tree, level, _ in columns),
            current=item is drill,
        )
        for item in drills
    )
    return History(levels=tuple(columns), rows=rows, trend=_trend(rows))


def _trend(rows: Sequence[HistoryRow]) -> tuple[Label, ...]:
    if len(rows) < 2:
        return ()
    now, before = rows[-1], rows[-2]
    out: list[Label] = []
    for name_ja, name_en, a, b in (
        ("所要時間", "Duration", before.duration_seconds, now.duration_seconds),
        (
            "全支所への連絡",
            "Every regional centre reached",
            before.all_sites_seconds,
            now.all_sites_seconds,
        ),
    ):
        if a is None or b is None:
            continue
        diff = b - a
        if abs(diff) < 1:
            out.append(Label(f"{name_ja}: 前回と同じ", f"{name_en}: as last time"))
            continue
        minutes, seconds = divmod(round(abs(diff)), 60)
        amount_ja = f"{minutes}分{seconds:02d}秒" if minutes else f"{seconds}秒"
        amount_en = f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
        if diff < 0:
            out.append(
                Label(
                    f"{name_ja}: 前回より {amount_ja} 短縮（改善）",
                    f"{name_en}: {amount_en} faster than last time (better)",
                )
            )
        else:
            out.append(
                Label(
                    f"{name_ja}: 前回より {amount_ja} 延長（悪化）",
                    f"{name_en}: {amount_en} slower than last time (worse)",
                )
            )
    if now.share_acknowledged is not None and before.share_acknowledged is not None:
        diff = (now.share_acknowledged - before.share_acknowledged) * 100
        if abs(diff) < 0.05:
            out.append(Label("応答率: 前回と同じ", "Share acknowledged: as last time"))
        else:
            word_ja = "上昇" if diff > 0 else "低下"
            word_en = "up" if diff > 0 else "down"
            out.append(
                Label(
                    f"応答率: 前回より {abs(diff):.1f} ポイント{word_ja}",
                    f"Share acknowledged: {word_en} {abs(diff):.1f} points on last time",
                )
            )
    if len(rows) >= 3:
        series = [r.all_sites_seconds for r in rows]
        if all(s is not None for s in series):
            values = [s for s in series if s is not None]
            if all(b < a for a, b in itertools.pairwise(values)):
                out.append(
                    Label(
                        f"全支所への連絡は {len(values)} 回続けて短縮しています",
                        f"Every regional centre was reached faster in each of the last "
                        f"{len(values)} drills",
                    )
                )
            elif all(b > a for a, b in itertools.pairwise(values)):
                out.append(
                    Label(
                        f"全支所への連絡は {len(values)} 回続けて遅くなっています",
                        f"Reaching every regional centre took longer in each of the last "
                        f"{len(values)} drills",
                    )
                )
    return tuple(out)


# -- timeline -----------------------------------------------------------------------------


def _timeline(drill: _Drill) -> tuple[TimelineEntry, ...]:
    out: list[TimelineEntry] = []
    for seq, e in drill.timeline_events:
        entry = _timeline_entry(drill, seq, e)
        if entry is not None:
            out.append(entry)
    return tuple(out)


def _timeline_entry(drill: _Drill, seq: int, e: Event) -> TimelineEntry | None:
    kind: str
    text: Label
    if isinstance(e, DrillStarted):
        kind, text = "started", Label("開始", "Started")
    elif isinstance(e, InjectFired):
        kind = "inject"
        text = Label(f"状況付与: {e.text_ja}", f"Inject: {e.text_en or e.text_ja}")
    elif isinstance(e, NoteAdded):
        kind, text = "note", Label(f"メモ（{e.by}）: {e.text}", f"Note ({e.by}): {e.text}")
    elif isinstance(e, DrillPaused):
        why = f": {e.reason}" if e.reason else ""
        kind, text = "paused", Label(f"一時停止（{e.by}）{why}", f"Paused by {e.by}{why}")
    elif isinstance(e, DrillResumed):
        kind = "resumed"
        text = Label(
            f"再開（{e.by}、停止 {round(e.paused_seconds)}秒）",
            f"Resumed by {e.by} after {round(e.paused_seconds)} s",
        )
    elif isinstance(e, DrillInterrupted):
        kind = "interrupted"
        text = Label(
            f"処理が中断していた（最後の記録 {e.last_seq}: {e.last_event}）",
            f"The process had stopped (last event {e.last_seq}: {e.last_event})",
        )
    elif isinstance(e, DrillRecovered):
        kind = "recovered"
        text = Label(
            f"記録から状態を復元して再開（応答済み {e.acknowledged} 件を保持）",
            f"State rebuilt from the events; {e.acknowledged} acknowledgement(s) kept",
        )
    elif isinstance(e, DrillAborted):
        kind = "aborted"
        text = Label(f"中止（{e.by}）: {e.reason}", f"Aborted by {e.by}: {e.reason}")
    elif isinstance(e, DrillCompleted):
        kind, text = "completed", Label("終了", "Ended")
    elif isinstance(e, TreeCompleted):
        tree = drill.trees.get(e.tree)
        name = Label(tree.started.name_ja, tree.started.name_en) if tree else _same(e.tree)
        ok_ja = "完了" if e.satisfied else "完了（応答不足あり）"
        ok_en = "completed" if e.satisfied else "finished (not every level satisfied)"
        kind = "tree_completed"
        text = Label(f"{name.ja} {ok_ja}", f"{name.get('en')} {ok_en}")
    elif isinstance(e, LevelCompleted):
        level = drill.levels.get((e.tree, e.level))
        name = Label(level.started.name_ja, level.started.name_en) if level else _same(e.level)
        ok_ja = "完了" if e.satisfied else "応答不足のまま終了"
        ok_en = "satisfied" if e.satisfied else "not satisfied"
        kind = "level_completed"
        text = Label(
            f"段「{name.ja}」{ok_ja}（{e.acknowledged}/{e.required}）",
            f"Level '{name.get('en')}' {ok_en} ({e.acknowledged}/{e.required})",
        )
    elif isinstance(e, StepCompleted):
        timing = "期限内" if e.timing is StepTiming.ON_TIME else "遅延"
        kind = "step_completed"
        text = Label(
            f"手順 {e.step} 完了（{timing}、{e.by}）",
            f"Step {e.step} done ({e.timing.value.replace('_', ' ')}, {e.by})",
        )
    elif isinstance(e, StepDue):
        kind = "step_due"
        text = Label(
            f"手順 {e.step} の目標時間（{e.target_minutes:g}分）を過ぎた",
            f"Step {e.step} passed its {e.target_minutes:g}-minute target",
        )
    else:
        return None
    return TimelineEntry(seq=seq, elapsed=e.elapsed, at=drill.local(e.at), kind=kind, text=text)
