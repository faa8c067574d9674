"""The report as Markdown, for a wiki page or a ticket (GitHub-flavoured tables)."""

from __future__ import annotations

import re

from drill.report.present import Presenter, Table
from drill.report.types import Report
from drill.report.updates import copies_tables, updates_heading, updates_table
from drill.words.choices import choice_word

__all__ = ["render_markdown"]


_SPECIAL = re.compile(r"[\\|\n]").search
"""What a cell has replaced: a cell without any (almost every one) is only stripped."""


def _cell(text: str) -> str:
    if _SPECIAL(text) is None:
        return text.strip() or " "
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip() or " "


def _table(table: Table, *, header: bool = True) -> list[str]:
    cols = len(table.header)
    head = table.header if header else tuple(" " for _ in range(cols))
    align = ["---:" if i in table.numeric else "---" for i in range(cols)]
    lines = [
        "| " + " | ".join(_cell(h) for h in head) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines.extend([_row(row) for row in table.rows])
    return lines


def _row(cells: tuple[str, ...]) -> str:
    """`_cell` of each cell, as a table row. A row without a character to replace (almost
    every one) is looked at once, not cell by cell: a large drill has 17,000 rows."""
    if _SPECIAL("".join(cells)) is None:
        return "| " + " | ".join([c.strip() or " " for c in cells]) + " |"
    return "| " + " | ".join([_cell(c) for c in cells]) + " |"


def render_markdown(
    report: Report, lang: str | None = None, *, presenter: Presenter | None = None
) -> str:
    """The whole report as Markdown; Japanese unless `lang` is "en". `presenter`: one
    already made for this report and language, shared with the other formats."""
    p = Presenter.shared(report, lang, presenter)
    w = p.w
    d = report.drill
    c = p.colon
    out: list[str] = [
        f"# {p.title} — {p.text(d.organisation)}",
        "",
        f"**{w('scenario')}**{c}{p.text(d.scenario_title)}{p.gap}**{w('mode')}**{c}{p.mode()}"
        f"{p.gap}**{w('drill_id')}**{c}`{d.drill_id}`",
        "",
    ]
    for note in p.notes():
        out += [f"> {note}", ""]

    out += [f"## {w('summary')}", ""]
    out += _table(p.summary_table(), header=False)
    out += ["", f"**{p.benchmark_heading()}**{c}{p.nagasaki()}", ""]
    if report.summary.targets:
        out += [f"### {w('targets')}", ""]
        out += _table(p.targets_table())
        out.append("")
    out += _signoff(p)

    out += [f"## {w('findings')}", ""]
    if report.findings:
        for number, finding in enumerate(report.findings, start=1):
            severity, text, fix, seqs = p.finding(finding)
            ref = (
                f"（{w('events_ref')}{c}{seqs}）"
                if seqs and w.lang == "ja"
                else (f" ({w('events_ref')}: {seqs})" if seqs else "")
            )
            out.append(f"{number}. **[{severity}]** {text}{ref}")
            out.append(f"   - {w('fix')}{c}{fix}")
    else:
        out.append(w("no_findings"))
    out.append("")

    out += [f"## {w('curve')}", ""]
    out += _table(p.milestones_table())
    out += ["", f"{w('distribution')}{c}{p.distribution_line()}", ""]

    out += _answers(p)

    out += [f"## {w('levels')}", ""]
    out += _table(p.levels_table())
    out += ["", f"## {w('sites')}", ""]
    out += _table(p.sites_table())
    out.append("")

    if report.playbook.steps:
        title = p.text(report.playbook.title) or (report.playbook.id or "")
        out += [f"## {w('playbook')}{c}{title}", ""]
        out += _table(p.playbook_table())
        out.append("")

    if report.checklist:
        out += [f"## {w('checklist')}", ""]
        out += _table(p.checklist_table())
        out.append("")

    out += [f"## {w('history')}", ""]
    if len(report.history.rows) > 1:
        out += _table(p.history_table())
        out.append("")
        out += [f"- {p.text(t)}" for t in report.history.trend]
    else:
        out.append(w("no_history"))
    out.append("")

    if report.timeline:
        out += [f"## {w('timeline')}", ""]
        out += _table(p.timeline_table())
        out.append("")

    if report.updates:  # status updates (第N報) and who acknowledged each
        out += [f"## {updates_heading(w.lang)}", ""]
        out += _table(updates_table(report, w.lang))
        out.append("")
        for title, table in copies_tables(report, w.lang):
            out += [f"### {title}", ""]
            out += _table(table)
    if report.operator:
        orders, marked, rule = p.operator_headings()
        out += [f"## {p.operator_heading()}", "", rule, ""]
        if report.operator.orders:
            out += [f"### {orders}", ""]
            out += _table(p.orders_table())
            out.append("")
        if report.operator.marked_away:
            out += [f"### {marked}", ""]
            out += _table(p.marked_away_table())
            out.append("")
    if report.officers:
        out += [f"## {p.officers_title()}", ""]
        out += _table(p.officers_table())
        out.append("")

    notes = w("masked_note") + ("" if w.lang == "ja" else " ") + w("pages_note")
    out += [f"## {w('per_contact')}", "", notes, ""]
    out += _table(p.contacts_table())
    out.append("")

    out += [f"## {w('integrity')}", ""]
    out += _integrity(p)
    return "\n".join(out).rstrip() + "\n"


def _answers(p: Presenter) -> list[str]:
    """The tally of answers to the scenario's question (none when it asked none)."""
    if p.report.answers is None:
        return []
    lines = [f"## {choice_word('title', p.lang)}", ""]
    lines += [f"- {line}" for line in p.answers_lines()]
    lines.append("")
    lines += _table(p.answers_table())
    lines += ["", f"### {choice_word('by_level', p.lang)}", ""]
    lines += _table(p.answers_levels_table())
    lines.append("")
    changes = p.answer_changes()
    if changes:
        lines += [f"### {choice_word('changes', p.lang)}", ""]
        lines += [f"- {change}" for change in changes]
        lines.append("")
    return lines


def _signoff(p: Presenter) -> list[str]:
    """The sign-off block of the summary: who conducted, reviewed and approved, and the
    head hash of the records a signature is made over."""
    w, c = p.w, p.colon
    lines = [f"### {w('signoff')}", ""]
    lines += _table(p.signoff_table())
    lines += [
        "",
        f"- {w('signoff_head')}{c}`{p.head_hash()}`",
        f"- {w('signoff_signature')}{c}"
        + (
            f"`{p.report.integrity.signature}` (Ed25519)"
            if p.report.integrity.signature
            else w("signoff_unsigned")
        ),
        "",
        w("signoff_note", command=f"`drillkit verify {p.report.drill.drill_id}`"),
        "",
    ]
    return lines


def _integrity(p: Presenter) -> list[str]:
    w, c = p.w, p.colon
    i = p.report.integrity
    lines = [
        f"- {w('head_hash')}{c}`{i.head_hash or '—'}`",
        f"- {w('event_count')}{c}{w.count(i.event_count)}",
        f"- {w('head_signature')}{c}"
        + (f"`{i.signature}` (Ed25519, key {i.key_id})" if i.signature else w("head_unsigned")),
    ]
    if p.report.summary.duplicates:
        lines.append(f"- {w('duplicates')}{c}{w.count(p.report.summary.duplicates)}")
    if i.verified is False:
        lines.append(f"- **{w('verify_failed')}**{c}{i.problem or ''}")
    elif i.verified is None:
        lines.append(f"- {w('not_verified')}")
    lines += [
        "",
        w("verify_how"),
        "",
        "```",
        f"drillkit verify {p.report.drill.drill_id}",
        "```",
    ]
    return lines
