"""Durability settings: WAL and synchronous=FULL on every connection; a lock held too long
by another process is a clear StoreError, not a hang or a traceback."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine

from drill.errors import StoreError
from drill.store import EventStore

# About SQLite itself (its file, PRAGMAs, writer thread); PostgreSQL: test_postgres.py.
pytestmark = pytest.mark.sqlite_only


async def test_every_connection_is_wal_with_full_sync(store: EventStore) -> None:
    engine = store.engine
    assert isinstance(engine, Engine)  # a SQLite file is read through the sqlite3 driver
    # Hold several pooled connections at once so more than one is checked.
    with engine.connect() as a, engine.connect() as b:
        for conn in (a, b):
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
            assert pragma == {
                "journal_mode": "wal",
                "synchronous": 2,  # FULL
                "foreign_keys": 1,
                "busy_timeout": 10_000,
            }
    assert (await store.settings())["synchronous"] == 2


async def test_wal_is_recorded_in_the_file(store: EventStore, db_path: Path) -> None:
    with sqlite3.connect(db_path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_writer_waits_for_another_process_then_appends(
    db_path: Path, kinds: SimpleNamespace
) -> None:
    async with EventStore.open(db_path, lock_timeout=5) as store:
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, blocker.rollback)
        started = time.monotonic()

        appended = await store.append("d", kinds.paged(1))

        assert appended.seq == 1
        assert time.monotonic() - started >= 0.25
        blocker.close()


async def test_lock_held_too_long_is_a_store_error(db_path: Path, kinds: SimpleNamespace) -> None:
    async with EventStore.open(db_path, lock_timeout=0.2) as store:
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            # Every caller waiting in the same group is told, none is left hanging.
            outcomes = await asyncio.gather(
                *(store.append("d", kinds.paged(i)) for i in range(3)), return_exceptions=True
            )
            assert all(isinstance(o, StoreError) for o in outcomes)
            assert re.search(r"locked by another process for more than 0\.2 s", str(outcomes[0]))
        finally:
            blocker.rollback()
            blocker.close()
        # Once the other process lets go, the store works again and nothing was half-written.
        assert (await store.append("d", kinds.paged(2))).seq == 1
        assert (await store.verify("d")).ok
