"""Bring a database to the schema this version of drillkit expects (Alembic, on open).

Run inside the store's write transaction, holding the database's migration lock (SQLite:
`BEGIN IMMEDIATE`; see `dialect.lock_for_migration`), so a second process opening the same
fresh database waits and then finds the schema already at head.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from drill.errors import StoreError
from drill.store.dialect import lock_for_migration

__all__ = ["VERSION_TABLE", "current_revision", "head_revision", "upgrade"]

VERSION_TABLE = "drillkit_schema_version"
"""Not Alembic's default name: a shared PostgreSQL database may hold other apps' tables."""
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ALEMBIC = threading.Lock()
"""Alembic's `context` (what env.py configures) is one per process: two stores migrating
at once on two threads (each with its own event loop) would run on each other's
connection."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The schema revision this version of drillkit writes."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the event store ships at least one migration"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for an empty database."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: Connection, where: str) -> None:
    """Upgrade to head, refusing databases that are newer or not drillkit's at all."""
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
