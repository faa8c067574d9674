"""The PostgreSQL corner of the event store (asyncpg): everything only PostgreSQL does.

- Connections: `lock_timeout` is the store's lock timeout (a writer stuck behind another
  process's lock gives up with a clear error instead of hanging), and the sessions are
  named `drillkit` in `pg_stat_activity`.
- Appends: each write transaction takes a transaction-scoped advisory lock per drill
  before it reads the chain's head (`lock_drill`). In READ COMMITTED every statement
  reads a fresh snapshot, so the head read after the lock sees the previous writer's
  committed events; two engines (or the ack server's instances) on one drill take turns
  instead of colliding on `seq` and retrying. A new drill's first events are serialised
  the same way.
- Bulk appends (`copy_events`): a batch of events goes in with one binary COPY instead of
  multi-row INSERTs, in the same transaction (same triggers, same privileges: COPY FROM
  needs INSERT only).
- Privileges (`privileges`): who may do what to the record tables, for `drillkit doctor`.
- Live updates: the `drillkit_events` channel carries a drill id each time events of that
  drill are committed (the trigger is created by migration 0003); `Listener` waits for
  them on a connection of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

if TYPE_CHECKING:  # loaded with the async driver, by PostgreSQL stores only
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = [
    "EVENTS_CHANNEL",
    "RECORD_TABLES",
    "Listener",
    "Privileges",
    "copy_events",
    "lock_drill",
    "prepare",
    "privileges",
]

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "drillkit_events"
"""NOTIFY channel: the payload is the drill id whose events were just committed."""
RECORD_TABLES = ("drills", "events", "drill_lease_log")
"""The append-only tables (the lease table itself is renewed in place)."""
_DRILL_LOCKS = 7243012
"""First key of the per-drill advisory locks (the second is the drill id's hash); the
migration lock uses a single-key lock, a separate key space."""


def prepare(engine: Engine, *, busy_timeout: float) -> None:
    """Per-connection settings of a PostgreSQL engine."""
    lock_ms = max(1, int(busy_timeout * 1000))

    def on_do_connect(
        _dialect: Any, _record: ConnectionPoolEntry, _args: Any, params: dict[str, Any]
    ) -> None:
        # Session settings sent with the connection request itself (asyncpg's
        # server_settings): no extra round trip, no transaction left open.
        settings = params.setdefault("server_settings", {})
        settings.setdefault("lock_timeout", str(lock_ms))
        settings.setdefault("application_name", "drillkit")

    event.listen(engine, "do_connect", on_do_connect)


_LOCK_DRILL = text(f"SELECT pg_advisory_xact_lock({_DRILL_LOCKS}, hashtext(:drill_id))")


EVENT_COLUMNS = (
    "drill_id",
    "seq",
    "type",
    "recorded_at",
    "payload",
    "key",
    "duplicate_of",
    "prev_hash",
    "hash",
)
_COPY_FROM = 64
"""Fewer rows than this go in as an INSERT: a COPY costs a round trip more to set up."""


def copy_events(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> bool:
    """Append `rows` (values of the `events` columns in EVENT_COLUMNS order) with one
    binary COPY in `conn`'s transaction; False (nothing done) when the batch is small or
    the connection is not asyncpg's.

    The 17,000-contact drill's appends went from INSERTs of a few hundred rows a
    statement to one COPY per batch. Times are written as they are (aware, UTC) and
    COPY fires the same triggers as INSERT (NOTIFY, refuse-replace)."""
    if len(rows) < _COPY_FROM:
        return False
    raw = conn.connection.driver_connection
    copy = getattr(raw, "copy_records_to_table", None)
    if copy is None:
        return False
    await_only(copy("events", records=rows, columns=EVENT_COLUMNS))
    return True


def lock_drill(conn: Connection, drill_id: str) -> None:
    """Queue behind any other transaction writing `drill_id` (released at commit)."""
    conn.execute(_LOCK_DRILL, {"drill_id": drill_id})


@dataclasses.dataclass(frozen=True, slots=True)
class Privileges:
    """What the connected role may do to the store, as `drillkit doctor` reports it."""

    role: str
    superuser: bool
    """A superuser passes every privilege check and may disable the triggers."""
    owner: bool
    """The role owns the record tables: it may disable their triggers or re-grant itself."""
    can_change: tuple[str, ...]
    """Record tables the role may UPDATE, DELETE or TRUNCATE (the triggers still refuse)."""
    can_write: bool
    """The role may append events and keep leases (INSERT; UPDATE of `drill_leases`)."""
    server_version: str


def privileges(conn: Connection) -> Privileges:
    """The connected role's rights on the store's tables (`EventStore.read_with`)."""
    row = (
        conn.execute(
            text(
                "SELECT current_user AS role, "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser, "
                "(SELECT tableowner = current_user FROM pg_tables "
                " WHERE schemaname = current_schema() AND tablename = 'events') AS owner, "
                "current_setting('server_version') AS version"
            )
        )
    ).one()
    changing: list[str] = []
    for table in RECORD_TABLES:
        allowed = (
            conn.execute(
                text(
                    "SELECT has_table_privilege(:t, 'UPDATE') OR has_table_privilege(:t, 'DELETE')"
                    " OR has_table_privilege(:t, 'TRUNCATE')"
                ),
                {"t": table},
            )
        ).scalar_one()
        if allowed:
            changing.append(table)
    can_write = (
        conn.execute(
            text(
                "SELECT has_table_privilege('events', 'INSERT') "
                "AND has_table_privilege('drills', 'INSERT') "
                "AND has_table_privilege('drill_leases', 'INSERT,UPDATE') "
                "AND has_table_privilege('drill_lease_log', 'INSERT')"
            )
        )
    ).scalar_one()
    return Privileges(
        role=row.role,
        superuser=bool(row.superuser),
        owner=bool(row.owner),
        can_change=tuple(changing),
        can_write=bool(can_write),
        server_version=row.version,
    )


class Listener:
    """Waits for the `drillkit_events` notifications of one store (one connection).

    `wait(drill_id, newer, seconds)` returns when events of `drill_id` were committed
    after it started listening, when `newer()` (the caller's own look at the store, run
    once listening has begun, so nothing committed in between is missed) says there are
    some already, or after `seconds`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._starting: asyncio.Lock | None = None
        self._waiters: dict[str, set[asyncio.Event]] = {}

    async def wait(
        self, drill_id: str, newer: Callable[[], Awaitable[bool]], seconds: float
    ) -> None:
        await self._listen()
        woken = asyncio.Event()
        self._waiters.setdefault(drill_id, set()).add(woken)
        try:
            if await newer():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), seconds)
        finally:
            waiting = self._waiters.get(drill_id)
            if waiting is not None:
                waiting.discard(woken)
                if not waiting:
                    del self._waiters[drill_id]

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
        for waiting in self._waiters.values():
            for woken in waiting:
                woken.set()

    async def _listen(self) -> None:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._conn is not None and not self._conn.closed:
                return
            conn = await self._engine.connect()
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.add_listener(EVENTS_CHANNEL, self._notified)
            self._conn = conn

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        for woken in self._waiters.get(payload, ()):
            woken.set()
