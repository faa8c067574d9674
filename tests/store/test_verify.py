"""The hash chain: verify passes on an intact drill and names the first tampered event."""

from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

import pytest

from drill.errors import StoreError
from drill.store import EventStore
from drill.store.chain import event_hash


async def _five_events(store: EventStore, kinds: SimpleNamespace) -> None:
    for i in range(1, 6):
        await store.append("d", kinds.paged(i), key="cb" if i in (2, 4) else None)
    await store.append("other", kinds.paged(1))


async def test_intact_chain_verifies(store: EventStore, kinds: SimpleNamespace) -> None:
    await _five_events(store, kinds)

    result = await store.verify("d")

    records = await store.records("d")
    assert result.ok
    assert result.count == 5
    assert result.head_hash == records[-1].hash
    assert (result.first_bad_seq, result.problem) == (None, None)
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]


async def test_edited_payload_is_named(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection
) -> None:
    await _five_events(store, kinds)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET payload = replace(payload, '\"n\":3', '\"n\":4') WHERE seq = 3")

    result = await store.verify("d")

    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.problem is not None and "event 3 (StoreTestPaged) was altered" in result.problem
    assert (await store.verify("other")).ok


async def test_deleted_middle_event_is_named(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection
) -> None:
    await _five_events(store, kinds)
    raw.execute("DROP TRIGGER events_no_delete")
    raw.execute("DELETE FROM events WHERE drill_id = 'd' AND seq = 3")

    result = await store.verify("d")

    assert not result.ok
    assert result.count == 4
    assert result.first_bad_seq == 3
    assert result.problem is not None and "event 3 is missing" in result.problem


async def test_edit_with_recomputed_hash_breaks_the_next_link(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection
) -> None:
    await _five_events(store, kinds)
    record = (await store.records("d"))[1]
    forged = {**record.payload, "contact": "someone else"}
    forged_hash = event_hash(
        drill_id="d",
        seq=2,
        type_name=record.type,
        recorded_at=record.recorded_at,
        payload=forged,
        key=record.key,
        duplicate_of=record.duplicate_of,
        prev_hash=record.prev_hash,
    )
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute(
        "UPDATE events SET payload = ?, hash = ? WHERE drill_id = 'd' AND seq = 2",
        (json.dumps(forged), forged_hash),
    )

    result = await store.verify("d")

    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert result.problem is not None and "does not follow event 2" in result.problem


async def test_forged_duplicate_flag_is_named(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection
) -> None:
    await _five_events(store, kinds)
    raw.execute("DROP TRIGGER events_no_update")
    # Turning the duplicate at seq 4 into a second original would count a callback twice.
    raw.execute("DROP INDEX uq_events_original_key")
    raw.execute("UPDATE events SET duplicate_of = NULL WHERE drill_id = 'd' AND seq = 4")

    result = await store.verify("d")

    assert (result.ok, result.first_bad_seq) == (False, 4)


async def test_unknown_drill_is_an_error(store: EventStore) -> None:
    with pytest.raises(StoreError, match="no drill 'nope'"):
        await store.verify("nope")
