"""What the live board shows, read from the drill's fold (`DrillState`) and the plan.

Nothing here imports Textual: the board widgets ask this model for rows, progress,
targets, steps and log lines, so the same model serves the live board, the history
replay and the benchmark. `Feed` is the engine handler that records what changed since
the last repaint, so a flood of events becomes one repaint of the rows that changed.

Nothing here decides an outcome. Every contact's status (in time, late, not needed, not
reached because the drill was aborted), every level's acknowledgements and satisfaction,
every site reached and every target met, missed or open is the fold's answer
(`status_of`, `LevelState`, `sites()`, `target_outcome`); the model only tallies the
fold's statuses row by row, so that a 5,000-contact board does not count them all at
each repaint. The words are the one catalogue's (`drill.words`).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable

from drill.engine.events import (
    Acknowledged,
    DeliveryUpdated,
    DrillAborted,
    DrillCompleted,
    DuplicatesCounted,
    Event,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    PageSent,
    PagingCancelled,
    StepCompleted,
    StepDue,
    TreeCompleted,
    TreeStarted,
)
from drill.engine.state import (
    ContactState,
    ContactStatus,
    DrillState,
    LevelStatus,
    SiteProgress,
    StepStatus,
    regional_centres,
)
from drill.plan.audience import scenario_reach
from drill.plan.models import Plan, Scenario
from drill.tui.cells import clock_text, minutes_text
from drill.tui.i18n import language, pick, t
from drill.words import Words, words
from drill.words.choices import choice_word, tally_line
from drill.words.sentences import TONE_STYLE, FoldNames

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
    "Totals",
    "row_id",
    "row_key",
]

RowKey = tuple[str, str, str]
"""(tree, level, member): one contact of the run."""

# Groups of the fold's statuses that the progress lines count.
_ACK, _LATE, _PENDING, _UNREACHED, _NOT_NEEDED, _NOT_REACHED = range(6)
_GROUPS = 6
_GROUP = {
    ContactStatus.ACKNOWLEDGED: _ACK,
    ContactStatus.LATE: _LATE,
    ContactStatus.UNREACHED: _UNREACHED,
    ContactStatus.CANCELLED: _NOT_NEEDED,
    ContactStatus.ABORTED: _NOT_REACHED,
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
    ContactStatus.RESTING: "magenta",
    ContactStatus.ACKNOWLEDGED: "bold green",
    ContactStatus.LATE: "bold yellow",
    ContactStatus.UNREACHED: "bold red",
    ContactStatus.CANCELLED: "dim",
    ContactStatus.ABORTED: "red",
}
_PROBLEMS = frozenset(
    {
        ContactStatus.NO_ANSWER,
        ContactStatus.FAILED,
        ContactStatus.ESCALATED,
        ContactStatus.RESTING,
        ContactStatus.LATE,
        ContactStatus.UNREACHED,
        ContactStatus.ABORTED,
    }
)
_DONE = frozenset(
    {
        ContactStatus.ACKNOWLEDGED,
        ContactStatus.LATE,
        ContactStatus.UNREACHED,
        ContactStatus.CANCELLED,
        ContactStatus.ABORTED,
    }
)
_ANSWERED = frozenset({ContactStatus.ACKNOWLEDGED, ContactStatus.LATE})
_SILENT = (DeliveryUpdated, DuplicatesCounted, PagingCancelled)
"""Events the log leaves out: the row shows them, and there are many."""


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
    """Progress of one level (or one site), in the fold's terms."""

    name: str
    acknowledged: int
    """Acknowledged in time: what the fold counted."""
    pending: int
    failed: int
    """Not reached: every person and channel tried."""
    total: int
    required: int | None
    status: str
    """A level: waiting, running, satisfied or exhausted (the fold's LevelStatus).
    A site: waiting, reached, all or not_reached."""
    late: int = 0
    """Acknowledged after their paging ended: shown, counted by nothing."""
    not_reached: int = 0
    """Still open when the drill was aborted or ended."""
    word: str = ""
    """The status in words."""
    why: str | None = None
    """Why the drill ended, for the words of those not reached (drill_aborted or
    drill_finished)."""


@dataclasses.dataclass(frozen=True, slots=True)
class TargetLine:
    name: str
    within_minutes: float
    status: str
    """met, missed or open (the fold's TargetOutcome.status)."""
    at_seconds: float | None
    """When it was met."""
    remaining_seconds: float | None
    word: str = ""
    """The status in words."""


@dataclasses.dataclass(frozen=True, slots=True)
class Totals:
    """The fold's statuses over every row."""

    acknowledged: int
    late: int
    pending: int
    unreached: int
    not_needed: int
    not_reached: int

    @property
    def total(self) -> int:
        return (
            self.acknowledged
            + self.late
            + self.pending
            + self.unreached
            + self.not_needed
            + self.not_reached
        )


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
    """Rows, progress, targets, playbook and log lines of one run.

    It is also the `Names` the catalogue's sentences use: the plan's names where the
    plan knows them, else what the events recorded.
    """

    def __init__(
        self,
        state: DrillState,
        plan: Plan | None = None,
        scenario: Scenario | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """`now`: the drill's clock (its virtual or scaled time), for who holds a rota's
        role on a row not paged yet; without it, the time of the drill's last event."""
        self.state = state
        self.plan = plan
        self.scenario = scenario
        self.now = now
        self.filter = "all"
        self._member_sites: dict[tuple[str, str], dict[str, str | None]] = {}
        """Each level's members' sites, made when the level is first drawn."""
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
        # The fold's statuses tallied row by row (a 5,000-row count per repaint is what
        # made the board stutter): one counter per group, per level and per site.
        self._group: dict[RowKey, int] = {}
        self._row_site: dict[RowKey, str | None] = {}
        self._level_counts: dict[tuple[str, str], list[int]] = {}
        self._site_counts: dict[str, list[int]] = {}
        self._sites: tuple[int, dict[str, SiteProgress]] = (-1, {})
        self._regional = regional_centres(plan) if plan is not None else frozenset()
        self._recorded = FoldNames(state, "ja")
        self._synced = (-1, -1)
        self._level_numbers: dict[tuple[str, str], str] = {}
        self._level_names: dict[tuple[str, str], tuple[str, str | None]] = {}
        """(Japanese, English) name of each level, picked when shown."""
        self._plan_rows()
        self.sync_rows()

    @property
    def words(self) -> Words:
        """The catalogue in the console's language."""
        return words(language())

    # -- rows ------------------------------------------------------------------------

    def _plan_rows(self) -> None:
        plan, scenario = self.plan, self.scenario
        if plan is None or scenario is None:
            return
        # Who the scenario pages (its notices), not everyone of its trees.
        for tree_index, reach in enumerate(scenario_reach(plan, scenario)):
            tree = reach.tree
            for level_index, stage in enumerate(reach.stages):
                level = stage.level
                self._level_numbers[(tree.id, level.id)] = f"{tree_index + 1}-{level_index + 1}"
                self._level_names[(tree.id, level.id)] = (level.name.ja, level.name.en)
                for member in level.members:
                    self._add_row((tree.id, level.id, member.ref))

    def _add_row(self, key: RowKey) -> None:
        if key not in self._known:
            self._known.add(key)
            self.rows.append(key)
            self._level_counts.setdefault((key[0], key[1]), [0] * _GROUPS)
            self._recount(key)

    def _site_for(self, key: RowKey) -> str | None:
        contact = self.state.contacts.get(key)
        site = contact.site if contact is not None else None
        if site is None and self._plan_knows(key[2]):
            site = self._member_site(*key)
        return site

    def _recount(self, key: RowKey) -> None:
        group = _GROUP.get(self.state.status_of(key), _PENDING)
        site = self._site_for(key)
        old = self._group.get(key)
        old_site = self._row_site.get(key)
        if old == group and old_site == site:
            return
        level = self._level_counts.setdefault((key[0], key[1]), [0] * _GROUPS)
        if old is not None:
            level[old] -= 1
            if old_site is not None:
                self._site_counts[old_site][old] -= 1
        level[group] += 1
        if site is not None:
            self._site_counts.setdefault(site, [0] * _GROUPS)[group] += 1
        self._group[key] = group
        self._row_site[key] = site

    def recount(self, keys: Iterable[RowKey]) -> None:
        """Bring the tallies up to date for rows whose status changed."""
        for key in keys:
            if key in self._known:
                self._recount(key)

    def totals(self) -> Totals:
        """The fold's statuses over all rows."""
        sums = [0] * _GROUPS
        for counts in self._level_counts.values():
            for group, count in enumerate(counts):
                sums[group] += count
        return Totals(*sums)

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
        """The fold's status of a contact (also of one whose level never started)."""
        return self.state.status_of(key)

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
        return self._recorded.person(person_id)  # as their pages named them

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

    # -- Names, for the catalogue's sentences ------------------------------------------

    def person(self, person_id: str) -> str:
        return self.person_name(person_id)

    def member(self, ref: str) -> str:
        return self.role_name(ref) or self.person_name(ref)

    def tree(self, tree: str) -> str:
        return self._tree_name(tree)

    def level(self, tree: str, level: str) -> str:
        return self.level_name(tree, level)

    def step(self, step: str) -> str:
        return self._step_title(step)

    # -- one row -----------------------------------------------------------------------

    def cells(self, key: RowKey) -> RowCells:
        tree, level, member = key
        contact = self.state.contacts.get(key)
        status = self.state.status_of(key)
        name = ""
        if contact is not None:
            name = contact.person_name or self.person_name(contact.person_id)
        if not name and self.plan is not None:
            # Not paged yet: whoever holds the role now (a rota's person on duty at the
            # drill's time, not its first person).
            at = self.now() if self.now is not None else self.state.last_at
            candidates = self.plan.candidates(member, at) if self._plan_knows(member) else ()
            name = candidates[0].name if candidates else member
        if contact is not None and contact.escalated and status is not ContactStatus.ESCALATED:
            name = "↪" + name
        site = contact.site if contact is not None else None
        if site is None and self.plan is not None and self._plan_knows(member):
            site = self._member_site(tree, level, member)
        return RowCells(
            state=self.words.status(status.value, self._why(contact)),
            style=_STYLE[status],
            name=name or member,
            role=self.role_name(member),
            site=self.site_name(site),
            level=self.level_number(tree, level),
            detail=self._detail(contact, status),
        )

    def _why(self, contact: ContactState | None) -> str | None:
        """Why a contact was given up (a CancelReason value), for "not reached" words."""
        if contact is not None and contact.cancelled is not None:
            return contact.cancelled.value
        if isinstance(self.state.ended, DrillCompleted):
            return "drill_finished"
        return "drill_aborted" if self.state.ended is not None else None

    def _plan_knows(self, ref: str) -> bool:
        plan = self.plan
        return plan is not None and (plan.is_role(ref) or plan.has("person", ref))

    def _member_site(self, tree: str, level: str, member: str) -> str | None:
        sites = self._member_sites.get((tree, level))
        if sites is None:
            # One table per level, not a scan of its members for each row: a level of
            # 5,000 members took 2.5 s to draw a first time when every row scanned it.
            sites = self._member_sites[tree, level] = self._level_sites(tree, level)
        return sites.get(member)

    def _level_sites(self, tree: str, level: str) -> dict[str, str | None]:
        plan = self.plan
        assert plan is not None
        sites: dict[str, str | None] = {}
        if plan.has("tree", tree):
            for lv in plan.tree(tree).levels:
                if lv.id == level:
                    for m in lv.members:
                        sites.setdefault(m.ref, plan.site_of(m))
                    break
        return sites

    def _detail(self, contact: ContactState | None, status: ContactStatus) -> str:
        w = self.words
        if status is ContactStatus.ABORTED:
            return w.reason(self._why(contact))
        if contact is None:
            return ""
        channel = w.channel(contact.channel.value) if contact.channel is not None else ""
        if status in _ANSWERED:
            # In time or late, with the time the person acknowledged; the state column
            # says which.
            source = contact.acknowledged_source or ""
            if source == "manual":
                how = w.channel("manual")
                if contact.entered_by:
                    by = contact.entered_by
                    how += f"({by})" if w.lang == "ja" else f" ({by})"
            elif contact.acknowledged_channel is not None:
                how = w.channel(contact.acknowledged_channel.value)
            else:
                how = w.channel(source)
            text = f"{self.local_time(contact.acknowledged_at)} {how}"
            response = contact.response_seconds
            if response is not None:
                text += " " + t("time.response", time=clock_text(response))
            if status is ContactStatus.LATE:
                text += f" — {w.reason(contact.given_up)}" if contact.given_up else ""
            elif contact.escalations:
                text += " " + w.status("escalated")
            return text
        if status is ContactStatus.ESCALATED:
            return t("detail.escalated_to", name=self.person_name(contact.person_id))
        if status in (ContactStatus.FAILED, ContactStatus.NO_ANSWER):
            record = contact.attempts[-1] if contact.attempts else None
            if record is not None and record.outcome == "timed_out" and record.reason:
                reason = record.reason  # why the timeout ran out: no keypress, link not confirmed
            else:
                reason = contact.failure.value if contact.failure is not None else "no_answer"
            text = w.reason(reason)
            return f"{channel} {text}" if channel else text
        if status is ContactStatus.UNREACHED:
            return w.reason(contact.unreached_reason or contact.given_up)
        if status is ContactStatus.CANCELLED:
            return w.reason(contact.cancelled.value if contact.cancelled else "level_satisfied")
        if channel:
            return t("detail.attempt", channel=channel, attempt=contact.attempt)
        return ""

    # -- progress --------------------------------------------------------------------

    def counts_text(self, elapsed: float) -> str:
        """The status line's figures, as the fold has them: acknowledged in time of all
        contacts, late, not reached, and the playbook steps done."""
        w = self.words
        totals = self.totals()
        started = self.state.started
        total = started.contacts if started is not None else totals.total
        parts = [
            t(
                "board.counts_acked",
                word=w.status("acknowledged"),
                acked=totals.acknowledged,
                total=total,
            )
        ]
        if totals.late:
            parts.append(t("board.counts_n", word=w.status("late"), count=totals.late))
        parts.append(t("board.counts_n", word=w.status("unreached"), count=totals.unreached))
        if totals.not_reached:
            word = w.status("aborted", self._why(None))
            parts.append(t("board.counts_n", word=word, count=totals.not_reached))
        steps = self.step_lines(elapsed)
        done = sum(1 for s in steps if s.status == "completed")
        parts.append(t("board.counts_steps", done=done, steps=len(steps)))
        return t("board.counts_sep").join(parts)

    def tally_text(self) -> str:
        """The answers to the scenario's question as the fold tallies them ("回答: 出社可能
        12 / 30分以内 3 / 不可 2 / 未回答 5"); "" when it asks none."""
        line = tally_line(self.state.tally(), language())
        return choice_word("line", language(), tally=line) if line else ""

    def answer_choices(self) -> list[tuple[str, str]]:
        """(label, key) of each choice of the scenario's question, numbered as on the
        keypad, for the manual dialog; empty when it asks none."""
        lang = language()
        return [
            (f"{n}. {choice.label(lang)}", choice.key)
            for n, choice in enumerate(self.state.choices, start=1)
        ]

    def level_lines(self) -> list[LevelLine]:
        """Each level: the fold's counted and late acknowledgements and its status."""
        w = self.words
        out: list[LevelLine] = []
        for (tree, level), counts in self._level_counts.items():
            state = self.state.levels.get((tree, level))
            if state is not None:
                status, required = state.status, state.required
                acked, late = state.acknowledged, state.late
            else:  # not started: contacts the fold has acknowledged early still count
                status, required, late = LevelStatus.WAITING, None, 0
                acked = counts[_ACK]
            name = f"{self.level_number(tree, level)} {self.level_name(tree, level)}"
            out.append(
                LevelLine(
                    name,
                    acked,
                    counts[_PENDING],
                    counts[_UNREACHED],
                    sum(counts),
                    required,
                    status.value,
                    late=late,
                    not_reached=counts[_NOT_REACHED],
                    word=w.level(status.value),
                    why=self._why(None),
                )
            )
        return out

    def _site_progress(self) -> dict[str, SiteProgress]:
        # The fold's site progress walks every contact: once per state change, not once
        # per pane that asks.
        seen, found = self._sites
        if seen != self.state.events:
            found = self.state.sites()
            self._sites = (self.state.events, found)
        return found

    def site_lines(self) -> list[LevelLine]:
        """Each site: acknowledged in time and reached, as the fold says."""
        w = self.words
        progress = self._site_progress()
        ended = self.state.ended is not None
        out: list[LevelLine] = []
        for site, counts in self._site_counts.items():
            total = sum(counts)
            if not total:
                continue
            found = progress.get(site)
            acked = found.acknowledged if found is not None else 0
            if found is not None and found.all_acknowledged_elapsed is not None:
                status = "all"
            elif found is not None and found.reached:
                status = "reached"
            elif ended or not counts[_PENDING]:
                status = "not_reached"
            else:
                status = "waiting"
            out.append(
                LevelLine(
                    self.site_name(site),
                    acked,
                    counts[_PENDING],
                    counts[_UNREACHED],
                    total,
                    None,
                    status,
                    late=counts[_LATE],
                    not_reached=counts[_NOT_REACHED],
                    word=w.site(status),
                    why=self._why(None),
                )
            )
        return out

    def target_lines(self, elapsed: float) -> list[TargetLine]:
        """The scenario's targets, measured by the fold."""
        plan, scenario = self.plan, self.scenario
        if plan is None or scenario is None:
            return []
        w = self.words
        ended = self.state.ended is not None
        out: list[TargetLine] = []
        for target_id in scenario.targets:
            if not plan.has("target", target_id):
                continue
            target = plan.target(target_id)
            outcome = self.state.target_outcome(target, self._regional)
            status = outcome.status(elapsed, ended)
            at = outcome.actual_seconds if outcome.met else None
            remaining = outcome.limit_seconds - elapsed if status == "open" else None
            out.append(
                TargetLine(
                    pick(target.name), target.within_minutes, status, at, remaining,
                    word=w.target(status),
                )
            )  # fmt: skip
        return out

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
                when = t("time.at_minute", minutes=minutes_text(fired_inject.at_minutes))
                out.append((when, _name(fired_inject.text_ja, fired_inject.text_en), "bold"))
            return out
        marked = False
        for index, planned in enumerate(scenario.injects):
            when = t("time.at_minute", minutes=minutes_text(planned.at_minutes))
            if index in fired:
                out.append((when, pick(planned.text), "bold"))
            elif not marked:
                marked = True
                left = clock_text(max(0.0, planned.at_minutes * 60.0 - elapsed))
                left_text = t("time.remaining", time=left)
                out.append(
                    (
                        f"{when}（{left_text}）" if language() == "ja" else f"{when} ({left_text})",
                        pick(planned.text),
                        "yellow",
                    )
                )
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
            if self.status(key) in _ANSWERED:
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
        """The catalogue's sentence for `event`, judged by the fold (None: not logged)."""
        if isinstance(event, _SILENT) or (isinstance(event, PageSent) and event.accepted):
            return None
        said = self.words.sentence(event, self.state, self)
        return LogLine(
            self.local_time(event.at),
            clock_text(event.elapsed),
            said.text.replace("\n", " "),
            TONE_STYLE[said.tone],
        )

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
            if isinstance(event, Acknowledged) and event.choice is not None:
                self.sections.add("status")  # the tally of answers is on the status line
        elif isinstance(event, LevelStarted):
            for member in event.members:
                self.dirty.add((event.tree, event.level, member))
            self.sections.add("progress")
        elif isinstance(event, InjectFired):
            self.sections.add("injects")
        elif isinstance(event, StepDue | StepCompleted):
            self.sections.add("steps")
        elif isinstance(event, LevelCompleted):
            # The fold closes every member of a level that is over (not needed).
            level = self.state.levels.get((event.tree, event.level))
            for member in level.members if level is not None else ():
                self.dirty.add((event.tree, event.level, member))
            self.sections.add("progress")
        elif isinstance(event, TreeCompleted | TreeStarted):
            self.sections.add("progress")
        elif isinstance(event, DrillCompleted | DrillAborted):
            # Every contact still open, and every one whose level never started, is now
            # not reached: "rows" asks for all of them, not only those the events named.
            self.dirty.update(self.state.contacts)
            self.sections.update(("progress", "status", "rows"))
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
