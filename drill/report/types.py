"""The drill report as data: the frozen records every renderer formats.

`drill.report.model.build` fills them from the one fold of a drill's events
(`drill.engine.state.DrillState`); HTML, Markdown, JSON, CSV and PDF only format them.
Every count and every "satisfied", "met" or "late" here is the fold's, never recounted.

All times are seconds on the drill's clock from its start (`*_seconds`), or aware
datetimes in the plan's time zone (`*_at`). `docs/report-json.md` documents each field as
the JSON report writes it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

__all__ = [
    "NAGASAKI_ALL_SITES_MINUTES",
    "NAGASAKI_WHOLE_MINUTES",
    "SHARES",
    "AnswerChange",
    "AnswerChoice",
    "AnswerLevel",
    "AnswerPerson",
    "Answers",
    "Attempt",
    "Benchmark",
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
    "MarkedAway",
    "Milestone",
    "OfficerRow",
    "OperatorPages",
    "OrderRow",
    "OutsidePageRow",
    "PassedOver",
    "PlaybookReport",
    "Report",
    "SiteTiming",
    "StepRow",
    "Summary",
    "TargetResult",
    "TimelineEntry",
    "TreeTiming",
    "UpdateCopyRow",
    "UpdateRow",
    "actor",
    "same",
]

NAGASAKI_WHOLE_MINUTES = 50.0
"""Nagasaki City's annual contact-tree drill took about 50 minutes (seed 002)."""
NAGASAKI_ALL_SITES_MINUTES = 10.0
"""…and reached every regional centre in about 10 minutes."""
SHARES = (0.5, 0.9, 1.0)
"""The shares of contacts whose time to acknowledge the curve reports."""


@dataclass(frozen=True, slots=True)
class Label:
    """A text in Japanese and, where known, English."""

    ja: str
    en: str | None = None

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.ja


SIMULATED_OPERATOR = "simulated operator"
"""The name the simulated duty officer records (`drill.engine.simulation.SimulatedOperator`)."""


def actor(by: str | None) -> Label:
    """Who did something, as recorded; the simulated duty officer in the reader's words."""
    if by == SIMULATED_OPERATOR:
        return Label("模擬の担当者", "simulated operator")
    return same(by or "")


def same(text: str) -> Label:
    """A text that reads the same in both languages (an id, a name)."""
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
    """completed, finished, idle, failed (no page could be delivered), aborted,
    interrupted (not resumed) or running: the fold's `DrillState.outcome()`."""
    outcome_by: str | None
    outcome_reason: str | None
    """Why the drill was aborted."""
    paused_seconds: float
    interruptions: int
    channels: str | None = None
    """Where the pages went: real, sandbox or simulated (None: recorded before it was)."""
    scenario_kind: str | None = None
    """drill (the annual roll call) or incident, from the plan (None without it)."""

    @property
    def rehearsal(self) -> bool:
        """A rehearsal (予行): simulated people or the local sandbox, no real channel."""
        return self.channels != "real" if self.channels is not None else self.simulated


@dataclass(frozen=True, slots=True)
class TreeTiming:
    tree: str
    name: Label
    scope: str
    started_seconds: float | None
    completed_seconds: float | None
    satisfied: bool | None
    """Every level satisfied; None until the tree completed."""
    contacts: int
    acknowledged: int
    """Contacts who acknowledged in time."""
    late: int
    """Contacts who acknowledged after their paging ended (counted by nothing)."""


@dataclass(frozen=True, slots=True)
class LevelTiming:
    tree: str
    level: str
    name: Label
    mode: str
    required: int
    members: int
    acknowledged: int
    """Acknowledgements counted: recorded while the contact and the level were open."""
    late: int
    """Members who acknowledged after their paging ended: shown, never counted."""
    started_seconds: float | None
    completed_seconds: float | None
    satisfied: bool | None
    """None when the level never finished."""
    unreached: tuple[str, ...]
    """Members whose paging ran out of people or channels (late ones included)."""
    reason: Label | None
    """Why the level was not satisfied, in the fold's numbers."""
    must_each: tuple[Label, ...] = ()
    """Members that had to answer each, whatever the quorum (an outside agency the
    scenario requires), named when they are not simply all of them (quorum `all`)."""
    missing: tuple[Label, ...] = ()
    """Of those, the ones that did not acknowledge in time (`LevelState.waiting_for`)."""

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
    """When the first contact of this site acknowledged in time."""
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
    """The figures a manager reads first; the status counts add up to `contacts`."""

    contacts: int
    acknowledged: int
    """In time: counted by levels, trees, sites, targets and the curve."""
    late: int
    """Acknowledged after their paging ended: shown with their time, counted by nothing."""
    unreached: int
    cancelled: int
    """Not needed (不要): their level was satisfied without them."""
    aborted: int
    """Not reached: the drill was aborted or ended before they were."""
    not_paged: int
    paging: int
    share_acknowledged: float | None
    sites_total: int
    """Regional centres (支所) the scenario's trees should reach."""
    sites_reached: int
    all_sites_seconds: float | None
    trees_completed_seconds: float | None
    """When the last tree completed; None unless every tree was satisfied."""
    nagasaki_whole_minutes: float
    nagasaki_all_sites_minutes: float
    targets: tuple[TargetResult, ...]
    duplicates: int
    second_acknowledgements: int
    centres_in_plan: int = 0
    """Regional centres the plan has: an incident that pages fewer (a theft tells the
    one centre it happened at) is not measured against "every regional centre"."""


@dataclass(frozen=True, slots=True)
class Milestone:
    share: float
    count: int
    seconds: float | None


@dataclass(frozen=True, slots=True)
class Curve:
    """Cumulative acknowledgements in time: the safety-confirmation services' curve."""

    total: int
    points: tuple[tuple[float, int], ...]
    """(seconds from the start, contacts acknowledged so far), one per acknowledgement."""
    milestones: tuple[Milestone, ...]
    times_to_ack: tuple[float, ...]
    """Per contact acknowledged in time: seconds from its first page to its acknowledgement."""
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
    """acknowledged (in time), late (acknowledged after its paging ended), unreached,
    cancelled (not needed: its level was satisfied), aborted (not reached: the drill was
    aborted or ended first), not_paged or paging."""
    acknowledged_by: str | None
    acknowledged_person: str | None
    candidate_index: int | None
    """0 the holder, 1… a deputy (代理者)."""
    ack_channel: str | None
    ack_source: str | None
    entered_by: str | None
    acknowledged_at: dt.datetime | None
    ack_seconds: float | None
    """From the start of the drill (in time or late)."""
    time_to_ack_seconds: float | None
    """From this contact's first page."""
    after_deadline: bool
    """Acknowledged in time, but after its page's own timeout."""
    failures: tuple[str, ...]
    """Why pages failed, in order, each reason once."""
    given_up_reason: str | None
    """Why its paging ended without an acknowledgement in time (late, unreached,
    cancelled, aborted): ladder_exhausted, no_contact_point, no_candidates,
    level_satisfied, drill_aborted or drill_finished."""
    unreached_reason: str | None
    """For an unreached contact: why every person and channel ran out."""
    attempts: tuple[Attempt, ...]
    ack_seq: int | None
    passed_over: tuple[PassedOver, ...] = ()
    """Candidates not paged because they were away (休暇, 出張 …), in order."""


@dataclass(frozen=True, slots=True)
class PassedOver:
    """A candidate the drill did not page because the plan marks them away then."""

    person: str
    """Their name."""
    absence: str
    """The plan's word for why (休暇, 出張, 異動 …)."""
    seq: int | None


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
    """drill_failed, provider_error, aborted, target_missed, level_not_satisfied,
    unreached, acknowledged_late, bad_number, deputy_answered, passed_over, step_late, step_missed,
    acknowledged_after_stop, acknowledged_after_timeout."""
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
    """3 運用している only when a drill with real channels (or a real incident)
    exercised it, as the cited events show; 2 整備している when the plan defines it but
    this run did not exercise it, or only rehearsed it; 1 整備していない when the plan
    lacks it (`drill.report.evidence`)."""
    score_label: Label | None
    reason: Label
    rehearsal: bool = False
    """This run was a rehearsal (予行: simulated people or the local sandbox)."""
    defined: bool = True
    """The plan defines the item (a tree of its scope, a playbook step carrying it)."""


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
    """Seconds from the start until each level of `History.levels` completed satisfied."""
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
    signature: str | None = None
    """Ed25519 signature of the head (see `drill.store.anchor`); None when unsigned."""
    public_key: str | None = None
    """The public key that checks `signature`."""
    key_id: str | None = None
    """A short fingerprint of `public_key`, for people."""

    @property
    def command(self) -> str:
        return "drillkit verify {drill_id}"


@dataclass(frozen=True, slots=True)
class Benchmark:
    """What this kind of scenario is compared with, in one line of the summary.

    The annual roll call (a scenario of kind drill) against Nagasaki City's drill (about
    50 minutes whole, about 10 to every regional centre: seed 002); an incident scenario
    against its own playbook's target times, never against Nagasaki's roll call.
    """

    kind: str
    """nagasaki (the roll call) or playbook (an incident's own step targets)."""
    steps: int = 0
    """Playbook steps with a target time."""
    on_time: int = 0
    late: int = 0
    not_done: int = 0
    """Past their target and never done, or not done when the drill ended."""
    last_target_minutes: float | None = None
    """The latest target of the playbook: when the whole response should be done."""


@dataclass(frozen=True, slots=True)
class UpdateCopyRow:
    """One person's copy of a status update: where it went, when they acknowledged it."""

    person_id: str
    person_name: str
    channel: str | None
    address: str | None
    """Masked for a phone number, as the journal keeps it."""
    sent: bool | None
    """Accepted by the provider (None: no answer recorded, or never queued)."""
    acknowledged_at: dt.datetime | None
    seconds_to_acknowledge: float | None
    """From the update to the person's acknowledgement."""
    source: str | None


@dataclass(frozen=True, slots=True)
class UpdateRow:
    """A status update (第N報) and its acknowledgements, as the fold counted them."""

    number: int
    kind: str
    """first, followup or final."""
    text: str
    by: str
    origin: str | None
    issued_at: dt.datetime
    issued_seconds: float
    audience: str
    recipients: int
    acknowledged: int
    median_seconds: float | None
    """Median time to acknowledge, of those who did."""
    slowest_seconds: float | None
    copies: tuple[UpdateCopyRow, ...]


@dataclass(frozen=True, slots=True)
class AnswerPerson:
    """One contact's counted answer to the scenario's question."""

    tree: str
    level: str
    member: str
    name: str
    """The person who answered."""
    at: dt.datetime
    answer_seconds: float
    via: str
    """voice, sms, email, reply or manual."""
    late: bool
    """Given after the contact was given up (still tallied)."""


@dataclass(frozen=True, slots=True)
class AnswerChoice:
    """One choice and who gave it (their first answer), in the order they answered."""

    key: str
    label: Label
    means: str | None
    """coming, needs_help or None."""
    count: int
    people: tuple[AnswerPerson, ...]


@dataclass(frozen=True, slots=True)
class AnswerLevel:
    """The answers of one level: a count per choice (in the question's order)."""

    tree: str
    level: str
    name: Label
    counts: tuple[int, ...]
    unanswered: int


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """A later, different answer of a contact (kept; the first one is counted)."""

    member: str
    name: str
    first: str
    later: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Answers:
    """The tally of answers to the scenario's question (出社可否, 安否), from the fold."""

    question: Label
    choices: tuple[AnswerChoice, ...]
    answered: int
    unanswered: int
    """Contacts of the scenario without an answer."""
    coming: int
    """Answers whose choice means "coming" (can come in)."""
    needs_help: int
    """Answers whose choice means "needs_help"."""
    levels: tuple[AnswerLevel, ...]
    changes: tuple[AnswerChange, ...]


@dataclass(frozen=True, slots=True)
class OfficerRow:
    """One officer in charge (責任者) of the drill, from the fold's chain, in order."""

    name: str
    since: dt.datetime
    """When they took charge (the drill's start, or their handover), in the plan's zone."""
    since_seconds: float
    until: dt.datetime | None
    """When they handed over (None: in charge to the end, or still)."""
    until_seconds: float | None
    from_officer: str | None
    """Who handed over to them (None for whoever started the drill)."""
    by: str | None
    """Who entered the handover (None for whoever started the drill)."""
    note: str | None
    """The note passed on with the handover."""
    seq: int | None
    """The event that put them in charge (`DrillStarted` or `HandedOver`)."""


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
    benchmark: Benchmark = field(default=Benchmark("nagasaki"))
    """What the summary compares this drill with (`drill.report.benchmark`)."""
    updates: tuple[UpdateRow, ...] = field(default=())
    """The status updates (第N報) with who acknowledged each (`drill.report.updates`)."""
    answers: Answers | None = None
    """The tally of answers, when the scenario asked a question (`drill.report.answers`)."""
    operator: OperatorPages = field(default_factory=lambda: OperatorPages())
    """Pages the operator ordered outside the tree, and people marked away from the
    console (`drill.report.operator`)."""
    officers: tuple[OfficerRow, ...] = ()
    """The chain of officers in charge (責任者) and each handover, in order."""

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.drill.timezone)


# -- pages ordered by the operator, people marked away (drill.report.operator) ----------


@dataclass(frozen=True, slots=True)
class OutsidePageRow:
    """One page of an operator's order: who, how, and when they answered."""

    person: str
    """The person's name (an ad hoc person's as entered)."""
    ad_hoc: bool
    channel: str
    address: str
    """Masked number or e-mail address."""
    outcome: str
    """pending, acknowledged, failed or unanswered (the drill ended first)."""
    answered_at: dt.datetime | None
    answered_seconds: float | None
    tree_contact: str | None
    """`tree/level/member` of the tree contact paged again (unanswered), if any."""
    seq: int | None


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An operator's order to page now (今すぐ呼出)."""

    seq: int
    at: dt.datetime
    elapsed: float
    by: str
    origin: str | None
    """The console it was asked from (None: where the engine ran)."""
    asked: str
    """person, role, ad_hoc or unanswered."""
    what: Label
    pages: tuple[OutsidePageRow, ...]


@dataclass(frozen=True, slots=True)
class MarkedAway:
    """A person marked away (不在) from the console during the drill."""

    seq: int
    at: dt.datetime
    elapsed: float
    by: str
    origin: str | None
    person: str
    reason: str
    until: dt.datetime | None
    passed_over: int
    """How many times the ladder passed them over for it."""
    back_at: dt.datetime | None = None
    """When the mark was taken back from a console (復帰); None when it was not."""
    back_by: str | None = None
    back_seq: int | None = None


@dataclass(frozen=True, slots=True)
class OperatorPages:
    """The operator's pages outside the tree and people marked away; counted by nothing."""

    orders: tuple[OrderRow, ...] = ()
    marked_away: tuple[MarkedAway, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.orders or self.marked_away)
