"""The dialect-specific corner of the event store. Everything SQLite-only lives here.

The rest of the store is portable SQLAlchemy Core; PostgreSQL (asyncpg) has its own
module, `drill.store.postgres` (connection settings, the per-drill lock of appends,
privileges, notifications), which this one calls where the two differ.

A SQLite file is reached through the standard `sqlite3` driver only, on threads of the
store's own: writes on a dedicated synchronous engine (`write_engine`: one connection,
used by one thread), so a whole write transaction is one hand-off from the event loop
instead of one per statement; reads on a small pool of threads (`read_engine`). Neither
needs SQLAlchemy's asyncio extension, which loads its ORM and aiosqlite: some 60 ms of
every command that opens the store. (PostgreSQL, and an in-memory SQLite database, which
a second engine would not share, go through the async driver.)

SQLite, on every new connection (both engines):

- `journal_mode=WAL`: readers (the TUI, a report) never block the writer, and a commit
  is one append to the log.
- `synchronous=FULL`: the log is fsynced at every commit, so an event is on disk when
  `append` returns, even if the machine loses power. (NORMAL in WAL mode can lose the
  last transactions on power loss; an acknowledgement must never be lost.)
- `foreign_keys=ON`: SQLite leaves them off unless asked, per connection.
- `busy_timeout`: wait for another process's write to finish instead of failing at once.

Transactions: the driver's own implicit BEGIN is switched off and SQLAlchemy emits
`BEGIN` itself; writers emit `BEGIN IMMEDIATE`, which takes the write lock at the start
(waiting up to the busy timeout). A deferred transaction that reads the chain's head and
then tries to write could find another process got there first and fail with
SQLITE_BUSY immediately, without waiting; IMMEDIATE makes a second process (the ack
server) queue up behind the first instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from drill.store import postgres
from drill.store.location import sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "WRITE",
    "is_locked",
    "lock_drill",
    "lock_for_migration",
    "prepare_engine",
    "read_engine",
    "sqlite_settings",
    "write_engine",
]

log = logging.getLogger(__name__)

WRITE = "drillkit_write"
"""Execution option marking an engine (or connection) whose transactions write."""


def prepare_engine(engine: AsyncEngine | Engine, *, busy_timeout: float) -> None:
    """Install the per-connection settings and transaction handling for this dialect."""
    if not isinstance(engine, Engine):
        engine = engine.sync_engine  # an AsyncEngine's
    if engine.dialect.name == "postgresql":
        postgres.prepare(engine, busy_timeout=busy_timeout)
        return
    if engine.dialect.name != "sqlite":
        return
    busy_ms = max(0, int(busy_timeout * 1000))
    warned: list[str] = []

    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            mode = cursor.fetchone()[0]
            if mode not in ("wal", "memory") and not warned:
                # e.g. a network file system without shared memory: still durable (FULL
                # sync, rollback journal) but readers now block the writer.
                warned.append(mode)
                log.warning("SQLite refused WAL for the event store; journal_mode is %s", mode)
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


def read_engine(url: str, *, busy_timeout: float) -> Engine | None:
    """A synchronous engine for the reads of a SQLite file; None for other databases.

    The standard `sqlite3` driver with a small pool of connections, each used by one
    thread at a time (`check_same_thread` is off because the pool hands a connection to
    whichever of the store's reader threads asks next).
    """
    path = _file(url)
    if path is None:
        return None
    engine = create_engine(path, connect_args={"check_same_thread": False})
    prepare_engine(engine, busy_timeout=busy_timeout)
    return engine


def write_engine(url: str, *, busy_timeout: float, observed: Engine | None = None) -> Engine | None:
    """A synchronous engine for the writes to a SQLite file; None for other databases.

    Same file, settings and `BEGIN IMMEDIATE` as the reads, through the standard `sqlite3`
    driver with a single connection. The caller runs it on one thread only
    (`check_same_thread` is off so that the pool may close it from elsewhere at exit).
    Cursor events are passed on to `observed` (the store's reading engine), so whoever
    watches the store's SQL there (a diagnostic, a test counting transactions) also sees
    the writes.
    """
    path = _file(url)
    if path is None:
        return None
    engine = create_engine(
        path,
        pool_size=1,
        max_overflow=0,
        connect_args={"check_same_thread": False},
        execution_options={WRITE: True},
    )
    prepare_engine(engine, busy_timeout=busy_timeout)
    if observed is not None:
        _forward_cursor_events(engine, observed)
    return engine


def _file(url: str) -> Any:
    """The `sqlite3` driver's URL of a SQLite file; None for in-memory SQLite and others."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or sqlite_path(url) is None:
        return None
    return parsed.set(drivername="sqlite+pysqlite")


def _forward_cursor_events(source: Engine, target: Engine) -> None:
    """Run `target`'s before/after_cursor_execute listeners for `source`'s statements too.

    Looked up at each statement, so listeners added to `target` later are included.
    """

    def before(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        for listener in target.dispatch.before_cursor_execute:
            statement, parameters = listener(
                conn, cursor, statement, parameters, context, executemany
            )
        return statement, parameters

    def after(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        target.dispatch.after_cursor_execute(
            conn, cursor, statement, parameters, context, executemany
        )

    event.listen(source, "before_cursor_execute", before, retval=True)
    event.listen(source, "after_cursor_execute", after)


def lock_for_migration(connection: Connection) -> None:
    """Make two processes opening a fresh database take turns to migrate it.

    SQLite: the write transaction is already `BEGIN IMMEDIATE`. PostgreSQL: a
    transaction-scoped advisory lock.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7243011)")  # any fixed id


def lock_drill(connection: Connection, drill_id: str) -> None:
    """Before reading a drill's chain head in a write transaction: queue behind any other
    writer of that drill. SQLite already holds the database's write lock (IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        postgres.lock_drill(connection, drill_id)


def is_locked(exc: BaseException) -> bool:
    """True when the database refused because another writer held it for too long."""
    if not isinstance(exc, DBAPIError):
        return False
    message = str(exc.orig).lower()
    # SQLite: SQLITE_BUSY / SQLITE_LOCKED; PostgreSQL: lock_timeout (SQLSTATE 55P03).
    return (
        "database is locked" in message
        or "database table is locked" in message
        or (getattr(exc.orig, "sqlstate", None) == "55P03")
    )


def sqlite_settings(conn: Connection) -> dict[str, Any]:
    """The connection's durability settings, for `drillkit doctor` and the tests."""
    if conn.dialect.name != "sqlite":
        return {}
    settings: dict[str, Any] = {}
    for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
        settings[name] = conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
    return settings
