"""The report in words: every cell of every table, in one language.

HTML, Markdown and CSV show the same tables; they differ only in markup. This module
turns a `Report` into rows of strings for a language, so the three say exactly the
same thing (and the Markdown golden files pin the wording for all of them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from drill.report.types import (
    Attempt,
    ChecklistEvidence,
    ContactRow,
    Finding,
    Label,
    LevelTiming,
    Report,
    StepRow,
    actor,
)
from drill.words import Lang, Words, check_lang, words
from drill.words.choices import choice_word
from drill.words.handover import handover_word

__all__ = ["Presenter", "Table"]


@dataclass(frozen=True, slots=True)
class Table:
    """A table: header cells, rows of cells, and which columns hold numbers."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()


class Presenter:
    """Strings for one report in one language.

    The report's files share one (`drill.report.files`): each contact's cells are made
    once for the HTML, Markdown and CSV, and each time of day and duration is written
    once however often it shows (a 17,000-contact report shows some 40,000 of them).
    """

    def __init__(self, report: Report, lang: Lang) -> None:
        self.report = report
        self.lang: Lang = lang
        self.w: Words = words(lang)
        self._clocks: dict[tuple[dt.datetime, dt.tzinfo | None], str] = {}
        self._durations: dict[float, str] = {}
        self._contacts: tuple[tuple[str, ...], ...] | None = None

    def clock(self, value: dt.datetime | None) -> str:
        """`Words.clock`, each time written once."""
        if value is None:
            return "—"
        key = (value, value.tzinfo)  # the same instant in another zone reads otherwise
        text = self._clocks.get(key)
        if text is None:
            text = self._clocks[key] = self.w.clock(value)
        return text

    def duration(self, seconds: float | None) -> str:
        """`Words.duration`, each one written once."""
        if seconds is None:
            return "—"
        text = self._durations.get(seconds)
        if text is None:
            text = self._durations[seconds] = self.w.duration(seconds)
        return text

    @classmethod
    def shared(cls, report: Report, lang: str | None, presenter: Presenter | None) -> Presenter:
        """`presenter` when given (one the other formats of this report share: it must be
        of `report` in `lang`), else a new one."""
        if presenter is None:
            return cls(report, check_lang(lang))
        assert presenter.report is report and presenter.lang == check_lang(lang)
        return presenter

    def text(self, label: Label | None) -> str:
        return "" if label is None else label.get(self.lang)

    @property
    def colon(self) -> str:
        """A label's colon: 全角 in Japanese, "： " never."""
        return "：" if self.lang == "ja" else ": "

    @property
    def gap(self) -> str:
        """Between two labelled items on one line."""
        return "　" if self.lang == "ja" else " · "

    def labelled(self, key: str, value: str) -> str:
        return f"{self.w(key)}{self.colon}{value}"

    # --- sign-off ----------------------------------------------------------------------

    def signoff_table(self) -> Table:
        """実施者・確認者・承認: a name, a date and a seal or signature for each."""
        w, d = self.w, self.report.drill
        blank = w("signoff_date_blank")
        rows = (
            (w("signoff_operator"), d.operator or "", blank, ""),
            (w("signoff_reviewer"), "", blank, ""),
            (w("signoff_approver"), "", blank, ""),
        )
        header = (w("signoff_role"), w("signoff_name"), w("signoff_date"), w("signoff_seal"))
        return Table(header, rows)

    def head_hash(self) -> str:
        return self.report.integrity.head_hash or "—"

    # --- heading and summary ---------------------------------------------------------

    @property
    def title(self) -> str:
        key = "incident_report_title" if self.report.drill.mode == "incident" else "report_title"
        return self.w(key)

    def mode(self) -> str:
        """訓練 or 実対応, and a rehearsal (予行) said as such: simulated people or the
        local sandbox are never a drill of the real tree."""
        d = self.report.drill
        text = self.w(d.mode)
        if not d.rehearsal:
            return text
        key = "rehearsal_sandbox" if d.channels == "sandbox" else "rehearsal_simulated"
        return f"{text}・{self.w(key)}" if self.lang == "ja" else f"{text}, {self.w(key)}"

    def outcome(self) -> str:
        d = self.report.drill
        text = self.w.outcome(d.outcome)
        if d.outcome == "aborted" and d.outcome_reason:
            text += f"（{d.outcome_reason}）" if self.lang == "ja" else f" ({d.outcome_reason})"
        if d.outcome_by and d.outcome in ("aborted", "finished"):
            text += f" — {d.outcome_by}"
        return text

    def acknowledged(self) -> str:
        s = self.report.summary
        return (
            f"{self.w.count(s.acknowledged)} / {self.w.count(s.contacts)}"
            f"（{self.w.percent(s.share_acknowledged)}）"
            if self.lang == "ja"
            else f"{self.w.count(s.acknowledged)} of {self.w.count(s.contacts)} "
            f"({self.w.percent(s.share_acknowledged)})"
        )

    def breakdown(self) -> str:
        s, w = self.report.summary, self.w
        ended = None if self.report.drill.outcome == "aborted" else "drill_finished"
        parts = [
            (w.status("acknowledged"), s.acknowledged),
            (w.status("late"), s.late),
            (w.status("unreached"), s.unreached),
            (w.status("cancelled"), s.cancelled),
            (w.status("aborted", ended), s.aborted),
            (w.status("not_paged"), s.not_paged),
            (w.status("paging"), s.paging),
        ]
        sep = "、" if self.lang == "ja" else ", "
        return sep.join(f"{name} {self.w.count(n)}" for name, n in parts if n)

    def all_sites(self) -> str:
        s = self.report.summary
        if s.sites_total == 0:
            return "—"
        if s.sites_total < s.centres_in_plan:
            return self.w("centres_some", n=s.sites_total)
        count = self.w("sites_count", reached=s.sites_reached, total=s.sites_total)
        if s.all_sites_seconds is None:
            return (
                f"{self.w('not_reached')}（{count}）"
                if self.lang == "ja"
                else (f"{self.w('not_reached')} ({count})")
            )
        return (
            f"{self.w.duration(s.all_sites_seconds)}（{count}）"
            if self.lang == "ja"
            else (f"{self.w.duration(s.all_sites_seconds)} ({count})")
        )

    def trees_completed(self) -> str:
        """When every tree was satisfied; "not reached" when a tree completed without."""
        seconds = self.report.summary.trees_completed_seconds
        if seconds is not None:
            return self.w.duration(seconds)
        if any(t.satisfied is False for t in self.report.trees):
            return self.w("trees_not_satisfied")
        return "—"

    def summary_table(self) -> Table:
        d, w = self.report.drill, self.w
        rows: list[tuple[str, str]] = [
            (w("organisation"), self.text(d.organisation)),
            (w("scenario"), self.text(d.scenario_title)),
            (w("scenario_id"), d.scenario_id),
            (w("mode"), self.mode()),
            (w("drill_id"), d.drill_id),
            (w("plan_version"), d.plan_version),
            (w("started"), w.datetime(d.started_at)),
            (w("ended"), w.datetime(d.ended_at)),
            (w("duration"), w.duration(d.duration_seconds)),
            (w("outcome"), self.outcome()),
            (w("acknowledged"), self.acknowledged()),
            (w("breakdown"), self.breakdown()),
            (w("time_all_sites"), self.all_sites()),
            (w("time_trees"), self.trees_completed()),
        ]
        if d.operator:
            rows.append((w("operator"), d.operator))
        if d.paused_seconds:
            rows.append((w("paused_total"), w.duration(d.paused_seconds)))
        if d.interruptions:
            rows.append((w("interruptions"), w.count(d.interruptions)))
        if d.simulated and d.seed is not None:
            rows.append((w("seed"), str(d.seed)))
        return Table(("", ""), tuple(rows))

    def benchmark_heading(self) -> str:
        """What the drill is compared with: Nagasaki (roll call) or its own playbook."""
        kind = self.report.benchmark.kind
        return self.w("benchmark_playbook" if kind == "playbook" else "nagasaki")

    def nagasaki(self) -> str:
        """The one line a manager compares the drill with: Nagasaki City's drill for the
        roll call, the playbook's own target times for an incident scenario."""
        b = self.report.benchmark
        if b.kind == "playbook":
            if not b.steps:
                return self.w("benchmark_no_steps")
            last = self.w.minutes(b.last_target_minutes) if b.last_target_minutes else "—"
            return self.w(
                "benchmark_playbook_line",
                steps=b.steps,
                on_time=b.on_time,
                late=b.late,
                not_done=b.not_done,
                last=last,
            )
        d, s, w = self.report.drill, self.report.summary, self.w
        whole = w.duration(d.duration_seconds)
        sites = (
            w.duration(s.all_sites_seconds)
            if s.all_sites_seconds is not None
            else (w("not_reached"))
        )
        ref_whole = w("about", m=f"{s.nagasaki_whole_minutes:g}")
        ref_sites = w("about", m=f"{s.nagasaki_all_sites_minutes:g}")
        if self.lang == "ja":
            return (
                f"この訓練は全体 {whole}・全支所 {sites}、"
                f"長崎市の訓練は全体 {ref_whole}・全地域センター {ref_sites}"
            )
        return (
            f"This drill: whole drill {whole}, every regional centre {sites} / "
            f"Nagasaki City: whole drill {ref_whole}, every regional centre {ref_sites}"
        )

    def targets_table(self) -> Table:
        w = self.w
        rows = []
        for t in self.report.summary.targets:
            margin = w.margin(t.margin_seconds) if t.margin_seconds is not None else ""
            detail = self.text(t.detail) if t.detail else ""
            rows.append(
                (
                    self.text(t.name),
                    w.minutes(t.within_minutes),
                    w.duration(t.actual_seconds)
                    if t.actual_seconds is not None
                    else w("not_reached"),
                    (w("met") if t.met else w("missed")),
                    " — ".join(part for part in (margin, detail) if part) or "—",
                )
            )
        return Table(
            (w("target"), w("target_time"), w("actual"), w("result"), w("margin")),
            tuple(rows),
            frozenset({1, 2}),
        )

    # --- findings --------------------------------------------------------------------

    def finding(self, f: Finding) -> tuple[str, str, str, str]:
        """(severity, text, fix, evidence seqs)."""
        comma = "、" if self.lang == "ja" else ", "
        seqs = comma.join(f"#{s}" for s in f.evidence[:12])
        if len(f.evidence) > 12:
            seqs += f"{comma}…"
        return (self.w(f.severity), self.text(f.text), self.text(f.fix), seqs)

    # --- curve -----------------------------------------------------------------------

    def milestones_table(self) -> Table:
        w = self.w
        rows = tuple(
            (
                w.percent(m.share, 0),
                w.count(m.count),
                w.duration(m.seconds) if m.seconds is not None else w("not_reached"),
            )
            for m in self.report.curve.milestones
        )
        return Table((w("share"), w("count_people"), w("from_start")), rows, frozenset({1, 2}))

    def distribution_line(self) -> str:
        c, w = self.report.curve, self.w
        sep = "、" if self.lang == "ja" else ", "
        return sep.join(
            (
                f"{w('median')} {w.duration(c.median_seconds)}",
                f"{w('p90')} {w.duration(c.p90_seconds)}",
                f"{w('maximum')} {w.duration(c.max_seconds)}",
            )
        )

    # --- levels and sites ------------------------------------------------------------

    def level_status(self, level: LevelTiming) -> str:
        if level.satisfied is None:
            return self.w.level("running") if self.report.drill.ended_at is None else "—"
        return self.w.level("satisfied" if level.satisfied else "exhausted")

    def level_counts(self, level: LevelTiming) -> str:
        """Acknowledgements counted, of members, and apart the late ones (never counted)."""
        w = self.w
        late = f"、{w('late_count', n=level.late)}" if level.late else ""
        if self.lang == "ja":
            each = (
                f"、{w('must_each')}：{'・'.join(self.text(m) for m in level.must_each)}"
                if level.must_each
                else ""
            )
            return (
                f"{w.count(level.acknowledged)} / {w.count(level.members)}"
                f"（{w('required')} {level.required}{each}{late}）"
            )
        late = f", {w('late_count', n=level.late)}" if level.late else ""
        each = (
            f"; {w('must_each')}: {', '.join(self.text(m) for m in level.must_each)}"
            if level.must_each
            else ""
        )
        return (
            f"{w.count(level.acknowledged)} of {w.count(level.members)} "
            f"({level.required} required{each}{late})"
        )

    def levels_table(self) -> Table:
        w = self.w
        trees = {t.tree: t for t in self.report.trees}
        rows = tuple(
            (
                self.text(trees[lv.tree].name) if lv.tree in trees else lv.tree,
                self.text(lv.name),
                self.level_counts(lv),
                w.duration(lv.started_seconds),
                w.duration(lv.completed_seconds),
                w.duration(lv.took_seconds),
                self.level_status(lv),
            )
            for lv in self.report.levels
        )
        return Table(
            (
                w("tree"),
                w("level"),
                w("acknowledged"),
                w("level_started"),
                w("level_completed"),
                w("level_took"),
                w("result"),
            ),
            rows,
            frozenset({3, 4, 5}),
        )

    def sites_table(self) -> Table:
        w = self.w
        rows = tuple(
            (
                self.text(s.name)
                + (
                    f"（{w('regional_centre')}）"
                    if s.regional_centre and self.lang == "ja"
                    else (f" ({w('regional_centre')})" if s.regional_centre else "")
                ),
                w.count(s.contacts),
                w.duration(s.reached_seconds)
                if s.reached_seconds is not None
                else w("not_reached"),
                s.reached_by or "—",
            )
            for s in self.report.sites
        )
        return Table(
            (w("site"), w("contacts"), w("reached_at"), w("reached_by")), rows, frozenset({1, 2})
        )

    # --- contacts --------------------------------------------------------------------

    def attempt(self, a: Attempt, holder: str | None, contact: ContactRow | None = None) -> str:
        """One page: channel, masked address, time and what came of it (an acknowledgement
        of a late contact is late; a page cancelled says why paging stopped)."""
        w = self.w
        late = contact is not None and contact.status == "late"
        if a.outcome == "acknowledged":
            result = w.status("late") if late else w.attempt("acknowledged")
        elif a.outcome in ("failed", "timed_out"):
            result = w.reason(a.reason) or w.attempt(a.outcome)
        elif a.outcome == "cancelled" and contact is not None and contact.given_up_reason:
            result = w.reason(contact.given_up_reason)
        else:
            result = w.attempt(a.outcome)
        who = "" if a.person_name == holder else f"{a.person_name}{self.colon}"
        return f"{who}{w.channel(a.channel)} {a.address} {self.clock(a.queued_at)} {result}"

    def contact_cells(self, c: ContactRow) -> tuple[str, ...]:
        w = self.w
        holder = c.attempts[0].person_name if c.attempts else None
        pages = " → ".join(self.attempt(a, holder, c) for a in c.attempts)
        if c.status in ("acknowledged", "late"):
            who = c.acknowledged_by or ""
            if c.candidate_index:
                who += (
                    f"（{w('deputy')}{c.candidate_index}）"
                    if self.lang == "ja"
                    else (f" ({w('deputy')} {c.candidate_index})")
                )
            via = w.channel(c.ack_source)
            if c.entered_by:
                via += (
                    f"（{w('manual_by')}{self.colon}{c.entered_by}）"
                    if self.lang == "ja"
                    else (f" ({w('manual_by')} {c.entered_by})")
                )
        else:
            who, via = "", ""
        failure = ""
        if c.status != "acknowledged":
            keys = list(c.failures)
            if not keys and c.given_up_reason and c.status in ("unreached", "late"):
                keys = [c.given_up_reason]
            failure = ("、" if self.lang == "ja" else ", ").join(w.reason(k) for k in keys)
        return (
            self.text(c.level_name),
            self.text(c.name),
            self.text(c.site_name) if c.site_name else "—",
            w.status(c.status, c.given_up_reason),
            who,
            via,
            self.clock(c.acknowledged_at) if c.acknowledged_at else "",
            self.duration(c.time_to_ack_seconds) if c.time_to_ack_seconds is not None else "",
            self.duration(c.ack_seconds) if c.ack_seconds is not None else "",
            pages,
            failure,
        )

    def contacts_header(self) -> tuple[str, ...]:
        w = self.w
        return (
            w("level"),
            w("role"),
            w("site"),
            w("status"),
            w("reached_by"),
            w("ack_via"),
            w("ack_at"),
            w("time_to_ack"),
            w("from_start"),
            w("channels_tried"),
            w("failure"),
        )

    def contacts_cells(self) -> tuple[tuple[str, ...], ...]:
        """`contact_cells` of every contact, in order; made once."""
        if self._contacts is None:
            self._contacts = tuple(self.contact_cells(c) for c in self.report.contacts)
        return self._contacts

    def contacts_table(self) -> Table:
        return Table(self.contacts_header(), self.contacts_cells(), frozenset({6, 7, 8}))

    # --- playbook ------------------------------------------------------------------------

    def step_cells(self, s: StepRow) -> tuple[str, ...]:
        w = self.w
        status = w.step(s.status)
        if s.status == "late" and s.late_by_seconds is not None:
            status += (
                f"（+{w.duration(s.late_by_seconds)}）"
                if self.lang == "ja"
                else (f" (+{w.duration(s.late_by_seconds)})")
            )
        return (
            self.text(s.title),
            self.text(s.owner_name) if s.owner_name else (s.owner or "—"),
            w.minutes(s.target_minutes) if s.target_minutes is not None else "—",
            f"{w.duration(s.completed_seconds)}（{self.clock(s.completed_at)}）"
            if s.completed_seconds is not None and self.lang == "ja"
            else (
                f"{w.duration(s.completed_seconds)} ({self.clock(s.completed_at)})"
                if s.completed_seconds is not None
                else "—"
            ),
            self.text(actor(s.by)) if s.by else "",
            status,
        )

    def playbook_table(self) -> Table:
        w = self.w
        return Table(
            (
                w("step"),
                w("owner"),
                w("target_time"),
                w("completed_at"),
                w("operator"),
                w("result"),
            ),
            tuple(self.step_cells(s) for s in self.report.playbook.steps),
            frozenset({2, 3}),
        )

    # --- checklist ---------------------------------------------------------------------

    def checklist_cells(self, c: ChecklistEvidence) -> tuple[str, ...]:
        sep = "; " if self.lang == "en" else "；"
        evidence = sep.join(f"#{e.seq} {self.text(e.what)}" for e in c.evidence) or "—"
        score = f"{c.score} {self.text(c.score_label)}" if c.score is not None else "—"
        titles = {s.step: self.text(s.title) for s in self.report.playbook.steps}

        def step(cite: str) -> str:
            name = titles.get(cite.removeprefix("step:"), cite.removeprefix("step:"))
            return (
                f"{self.w('step')}「{name}」" if self.lang == "ja" else f"{self.w('step')} '{name}'"
            )

        cited = ("、" if self.lang == "ja" else ", ").join(
            self.w("scenario") if cite == "scenario" else step(cite) for cite in c.cited_by
        )
        return (c.number, self.text(c.item), cited, evidence, score, self.text(c.reason))

    def checklist_table(self) -> Table:
        w = self.w
        return Table(
            (
                w("checklist_item"),
                "",
                w("cited_by"),
                w("evidence"),
                w("suggested_score"),
                w("result"),
            ),
            tuple(self.checklist_cells(c) for c in self.report.checklist),
        )

    # --- history -----------------------------------------------------------------------

    def history_table(self) -> Table:
        w, h = self.w, self.report.history
        header = (
            w("drill_id"),
            w("started"),
            w("duration"),
            w("time_all_sites"),
            w("acknowledged"),
            *(self.text(name) for _, _, name in h.levels),
        )
        rows = []
        for r in h.rows:
            drill_id = r.drill_id + (
                f"（{w('current')}）"
                if r.current and self.lang == "ja"
                else (f" ({w('current')})" if r.current else "")
            )
            rows.append(
                (
                    drill_id,
                    w.date(r.started_at.date()),
                    w.duration(r.duration_seconds),
                    w.duration(r.all_sites_seconds),
                    w.percent(r.share_acknowledged),
                    *(w.duration(t) for t in r.levels),
                )
            )
        return Table(header, tuple(rows), frozenset(range(2, len(header))))

    # --- timeline ----------------------------------------------------------------------

    def timeline_table(self) -> Table:
        w = self.w
        rows = tuple(
            (self.clock(t.at), w.duration(t.elapsed), self.text(t.text), f"#{t.seq}")
            for t in self.report.timeline
        )
        return Table((w("time"), w("elapsed"), w("event"), w("events_ref")), rows, frozenset({1}))

    # --- pages ordered by the operator, people marked away --------------------------------

    def _page_word(self, key: str, **values: object) -> str:
        from drill.words.page import PAGE

        return PAGE[key][1 if self.lang == "en" else 0].format(**values)

    def orders_table(self) -> Table:
        """Each order to page now: when, who asked (and from where), what, who answered."""
        w, say = self.w, self._page_word
        sep = "、" if self.lang == "ja" else "; "
        rows = []
        for order in self.report.operator.orders:
            by = order.by + (say("report_console", origin=order.origin) if order.origin else "")
            answers: dict[str, str] = {}
            failed: dict[str, str] = {}
            for page in sorted(order.pages, key=lambda p: p.answered_seconds or float("inf")):
                name = page.person + (say("report_ad_hoc") if page.ad_hoc else "")
                channel = w.channel(page.channel)
                if page.answered_at is not None:
                    if name not in answers:  # the first answer of each person
                        at = self.clock(page.answered_at)
                        key = "report_answer_again" if page.tree_contact else "report_answer"
                        answers[name] = say(key, name=name, at=at, channel=channel)
                elif page.outcome == "failed":
                    failed.setdefault(name, say("report_failed", name=name, channel=channel))
                else:
                    answers.setdefault(name, say("report_no_answer", name=name))
            for name, text in failed.items():  # every page of theirs failed
                answers.setdefault(name, text)
            rows.append(
                (
                    self.clock(order.at),
                    w.duration(order.elapsed),
                    by,
                    self.text(order.what),
                    sep.join(answers.values()),
                    f"#{order.seq}",
                )
            )
        header = (
            say("report_col_time"),
            w("elapsed"),
            say("report_col_by"),
            say("report_col_what"),
            say("report_col_answers"),
            w("events_ref"),
        )
        return Table(header, tuple(rows), frozenset({1}))

    def marked_away_table(self) -> Table:
        """Each person marked away from the console: when, by whom, why, until when."""
        from drill.words.page import absence_reason

        w, say = self.w, self._page_word
        rows = []
        for mark in self.report.operator.marked_away:
            until = (
                say("report_until", at=self.clock(mark.until))
                if mark.until is not None
                else say("report_until_end")
            )
            if mark.back_at is not None:
                until = say("report_back", at=self.clock(mark.back_at), by=mark.back_by or "")
            by = mark.by + (say("report_console", origin=mark.origin) if mark.origin else "")
            rows.append(
                (
                    self.clock(mark.at),
                    by,
                    mark.person,
                    absence_reason(mark.reason, self.lang),
                    until,
                    w.count(mark.passed_over),
                    f"#{mark.seq}",
                )
            )
        header = (
            say("report_col_time"),
            say("report_col_by"),
            say("report_col_person"),
            say("report_col_reason"),
            say("report_col_until"),
            say("report_col_skipped"),
            w("events_ref"),
        )
        return Table(header, tuple(rows), frozenset({5}))

    def operator_heading(self) -> str:
        return self._page_word("report_title")

    def operator_headings(self) -> tuple[str, str, str]:
        """The sub-headings of the section, and its rule (what such answers count for)."""
        say = self._page_word
        return say("report_orders"), say("report_marked"), say("report_rule")

    # --- who was in charge --------------------------------------------------------------

    def officers_title(self) -> str:
        return handover_word("report_title", self.w.lang)

    def officers_table(self) -> Table:
        """The chain of officers in charge (責任者): who, from when to when, how, the note."""
        w, lang = self.w, self.w.lang

        def say(key: str, **values: object) -> str:
            return handover_word(key, lang, **values)

        rows = []
        for o in self.report.officers:
            if o.from_officer is None and o.by is None:
                how = say("report_started")
            elif o.by in (o.from_officer, o.name):
                how = say("report_from", name=o.from_officer or say("nobody"))
            else:
                how = say("report_from_by", name=o.from_officer or say("nobody"), by=o.by)
            until = self.clock(o.until) if o.until is not None else say("report_end")
            ref = f"#{o.seq}" if o.seq is not None else ""
            rows.append((o.name, self.clock(o.since), until, how, o.note or "", ref))
        header = (
            say("report_officer"),
            say("report_since"),
            say("report_until"),
            say("report_how"),
            say("report_note"),
            w("events_ref"),
        )
        return Table(header, tuple(rows))

    # --- notes -------------------------------------------------------------------------

    def notes(self) -> Sequence[str]:
        return [self.text(n) for n in self.report.notes]

    # -- answers to the scenario's question -------------------------------------------

    def choice_word(self, key: str) -> str:
        """A word of the answers' tally (`drill.words.choices`) in this language."""
        return choice_word(key, self.lang)

    def answer_label(self, key: str) -> str:
        """The label of choice `key` in this language (the key for one the question lacks)."""
        answers = self.report.answers
        for choice in answers.choices if answers is not None else ():
            if choice.key == key:
                return self.text(choice.label)
        return key

    def answers_lines(self) -> list[str]:
        """The question, then who can come in and who needs help (when choices mean so)."""
        answers = self.report.answers
        if answers is None:
            return []
        lines = [f"{self.choice_word('question')}{self.colon}{self.text(answers.question)}"]
        if any(c.means == "coming" for c in answers.choices):
            lines.append(f"{self.choice_word('coming')}{self.colon}{self.w.count(answers.coming)}")
        if any(c.means == "needs_help" for c in answers.choices):
            lines.append(
                f"{self.choice_word('needs_help')}{self.colon}{self.w.count(answers.needs_help)}"
            )
        return lines

    def answers_table(self) -> Table:
        """Each choice: how many, and who (when); then the contacts without an answer."""
        answers = self.report.answers
        assert answers is not None
        sep = "、" if self.lang == "ja" else ", "
        open_, close = ("（", "）") if self.lang == "ja" else (" (", ")")
        rows = [
            (
                f"{n}. {self.text(c.label)}",
                self.w.count(c.count),
                sep.join(
                    f"{p.name}{open_}{self.clock(p.at)}{close}"
                    + (self.choice_word("late") if p.late else "")
                    for p in c.people
                ),
            )
            for n, c in enumerate(answers.choices, start=1)
        ]
        rows.append((self.choice_word("unanswered"), self.w.count(answers.unanswered), ""))
        return Table(
            (self.choice_word("choice"), self.choice_word("count"), self.choice_word("who")),
            tuple(rows),
            frozenset({1}),
        )

    def answers_levels_table(self) -> Table:
        """Per level: a count per choice, and those without an answer."""
        answers = self.report.answers
        assert answers is not None
        header = (
            self.choice_word("level"),
            *(self.text(c.label) for c in answers.choices),
            self.choice_word("unanswered"),
        )
        rows = tuple(
            (
                self.text(level.name),
                *(self.w.count(n) for n in level.counts),
                self.w.count(level.unanswered),
            )
            for level in answers.levels
        )
        return Table(header, rows, frozenset(range(1, len(header))))

    def answer_changes(self) -> list[str]:
        """Later, different answers (the first one is counted)."""
        answers = self.report.answers
        if answers is None:
            return []
        return [
            choice_word(
                "change",
                self.lang,
                who=c.name,
                first=self.answer_label(c.first),
                later=self.answer_label(c.later),
                at=self.clock(c.at),
            )
            for c in answers.changes
        ]
