"""The report as CSV: one row per contact, and one row per recorded event.

Spreadsheets are how many offices will sort and filter a drill, so headers follow the
report's language and times are ISO 8601 in the plan's zone; seconds stay plain numbers
so they can be summed. Files are written as UTF-8 with a byte-order mark (see
`write_csv`), which Excel needs to read Japanese correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zoneinfo
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, TextIO

import orjson

from drill.engine.events import DrillStarted, Event
from drill.report.contacts import mask_address
from drill.report.present import Presenter
from drill.report.types import Report

__all__ = [
    "EventsCsv",
    "StoredRecord",
    "events_zone",
    "open_csv",
    "render_contacts_csv",
    "render_events_csv",
    "write_csv",
]

_CONTACT_HEADERS = {
    "ja": (
        "訓練ID", "連絡網ID", "段ID", "段", "役割ID", "役割", "拠点", "状態", "応答者",
        "代理順位（0=正）", "応答手段", "手入力者", "応答時刻", "開始からの秒", "応答までの秒",
        "呼び出し回数", "呼び出しの経過", "未応答の理由", "回答",
    ),
    "en": (
        "drill_id", "tree", "level_id", "level", "member", "role", "site", "status",
        "acknowledged_by", "candidate_index", "ack_via", "entered_by", "acknowledged_at",
        "ack_seconds", "time_to_ack_seconds", "attempts", "pages", "why_not_reached",
        "answer",
    ),
}  # fmt: skip

_EVENT_HEADERS = (
    "seq", "type", "recorded_at", "at", "elapsed", "key", "duplicate_of", "hash", "payload",
)  # fmt: skip

_ADDRESS_FIELDS = frozenset({"address"})


class StoredRecord(Protocol):
    """What the events CSV needs of a stored event (`drill.store.EventRecord` has it)."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def recorded_at(self) -> dt.datetime: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def key(self) -> str | None: ...
    @property
    def duplicate_of(self) -> int | None: ...
    @property
    def hash(self) -> str: ...


def events_zone(first: Event | None) -> str:
    """The zone of events.csv's local times: the drill's own, which its first event says."""
    return first.timezone if isinstance(first, DrillStarted) else "Asia/Tokyo"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def render_contacts_csv(
    report: Report, lang: str | None = None, *, presenter: Presenter | None = None
) -> str:
    """One row per contact (a member of a level), phone numbers masked. `presenter`: one
    already made for this report and language, shared with the other formats."""
    p = Presenter.shared(report, lang, presenter)
    language = p.lang
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_CONTACT_HEADERS[language])
    # The answer to the scenario's question (its counted, first one), by contact.
    answered = {
        (person.tree, person.level, person.member): p.text(choice.label)
        for choice in (report.answers.choices if report.answers is not None else ())
        for person in choice.people
    }
    for c, cells in zip(report.contacts, p.contacts_cells(), strict=True):
        writer.writerow(
            (
                report.drill.drill_id,
                c.tree,
                c.level,
                p.text(c.level_name),
                c.member,
                p.text(c.name),
                p.text(c.site_name) if c.site_name else "",
                cells[3],
                c.acknowledged_by or "",
                "" if c.candidate_index is None else str(c.candidate_index),
                cells[5],
                c.entered_by or "",
                c.acknowledged_at.isoformat() if c.acknowledged_at else "",
                _seconds(c.ack_seconds),
                _seconds(c.time_to_ack_seconds),
                str(len(c.attempts)),
                cells[9],
                cells[10],
                answered.get((c.tree, c.level, c.member), ""),
            )
        )
    return buffer.getvalue()


def _masked(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if key in _ADDRESS_FIELDS and isinstance(value, str):
        return mask_address(value)
    return value


def _masked_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`_masked(payload)`, with plain top-level values (most of them) taken as they are."""
    return {
        k: v
        if type(v) in _PLAIN and (type(v) is not str or k not in _ADDRESS_FIELDS)
        else _masked(v, k)
        for k, v in payload.items()
    }


_PLAIN = frozenset({str, int, float, bool, type(None)})
_PAYLOAD_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
"""The payload column's JSON: made once (`json.dumps` with options makes one per call)."""
_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
_PAYLOAD_CHUNKS: Any = (
    _C_ENCODER(
        None, _PAYLOAD_JSON.default, json.encoder.encode_basestring, None, ": ", ", ",
        True, False, True,
    )
    if _C_ENCODER is not None
    else None
)  # fmt: skip
"""The C encoder `_PAYLOAD_JSON.encode` makes anew for every call, with its options, made
once. Without its check for circular references (markers None): a payload read from JSON
has none."""


def _payload_json(payload: Mapping[str, Any]) -> str:
    """`_PAYLOAD_JSON.encode(payload)`: the same text."""
    if _PAYLOAD_CHUNKS is None:
        return _PAYLOAD_JSON.encode(payload)
    return "".join(_PAYLOAD_CHUNKS(payload, 0))


class EventsCsv:
    """The events CSV written row by row to `out` as the drill is read, so that a large
    drill's rows are never all in memory (`render_events_csv` writes it at once).

    Rows are written as `csv.writer` (minimal quoting, quotes doubled, CRLF) writes them,
    joined here: for 10^5 rows whose last cell is JSON full of quotes, the writer's own
    work per row was a third of the file's cost.
    """

    def __init__(self, out: TextIO, timezone: str = "Asia/Tokyo") -> None:
        self._zone = zoneinfo.ZoneInfo(timezone)
        self._out = out
        csv.writer(out, lineterminator="\r\n").writerow(_EVENT_HEADERS)
        self._local: dict[str, str] = {}
        """Each event time in the plan's zone: events recorded together share their time."""

    def add(self, r: StoredRecord) -> None:
        """Write one stored event, duplicates included, with its hash; addresses masked."""
        self._out.write(self._row(r))

    def add_all(self, records: Iterable[StoredRecord]) -> None:
        """`add` each of `records`, written at once (a write per row was a tenth of the
        file's cost)."""
        self._out.write("".join([self._row(r) for r in records]))

    def _row(self, r: StoredRecord) -> str:
        payload = r.payload
        # Masking changes nothing in a payload without an address whose values are all
        # plain (most of them): it is then encoded as it is, not copied first.
        flat = type(payload) is dict and _PLAIN.issuperset(map(type, payload.values()))
        if not flat or "address" in payload:
            payload = _masked_payload(payload)
            flat = _PLAIN.issuperset(map(type, payload.values()))
        at = payload.get("at")
        local = ""
        if isinstance(at, str):
            local = self._local.get(at, "")
            if not local:
                try:
                    local = dt.datetime.fromisoformat(at).astimezone(self._zone).isoformat()
                except ValueError:
                    local = _cell(at)
                self._local[at] = local
        elapsed: object = payload.get("elapsed")
        seq: object = r.seq
        duplicate_of: object = r.duplicate_of
        # Cells that cannot hold a quote, comma or line break (a number, a time written
        # by isoformat) are written without `_cell`'s checks: 10^5 rows of nine cells.
        if elapsed is None:
            elapsed = ""
        elif type(elapsed) not in _NUMBERS:
            elapsed = _cell(str(elapsed))
        if type(seq) is not int:
            seq = _cell(str(seq))
        if duplicate_of is None:
            duplicate_of = ""
        elif type(duplicate_of) is not int:
            duplicate_of = _cell(str(duplicate_of))
        text = _flat_payload_json(payload) if flat else _payload_json(payload)
        if '"' in text or "," in text or "\n" in text or "\r" in text:
            text = '"' + text.replace('"', '""') + '"'
        return (
            f"{seq},{_cell(r.type)},{r.recorded_at.astimezone(dt.UTC).isoformat()},{local},"
            f"{elapsed},{_cell(r.key or '')},{duplicate_of},{_cell(r.hash)},{text}\r\n"
        )


def _flat_payload_json(payload: Mapping[str, Any]) -> str:
    """`_payload_json` of a payload whose values are all plain (str, int, float, bool,
    None): the same text, written by orjson when it writes each value as json does.

    orjson writes indented JSON only, whose line breaks are all between items (a line
    break inside a string is written escaped): taken out, with the indent, they leave
    json's `", "` and `": "`. orjson writes str, int, bool and None as json does (every
    code point tried), and a float as json does from 1e-4 up to 1e16, and zero (see
    `drill.store.chain.canonical_payload`); json decides any other float, and an integer
    beyond 64 bits, which orjson refuses. A 17,000-contact drill has 88,000 such payloads:
    0.44 s of CPU with json's C encoder, half that so.
    """
    for value in payload.values():
        if type(value) is float and not (1e-4 <= abs(value) < 1e16 or value == 0.0):
            return _payload_json(payload)
    try:
        data = orjson.dumps(payload, option=_SPACED)
    except TypeError:  # an integer beyond 64 bits, a key that is not a str
        return _payload_json(payload)
    return data.replace(b",\n  ", b", ").replace(b"{\n  ", b"{", 1).replace(b"\n}", b"}").decode()


_SPACED = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2


_NUMBERS = (int, float)
"""Exact types whose `str` is a number: never a quote, comma or line break in its cell."""


def _cell(text: str) -> str:
    """One CSV cell as `csv.writer` writes it by default (QUOTE_MINIMAL, CRLF rows)."""
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def render_events_csv(records: Iterable[StoredRecord], timezone: str = "Asia/Tokyo") -> str:
    """Every stored event, duplicates included, with its hash; addresses masked."""
    buffer = io.StringIO()
    EventsCsv(buffer, timezone).add_all(records)
    return buffer.getvalue()


def open_csv(path: Path) -> TextIO:
    """A CSV file to write as `write_csv` writes one (UTF-8 with a byte-order mark)."""
    return path.open("w", encoding="utf-8-sig", newline="")


def write_csv(path: Path, text: str) -> Path:
    """Write CSV as UTF-8 with a byte-order mark, so Excel shows Japanese correctly."""
    path.write_text(text, encoding="utf-8-sig", newline="")
    return path
