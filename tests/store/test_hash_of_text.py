"""The append side hashes an event from its payload's stored text (`event_hash_of_text`):
it must give exactly the hash `verify` recomputes from the parsed payload (`event_hash`),
or every drill written that way would fail its own verification."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert

from drill.store import EventStore
from drill.store.chain import (
    GENESIS,
    RecordedAtTexts,
    TextHasher,
    canonical_json,
    canonical_payload,
    canonical_payload_utf8,
    event_hash,
    event_hash_of_text,
    format_recorded_at,
)
from drill.store.schema import events

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # no lone surrogates: not UTF-8
    max_size=12,
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


def _both(payload: dict[str, Any], **fields: Any) -> tuple[str, str]:
    common = {
        "drill_id": "20261206-0900-ab12",
        "seq": 7,
        "type_name": "Acknowledged",
        "recorded_at": dt.datetime(2026, 12, 6, 0, 0, 1, tzinfo=dt.UTC),
        "key": None,
        "duplicate_of": None,
        "prev_hash": GENESIS,
        **fields,
    }
    # As verify sees it: the stored text parsed back.
    from_parsed = event_hash(payload=json.loads(canonical_json(payload)), **common)
    spliced = event_hash_of_text(payload_text=canonical_json(payload), **common)
    # As the store's writer hashes a new row: the payload's UTF-8 bytes as written.
    utf8 = canonical_payload_utf8(payload)
    assert utf8.decode() == canonical_payload(payload) == canonical_json(payload)
    of_utf8 = TextHasher(common["drill_id"]).of_utf8(
        common["seq"],
        common["type_name"],
        format_recorded_at(common["recorded_at"]),
        utf8,
        common["key"],
        common["duplicate_of"],
        common["prev_hash"],
    )
    assert of_utf8 == spliced
    return spliced, from_parsed


def test_a_stored_event_hashes_the_same_from_its_text_and_from_its_payload() -> None:
    payload = {
        "person_name": '中村 亮「訓練」\n\t"quoted" \\ \u2028',
        "elapsed": 12.5,
        "at": "2026-12-06T06:11:32+00:00",
        "members": ["a", "b", None, 3, 1e-7, 10**20],
        "nested": {"z": {}, "a": [], "é": True},
    }
    spliced, parsed = _both(
        payload,
        key="twilio:CA123:ack",
        duplicate_of=3,
        drill_id='odd "id" ü',
        recorded_at=dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    )
    assert spliced == parsed


def test_values_of_other_types_hash_as_the_general_document_writes_them() -> None:
    """A seq or duplicate that is not exactly an int (an enum of ints, a bool) and a key
    that is a str subclass go the general way, and hash as it writes them."""

    class Tag(str):
        pass

    common = {"type_name": "Acknowledged", "recorded_at_text": "2026-12-06T00:00:01+00:00"}
    hasher = TextHasher("d")
    for seq, key, duplicate_of in ((True, Tag("k"), None), (7, "k", True), (8, None, None)):
        expected = hasher(
            seq=seq,
            key=key,
            duplicate_of=duplicate_of,
            payload_text='{"a":"ü"}',
            prev_hash=GENESIS,
            **common,
        )
        got = hasher.of_utf8(
            seq,
            common["type_name"],
            common["recorded_at_text"],
            '{"a":"ü"}'.encode(),
            key,
            duplicate_of,
            GENESIS,
        )
        assert got == expected


@settings(max_examples=200, deadline=None)
@given(
    times=st.lists(
        st.datetimes(
            # a day in from the ends: another zone's time must have a UTC time
            min_value=dt.datetime(1, 1, 2),  # noqa: DTZ001 (hypothesis wants it naive)
            max_value=dt.datetime(9999, 12, 30),  # noqa: DTZ001 (as above)
            timezones=st.sampled_from(
                [dt.UTC, dt.timezone(dt.timedelta(hours=9)), dt.timezone(dt.timedelta(0))]
            ),
        ),
        max_size=30,
    ),
    sort=st.booleans(),
)
def test_times_written_one_after_another_read_as_each_written_alone(
    times: list[dt.datetime], sort: bool
) -> None:
    """The writer keeps a time's text up to the second for the next row: each row's
    text is still the one `format_recorded_at` writes."""
    texts = RecordedAtTexts()
    for moment in sorted(times) if sort else times:
        assert texts(moment) == format_recorded_at(moment)
        assert texts(moment.replace(microsecond=0)) == format_recorded_at(
            moment.replace(microsecond=0)
        )


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries(_TEXT, _JSON, max_size=6),
    key=st.none() | _TEXT,
    duplicate_of=st.none() | st.integers(min_value=1, max_value=10**6),
    seq=st.integers(min_value=1, max_value=10**9),
    type_name=_TEXT,
)
def test_any_json_payload_hashes_the_same_both_ways(
    payload: dict[str, Any], key: str | None, duplicate_of: int | None, seq: int, type_name: str
) -> None:
    spliced, parsed = _both(
        payload, key=key, duplicate_of=duplicate_of, seq=seq, type_name=type_name
    )
    assert spliced == parsed


async def test_an_appended_row_on_sqlite_is_what_sqlalchemys_insert_stores(
    tmp_path: Path, kinds: SimpleNamespace
) -> None:
    """The append inserts its rows through the driver; the same rows inserted through
    SQLAlchemy's own `insert(events)` must be stored the same, column by column."""
    moment = dt.datetime(2026, 12, 6, 9, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    # Odd ticks with microseconds, even ones on the second (written as .000000 all the same).
    ticks = iter(
        moment + (dt.timedelta(microseconds=n * 250_001) if n % 2 else dt.timedelta(seconds=n))
        for n in range(100)
    )
    db = tmp_path / "events.db"
    async with EventStore.open(db, clock=lambda: next(ticks)) as store:
        for n in range(1, 4):
            await store.append("d", kinds.paged(n), key="k" if n == 2 else None)
        await store.append("d", kinds.paged(9), key="k")  # a duplicate: duplicate_of set
        assert (await store.verify("d")).ok
        records = await store.records("d")

    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(events),
                [
                    {
                        "drill_id": "d",
                        "seq": r.seq + 100,
                        "type": r.type,
                        "recorded_at": r.recorded_at,
                        "payload": canonical_json(dict(r.payload)),
                        "key": None,
                        "duplicate_of": None,
                        "prev_hash": r.prev_hash,
                        "hash": r.hash,
                    }
                    for r in records
                ],
            )
    finally:
        engine.dispose()
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            'SELECT seq, type, recorded_at, payload, "key", duplicate_of, prev_hash, hash '
            "FROM events ORDER BY seq"
        ).fetchall()
    ours, theirs = rows[:4], rows[4:]
    assert [row[0] for row in theirs] == [101, 102, 103, 104]
    assert [row[1:4] + row[6:] for row in ours] == [row[1:4] + row[6:] for row in theirs]
    assert ours[0][2] == "2026-12-06 00:00:00.250001"  # UTC, microseconds always written
    assert ours[1][2] == "2026-12-06 00:00:02.000000"
    assert [row[4:6] for row in ours] == [(None, None), ("k", None), (None, None), ("k", 2)]
