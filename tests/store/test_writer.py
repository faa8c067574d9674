"""The writer: each write transaction runs in one go, off the event loop, on its own thread
(SQLite files) or through the async driver's run_sync (other databases)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import Pool

from drill.engine.sink import Appended
from drill.store import EventStore
from tests.store.conftest import cursor_events

# About SQLite itself (its file, PRAGMAs, writer thread); PostgreSQL: test_postgres.py.
pytestmark = pytest.mark.sqlite_only


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("drillkit-store-writer")]


async def test_many_tasks_appending_one_at_a_time_keep_gapless_verified_chains(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    # Drills running side by side: each task awaits its own appends one by one, so the
    # writer sees a changing mix of single appends and small groups.
    async def run(task: int) -> list[tuple[str, Appended]]:
        got = []
        for n in range(12):
            drill = f"d{task % 3}"
            key = f"k{n % 5}" if task % 2 else None
            got.append((drill, await store.append(drill, kinds.paged(100 * task + n), key=key)))
        return got

    outcomes = await asyncio.gather(*(run(t) for t in range(15)))

    per_drill = Counter(drill for got in outcomes for drill, _ in got)
    for drill, count in per_drill.items():
        records = await store.records(drill)
        assert [r.seq for r in records] == list(range(1, count + 1))
        assert (await store.verify(drill)).ok
        keyed = [r for r in records if r.key is not None]
        assert sorted(str(r.key) for r in keyed if r.duplicate_of is None) == [
            f"k{i}" for i in range(5)
        ]
    for task, got in enumerate(outcomes):
        for drill, appended in got:
            record = (await store.records(drill))[appended.seq - 1]
            assert record.payload["n"] // 100 == task
            assert appended.duplicate == (record.duplicate_of is not None)
        # Each task's own appends are stored in the order it made them.
        for drill in {d for d, _ in got}:
            mine = [a.seq for d, a in got if d == drill]
            assert mine == sorted(mine)


async def test_a_write_transaction_runs_on_the_writer_thread(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    seen: list[tuple[str, str]] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append((threading.current_thread().name, statement.split()[0]))

    event.listen(cursor_events(store), "before_cursor_execute", record)

    await store.append("d", kinds.paged(1), key="k")

    assert [verb for _, verb in seen] == ["BEGIN", "SELECT", "INSERT", "INSERT"]
    (thread,) = {name for name, _ in seen}
    assert thread.startswith("drillkit-store-writer")
    assert thread != threading.current_thread().name  # not the event loop's thread


async def test_close_stops_the_writer_thread(db_path: Path, kinds: SimpleNamespace) -> None:
    before = set(_writer_threads())
    store = await EventStore.open(db_path)
    await store.append("d", kinds.paged(1))
    assert set(_writer_threads()) - before

    await store.close()

    for thread in set(_writer_threads()) - before:
        await asyncio.to_thread(thread.join, 10)
    assert not set(_writer_threads()) - before


async def test_a_caller_cancelled_during_the_write_does_not_stop_it(
    db_path: Path, kinds: SimpleNamespace
) -> None:
    async with EventStore.open(db_path, lock_timeout=30) as store:
        loop = asyncio.get_running_loop()
        beginning = asyncio.Event()

        def begins(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.startswith("BEGIN IMMEDIATE"):
                loop.call_soon_threadsafe(beginning.set)

        event.listen(cursor_events(store), "before_cursor_execute", begins)
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            gave_up = asyncio.create_task(store.append("d", kinds.paged(1)))
            waiting = asyncio.create_task(store.append("d", kinds.paged(2)))
            # Both are taken, and the writer is waiting for the lock.
            await asyncio.wait_for(beginning.wait(), timeout=30)
            gave_up.cancel()
            await asyncio.sleep(0.05)
        finally:
            blocker.rollback()
            blocker.close()

        assert (await waiting).seq == 2
        with pytest.raises(asyncio.CancelledError):
            await gave_up
        # Once being written, the group is committed whole.
        assert [s.event for s in await store.read("d")] == [kinds.paged(1), kinds.paged(2)]
        assert (await store.verify("d")).ok


async def test_the_portable_path_without_a_writer_thread(kinds: SimpleNamespace) -> None:
    # In-memory SQLite cannot be shared with a second engine, so it writes through the
    # async engine's run_sync, as PostgreSQL does: the same SQL, the same outcomes.
    before = set(_writer_threads())
    async with EventStore.open("sqlite+aiosqlite:///:memory:") as store:
        burst = await asyncio.gather(
            *(store.append("d", kinds.paged(i), key=f"k{i % 3}") for i in range(9))
        )
        one = [await store.append("d", kinds.paged(10 + i), key=f"k{i}") for i in range(4)]
        batch = await store.append_many("e", [(kinds.paged(i), "x") for i in range(3)])

        assert sorted(a.seq for a in burst) == list(range(1, 10))
        assert sum(not a.duplicate for a in burst) == 3
        assert one == [
            Appended(10, True),
            Appended(11, True),
            Appended(12, True),
            Appended(13, False),
        ]
        assert batch == [Appended(1, False), Appended(2, True), Appended(3, True)]
        assert (await store.verify("d")).ok and (await store.verify("e")).ok
        assert not set(_writer_threads()) - before


async def test_the_writer_keeps_one_connection(db_path: Path, kinds: SimpleNamespace) -> None:
    # Taken from the pool once, not for each group: that cost as much as the group.
    checkouts: list[str] = []

    def checkout(*_: Any) -> None:
        checkouts.append(threading.current_thread().name)

    event.listen(Pool, "checkout", checkout)
    try:
        async with EventStore.open(db_path) as store:
            for n in range(5):
                await store.append("d", kinds.paged(n), key=f"k{n}")
            await asyncio.gather(*(store.append("d", kinds.paged(10 + n)) for n in range(5)))
    finally:
        event.remove(Pool, "checkout", checkout)

    assert len([name for name in checkouts if name.startswith("drillkit-store-writer")]) == 1


async def test_what_a_write_leaves_open_is_rolled_back_before_the_next(
    store: EventStore, db_path: Path, kinds: SimpleNamespace
) -> None:
    # The kept connection must not keep a transaction (and SQLite's write lock) that its
    # work began and neither committed nor rolled back, nor one that failed half-way.
    def left_open(conn: Connection) -> None:
        # SQLAlchemy begins (BEGIN IMMEDIATE) by itself, and nothing ends it here.
        conn.exec_driver_sql("INSERT INTO drills (drill_id, created_at) VALUES ('x', '2026-01-01')")

    def failed(conn: Connection) -> None:
        with conn.begin():
            conn.exec_driver_sql(
                "INSERT INTO drills (drill_id, created_at) VALUES ('y', '2026-01-01')"
            )
            raise RuntimeError("half-way")

    for work in (left_open, failed):
        with contextlib.suppress(RuntimeError):
            await store._in_writer(work)
        other = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock is free at once
            assert other.execute("SELECT drill_id FROM drills").fetchall() == []
            other.rollback()
        finally:
            other.close()

    assert (await store.append("d", kinds.paged(1))).seq == 1
    assert [s.event for s in await store.read("d")] == [kinds.paged(1)]
