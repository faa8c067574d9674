"""Appending and reading back: round trip, gapless seq, batches, reopen, listing drills."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.engine.events import EVENT_TYPES, Event, to_record
from drill.engine.sink import Appended, EventSink
from drill.errors import StoreError
from drill.store import EventStore, UnknownEvent


async def test_round_trip_keeps_every_field(store: EventStore, kinds: SimpleNamespace) -> None:
    sent = [
        kinds.paged(1, contact="長崎市 危機管理課 山田", channels=("voice", "sms")),
        kinds.Acknowledged(
            at=kinds.T0,
            elapsed=12.5,
            who="佐藤",
            via="manual",
            reached_at=dt.datetime(2026, 4, 1, 10, 12, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        ),
        kinds.Acknowledged(at=kinds.T0, elapsed=13.0, who="鈴木"),
    ]
    for item in sent:
        await store.append("drill-1", item)

    stored = await store.read("drill-1")

    assert [s.event for s in stored] == sent
    assert [s.seq for s in stored] == [1, 2, 3]
    assert all(not s.duplicate and s.key is None for s in stored)
    # The store keeps datetimes in UTC; the instant is the same.
    assert stored[1].event.reached_at.utcoffset() == dt.timedelta(0)  # type: ignore[attr-defined]


async def test_store_is_an_event_sink(store: EventStore) -> None:
    sink: EventSink = store
    assert await sink.read("no-such-drill") == []


async def test_seq_is_gapless_per_drill(store: EventStore, kinds: SimpleNamespace) -> None:
    a = [await store.append("a", kinds.paged(i)) for i in range(3)]
    b = [await store.append("b", kinds.paged(i)) for i in range(2)]
    a += [await store.append("a", kinds.paged(9))]

    assert [x.seq for x in a] == [1, 2, 3, 4]
    assert [x.seq for x in b] == [1, 2]


async def test_concurrent_appends_in_one_store_stay_gapless(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    results = await asyncio.gather(*(store.append("d", kinds.paged(i)) for i in range(40)))

    assert sorted(r.seq for r in results) == list(range(1, 41))
    assert [s.seq for s in await store.read("d")] == list(range(1, 41))
    assert (await store.verify("d")).ok


async def test_append_many_is_one_ordered_batch(store: EventStore, kinds: SimpleNamespace) -> None:
    await store.append("d", kinds.paged(0))

    results = await store.append_many("d", [(kinds.paged(i), f"k{i % 3}") for i in range(1, 7)])

    assert results == [
        Appended(2, False),
        Appended(3, False),
        Appended(4, False),
        Appended(5, True),
        Appended(6, True),
        Appended(7, True),
    ]
    records = await store.records("d")
    assert [r.duplicate_of for r in records] == [None, None, None, None, 2, 3, 4]
    assert await store.append_many("d", []) == []
    assert (await store.verify("d")).ok


async def test_a_batch_of_more_keys_than_one_lookup_takes_finds_every_original(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    """Keys are looked up 500 at a time: originals are found across those chunks, in
    earlier batches and earlier in the same batch."""
    first = await store.append_many("d", [(kinds.paged(i), f"k{i}") for i in range(0, 1300, 2)])
    assert not any(a.duplicate for a in first)
    keys = [f"k{i}" for i in range(1300)] + ["k1", "k1299"]

    second = await store.append_many("d", [(kinds.paged(i), key) for i, key in enumerate(keys)])

    assert [a.duplicate for a in second] == [i % 2 == 0 for i in range(1300)] + [True, True]
    records = {r.seq: r for r in await store.records("d")}
    by_key = {r.key: r.seq for r in records.values() if r.duplicate_of is None}
    assert len(by_key) == 1300
    for appended, key in zip(second, keys, strict=True):
        row = records[appended.seq]
        assert row.key == key
        assert row.duplicate_of == (by_key[key] if appended.duplicate else None)
    assert (await store.verify("d")).ok


async def test_a_batch_that_cannot_be_stored_stores_nothing(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    bad = kinds.Acknowledged(at=kinds.T0, elapsed=math.nan, who="x")

    with pytest.raises(StoreError, match="cannot be stored as JSON"):
        await store.append_many("d", [(kinds.paged(1), None), (bad, None)])

    assert await store.read("d") == []


async def test_text_that_is_not_unicode_is_refused_before_it_is_written(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    """A lone surrogate has no UTF-8: refused as the batch is prepared, nothing stored."""
    bad = kinds.Acknowledged(at=kinds.T0, elapsed=1.0, who="x\ud800")

    with pytest.raises(StoreError, match="cannot be stored as JSON"):
        await store.append_many("d", [(kinds.paged(1), None), (bad, None)])

    assert await store.read("d") == []
    assert (await store.append("d", kinds.paged(2))).seq == 1


async def test_events_survive_reopening(db: Path | str, kinds: SimpleNamespace) -> None:
    async with EventStore.open(db) as first:
        await first.append("d", kinds.paged(1), key="cb-1")
        head = (await first.verify("d")).head_hash

    store = await EventStore.open(db)
    try:
        again = await store.append("d", kinds.paged(2), key="cb-1")
        assert again == Appended(2, True)
        assert [s.event for s in await store.read("d")] == [kinds.paged(1), kinds.paged(2)]
        assert (await store.records("d"))[1].prev_hash == head
    finally:
        await store.close()


async def test_closed_store_refuses_work(db: Path | str, kinds: SimpleNamespace) -> None:
    store = await EventStore.open(db)
    await store.close()
    await store.close()

    with pytest.raises(StoreError, match="closed"):
        await store.append("d", kinds.paged(1))


async def test_records_expose_the_stored_row(store: EventStore, kinds: SimpleNamespace) -> None:
    before = dt.datetime.now(dt.UTC)
    await store.append("d", kinds.paged(1, contact="x"), key="provider-42")

    (record,) = await store.records("d")

    assert record.type == "StoreTestPaged"
    assert dict(record.payload) == to_record(kinds.paged(1, contact="x"))[1]
    assert record.key == "provider-42"
    assert record.duplicate_of is None
    assert record.recorded_at.tzinfo == dt.UTC
    assert before <= record.recorded_at <= dt.datetime.now(dt.UTC)
    assert record.prev_hash == "0" * 64
    assert len(record.hash) == 64


async def test_drills_lists_each_drill_with_its_first_event(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    assert await store.drills() == []
    assert await store.openings() == []
    assert await store.latest_drill_id() is None
    await store.append("2026-04-01-rollcall", kinds.paged(1, contact="first"))
    await store.append("2026-04-01-rollcall", kinds.paged(2))
    await store.append("2026-05-10-outage", kinds.paged(7))
    await store.append("2026-04-01-rollcall", kinds.paged(3), key="k")
    await store.append("2026-04-01-rollcall", kinds.paged(4), key="k")

    listed = await store.drills()

    assert [d.drill_id for d in listed] == ["2026-04-01-rollcall", "2026-05-10-outage"]
    roll, outage = listed
    assert roll.event_count == 4
    assert outage.event_count == 1
    assert roll.first_type == "StoreTestPaged"
    assert roll.first_payload is not None and roll.first_payload["contact"] == "first"
    assert roll.first_recorded_at < roll.last_recorded_at
    assert outage.first_recorded_at == outage.last_recorded_at
    assert await store.latest_drill_id() == "2026-05-10-outage"
    assert await store.openings() == [(d.drill_id, d.first_type, d.first_payload) for d in listed]


async def test_unknown_event_type_reads_as_placeholder(
    store: EventStore,
    kinds: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await store.append("d", kinds.paged(1))
    await store.append("d", kinds.Acknowledged(at=kinds.T0, elapsed=5.0, who="佐藤"))
    await store.append("d", kinds.Acknowledged(at=kinds.T0, elapsed=6.0, who="鈴木"))
    # As if the events had been written by a newer drillkit that knows this type.
    monkeypatch.delitem(EVENT_TYPES, "StoreTestAcknowledged")

    with caplog.at_level(logging.WARNING, logger="drill.store"):
        stored = await store.read("d")

    assert stored[0].event == kinds.paged(1)
    placeholder = stored[1].event
    assert isinstance(placeholder, UnknownEvent)
    assert placeholder.stored_type == "StoreTestAcknowledged"
    assert placeholder.payload["who"] == "佐藤"
    assert placeholder.at == kinds.T0
    assert placeholder.elapsed == 5.0
    assert "does not know" in placeholder.reason
    warnings = [r for r in caplog.records if "StoreTestAcknowledged" in r.getMessage()]
    assert len(warnings) == 1  # once per type, not once per event


async def test_event_whose_fields_changed_reads_as_placeholder(
    store: EventStore, kinds: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.append("d", kinds.paged(1))

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Reshaped(Event):
        n: int
        required_now: str

    monkeypatch.setitem(EVENT_TYPES, "StoreTestPaged", Reshaped)

    (stored,) = await store.read("d")

    assert isinstance(stored.event, UnknownEvent)
    assert "fields do not match" in stored.event.reason
    assert stored.event.payload["n"] == 1


@pytest.mark.parametrize("drill_id", ["", "x" * 201])
async def test_drill_id_must_fit_the_schema(
    store: EventStore, kinds: SimpleNamespace, drill_id: str
) -> None:
    with pytest.raises(StoreError, match="drill id must be 1 to 200 characters"):
        await store.append(drill_id, kinds.paged(1))
    assert await store.drills() == []
