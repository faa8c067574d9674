"""Alembic environment of the event store.

drillkit runs migrations itself (`drill.store.migrate.upgrade`) and hands this script the
connection it opened, inside its own write transaction, so two processes opening a fresh
file at once cannot both migrate it. Run by the `alembic` command (developers), it opens
the database named by `sqlalchemy.url` or `DRILLKIT_DB` itself.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from drill.store.dialect import WRITE, prepare_engine
from drill.store.location import resolve_url
from drill.store.migrate import VERSION_TABLE
from drill.store.schema import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite can only ALTER by rebuilding the table; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
        # We emit BEGIN ourselves on SQLite, so its DDL is transactional too.
        transactional_ddl=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone(url: str) -> None:
    engine = create_async_engine(url)
    prepare_engine(engine, busy_timeout=30.0)
    try:
        async with engine.execution_options(**{WRITE: True}).connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = resolve_url(context.config.get_main_option("sqlalchemy.url"))
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            literal_binds=True,
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_standalone(url))


_main()
