"""Idempotency keys: a second event with the same key is kept, as a duplicate, once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.engine.sink import Appended
from drill.store import EventStore


async def test_same_key_is_recorded_as_duplicate_of_the_original(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    first = await store.append("d", kinds.paged(1), key="CA123")
    other = await store.append("d", kinds.paged(2), key="CA999")
    again = await store.append("d", kinds.paged(3), key="CA123")

    assert (first, other, again) == (Appended(1, False), Appended(2, False), Appended(3, True))
    stored = await store.read("d")
    assert [(s.key, s.duplicate) for s in stored] == [
        ("CA123", False),
        ("CA999", False),
        ("CA123", True),
    ]
    assert (await store.records("d"))[2].duplicate_of == 1
    assert (await store.verify("d")).ok


async def test_keys_are_per_drill(store: EventStore, kinds: SimpleNamespace) -> None:
    assert await store.append("a", kinds.paged(1), key="k") == Appended(1, False)
    assert await store.append("b", kinds.paged(1), key="k") == Appended(1, False)


async def test_concurrent_appends_with_one_key_give_one_original(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    results = await asyncio.gather(
        *(store.append("d", kinds.paged(i), key="ack-1") for i in range(8))
    )

    assert sorted(r.duplicate for r in results) == [False] + [True] * 7
    records = await store.records("d")
    assert [r.duplicate_of for r in records] == [None] + [1] * 7


async def test_two_stores_on_one_file_racing_with_one_key(
    db: Path | str, kinds: SimpleNamespace
) -> None:
    # Two instances do not share the in-process lock: only the database serialises them.
    async with EventStore.open(db) as one, EventStore.open(db) as two:
        results = await asyncio.gather(
            *(
                (one if i % 2 else two).append("d", kinds.paged(i), key=f"k{i // 4}")
                for i in range(24)
            )
        )
        records = await one.records("d")

    assert [r.seq for r in records] == list(range(1, 25))
    assert sum(not r.duplicate for r in results) == 6
    originals = [str(r.key) for r in records if r.duplicate_of is None]
    assert sorted(originals) == [f"k{i}" for i in range(6)]


async def test_schema_refuses_a_second_original_for_a_key(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection
) -> None:
    await store.append("d", kinds.paged(1), key="k")
    columns = "drill_id, seq, type, recorded_at, payload, key, duplicate_of, prev_hash, hash"

    # A writer that skipped the lookup (or raced) cannot store the same key twice as original.
    with pytest.raises(raw.IntegrityError, match=r"UNIQUE|unique|append-only"):
        raw.execute(
            f"INSERT INTO events ({columns}) VALUES ('d', 2, 'X', '2026-01-01', '{{}}', 'k', NULL, '', '')"
        )
    raw.execute(
        f"INSERT INTO events ({columns}) VALUES ('d', 2, 'X', '2026-01-01', '{{}}', 'k', 1, '', '')"
    )


async def test_an_empty_key_is_still_a_key(store: EventStore, kinds: SimpleNamespace) -> None:
    assert await store.append("d", kinds.paged(1), key="") == Appended(1, False)
    assert await store.append("d", kinds.paged(2), key="") == Appended(2, True)
    assert await store.append_many("d", [(kinds.paged(3), ""), (kinds.paged(4), "x")]) == [
        Appended(3, True),
        Appended(4, False),
    ]


async def test_a_batch_finds_the_originals_of_many_stored_keys(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    # More keys than one lookup of the SQLite path holds (500), stored before, mixed with
    # new ones and with another drill's: each batch event is a duplicate exactly when its
    # key has an original in this drill.
    await store.append("other", kinds.paged(1), key="new-0")
    stored = await store.append_many("d", [(kinds.paged(i), f"old-{i}") for i in range(1, 1201)])
    assert not any(a.duplicate for a in stored)
    batch = [(kinds.paged(i), f"old-{i}" if i % 2 else f"new-{i}") for i in range(1, 1201)]
    again = await store.append_many("d", batch)
    assert [a.duplicate for a in again] == [i % 2 == 1 for i in range(1, 1201)]
    records = {r.seq: r for r in await store.records("d")}
    for appended, (_, key) in zip(again, batch, strict=True):
        original = records[appended.seq].duplicate_of
        assert (original is not None) == appended.duplicate
        if original is not None:
            assert records[original].key == key
    assert (await store.verify("d")).ok
