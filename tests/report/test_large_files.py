"""The report's large files written as they are made: events.csv row by row (what a
spreadsheet, or Python's csv reader, reads back is every stored value, addresses masked at
any depth, times in the drill's zone) and a large report's JSON contact by contact."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from drill.plan import Plan
from drill.report import build, render_json
from drill.report.csv_report import EventsCsv, render_events_csv
from drill.report.json_report import encode_json, json_parts

T = dt.datetime(2026, 12, 6, 6, 9, 44, 598967, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class Row:
    seq: Any
    type: str
    recorded_at: dt.datetime
    payload: Mapping[str, Any]
    key: str | None = None
    duplicate_of: int | None = None
    hash: str = "ab" * 32


ROWS = [
    Row(1, "DrillStarted", T, {"at": "2026-12-06T06:09:44+00:00", "elapsed": 0.0, "title": "訓練"}),
    Row(
        2,
        "PageQueued",
        T,
        {
            "at": "2026-12-06T06:10:00+00:00",
            "elapsed": 16.0,
            "address": "+819012345678",
            "nested": [{"address": "taro@example.jp", "note": 'say "hi", then\r\nleave'}],
        },
        key='cb,"1"\n',
    ),
    Row(3, "Acknowledged", T, {"at": "not a time", "elapsed": "7", "via": "voice"}, "cb", 2),
    Row(4, "NoteAdded", T, {"text": "a,b:c"}),
]


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_every_value_reads_back_with_addresses_masked() -> None:
    text = render_events_csv(ROWS, "Asia/Tokyo")
    assert text.endswith("\r\n") and text.count("\r\n") >= len(ROWS) + 1
    header, *rows = _read(text)
    assert header[:3] == ["seq", "type", "recorded_at"] and header[-1] == "payload"
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    assert rows[0][2] == "2026-12-06T06:09:44.598967+00:00"
    assert rows[0][3] == "2026-12-06T15:09:44+09:00"  # the drill's zone
    assert rows[2][3] == "not a time" and rows[2][4] == "7"
    assert rows[3][3] == "" and rows[3][4] == ""
    assert rows[1][5] == 'cb,"1"\n' and rows[2][5:7] == ["cb", "2"]
    queued = json.loads(rows[1][8])
    assert queued["address"] != "+819012345678" and "*" in queued["address"]
    assert queued["nested"][0]["address"] == "t***@example.jp"
    assert queued["nested"][0]["note"] == 'say "hi", then\r\nleave'
    assert json.loads(rows[3][8]) == {"text": "a,b:c"}
    assert rows[1][8] == json.dumps(queued, ensure_ascii=False, sort_keys=True)


def test_rows_written_one_by_one_are_the_file_written_at_once() -> None:
    out = io.StringIO()
    rows = EventsCsv(out, "Asia/Tokyo")
    for row in ROWS:
        rows.add(row)
    assert out.getvalue() == render_events_csv(ROWS, "Asia/Tokyo")


async def test_a_large_report_s_json_written_in_parts_is_the_json_made_at_once(
    kit: SimpleNamespace, plan: Plan
) -> None:
    """Reports above PRETTY_UP_TO contacts are compact and written contact by contact."""
    report = build(await kit.simulate(plan, seed=11), plan)
    assert len(report.contacts) > 1
    parts = list(json_parts(report, pretty=False))
    assert len(parts) >= 3  # the report's head, its contacts, its tail
    assert "".join(parts) == encode_json(report, pretty=False) == render_json(report, pretty=False)
    # small: pretty, at once
    assert "".join(json_parts(report)) == encode_json(report, pretty=True) == render_json(report)


async def test_a_large_report_s_seconds_are_written_to_the_millisecond(
    kit: SimpleNamespace, plan: Plan
) -> None:
    """A real drill's times carry microseconds: the report's contacts hold their seconds to
    the millisecond, and the JSON written contact by contact is the JSON made at once."""
    events = await kit.simulate(plan, seed=11)
    odd = 0.0123456
    shifted = [
        dataclasses.replace(
            stored, event=dataclasses.replace(stored.event, elapsed=stored.event.elapsed + odd)
        )
        for stored in events
    ]
    whole, report = build(events, plan), build(shifted, plan)
    pairs = [(w, c) for w, c in zip(whole.contacts, report.contacts, strict=True) if c.ack_seconds]
    assert pairs
    for before, contact in pairs:
        assert before.ack_seconds is not None and contact.ack_seconds is not None
        assert contact.ack_seconds == round(contact.ack_seconds, 3) != before.ack_seconds
        assert abs(contact.ack_seconds - (before.ack_seconds + odd)) < 0.001
        for attempt in contact.attempts:
            assert attempt.queued_seconds == round(attempt.queued_seconds, 3)
    text = "".join(json_parts(report, pretty=False))
    assert text == encode_json(report, pretty=False)
    written = {c["member"]: c for c in json.loads(text)["contacts"]}
    for _, contact in pairs:
        assert written[contact.member]["ack_seconds"] == contact.ack_seconds


async def test_contacts_orjson_cannot_write_are_written_as_the_encoder_does(
    kit: SimpleNamespace, plan: Plan
) -> None:
    """A lone surrogate in a contact (a damaged record): its part of the file is written
    as the encoder writes it, and the rest as usual."""
    report = build(await kit.simulate(plan, seed=11), plan)
    damaged = dataclasses.replace(report.contacts[0], acknowledged_by="\ud800")
    report = dataclasses.replace(report, contacts=(damaged, *report.contacts[1:]))
    assert "".join(json_parts(report, pretty=False)) == encode_json(report, pretty=False)
