"""The report as one self-contained HTML file: printable on A4, charts as inline SVG.

No script, font, stylesheet or image is loaded from anywhere: the page carries a strict
Content-Security-Policy (`drill.report.layout.CSP`) so a browser would refuse even an
accidental request, and the charts are SVG written into the page.
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

from drill.report import charts
from drill.report.layout import CSP, environment, stylesheet
from drill.report.present import Presenter
from drill.report.types import Report
from drill.report.updates import copies_tables, updates_heading, updates_table
from drill.words import LABELS
from drill.words.choices import choice_word

__all__ = ["render_html"]

_SPECIAL = re.compile("[&<>\"']").search
"""What `html.escape` changes: a cell without any (almost every one) is taken as it is
after one scan, instead of five replacements."""

_SECTIONS = (
    ("summary", "summary"),
    ("findings", "findings"),
    ("curve", "curve"),
    ("levels", "levels"),
    ("playbook", "playbook"),
    ("checklist", "checklist"),
    ("history", "history"),
    ("timeline", "timeline"),
    ("integrity", "integrity"),
    ("contacts", "per_contact"),
)


def _row(cells: tuple[str, ...]) -> str:
    """One table row, each cell escaped. A row without a character to escape (almost
    every one) is looked at once, not cell by cell: a large drill has 17,000 rows."""
    if cells and _SPECIAL("".join(cells)) is None:
        return "<tr><td>" + "</td><td>".join(cells) + "</td></tr>"
    return (
        "<tr>"
        + "".join(f"<td>{escape(cell) if _SPECIAL(cell) else cell}</td>" for cell in cells)
        + "</tr>"
    )


def render_html(
    report: Report, lang: str | None = None, *, presenter: Presenter | None = None
) -> str:
    """The whole report as an HTML page; Japanese unless `lang` is "en". `presenter`:
    one already made for this report and language, shared with the other formats."""
    p = Presenter.shared(report, lang, presenter)
    w = p.w
    s = report.summary
    targets = p.targets_table()
    sections = [
        (anchor, w(key))
        for anchor, key in _SECTIONS
        if (anchor != "playbook" or report.playbook.steps)
        and (anchor != "checklist" or report.checklist)
        and (anchor != "timeline" or report.timeline)
    ]
    if report.updates:  # status updates (第N報), after the timeline
        at = next(i for i, (anchor, _) in enumerate(sections) if anchor == "integrity")
        sections.insert(at, ("updates", updates_heading(w.lang)))
    answers = _answers(p)
    if answers is not None:  # after the curve, where the body has it
        sections.insert(
            [a for a, _ in sections].index("levels"), ("answers", str(answers["title"]))
        )
    if report.operator:  # after the timeline, as in the page
        at = next(i for i, (anchor, _) in enumerate(sections) if anchor == "integrity")
        sections.insert(at, ("operator", p.operator_heading()))
    operator_orders, operator_marked, operator_rule = p.operator_headings()
    if report.officers:  # after the timeline, as the Markdown has it
        at = next((i + 1 for i, (a, _) in enumerate(sections) if a == "timeline"), len(sections))
        sections.insert(at, ("officers", p.officers_title()))
    rows = "\n".join([_row(cells) for cells in p.contacts_cells()])
    figures = {
        "curve": Markup(charts.ack_curve(report, w)),
        "distribution": Markup(charts.distribution(report, w)),
        "levels": Markup(charts.levels_and_sites(report, w)),
        "history": Markup(charts.history(report, w)) if len(report.history.rows) > 1 else "",
    }
    findings = []
    for f in report.findings:
        severity, text, fix, seqs = p.finding(f)
        findings.append((severity, f.severity, text, fix, seqs))
    i = report.integrity
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            lang=w.lang,
            csp=CSP,
            css=stylesheet(),
            title=p.title,
            organisation=p.text(report.drill.organisation),
            scenario=p.text(report.drill.scenario_title),
            mode=p.mode(),
            drill_id=report.drill.drill_id,
            notes=p.notes(),
            integrity_failed=i.verified is False,
            integrity_problem=i.problem or "",
            sections=sections,
            key={
                "duration": w.duration(report.drill.duration_seconds),
                "acknowledged": w.percent(s.share_acknowledged),
                "all_sites": "—"
                if s.sites_total < s.centres_in_plan
                else (
                    w.duration(s.all_sites_seconds)
                    if s.all_sites_seconds is not None
                    else w("not_reached")
                ),
                "trees": p.trees_completed(),
            },
            nagasaki=p.nagasaki(),
            benchmark_heading=p.benchmark_heading(),
            signoff=p.signoff_table(),
            signoff_note=w("signoff_note", command=f"drillkit verify {report.drill.drill_id}"),
            colon=p.colon,
            gap=p.gap,
            open="（" if w.lang == "ja" else "(",
            close="）" if w.lang == "ja" else ")",
            summary_table=p.summary_table(),
            summary_pairs=_pairs(p.summary_table().rows),
            targets=targets,
            target_rows=list(zip(targets.rows, (t.met for t in s.targets), strict=True)),
            findings=findings,
            charts=figures,
            milestones=p.milestones_table(),
            distribution_line=p.distribution_line(),
            levels=p.levels_table(),
            sites=p.sites_table(),
            playbook=p.playbook_table(),
            playbook_title=p.text(report.playbook.title) or (report.playbook.id or ""),
            checklist=p.checklist_table(),
            history=p.history_table(),
            history_rows=len(report.history.rows),
            trend=[p.text(t) for t in report.history.trend],
            timeline=p.timeline_table(),
            updates=updates_table(report, w.lang) if report.updates else None,
            updates_heading=updates_heading(w.lang),
            update_copies=copies_tables(report, w.lang),
            operator=bool(report.operator),
            operator_heading=p.operator_heading(),
            operator_rule=operator_rule,
            operator_orders_title=operator_orders,
            operator_marked_title=operator_marked,
            operator_orders=p.orders_table(),
            operator_marked=p.marked_away_table(),
            officers=p.officers_table(),
            officers_title=p.officers_title(),
            head_hash=i.head_hash or "—",
            head_signature=(
                f"{i.signature} (Ed25519, key {i.key_id})" if i.signature else w("signoff_unsigned")
            ),
            event_count=w.count(i.event_count),
            duplicates=w.count(s.duplicates) if s.duplicates else "",
            not_verified=i.verified is None,
            contacts_header=p.contacts_header(),
            contact_rows=Markup(rows),
            answers=answers,
            **{f"w_{key}": w(key) for key, pair in LABELS.items() if "{" not in pair[0]},
        )
    )


def _answers(p: Presenter) -> dict[str, object] | None:
    """The tally of answers to the scenario's question, for the template (None: none)."""
    if p.report.answers is None:
        return None
    return {
        "title": choice_word("title", p.lang),
        "lines": p.answers_lines(),
        "table": p.answers_table(),
        "by_level": choice_word("by_level", p.lang),
        "levels": p.answers_levels_table(),
        "changes_title": choice_word("changes", p.lang),
        "changes": p.answer_changes(),
    }


def _pairs(rows: tuple[tuple[str, ...], ...]) -> list[tuple[tuple[str, ...], ...]]:
    """The summary's rows side by side, two to a line, so that the summary, the targets
    and the sign-off block fit on the first page."""
    half = (len(rows) + 1) // 2
    return [(rows[i], rows[i + half]) if i + half < len(rows) else (rows[i],) for i in range(half)]
