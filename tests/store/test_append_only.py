"""The schema itself refuses UPDATE and DELETE of stored events and drills."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from drill.store import EventStore
from drill.store.schema import drills, events


@pytest.fixture
async def outsider(store: EventStore, kinds: SimpleNamespace) -> AsyncIterator[AsyncEngine]:
    """A second, ordinary SQLAlchemy engine on the store's file, with two events in it."""
    await store.append("d", kinds.paged(1))
    await store.append("d", kinds.paged(2))
    engine = create_async_engine(store.url)
    yield engine
    await engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        update(events).values(payload='{"n": 99}').where(events.c.seq == 1),
        update(events).values(seq=3).where(events.c.seq == 2),
        delete(events).where(events.c.seq == 2),
        delete(events),
        update(drills).values(drill_id="renamed"),
        delete(drills),
    ],
    ids=["edit-payload", "renumber", "delete-last", "delete-all", "rename-drill", "delete-drill"],
)
async def test_updates_and_deletes_are_refused(
    outsider: AsyncEngine, store: EventStore, kinds: SimpleNamespace, statement: object
) -> None:
    with pytest.raises(IntegrityError, match="append-only"):
        async with outsider.begin() as conn:
            await conn.execute(statement)  # type: ignore[call-overload]

    assert [s.event for s in await store.read("d")] == [kinds.paged(1), kinds.paged(2)]
    assert (await store.verify("d")).ok
