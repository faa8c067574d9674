"""Group commit: appends that arrive together share one durable transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event

from drill.store import EventStore
from tests.store.conftest import cursor_events


def _count_write_transactions(store: EventStore) -> list[str]:
    begins: list[str] = []
    if store.engine.dialect.name == "postgresql":
        # No writer thread there: the store's own engine commits each write transaction.
        event.listen(cursor_events(store), "commit", lambda _conn: begins.append("COMMIT"))
        return begins

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            begins.append(statement)

    event.listen(cursor_events(store), "before_cursor_execute", seen)
    return begins


async def test_a_burst_of_appends_is_committed_together(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    begins = _count_write_transactions(store)

    results = await asyncio.gather(
        *(store.append(f"d{i % 3}", kinds.paged(i), key=f"k{i % 7}") for i in range(60))
    )

    assert len(begins) <= 2  # 60 appends, not 60 disk flushes
    for drill in ("d0", "d1", "d2"):
        records = await store.records(drill)
        assert [r.seq for r in records] == list(range(1, 21))
        assert [r.payload["n"] for r in records] == list(range(int(drill[1]), 60, 3))
        assert (await store.verify(drill)).ok
    # Each caller got its own event's place and duplicate flag.
    for i, appended in enumerate(results):
        record = (await store.records(f"d{i % 3}"))[appended.seq - 1]
        assert record.payload["n"] == i
        assert appended.duplicate == (record.duplicate_of is not None)


async def test_one_at_a_time_appends_each_commit(store: EventStore, kinds: SimpleNamespace) -> None:
    begins = _count_write_transactions(store)

    for i in range(3):
        await store.append("d", kinds.paged(i))

    assert len(begins) == 3


async def test_a_caller_that_gave_up_before_the_write_is_not_stored(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    abandoned = asyncio.create_task(store.append("d", kinds.paged(1)))
    kept = asyncio.create_task(store.append("d", kinds.paged(2)))
    await asyncio.sleep(0)  # both are queued; the writer has not run yet
    abandoned.cancel()

    assert (await kept).seq == 1
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    assert [s.event for s in await store.read("d")] == [kinds.paged(2)]


async def test_close_finishes_queued_appends(db: Path | str, kinds: SimpleNamespace) -> None:
    store = await EventStore.open(db)
    pending = [asyncio.create_task(store.append("d", kinds.paged(i))) for i in range(5)]
    await asyncio.sleep(0)

    await store.close()

    assert [t.result().seq for t in pending] == [1, 2, 3, 4, 5]
    async with EventStore.open(db) as again:
        assert len(await again.read("d")) == 5
