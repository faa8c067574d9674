"""Bring a database to the schema this version of drillkit expects (Alembic, on open).

Opening a store that is already at head costs one query: Alembic (0.3 s to import) is loaded
only when a migration is due or the database is not one this version knows.

Run inside the store's write transaction, holding the database's migration lock (SQLite:
`BEGIN IMMEDIATE`; see `dialect.lock_for_migration`), so a second process opening the same
fresh database waits and then finds the schema already at head.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import Connection

from drill.errors import StoreError
from drill.store.dialect import lock_for_migration

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["SHIPPED_HEAD", "VERSION_TABLE", "current_revision", "head_revision", "upgrade"]

VERSION_TABLE = "drillkit_schema_version"
"""Not Alembic's default name: a shared PostgreSQL database may hold other apps' tables."""
SHIPPED_HEAD = "0006"
"""The newest revision in migrations/versions, so an up-to-date database is recognised
without loading Alembic. Stale only costs time (Alembic then decides); a test checks it."""
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_VERSIONS = table(VERSION_TABLE, column("version_num"))
_ALEMBIC = threading.Lock()
"""Alembic's `context` (what env.py configures) is one per process: two stores migrating
at once on two threads (each with its own event loop) would run on each other's
connection."""


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The schema revision this version of drillkit writes."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the event store ships at least one migration"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: Connection, where: str) -> None:
    """Upgrade to head, refusing databases that are newer or not drillkit's at all."""
    if _at_shipped_head(connection):
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    lock_for_migration(connection)
    config = _config(connection)
    script = ScriptDirectory.from_config(config)
    current = current_revision(connection)
    if current is None:
        tables = inspect(connection).get_table_names()
        if tables:
            raise StoreError(
                f"{where} is a database but not a drillkit event store (it holds the tables "
                f"{', '.join(sorted(tables))}). Choose another file with --db or DRILLKIT_DB."
            )
    else:
        try:
            known = script.get_revision(current) is not None
        except CommandError:
            known = False
        if not known:
            raise StoreError(
                f"The event store {where} was written by a newer version of drillkit (schema "
                f"revision {current}; this version knows up to {script.get_current_head()}). "
                "Upgrade drillkit to read it; it has not been changed.",
                title="Event store is newer than drillkit",
            )
    if current != script.get_current_head():
        with _ALEMBIC:
            command.upgrade(config, "head")


def _at_shipped_head(connection: Connection) -> bool:
    """True when the version table records exactly the shipped head: nothing to do.

    Checks the table exists first, so no failed statement aborts a PostgreSQL transaction.
    """
    if not inspect(connection).has_table(VERSION_TABLE):
        return False
    recorded = connection.execute(select(_VERSIONS.c.version_num)).scalars().all()
    return recorded == [SHIPPED_HEAD]
