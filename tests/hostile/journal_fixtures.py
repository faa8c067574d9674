"""Journals to attack, on each back-end the tests can reach, and the attacker's tools.

`BACKENDS` is SQLite (a file per test) and, when `DRILLKIT_TEST_POSTGRES_URL` names a
PostgreSQL database (`postgresql+asyncpg://…`), PostgreSQL too: the journal tests are
parametrized by it, so the same cases run on both. Each test uses its own drill id, so a
shared PostgreSQL database is fine.

The attacker has the database itself: `tamper` lifts the append-only guards (drops the
SQLite triggers; disables user triggers on PostgreSQL, and enables them again), then
runs its SQL; `rewrite_chain` changes an event and recomputes every hash after it, as
someone covering their tracks would.

Helpers in this file, not in a conftest.py: `tests/hostile/` is shared with other areas.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from drill.cli import cli
from drill.engine.events import NoteAdded
from drill.store import EventStore
from drill.store.chain import event_hash

__all__ = [
    "BACKENDS",
    "Journal",
    "invoke",
    "journal",
    "rewrite_chain",
    "tamper",
]

_PG = os.environ.get("DRILLKIT_TEST_POSTGRES_URL")
BACKENDS = [pytest.param("sqlite", id="sqlite")] + (
    [pytest.param("postgresql", id="postgresql")] if _PG else []
)
"""Parametrize journal tests with these (`@pytest.mark.parametrize("backend", BACKENDS)`)."""

T0 = dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC)
_GUARDED = ("events", "drills", "drill_lease_log")


@dataclasses.dataclass
class Journal:
    url: str
    drill_id: str
    dialect: str

    async def rows(self) -> list[Any]:
        async with EventStore.open(self.url) as store:
            return list(await store.records(self.drill_id))


def note(n: int) -> NoteAdded:
    return NoteAdded(at=T0 + dt.timedelta(seconds=n), elapsed=float(n), by="係長", text=f"メモ{n}")


async def journal(backend: str, tmp: Path, *, events: int = 5) -> Journal:
    """A store on `backend` with one drill of `events` notes (event 2 keyed "k")."""
    url = str(tmp / "events.db") if backend == "sqlite" else _PG
    assert url is not None
    drill_id = f"hostile-{uuid.uuid4().hex[:10]}"
    async with EventStore.open(url) as store:
        for n in range(1, events + 1):
            await store.append(drill_id, note(n), key="k" if n == 2 else None)
        url = store.url
        dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    return Journal(url, drill_id, dialect)


async def _lift(conn: AsyncConnection, dialect: str) -> None:
    if dialect == "sqlite":
        names = (
            await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        ).scalars()
        for name in list(names):
            await conn.execute(text(f"DROP TRIGGER {name}"))
    else:
        for table in _GUARDED:
            await conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


async def tamper(j: Journal, *statements: str, **params: Any) -> None:
    """Lift the guards and run `statements` (with `:drill` bound to the drill's id)."""
    engine = create_async_engine(j.url)
    try:
        async with engine.begin() as conn:
            await _lift(conn, j.dialect)
            for statement in statements:
                await conn.execute(text(statement), {"drill": j.drill_id, **params})
            if j.dialect == "postgresql":
                for table in _GUARDED:
                    await conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    finally:
        await engine.dispose()


async def rewrite_chain(
    j: Journal, seq: int, change: Callable[[dict[str, Any]], None], *, drop_after: int = 0
) -> None:
    """Change event `seq`'s payload, recompute every hash from there on, and drop the last
    `drop_after` events: a chain that verifies on its own."""
    rows = await j.rows()
    if drop_after:
        rows = rows[:-drop_after]
    statements = []
    params: dict[str, Any] = {}
    prev = rows[seq - 2].hash if seq > 1 else "0" * 64
    for row in rows[seq - 1 :]:
        payload = dict(row.payload)
        if row.seq == seq:
            change(payload)
        digest = event_hash(
            drill_id=j.drill_id,
            seq=row.seq,
            type_name=row.type,
            recorded_at=row.recorded_at,
            payload=payload,
            key=row.key,
            duplicate_of=row.duplicate_of,
            prev_hash=prev,
        )
        n = row.seq
        statements.append(
            f"UPDATE events SET payload = :p{n}, prev_hash = :v{n}, hash = :h{n} "
            f"WHERE drill_id = :drill AND seq = {n}"
        )
        params |= {
            f"p{n}": json.dumps(payload, ensure_ascii=False),
            f"v{n}": prev,
            f"h{n}": digest,
        }
        prev = digest
    if drop_after:
        statements.append(f"DELETE FROM events WHERE drill_id = :drill AND seq > {rows[-1].seq}")
    await tamper(j, *statements, **params)


def invoke(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; (exit code, stdout + stderr). A raised exception fails."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"drillkit {' '.join(args)} raised") from result.exception
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    return result.exit_code, output
