"""The report's section on what the operator did beyond the tree (今すぐ呼出, 不在).

Read from the fold (`DrillState.orders`, `outside_pages`, `marked_unavailable`): each
order to page now, who asked and from where, every page it sent and who answered when;
each person marked away from the console, why, until when, and how often the ladder
passed them over for it. None of it changes what the tree achieved: the fold counts an
answer to a page outside the tree for no level, tree, site or target (docs/outcome.md).
"""

from __future__ import annotations

import csv
import io

from drill.engine.events import EscalationReason, OperatorPaged
from drill.report.source import Source
from drill.report.types import (
    Label,
    MarkedAway,
    OperatorPages,
    OrderRow,
    OutsidePageRow,
    Report,
)
from drill.words.page import PAGE, absence_reason

__all__ = ["operator_pages", "order_label", "reason_label", "render_operator_csv"]


def operator_pages(source: Source) -> OperatorPages:
    state = source.state
    orders: list[OrderRow] = []
    for order in state.orders.values():
        e = order.order
        if order.seq is None:
            continue
        pages = tuple(
            OutsidePageRow(
                person=p.queued.person_name,
                ad_hoc=p.queued.ad_hoc,
                channel=p.queued.channel.value,
                address=p.queued.address,
                outcome=p.outcome,
                answered_at=source.local(p.acknowledged_at) if p.acknowledged_at else None,
                answered_seconds=p.acknowledged_elapsed,
                tree_contact=p.queued.contact,
                seq=p.ack_seq,
            )
            for p in order.pages
        )
        orders.append(
            OrderRow(
                seq=order.seq,
                at=source.local(e.at),
                elapsed=e.elapsed,
                by=e.by,
                origin=e.origin,
                asked=e.asked,
                what=order_label(e),
                pages=pages,
            )
        )
    away: list[MarkedAway] = []
    for index, (seq, mark) in enumerate(state.marked_unavailable):
        if seq is None:
            continue
        back_seq, back = state.marked_back.get(index, (None, None))
        skipped = sum(
            1
            for contact in state.contacts.values()
            for _, e in contact.passed_over
            if e.reason is EscalationReason.UNAVAILABLE
            and e.from_person == mark.person_id
            and e.absence == mark.reason
            and e.at >= mark.at
        )
        away.append(
            MarkedAway(
                seq=seq,
                at=source.local(mark.at),
                elapsed=mark.elapsed,
                by=mark.by,
                origin=mark.origin,
                person=mark.person_name,
                reason=mark.reason,
                until=source.local(mark.until) if mark.until is not None else None,
                passed_over=skipped,
                back_at=source.local(back.at) if back is not None else None,
                back_by=back.by if back is not None else None,
                back_seq=back_seq,
            )
        )
    return OperatorPages(tuple(orders), tuple(away))


def order_label(e: OperatorPaged) -> Label:
    """What an order asked for, in both languages (ad hoc numbers masked as recorded)."""
    key = f"what_{e.asked}" if f"what_{e.asked}" in PAGE else "what_person"
    name = e.target_name or e.target or ""
    points = list(dict.fromkeys(p.split(":", 1)[-1] for p in e.ad_hoc_points))
    ja, en = PAGE[key]
    return Label(
        ja.format(name=name, points="、".join(points)),
        en.format(name=name, points=", ".join(points)),
    )


def reason_label(word: str) -> Label:
    """A reason for being away in both languages (the plan's own word as it is)."""
    return Label(absence_reason(word, "ja"), absence_reason(word, "en"))


_CSV_COLUMNS = (
    "kind",
    "seq",
    "at",
    "elapsed_seconds",
    "by",
    "origin",
    "asked",
    "what",
    "person",
    "ad_hoc",
    "channel",
    "address",
    "outcome",
    "answered_at",
    "seconds_to_answer",
    "tree_contact",
    "reason",
    "until",
    "passed_over",
    "back_at",
    "back_by",
)


def render_operator_csv(report: Report, lang: str | None = None) -> str:
    """operator.csv: a row per page an order to page now sent (kind `page`; an order
    that found nobody to page is one row without a person) and a row per person marked
    away (kind `away`); addresses masked as recorded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    language = lang or "ja"
    for order in report.operator.orders:
        head = (
            "page",
            order.seq,
            order.at.isoformat(),
            f"{order.elapsed:.3f}",
            order.by,
            order.origin or "",
            order.asked,
            order.what.get(language),
        )
        if not order.pages:
            writer.writerow((*head, *[""] * (len(_CSV_COLUMNS) - len(head))))
        for page in order.pages:
            answered = page.answered_seconds
            writer.writerow(
                (
                    *head,
                    page.person,
                    str(page.ad_hoc).lower(),
                    page.channel,
                    page.address,
                    page.outcome,
                    page.answered_at.isoformat() if page.answered_at is not None else "",
                    "" if answered is None else f"{answered:.3f}",
                    page.tree_contact or "",
                    *[""] * 5,
                )
            )
    for mark in report.operator.marked_away:
        writer.writerow(
            (
                "away",
                mark.seq,
                mark.at.isoformat(),
                f"{mark.elapsed:.3f}",
                mark.by,
                mark.origin or "",
                "",
                "",
                mark.person,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                reason_label(mark.reason).get(language),
                mark.until.isoformat() if mark.until is not None else "",
                mark.passed_over,
                mark.back_at.isoformat() if mark.back_at is not None else "",
                mark.back_by or "",
            )
        )
    return buffer.getvalue()
