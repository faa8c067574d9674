"""Schema migrations: a fresh file gets the head revision, reopening changes nothing,
the code's schema matches the migrations, and foreign or newer databases are refused."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from drill.errors import StoreError
from drill.store import EventStore
from drill.store.migrate import SHIPPED_HEAD, VERSION_TABLE, head_revision
from drill.store.schema import metadata

# About SQLite itself (its file, PRAGMAs, writer thread); PostgreSQL: test_postgres.py.
pytestmark = pytest.mark.sqlite_only

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "drill/store/migrations/alembic.ini"


def _schema(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


async def test_fresh_database_is_at_head(db_path: Path) -> None:
    assert not db_path.parent.exists()

    async with EventStore.open(db_path) as store:
        assert await store.schema_revision() == head_revision() == "0006"

    names = {name for _, name, _ in _schema(db_path)}
    assert {"drills", "events", VERSION_TABLE, "events_no_update", "events_no_delete"} <= names
    assert {"drill_leases", "drill_lease_log", "drill_lease_log_no_update"} <= names
    assert {"events_no_replace", "drills_no_replace", "drill_lease_log_no_replace"} <= names
    assert {"console_watchers", "operator_requests", "operator_requests_no_update"} <= names
    assert {"operator_answers", "operator_answers_no_delete"} <= names
    assert {"operator_requests_no_replace", "operator_answers_no_replace"} <= names


async def test_opening_again_is_a_no_op(
    db_path: Path, kinds: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="alembic"):
        async with EventStore.open(db_path) as store:
            await store.append("d", kinds.paged(1))
    ran_first = [r.getMessage() for r in caplog.records if "Running upgrade" in r.getMessage()]
    before = _schema(db_path)
    caplog.clear()

    with caplog.at_level(logging.INFO, logger="alembic"):
        async with EventStore.open(db_path) as store:
            assert await store.schema_revision() == head_revision()
            assert len(await store.read("d")) == 1

    assert ran_first == [
        "Running upgrade  -> 0001, The first event store: drills, hash-chained events, append-only triggers.",
        "Running upgrade 0001 -> 0002, Drill leases: one engine per drill, and the history of who held each drill.",
        "Running upgrade 0002 -> 0003, Only plain appends: the journal also refuses INSERT OR REPLACE and UPSERT.",
        "Running upgrade 0003 -> 0004, PostgreSQL only: a notification per batch of new events; record tables closed by privilege.",
        "Running upgrade 0004 -> 0005, Consoles: who watches each drill, and operator requests from consoles that do not run it.",
        "Running upgrade 0005 -> 0006, Ad hoc people's contact methods, kept beside the journal (the journal masks them).",
    ]
    assert not [r for r in caplog.records if "Running upgrade" in r.getMessage()]
    assert _schema(db_path) == before


async def test_code_schema_matches_the_migrations(store: EventStore) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return list(compare_metadata(context, metadata))

    assert await store.read_with(diff) == []


async def test_database_from_a_newer_drillkit_is_refused_untouched(db_path: Path) -> None:
    async with EventStore.open(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = '0042'")
    before = _schema(db_path)

    with pytest.raises(StoreError, match="newer version of drillkit") as caught:
        await EventStore.open(db_path)

    assert "0042" in caught.value.message
    assert _schema(db_path) == before


async def test_someone_elses_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")

    with pytest.raises(StoreError, match=r"not a drillkit event store .*invoices"):
        await EventStore.open(path)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("これはデータベースではありません\n" * 200)

    with pytest.raises(StoreError, match="not an SQLite database"):
        await EventStore.open(path)


async def test_a_folder_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    with pytest.raises(StoreError, match="Cannot create the folder"):
        await EventStore.open(blocker / "events.db")


def test_migrations_also_run_from_the_alembic_command(tmp_path: Path) -> None:
    # The env.py path developers use (`alembic -c drill/store/migrations/alembic.ini …`).
    path = tmp_path / "dev.db"
    config = Config(str(Path(__file__).resolve().parents[2] / "drill/store/migrations/alembic.ini"))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{path}")

    command.upgrade(config, "head")

    with sqlite3.connect(path) as conn:
        (revision,) = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert revision == head_revision()
    assert mode == "wal"


async def test_a_store_written_before_leases_gets_them_and_keeps_its_drills(
    db_path: Path,
) -> None:
    # A store as drillkit wrote it before revision 0002 (drill leases), with a drill.
    db_path.parent.mkdir(parents=True)
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{db_path}")
    await asyncio.to_thread(command.upgrade, config, "0001")  # it runs a loop of its own
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO drills VALUES ('old-drill', '2026-04-01 00:30:00.000000')")
    assert "drill_leases" not in {name for _, name, _ in _schema(db_path)}

    async with EventStore.open(db_path) as store:
        assert await store.schema_revision() == head_revision()
        assert [d.drill_id for d in await store.drills()] == ["old-drill"]
        assert await store.leases() == {}


def test_the_shipped_head_is_alembic_s_head() -> None:
    # Opening recognises an up-to-date store by SHIPPED_HEAD without loading Alembic.
    assert head_revision() == SHIPPED_HEAD


_OPEN_AND_LIST = """
import asyncio, sys
from drill.store import EventStore

async def main() -> None:
    async with EventStore.open(sys.argv[1]) as store:
        print(len(await store.drills()))

before = "alembic" in sys.modules
asyncio.run(main())
print(before, "alembic" in sys.modules)
"""


def _open_in_a_fresh_interpreter(path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_AND_LIST, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


async def test_alembic_is_loaded_only_when_a_migration_is_due(db_path: Path) -> None:
    # The first open creates the schema (Alembic runs); the next one finds it at head.
    first = await asyncio.to_thread(_open_in_a_fresh_interpreter, db_path)
    again = await asyncio.to_thread(_open_in_a_fresh_interpreter, db_path)

    assert first == ["0", "False", "True"]
    assert again == ["0", "False", "False"]
    async with EventStore.open(db_path) as store:
        assert await store.schema_revision() == head_revision()
