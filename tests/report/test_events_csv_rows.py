"""events.csv rows are written by hand for speed (plain payloads encoded as they are, the
C encoder made once, number cells written without quoting checks): every row must be the
one `csv.writer` and `json.JSONEncoder(ensure_ascii=False, sort_keys=True)` write from
the masked payload, whatever a stored row holds."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drill.report.contacts import mask_address
from drill.report.csv_report import EventsCsv, _flat_payload_json


@dataclasses.dataclass(frozen=True)
class Row:
    seq: Any
    type: Any
    recorded_at: dt.datetime
    payload: Mapping[str, Any]
    key: Any
    duplicate_of: Any
    hash: Any


def _masked(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if key == "address" and isinstance(value, str):
        return mask_address(value)
    return value


def _reference(rows: list[Row], timezone: str) -> str:
    """events.csv as `csv.writer` writes it: the rows' meaning, spelled out once."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ("seq", "type", "recorded_at", "at", "elapsed", "key", "duplicate_of", "hash", "payload")
    )
    for r in rows:
        payload = _masked(dict(r.payload))
        at = payload.get("at")
        local = ""
        if isinstance(at, str):
            try:
                local = dt.datetime.fromisoformat(at).astimezone(zone).isoformat()
            except ValueError:
                local = at
        elapsed = payload.get("elapsed")
        writer.writerow(
            (
                str(r.seq),
                r.type,
                r.recorded_at.astimezone(dt.UTC).isoformat(),
                local,
                "" if elapsed is None else str(elapsed),
                r.key or "",
                "" if r.duplicate_of is None else str(r.duplicate_of),
                r.hash,
                json.dumps(payload, ensure_ascii=False, sort_keys=True),
            )
        )
    return out.getvalue()


_TEXT = st.text(st.characters(codec="utf-8"), max_size=10) | st.sampled_from(
    ['a,"b"', "x\r\ny", ":", "", "2026-12-06T06:10:00+00:00", "2026-12-06", "+819012345678"]
)
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities as well: a tampered store may hold them
    | _TEXT
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["address", "at", "note", "x"]) | _TEXT, inner, max_size=3
        )
    ),
    max_leaves=8,
)
_PAYLOAD = st.dictionaries(
    st.sampled_from(["at", "elapsed", "address", "page_id", "tree", "members"]) | _TEXT,
    _VALUE,
    max_size=6,
)
_ROW = st.builds(
    Row,
    seq=st.integers(min_value=0) | st.booleans() | _TEXT,
    type=_TEXT,
    recorded_at=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis wants it naive)
        timezones=st.just(dt.UTC) | st.timezones(),
    ),
    payload=_PAYLOAD,
    key=st.none() | _TEXT,
    duplicate_of=st.none() | st.integers() | _TEXT,
    hash=_TEXT,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ROW, max_size=6))
def test_rows_are_what_csv_writer_and_json_write(rows: list[Row]) -> None:
    out = io.StringIO()
    writer = EventsCsv(out, "Asia/Tokyo")
    for row in rows:
        writer.add(row)
    assert out.getvalue() == _reference(rows, "Asia/Tokyo")


def test_the_usual_rows_are_what_csv_writer_and_json_write() -> None:
    at = dt.datetime(2026, 12, 6, 6, 9, 44, 598967, tzinfo=dt.UTC)
    rows = [
        Row(
            1,
            "PageSent",
            at,
            {"at": "2026-12-06T06:10:00+00:00", "elapsed": 16.5},
            None,
            None,
            "ab",
        ),
        Row(2, "PageQueued", at, {"address": "taro@example.jp", "elapsed": 3}, "k", None, "cd"),
        Row(3, "Acknowledged", at, {"at": "bad", "members": ["a", "b"]}, "k", 2, "ef"),
    ]
    out = io.StringIO()
    writer = EventsCsv(out, "Asia/Tokyo")
    for row in rows:
        writer.add(row)
    assert out.getvalue() == _reference(rows, "Asia/Tokyo")


_PLAIN_VALUE = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits as well, which orjson refuses
    | st.floats()
    | st.sampled_from([1e-4, 9.999e-5, 1e16, 9999999999999998.0, -1e-4, -0.0, 5e-324])
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=8)  # lone surrogates
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=4), _PLAIN_VALUE, max_size=8))
def test_a_flat_payload_is_what_json_writes(payload: dict[str, Any]) -> None:
    """Payloads of plain values are written by orjson, re-spaced: json's text still."""
    assert _flat_payload_json(payload) == json.dumps(payload, ensure_ascii=False, sort_keys=True)


@settings(max_examples=50, deadline=None)
@given(st.lists(_ROW, max_size=6))
def test_rows_written_at_once_are_the_rows_written_one_by_one(rows: list[Row]) -> None:
    one_by_one, at_once = io.StringIO(), io.StringIO()
    writer = EventsCsv(one_by_one, "Asia/Tokyo")
    for row in rows:
        writer.add(row)
    EventsCsv(at_once, "Asia/Tokyo").add_all(rows)
    assert at_once.getvalue() == one_by_one.getvalue()
