"""The report's status updates (第N報): each update and who acknowledged it, from the fold.

Nothing is recounted: who acknowledged, when, and who did not are the fold's
(`DrillState.updates`); this module only puts them in the plan's time zone and works out
the median and the slowest time to acknowledge of those who did.
"""

from __future__ import annotations

import csv
import io
import statistics

from drill.report.present import Table
from drill.report.source import Source
from drill.report.types import Report, UpdateCopyRow, UpdateRow
from drill.words import words
from drill.words.updates import UPDATE_KIND, UPDATES, update_title

__all__ = [
    "copies_tables",
    "render_updates_csv",
    "update_rows",
    "updates_heading",
    "updates_table",
]


def update_rows(source: Source) -> tuple[UpdateRow, ...]:
    """One row per status update, in the order issued."""
    rows = []
    for update in source.state.updates:
        issued = update.issued
        times = update.seconds_to_acknowledge()
        copies = tuple(
            UpdateCopyRow(
                person_id=c.person_id,
                person_name=source.person_name(c.person_id)
                if c.person_name == c.person_id
                else c.person_name,
                channel=c.channel.value if c.channel is not None else None,
                address=c.address,
                sent=c.accepted,
                acknowledged_at=source.local(c.acknowledged_at)
                if c.acknowledged_at is not None
                else None,
                seconds_to_acknowledge=max(0.0, (c.acknowledged_at - issued.at).total_seconds())
                if c.acknowledged_at is not None
                else None,
                source=c.source,
            )
            for c in update.copies.values()
        )
        rows.append(
            UpdateRow(
                number=issued.number,
                kind=issued.kind.value,
                text=issued.text,
                by=issued.by,
                origin=issued.origin,
                issued_at=source.local(issued.at),
                issued_seconds=issued.elapsed,
                audience=issued.audience,
                recipients=update.recipients,
                acknowledged=update.acknowledged,
                median_seconds=statistics.median(times) if times else None,
                slowest_seconds=max(times) if times else None,
                copies=copies,
            )
        )
    return tuple(rows)


# -- as tables, for the Markdown and HTML reports ------------------------------------------


def _pick(key: str, lang: str) -> str:
    return UPDATES[key][1 if lang == "en" else 0]


def updates_heading(lang: str) -> str:
    return _pick("section", lang)


def updates_table(report: Report, lang: str) -> Table:
    """One line per update: number, kind, when, by whom, to how many, acknowledged."""
    w = words("en" if lang == "en" else "ja")
    i = 1 if lang == "en" else 0

    def seconds(value: float | None) -> str:
        return w.duration(value) if value is not None else "—"

    rows = tuple(
        (
            update_title(u.number, u.kind, lang),
            UPDATE_KIND[u.kind][i],
            w.clock(u.issued_at),
            w.who(u.by),
            str(u.recipients),
            f"{u.acknowledged}/{u.recipients}",
            str(u.recipients - u.acknowledged),
            seconds(u.median_seconds),
            seconds(u.slowest_seconds),
            u.text.splitlines()[0] if u.text else "",
        )
        for u in report.updates
    )
    header = tuple(
        _pick(k, lang)
        for k in (
            "number",
            "kind",
            "issued_at",
            "by",
            "recipients",
            "acknowledged",
            "not_acknowledged",
            "median",
            "slowest",
            "text_column",
        )
    )
    return Table(header, rows, frozenset({4, 5, 6, 7, 8}))


def copies_tables(report: Report, lang: str) -> list[tuple[str, Table]]:
    """Per update, who it went to and when each acknowledged (— for not yet)."""
    w = words("en" if lang == "en" else "ja")
    out = []
    for u in report.updates:
        rows = tuple(
            (
                c.person_name,
                w.channel(c.channel) if c.channel else "—",
                w.clock(c.acknowledged_at) if c.acknowledged_at is not None else "—",
                w.duration(c.seconds_to_acknowledge)
                if c.seconds_to_acknowledge is not None
                else _pick("not_acknowledged", lang),
            )
            for c in u.copies
        )
        header = tuple(_pick(k, lang) for k in ("person", "channel", "ack_time", "after"))
        first_line = u.text.splitlines()[0] if u.text else ""
        name = update_title(u.number, u.kind, lang)
        title = f"{name} ({first_line})" if lang == "en" else f"{name}（{first_line}）"
        out.append((title, Table(header, rows, frozenset({3}))))
    return out


def render_updates_csv(report: Report, lang: str | None = None) -> str:
    """updates.csv: one row per copy of each update (number, person, acknowledged …)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        (
            "number",
            "kind",
            "issued_at",
            "by",
            "person_id",
            "person_name",
            "channel",
            "address",
            "sent",
            "acknowledged_at",
            "seconds_to_acknowledge",
            "source",
        )
    )
    for u in report.updates:
        for c in u.copies:
            writer.writerow(
                (
                    u.number,
                    u.kind,
                    u.issued_at.isoformat(),
                    u.by,
                    c.person_id,
                    c.person_name,
                    c.channel or "",
                    c.address or "",
                    "" if c.sent is None else str(c.sent).lower(),
                    c.acknowledged_at.isoformat() if c.acknowledged_at is not None else "",
                    "" if c.seconds_to_acknowledge is None else f"{c.seconds_to_acknowledge:.3f}",
                    c.source or "",
                )
            )
    return buffer.getvalue()
