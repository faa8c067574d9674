"""The journal refuses every write that is not a plain append, by the database itself.

Each case is a statement someone with the database file (or a PostgreSQL login) might
run: REPLACE, INSERT OR REPLACE (which SQLite resolves by deleting the old row, past the
DELETE trigger), UPSERT, UPDATE, DELETE, TRUNCATE. Each must fail with the schema's own
"append-only" error and leave the journal exactly as it was, still verifying. The
PostgreSQL DDL is also rendered and read, so its triggers are checked without a server.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from drill.store import EventStore
from drill.store import migrate as store_migrate

from .journal_fixtures import BACKENDS, journal

_COLUMNS = "drill_id, seq, type, recorded_at, payload, key, duplicate_of, prev_hash, hash"
_EDITED = (
    "SELECT drill_id, seq, type, recorded_at, '{\"edited\": true}', key, duplicate_of, "
    "prev_hash, hash FROM events WHERE drill_id = :drill AND seq = 1"
)
_NEW_ORIGINAL_OF_K = (
    "SELECT drill_id, 6, type, recorded_at, payload, key, NULL, prev_hash, hash "
    "FROM events WHERE drill_id = :drill AND seq = 2"
)
_K = '("drill_id", "key") WHERE "key" IS NOT NULL AND duplicate_of IS NULL'

# case -> (SQLite statement, PostgreSQL statement); None where the dialect has no such thing.
CASES: dict[str, tuple[str | None, str | None]] = {
    "INSERT OR REPLACE an event": (f"INSERT OR REPLACE INTO events ({_COLUMNS}) {_EDITED}", None),
    "REPLACE INTO events": (f"REPLACE INTO events ({_COLUMNS}) {_EDITED}", None),
    "INSERT OR REPLACE over an original key": (
        f"INSERT OR REPLACE INTO events ({_COLUMNS}) {_NEW_ORIGINAL_OF_K}",
        None,
    ),
    "UPSERT an event (ON CONFLICT DO UPDATE)": (
        f"INSERT INTO events ({_COLUMNS}) {_EDITED} "
        "ON CONFLICT (drill_id, seq) DO UPDATE SET payload = excluded.payload",
    )
    * 2,
    "UPSERT over an original key": (
        f"INSERT INTO events ({_COLUMNS}) {_NEW_ORIGINAL_OF_K} "
        f"ON CONFLICT {_K} DO UPDATE SET payload = excluded.payload",
    )
    * 2,
    "INSERT OR REPLACE the drill row": (
        "INSERT OR REPLACE INTO drills (drill_id, created_at) "
        "VALUES (:drill, '2000-01-01 00:00:00')",
        None,
    ),
    "UPSERT the drill row": (
        "INSERT INTO drills (drill_id, created_at) VALUES (:drill, '2000-01-01 00:00:00') "
        "ON CONFLICT (drill_id) DO UPDATE SET created_at = excluded.created_at",
    )
    * 2,
    "UPDATE an event": ("UPDATE events SET payload = '{}' WHERE drill_id = :drill",) * 2,
    "DELETE the last event": ("DELETE FROM events WHERE drill_id = :drill AND seq = 5",) * 2,
    "DELETE the drill": ("DELETE FROM drills WHERE drill_id = :drill",) * 2,
    "TRUNCATE events": (None, "TRUNCATE events CASCADE"),
}


# Each case on each back-end whose SQL has it (SQLite has no TRUNCATE; PostgreSQL no
# INSERT OR REPLACE).
_APPLICABLE = [
    pytest.param(backend, case, id=f"{backend}-{case}")
    for backend, index in (("sqlite", 0), ("postgresql", 1))
    for case, statements in CASES.items()
    if statements[index] is not None
]


@pytest.mark.parametrize(("backend", "case"), _APPLICABLE)
async def test_a_write_that_is_not_a_plain_append_is_refused(
    backend: str, case: str, tmp_path: Path
) -> None:
    j = await journal(backend, tmp_path)
    sql = CASES[case][0 if j.dialect == "sqlite" else 1]
    assert sql is not None
    before = await j.rows()

    engine = create_async_engine(j.url)
    try:
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(sql), {"drill": j.drill_id})
    finally:
        await engine.dispose()

    assert await j.rows() == before
    async with EventStore.open(j.url) as store:
        assert (await store.verify(j.drill_id)).ok


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_plain_append_still_works_after_a_refused_replace(
    backend: str, tmp_path: Path
) -> None:
    """The guards refuse replacing, not appending: the store goes on after an attack."""
    j = await journal(backend, tmp_path)
    engine = create_async_engine(j.url)
    try:
        with pytest.raises(DBAPIError):
            async with engine.begin() as conn:
                await conn.execute(text(CASES["UPDATE an event"][0] or ""), {"drill": j.drill_id})
    finally:
        await engine.dispose()
    from .journal_fixtures import note

    async with EventStore.open(j.url) as store:
        await store.append(j.drill_id, note(6))
        assert (await store.verify(j.drill_id)).count == 6


def _revision(name: str) -> object:
    path = Path(store_migrate.__file__).parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_drillkit_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_postgresql_ddl_guards_every_table_against_replace_upsert_update_delete() -> None:
    """Rendered offline (no server): every journal table gets a BEFORE INSERT conflict
    check, and the 0001/0002 UPDATE/DELETE/TRUNCATE triggers are still there."""
    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option(
        "script_location", str(Path(store_migrate.__file__).parent / "migrations")
    )
    config.set_main_option("sqlalchemy.url", "postgresql://render-only/drillkit")
    command.upgrade(config, "head", sql=True)
    sql = buffer.getvalue()

    for table in ("events", "drills", "drill_lease_log"):
        assert f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}" in sql
        assert f"CREATE OR REPLACE FUNCTION drillkit_refuse_replace_{table}()" in sql
        assert f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}" in sql
        assert f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}" in sql
    # ... and the consoles' operator requests and answers (revision 0004) too.
    for table in ("operator_requests", "operator_answers"):
        assert f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}" in sql
        assert f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}" in sql
    assert sql.count("append-only: an insert that would replace a stored row refused") == 5
    # The conflict check covers the primary key and an event's original idempotency key.
    revision = _revision("r0003_refuse_replace")
    events_check = revision.refuse_replace_sql("postgresql")[0]  # type: ignore[attr-defined]
    assert "prior.seq = NEW.seq" in events_check and 'prior."key" = NEW."key"' in events_check
    assert "RETURN NEW" in events_check


def test_the_sqlite_and_postgresql_ddl_are_kept_together() -> None:
    revision = _revision("r0003_refuse_replace")
    sqlite = revision.refuse_replace_sql("sqlite")  # type: ignore[attr-defined]
    postgres = revision.refuse_replace_sql("postgresql")  # type: ignore[attr-defined]
    assert len(sqlite) * 2 == len(postgres) == 6
    with pytest.raises(NotImplementedError, match="SQLite or PostgreSQL"):
        revision.refuse_replace_sql("mysql")  # type: ignore[attr-defined]
