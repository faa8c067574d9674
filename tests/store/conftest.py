"""Fixtures of the event store tests: small test-only events and stores on real files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

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


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[EventStore]:
    async with EventStore.open(db_path) as opened:
        yield opened


@pytest.fixture
def raw(store: EventStore, db_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the open store's file: how someone would tamper with it."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()
