"""Fixtures of the event store tests: small test-only events and stores on real databases.

Every test that opens a store through `db` or `store` runs twice: on a SQLite file and on
a fresh database of the session's PostgreSQL server (`backend` is "sqlite" or
"postgresql"). A module or test about SQLite itself is marked `sqlite_only`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from drill.engine.events import Event, event
from drill.store import EventStore

T0 = dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class StoreTestPaged(Event):
    """Test-only: the shape of a page going out."""

    n: int
    contact: str = ""
    channels: tuple[str, ...] = ()


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class StoreTestAcknowledged(Event):
    """Test-only: an acknowledgement with an optional time given by a person."""

    who: str
    via: str | None = None
    reached_at: dt.datetime | None = None


def paged(n: int, **fields: object) -> StoreTestPaged:
    return StoreTestPaged(at=T0 + dt.timedelta(seconds=n), elapsed=float(n), n=n, **fields)  # type: ignore[arg-type]


@pytest.fixture
def kinds() -> SimpleNamespace:
    """The test event classes and a factory (`kinds.paged(n)`)."""
    return SimpleNamespace(
        Paged=StoreTestPaged, Acknowledged=StoreTestAcknowledged, paged=paged, T0=T0
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file in a folder that does not exist yet (the store creates it)."""
    return tmp_path / "store" / "events.db"


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a store test about SQLite itself")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", BACKENDS[:1] if only else BACKENDS)


@pytest.fixture
def db(backend: str, db_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where a test's store lives: a SQLite file, or a fresh PostgreSQL database's URL."""
    if backend == "sqlite":
        return db_path
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(db: Path | str) -> AsyncIterator[EventStore]:
    async with EventStore.open(db) as opened:
        yield opened


class PostgresTamperer:
    """What `raw` is on PostgreSQL: the superuser on the store's database, taking the
    same statements as the sqlite3 connection (`?` parameters; dropping a guard trigger
    disables the table's own triggers)."""

    IntegrityError: type[Exception]

    def __init__(self, server: Any, url: str) -> None:
        import asyncpg

        self.IntegrityError = asyncpg.IntegrityConstraintViolationError
        self._server = server
        self._database = url.rsplit("/", 1)[1]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        dropped = re.fullmatch(r"DROP TRIGGER (\w+?)_no_\w+", sql.strip())
        if dropped:
            sql = f"ALTER TABLE {dropped.group(1)} DISABLE TRIGGER USER"
        for value in params:
            literal = str(value).replace("'", "''")
            sql = sql.replace("?", f"'{literal}'", 1)
        self._server.execute(sql, database=self._database)


@pytest.fixture
def raw(
    store: EventStore, backend: str, db: Path | str, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A plain connection to the open store's database, bypassing drillkit: how someone
    would tamper with it (sqlite3 on the file; the superuser on PostgreSQL).
    `raw.IntegrityError` is what it raises when the schema refuses a row."""
    if backend == "postgresql":
        yield PostgresTamperer(request.getfixturevalue("postgres_server"), str(db))
        return
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def cursor_events(store: EventStore) -> Engine:
    """The synchronous engine whose cursor events report the store's SQL (a SQLite file's
    reading engine, to which its writer thread forwards; else the async engine's own)."""
    engine = store.engine
    return engine if isinstance(engine, Engine) else engine.sync_engine


def async_engine(store: EventStore) -> AsyncEngine:
    """A PostgreSQL (or in-memory SQLite) store's async engine."""
    engine = store.engine
    assert isinstance(engine, AsyncEngine), engine
    return engine
