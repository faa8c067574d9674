"""What the live board shows, computed from a `DrillState` (and the plan, when it is known).

Nothing here imports Textual: the board widgets ask this model for rows, progress,
targets, steps and log lines, so the same model serves the live board, the history
replay and the benchmark. `Feed` is the engine handler that records what changed since
the last repaint, so a flood of events becomes one repaint of the rows that changed.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable

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
    TreeCompleted,
    TreeStarted,
)
from drill.engine.state import ContactState, ContactStatus, DrillState, StepStatus
from drill.plan.models import Metric, Plan, Scenario
from drill.tui.cells import clock_text, minutes_text
from drill.tui.i18n import language, pick, t

__all__ = [
    "FILTERS",
    "BoardModel",
    "Feed",
    "LevelLine",
    "LogLine",
    "RowCells",
    "RowKey",
    "StepLine",
    "TargetLine",
    "row_id",
    "row_key",
]

RowKey = tuple[str, str, str]
"""(tree, level, member): one contact of the run."""

_ACK, _PENDING, _FAILED, _NOT_NEEDED = range(4)
_CATEGORY = {
    ContactStatus.ACKNOWLEDGED: _ACK,
    ContactStatus.UNREACHED: _FAILED,
    ContactStatus.CANCELLED: _NOT_NEEDED,
}

FILTERS = ("all", "pending", "problems")

_STYLE = {
    ContactStatus.WAITING: "dim",
    ContactStatus.QUEUED: "white",
    ContactStatus.CALLING: "bold cyan",
    ContactStatus.SENT: "cyan",
    ContactStatus.RINGING: "bold cyan",
    ContactStatus.DELIVERED: "cyan",
    ContactStatus.OPENED: "bold cyan",
    ContactStatus.NO_ANSWER: "yellow",
    ContactStatus.FAILED: "bold yellow",
    ContactStatus.ESCALATED: "bold magenta",
    ContactStatus.ACKNOWLEDGED: "bold green",
    ContactStatus.UNREACHED: "bold red",
    ContactStatus.CANCELLED: "dim",
}
_PROBLEMS = frozenset(
    {
        ContactStatus.NO_ANSWER,
        ContactStatus.FAILED,
        ContactStatus.ESCALATED,
        ContactStatus.UNREACHED,
    }
)
_DONE = frozenset({ContactStatus.ACKNOWLEDGED, ContactStatus.UNREACHED, ContactStatus.CANCELLED})


def row_id(key: RowKey) -> str:
    """A row key as one string (for select widgets): tree/level/member."""
    return "/".join(key)


def row_key(value: str) -> RowKey:
    tree, level, member = value.split("/", 2)
    return (tree, level, member)


@dataclasses.dataclass(frozen=True, slots=True)
class RowCells:
    """One contact row, as text: state, name, role, site, level, detail."""

    state: str
    style: str
    name: str
    role: str
    site: str
    level: str
    detail: str


@dataclasses.dataclass(frozen=True, slots=True)
class LevelLine:
    """Progress of one level (or one site)."""

    name: str
    acknowledged: int
    pending: int
    failed: int
    total: int
    required: int | None
    status: str
    """waiting, running, satisfied or exhausted."""


@dataclasses.dataclass(frozen=True, slots=True)
class TargetLine:
    name: str
    within_minutes: float
    status: str
    """met, missed or open."""
    at_seconds: float | None
    """When it was met."""
    remaining_seconds: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class StepLine:
    step: str
    title: str
    owner: str
    target_minutes: float | None
    status: str
    """pending, due or completed."""
    timing: str | None
    text: str
    """Countdown, overdue time or completion, in words."""


@dataclasses.dataclass(frozen=True, slots=True)
class LogLine:
    clock: str
    """Wall time in the plan's zone (HH:MM:SS)."""
    elapsed: str
    text: str
    style: str


class BoardModel:
    """Rows, progress, targets, playbook and log lines of one run."""

    def __init__(
        self,
        state: DrillState,
        plan: Plan | None = None,
        scenario: Scenario | None = None,
    ) -> None:
        self.state = state
        self.plan = plan
        self.scenario = scenario
        self.filter = "all"
        zone_name = (
            state.started.timezone
            if state.started is not None
            else plan.info.timezone
            if plan is not None
            else "Asia/Tokyo"
        )
        self.zone = zoneinfo.ZoneInfo(zone_name)
        self.rows: list[RowKey] = []
        self._known: set[RowKey] = set()
        # Progress counts, kept up to date row by row (a 5,000-row count per repaint is
        # what made the board stutter): [acknowledged, pending, failed, not needed].
        self._category: dict[RowKey, int] = {}
        self._row_site: dict[RowKey, str | None] = {}
        self._level_counts: dict[tuple[str, str], list[int]] = {}
        self._site_counts: dict[str, list[int]] = {}
        self._synced = (-1, -1)
        self._level_numbers: dict[tuple[str, str], str] = {}
        self._level_names: dict[tuple[str, str], tuple[str, str | None]] = {}
        """(Japanese, English) name of each level, picked when shown."""
        self._plan_rows()
        self.sync_rows()

    # -- rows ------------------------------------------------------------------------

    def _plan_rows(self) -> None:
        plan, scenario = self.plan, self.scenario
        if plan is None or scenario is None:
            return
        for tree_index, tree_id in enumerate(scenario.trees):
            if not plan.has("tree", tree_id):
                continue
            tree = plan.tree(tree_id)
            for level_index, level in enumerate(tree.levels):
                self._level_numbers[(tree.id, level.id)] = f"{tree_index + 1}-{level_index + 1}"
                self._level_names[(tree.id, level.id)] = (level.name.ja, level.name.en)
                for member in level.members:
                    self._add_row((tree.id, level.id, member.ref))

    def _add_row(self, key: RowKey) -> None:
        if key not in self._known:
            self._known.add(key)
            self.rows.append(key)
            self._level_counts.setdefault((key[0], key[1]), [0, 0, 0, 0])
            self._recount(key)

    def _site_for(self, key: RowKey) -> str | None:
        contact = self.state.contacts.get(key)
        site = contact.site if contact is not None else None
        if site is None and self._plan_knows(key[2]):
            site = self._member_site(*key)
        return site

    def _recount(self, key: RowKey) -> None:
        status = self._status(key, self.state.contacts.get(key))
        category = _CATEGORY.get(status, _PENDING)
        site = self._site_for(key)
        old = self._category.get(key)
        old_site = self._row_site.get(key)
        if old == category and old_site == site:
            return
        level = self._level_counts.setdefault((key[0], key[1]), [0, 0, 0, 0])
        if old is not None:
            level[old] -= 1
            if old_site is not None:
                self._site_counts[old_site][old] -= 1
        level[category] += 1
        if site is not None:
            self._site_counts.setdefault(site, [0, 0, 0, 0])[category] += 1
        self._category[key] = category
        self._row_site[key] = site

    def recount(self, keys: Iterable[RowKey]) -> None:
        """Bring the progress counts up to date for rows that changed."""
        for key in keys:
            if key in self._known:
                self._recount(key)

    def totals(self) -> tuple[int, int, int]:
        """(acknowledged, pending, failed) over all rows."""
        acked = pending = failed = 0
        for counts in self._level_counts.values():
            acked += counts[_ACK]
            pending += counts[_PENDING]
            failed += counts[_FAILED]
        return acked, pending, failed

    def sync_rows(self) -> bool:
        """Add rows for contacts the plan did not name (a replay without its plan)."""
        seen = (len(self.state.contacts), len(self.state.levels))
        if seen == self._synced:
            return False
        self._synced = seen
        before = len(self.rows)
        for key in self.state.contacts:
            self._add_row(key)
        for (tree, level), state in self.state.levels.items():
            self._level_names.setdefault((tree, level), (state.name_ja, state.name_en))
            if (tree, level) not in self._level_numbers:
                trees = list(self.state.trees)
                tree_no = trees.index(tree) + 1 if tree in trees else 0
                same_tree = [k for k in self._level_numbers if k[0] == tree]
                self._level_numbers[(tree, level)] = f"{tree_no}-{len(same_tree) + 1}"
        return len(self.rows) != before

    def visible_rows(self) -> list[RowKey]:
        """The rows the current filter shows, in order."""
        if self.filter == "all":
            return self.rows
        wanted = _PROBLEMS if self.filter == "problems" else None
        out: list[RowKey] = []
        for key in self.rows:
            status = self.status(key)
            if wanted is None:
                if status not in _DONE:
                    out.append(key)
            elif status in wanted:
                out.append(key)
        return out

    def status(self, key: RowKey) -> ContactStatus:
        contact = self.state.contacts.get(key)
        return self._status(key, contact)

    def _status(self, key: RowKey, contact: ContactState | None) -> ContactStatus:
        """The contact's status; one never paged in a level that is over was not needed."""
        status = contact.status if contact is not None else ContactStatus.WAITING
        if status is ContactStatus.WAITING:
            level = self.state.levels.get((key[0], key[1]))
            if level is not None and level.status.value in ("satisfied", "exhausted"):
                return ContactStatus.CANCELLED
            if self.state.ended is not None:
                return ContactStatus.CANCELLED
        return status

    def level_number(self, tree: str, level: str) -> str:
        return self._level_numbers.get((tree, level), "")

    def level_name(self, tree: str, level: str) -> str:
        names = self._level_names.get((tree, level))
        return _name(*names) if names is not None else level

    def person_name(self, person_id: str | None) -> str:
        if person_id is None:
            return ""
        if self.plan is not None and self.plan.has("person", person_id):
            return self.plan.person(person_id).name
        return person_id

    def role_name(self, ref: str) -> str:
        plan = self.plan
        if plan is not None and plan.is_role(ref):
            return pick(plan.role(ref).name)
        if plan is not None and plan.has("person", ref):
            return ""
        return ref

    def site_name(self, site: str | None) -> str:
        if site is None:
            return ""
        if self.plan is not None and self.plan.has("site", site):
            return pick(self.plan.site(site).name)
        return site

    def local_time(self, when: dt.datetime | None) -> str:
        return when.astimezone(self.zone).strftime("%H:%M:%S") if when is not None else ""

    def cells(self, key: RowKey) -> RowCells:
        tree, level, member = key
        contact = self.state.contacts.get(key)
        status = self._status(key, contact)
        name = ""
        if contact is not None:
            name = contact.person_name or self.person_name(contact.person_id)
        if not name and self.plan is not None:
            candidates = self.plan.candidates(member) if self._plan_knows(member) else ()
            name = candidates[0].name if candidates else member
        if contact is not None and contact.escalated and status is not ContactStatus.ESCALATED:
            name = "↪" + name
        site = contact.site if contact is not None else None
        if site is None and self.plan is not None and self._plan_knows(member):
            site = self._member_site(tree, level, member)
        return RowCells(
            state=t(f"state.{status.value}"),
            style=_STYLE[status],
            name=name or member,
            role=self.role_name(member),
            site=self.site_name(site),
            level=self.level_number(tree, level),
            detail=self._detail(contact, status),
        )

    def _plan_knows(self, ref: str) -> bool:
        plan = self.plan
        return plan is not None and (plan.is_role(ref) or plan.has("person", ref))

    def _member_site(self, tree: str, level: str, member: str) -> str | None:
        plan = self.plan
        assert plan is not None
        if not plan.has("tree", tree):
            return None
        for lv in plan.tree(tree).levels:
            if lv.id == level:
                for m in lv.members:
                    if m.ref == member:
                        return plan.site_of(m)
        return None

    def _detail(self, contact: ContactState | None, status: ContactStatus) -> str:
        if contact is None:
            return ""
        if status is not contact.status:  # never paged: its level finished without it
            return t("reason.level_satisfied")
        channel = t(f"channel.{contact.channel.value}") if contact.channel is not None else ""
        if status is ContactStatus.ACKNOWLEDGED:
            source = contact.acknowledged_source or ""
            if source == "manual":
                how = t("channel.manual")
                if contact.entered_by:
                    how += f"({contact.entered_by})"
            elif contact.acknowledged_channel is not None:
                how = t(f"channel.{contact.acknowledged_channel.value}")
            else:
                how = source
            text = f"{self.local_time(contact.acknowledged_at)} {how}"
            response = contact.response_seconds
            if response is not None:
                text += f" +{clock_text(response)}"
            if contact.escalations:
                text += " " + t("state.escalated")
            return text
        if status is ContactStatus.ESCALATED:
            return t("detail.escalated_to", name=self.person_name(contact.person_id))
        if status in (ContactStatus.FAILED, ContactStatus.NO_ANSWER):
            reason = contact.failure.value if contact.failure is not None else "no_answer"
            text = t(f"reason.{reason}")
            return f"{channel} {text}" if channel else text
        if status is ContactStatus.UNREACHED:
            return t(f"reason.{contact.unreached_reason or 'ladder_exhausted'}")
        if status is ContactStatus.CANCELLED:
            why = contact.cancelled.value if contact.cancelled is not None else "level_satisfied"
            return t(f"reason.{why}")
        if channel:
            return t("detail.attempt", channel=channel, attempt=contact.attempt)
        return ""

    # -- progress --------------------------------------------------------------------

    def level_lines(self) -> list[LevelLine]:
        out: list[LevelLine] = []
        for (tree, level), counts in self._level_counts.items():
            state = self.state.levels.get((tree, level))
            status = state.status.value if state is not None else "waiting"
            required = state.required if state is not None else None
            name = f"{self.level_number(tree, level)} {self.level_name(tree, level)}"
            acked, pending, failed, _ = counts
            out.append(LevelLine(name, acked, pending, failed, sum(counts), required, status))
        return out

    def site_lines(self) -> list[LevelLine]:
        out: list[LevelLine] = []
        for site, counts in self._site_counts.items():
            acked, pending, failed, _ = counts
            if not sum(counts):
                continue
            status = "satisfied" if acked and not pending else "running" if acked else "waiting"
            out.append(
                LevelLine(self.site_name(site), acked, pending, failed, sum(counts), None, status)
            )
        return out

    def target_lines(self, elapsed: float) -> list[TargetLine]:
        plan, scenario = self.plan, self.scenario
        if plan is None or scenario is None:
            return []
        out: list[TargetLine] = []
        for target_id in scenario.targets:
            if not plan.has("target", target_id):
                continue
            target = plan.target(target_id)
            limit = target.within_minutes * 60.0
            at = self._met_at(target.metric, target.tree, target.level, target.share)
            if at is not None and at <= limit + 1e-6:
                status, remaining = "met", None
            elif elapsed > limit or (at is not None and at > limit) or self.state.ended is not None:
                status, remaining = "missed", None
            else:
                status, remaining = "open", limit - elapsed
            out.append(TargetLine(pick(target.name), target.within_minutes, status, at, remaining))
        return out

    def _met_at(
        self, metric: Metric, tree: str | None, level: str | None, share: float | None
    ) -> float | None:
        state = self.state
        keys = [k for k in self.rows if tree is None or k[0] == tree]
        if metric is Metric.TREE_COMPLETED:
            trees = [tree] if tree is not None else list(state.trees)
            done: list[float] = []
            for tree_id in trees:
                found = state.trees.get(tree_id)
                if found is None or not found.satisfied or found.completed_elapsed is None:
                    return None
                done.append(found.completed_elapsed)
            return max(done) if done else None
        if metric is Metric.LEVEL_COMPLETED:
            assert tree is not None and level is not None
            found_level = state.levels.get((tree, level))
            if found_level is None or found_level.status.value != "satisfied":
                return None
            return found_level.completed_elapsed
        if metric is Metric.SHARE_ACKNOWLEDGED:
            times = sorted(
                c.acknowledged_elapsed
                for k in keys
                if (c := state.contacts.get(k)) is not None and c.acknowledged_elapsed is not None
            )
            needed = math.ceil((share or 1.0) * len(keys))
            return times[needed - 1] if needed and len(times) >= needed else None
        # every regional centre reached: someone at each centre acknowledged
        plan = self.plan
        centres = {s.id for s in plan.sites if s.regional_centre} if plan is not None else set()
        first: dict[str, float] = {}
        seen: set[str] = set()
        for key in keys:
            contact = state.contacts.get(key)
            site = contact.site if contact is not None else self._member_site(*key)
            if site not in centres or site is None:
                continue
            seen.add(site)
            if contact is not None and contact.acknowledged_elapsed is not None:
                first[site] = min(first.get(site, math.inf), contact.acknowledged_elapsed)
        if not seen or set(first) != seen:
            return None
        return max(first.values())

    # -- playbook and injects --------------------------------------------------------

    def step_lines(self, elapsed: float) -> list[StepLine]:
        plan, scenario = self.plan, self.scenario
        out: list[StepLine] = []
        playbook = (
            plan.playbook(scenario.playbook)
            if plan is not None and scenario is not None and scenario.playbook is not None
            else None
        )
        step_ids = (
            [s.id for s in playbook.steps] if playbook is not None else list(self.state.steps)
        )
        for step_id in step_ids:
            step = playbook.step(step_id) if playbook is not None else None
            state = self.state.steps.get(step_id)
            target: float | None = None
            if step is not None:
                target = step.target_minutes
            elif state is not None:
                target = state.target_minutes
            status = state.status.value if state is not None else "pending"
            title = pick(step.title) if step is not None else step_id
            owner = self.role_name(step.owner) if step is not None else ""
            if state is not None and state.status is StepStatus.COMPLETED:
                done = clock_text(state.completed_elapsed or 0.0)
                text = t("board.step.done_at", time=done)
                if state.by:
                    text += f" ({state.by})"
            elif target is not None:
                left = target * 60.0 - elapsed
                if left >= 0:
                    text = t("board.step.due_in", minutes=clock_text(left))
                else:
                    text = t("board.step.overdue", minutes=clock_text(-left))
                    status = "due"
            else:
                text = ""
            timing = state.timing.value if state is not None and state.timing is not None else None
            out.append(StepLine(step_id, title, owner, target, status, timing, text))
        return out

    def open_steps(self) -> list[tuple[str, str]]:
        """(title, id) of steps not completed yet, for the complete-step dialog."""
        return [
            (f"{line.title} — {line.owner}" if line.owner else line.title, line.step)
            for line in self.step_lines(self.state.elapsed)
            if line.status != "completed"
        ]

    def inject_lines(self, elapsed: float) -> list[tuple[str, str, str]]:
        """(when, text, style) for each inject: fired ones bright, the next one marked."""
        fired = {inject.index for inject in self.state.injects}
        out: list[tuple[str, str, str]] = []
        scenario = self.scenario
        if scenario is None:
            for fired_inject in self.state.injects:
                when = f"T+{minutes_text(fired_inject.at_minutes)}"
                out.append((when, _name(fired_inject.text_ja, fired_inject.text_en), "bold"))
            return out
        marked = False
        for index, planned in enumerate(scenario.injects):
            when = f"T+{minutes_text(planned.at_minutes)}"
            if index in fired:
                out.append((when, pick(planned.text), "bold"))
            elif not marked:
                marked = True
                left = clock_text(max(0.0, planned.at_minutes * 60.0 - elapsed))
                out.append((f"{when} (-{left})", pick(planned.text), "yellow"))
            else:
                out.append((when, pick(planned.text), "dim"))
        return out

    def ack_choices(self) -> list[tuple[str, str, str]]:
        """(label, row id, search words) of contacts not acknowledged yet.

        The words hold every candidate's name and reading (holder and deputies: whoever
        was reached), the role and the site, for the manual dialog's search.
        """
        out: list[tuple[str, str, str]] = []
        for key in self.rows:
            status = self.status(key)
            if status is ContactStatus.ACKNOWLEDGED:
                continue
            cells = self.cells(key)
            role = f" — {cells.role}" if cells.role else ""
            words = [cells.name, cells.role, cells.site, key[2]]
            if self._plan_knows(key[2]) and self.plan is not None:
                for person in self.plan.candidates(key[2]):
                    words += [person.name, person.kana or "", person.id]
            label = f"{cells.level} {cells.name.lstrip('↪')}{role}"
            out.append((label, row_id(key), " ".join(words)))
        return out

    # -- the log ---------------------------------------------------------------------

    def log_line(self, event: Event) -> LogLine | None:
        text, style = self._log_text(event)
        if text is None:
            return None
        return LogLine(
            self.local_time(event.at), clock_text(event.elapsed), text.replace("\n", " "), style
        )

    def _page_name(self, page_id: str | None) -> str:
        contact = self.state.pages.get(page_id or "")
        if contact is None:
            return page_id or ""
        return contact.person_name or self.person_name(contact.person_id)

    def _log_text(self, e: Event) -> tuple[str | None, str]:
        if isinstance(e, DrillStarted):
            mode = t("board.mode.incident") if e.mode == "incident" else t("board.mode.drill")
            title = _name(e.scenario_title_ja, e.scenario_title_en)
            return t("log.DrillStarted", title=title, mode=mode), "bold"
        if isinstance(e, TreeStarted):
            return t("log.TreeStarted", name=_name(e.name_ja, e.name_en)), "bold"
        if isinstance(e, TreeCompleted):
            name = self._tree_name(e.tree)
            style = "bold green" if e.satisfied else "bold red"
            return (
                t("log.TreeCompleted", name=name, acked=e.acknowledged, total=e.contacts),
                style,
            )
        if isinstance(e, LevelStarted):
            return t("log.LevelStarted", name=_name(e.name_ja, e.name_en)), "bold"
        if isinstance(e, LevelCompleted):
            name = self.level_name(e.tree, e.level)
            key = "log.LevelCompleted" if e.satisfied else "log.LevelFailed"
            style = "green" if e.satisfied else "bold red"
            return t(key, name=name, acked=e.acknowledged, required=e.required), style
        if isinstance(e, PageQueued):
            channel = t(f"channel.{e.channel.value}")
            return t("log.PageQueued", name=e.person_name, channel=channel, attempt=e.attempt), ""
        if isinstance(e, PageSent):
            if e.accepted:
                return None, ""
            reason = t(f"reason.{e.failure.value}") if e.failure is not None else ""
            return t("log.PageFailed", name=self._page_name(e.page_id), reason=reason), "yellow"
        if isinstance(e, DeliveryUpdated):
            return None, ""
        if isinstance(e, DeliveryFailed):
            reason = t(f"reason.{e.reason.value}")
            return t("log.DeliveryFailed", name=self._page_name(e.page_id), reason=reason), "yellow"
        if isinstance(e, AttemptTimedOut):
            contact = self.state.pages.get(e.page_id)
            channel = (
                t(f"channel.{contact.channel.value}")
                if contact is not None and contact.channel is not None
                else ""
            )
            return (
                t("log.AttemptTimedOut", name=self._page_name(e.page_id), channel=channel),
                "yellow",
            )
        if isinstance(e, Acknowledged):
            if e.source == "manual":
                text = t("log.AcknowledgedManual", name=e.person_name, by=e.entered_by or "")
            else:
                channel = t(f"channel.{e.channel.value}") if e.channel is not None else e.source
                text = t("log.Acknowledged", name=e.person_name, channel=channel)
            return text, "green" if e.first else "dim green"
        if isinstance(e, Escalated):
            return (
                t(
                    "log.Escalated",
                    from_name=self.person_name(e.from_person),
                    to_name=self.person_name(e.to_person),
                ),
                "magenta",
            )
        if isinstance(e, MemberUnreached):
            return t("log.MemberUnreached", name=self.role_name(e.member) or e.member), "bold red"
        if isinstance(e, PagingCancelled):
            return None, ""
        if isinstance(e, InjectFired):
            return t("log.InjectFired", text=_name(e.text_ja, e.text_en)), "bold yellow"
        if isinstance(e, StepDue):
            return t("log.StepDue", title=self._step_title(e.step)), "red"
        if isinstance(e, StepCompleted):
            return t("log.StepCompleted", title=self._step_title(e.step), by=e.by), "green"
        if isinstance(e, NoteAdded):
            return t("log.NoteAdded", by=e.by, text=e.text), "bold"
        if isinstance(e, DrillPaused):
            return t("log.DrillPaused", by=e.by), "bold yellow"
        if isinstance(e, DrillResumed):
            return t("log.DrillResumed", by=e.by), "bold"
        if isinstance(e, DrillInterrupted):
            return t("log.DrillInterrupted"), "bold red"
        if isinstance(e, DrillRecovered):
            return t("log.DrillRecovered"), "bold"
        if isinstance(e, DrillAborted):
            return t("log.DrillAborted", by=e.by, reason=e.reason), "bold red"
        if isinstance(e, DrillCompleted):
            return t("log.DrillCompleted", acked=e.acknowledged, total=e.contacts), "bold green"
        return None, ""

    def _tree_name(self, tree: str) -> str:
        state = self.state.trees.get(tree)
        if state is not None and state.name_ja:
            return _name(state.name_ja, state.name_en)
        if self.plan is not None and self.plan.has("tree", tree):
            return pick(self.plan.tree(tree).name)
        return tree

    def _step_title(self, step_id: str) -> str:
        plan, scenario = self.plan, self.scenario
        if plan is not None and scenario is not None and scenario.playbook is not None:
            playbook = plan.playbook(scenario.playbook)
            if any(s.id == step_id for s in playbook.steps):
                return pick(playbook.step(step_id).title)
        return step_id


def _name(ja: str, en: str | None) -> str:
    return en if language() == "en" and en else ja


class Feed:
    """The engine handler of a board: remembers what changed until the next repaint.

    Like toolong's `can_replace`, many changes of one row between two repaints become
    one repaint of that row; nothing is lost, because the rows are drawn from the state,
    which the engine has already updated when the handler is called.
    """

    def __init__(self, state: DrillState, log_limit: int = 500) -> None:
        self.state = state
        self.dirty: set[RowKey] = set()
        self.sections: set[str] = set()
        self.log: collections.deque[Event] = collections.deque(maxlen=log_limit)
        self.received = 0
        """Events noted since the board was attached."""
        self.applied = 0
        """Events whose changes a repaint has taken (the rest are waiting for the next)."""

    def __call__(self, drill_id: str, event: Event) -> None:
        self.note(event)

    def note(self, event: Event) -> None:
        self.received += 1
        self.log.append(event)
        key = _event_key(self.state, event)
        if key is not None:
            self.dirty.add(key)
            self.sections.add("progress")
        elif isinstance(event, LevelStarted):
            for member in event.members:
                self.dirty.add((event.tree, event.level, member))
            self.sections.add("progress")
        elif isinstance(event, InjectFired):
            self.sections.add("injects")
        elif isinstance(event, StepDue | StepCompleted):
            self.sections.add("steps")
        elif isinstance(event, LevelCompleted):
            # Members never paged in a level that is over become "not needed".
            level = self.state.levels.get((event.tree, event.level))
            for member in level.members if level is not None else ():
                self.dirty.add((event.tree, event.level, member))
            self.sections.add("progress")
        elif isinstance(event, TreeCompleted | TreeStarted):
            self.sections.add("progress")
        elif isinstance(event, DrillCompleted | DrillAborted):
            self.dirty.update(self.state.contacts)
            self.sections.update(("progress", "status"))
        else:
            self.sections.add("status")

    def take(self) -> tuple[set[RowKey], set[str], list[Event]]:
        """What changed since the last call (and forget it).

        The log keeps only the newest `log_limit` events between two repaints; the rows
        and panes lose nothing, since they are drawn from the state.
        """
        dirty, sections, log = self.dirty, self.sections, list(self.log)
        self.dirty, self.sections = set(), set()
        self.log.clear()
        self.applied = self.received
        return dirty, sections, log


def _event_key(state: DrillState, event: Event) -> RowKey | None:
    member = getattr(event, "member", None)
    if isinstance(member, str):
        return (getattr(event, "tree", ""), getattr(event, "level", ""), member)
    page_id = getattr(event, "page_id", None)
    if isinstance(page_id, str):
        contact = state.pages.get(page_id)
        if contact is not None:
            return (contact.tree, contact.level, contact.member)
    return None
