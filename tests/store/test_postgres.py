"""What only PostgreSQL does: the schema and its migrations there, privileges that close
the record even to its owner, a role that may only append, and the live wake-up
(LISTEN/NOTIFY) behind `wait_for_events`. The rest of the store's suite runs on
PostgreSQL too (see conftest.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from types import SimpleNamespace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from drill.errors import StoreError
from drill.sandbox.postgres import LocalPostgres
from drill.store import EventStore
from drill.store import postgres as pg
from drill.store.migrate import VERSION_TABLE, head_revision
from drill.store.schema import metadata
from tests.store.conftest import async_engine


async def test_a_fresh_database_is_migrated_to_head_with_its_guards(postgres_url: str) -> None:
    async with EventStore.open(postgres_url) as store:
        assert await store.schema_revision() == head_revision()
        async with async_engine(store).connect() as conn:
            triggers = set(
                (
                    await conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
                ).scalars()
            )

            def diff(connection: Connection) -> list[object]:
                context = MigrationContext.configure(
                    connection, opts={"version_table": VERSION_TABLE}
                )
                return list(compare_metadata(context, metadata))

            assert await conn.run_sync(diff) == []
    assert {
        "events_no_update_delete",
        "events_no_truncate",
        "drills_no_update_delete",
        "drill_lease_log_no_update_delete",
        "events_notify",
    } <= triggers


async def test_two_stores_opening_a_fresh_database_at_once_migrate_it_once(
    postgres_url: str, kinds: SimpleNamespace
) -> None:
    stores = await asyncio.gather(*(EventStore.open(postgres_url) for _ in range(3)))
    try:
        await asyncio.gather(*(s.append("d", kinds.paged(i)) for i, s in enumerate(stores)))
        assert [r.seq for r in await stores[0].records("d")] == [1, 2, 3]
    finally:
        for store in stores:
            await store.close()


async def test_someone_elses_database_is_refused(
    postgres_server: LocalPostgres, postgres_url: str
) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    postgres_server.execute("CREATE TABLE invoices (id int)", database=database)
    with pytest.raises(StoreError, match=r"not a drillkit event store.*invoices"):
        await EventStore.open(postgres_url)


def _roles(server: LocalPostgres) -> tuple[str, str, str]:
    """A database owned by a fresh ordinary role, and a role that may only append."""
    suffix = uuid.uuid4().hex[:8]
    owner, clerk, database = f"owner_{suffix}", f"clerk_{suffix}", f"roles_{suffix}"
    server.execute(f"CREATE ROLE {owner} LOGIN", f"CREATE ROLE {clerk} LOGIN")
    server.create_database(database, owner=owner)
    return owner, clerk, database


async def test_the_owner_itself_may_not_change_the_record(
    postgres_server: LocalPostgres, kinds: SimpleNamespace
) -> None:
    owner, _, database = _roles(postgres_server)
    url = postgres_server.url(database, user=owner)
    async with EventStore.open(url) as store:
        await store.append("d", kinds.paged(1))
        rights = await store.read_with(pg.privileges)
    assert (rights.role, rights.superuser, rights.owner) == (owner, False, True)
    # UPDATE stays with the owner of the tables foreign keys point at (the triggers refuse it).
    assert rights.can_change == ("drills", "events") and rights.can_write

    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        for statement in (
            "DELETE FROM events",
            "TRUNCATE events CASCADE",
            "DELETE FROM drills",
            "UPDATE drill_lease_log SET holder = 'x'",
            "DELETE FROM drill_lease_log",
        ):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with engine.begin() as conn:
                    await conn.execute(text(statement))
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE events SET payload = '{}'"))
    finally:
        await engine.dispose()


async def test_a_role_granted_only_select_and_insert_runs_drills(
    postgres_server: LocalPostgres, kinds: SimpleNamespace
) -> None:
    """The recommended set-up: the owner migrates, engines and ack servers connect as a
    role that can append and keep leases but cannot change or unguard the record."""
    owner, clerk, database = _roles(postgres_server)
    async with EventStore.open(postgres_server.url(database, user=owner)):
        pass
    postgres_server.execute(
        f"SET ROLE {owner}",
        f"GRANT SELECT, INSERT ON drills, events, drill_lease_log, {VERSION_TABLE} TO {clerk}",
        f"GRANT SELECT, INSERT, UPDATE ON drill_leases TO {clerk}",
        f"GRANT USAGE ON SEQUENCE drill_lease_log_id_seq TO {clerk}",
        database=database,
    )
    async with EventStore.open(postgres_server.url(database, user=clerk)) as store:
        lease = store.lease("d", pg_owner := _lease_owner())
        assert (await lease.acquire()).owner == pg_owner
        await store.append("d", kinds.paged(1), key="k")
        assert (await store.append("d", kinds.paged(2), key="k")).duplicate
        await lease.release()
        assert (await store.verify("d")).ok
        rights = await store.read_with(pg.privileges)
        assert (rights.owner, rights.can_change, rights.can_write) == (False, (), True)
        for statement in ("ALTER TABLE events DISABLE TRIGGER USER", "DELETE FROM events"):
            with pytest.raises(DBAPIError, match=r"must be owner|permission denied"):
                async with async_engine(store).begin() as conn:
                    await conn.execute(text(statement))


def _lease_owner() -> object:
    from drill.engine.lease import LeaseOwner

    return LeaseOwner("clerk-host:1:abc", "clerk-host", 1, "clerk")


async def test_wait_for_events_wakes_when_another_process_appends(
    postgres_url: str, kinds: SimpleNamespace
) -> None:
    async with EventStore.open(postgres_url) as console, EventStore.open(postgres_url) as engine:
        await engine.append("d", kinds.paged(1))
        await engine.append("other", kinds.paged(1))

        # Already newer than what the console has seen: at once.
        await asyncio.wait_for(console.wait_for_events("d", 0, timeout=60), 5)

        # Nothing new for "d" (another drill's event does not wake it): the timeout.
        began = time.monotonic()
        await console.wait_for_events("d", 1, timeout=0.3)
        assert time.monotonic() - began >= 0.3

        # An append from the other store wakes a console waiting with a long timeout.
        waiting = asyncio.create_task(console.wait_for_events("d", 1, timeout=60))
        await asyncio.sleep(0)
        assert not waiting.done()
        await engine.append("d", kinds.paged(2))
        await asyncio.wait_for(waiting, 10)
        assert [r.seq for r in await console.records("d")] == [1, 2]


async def test_wait_for_events_on_sqlite_polls(db_path: object, kinds: SimpleNamespace) -> None:
    async with EventStore.open(str(db_path)) as store:
        await store.append("d", kinds.paged(1))
        await asyncio.wait_for(store.wait_for_events("d", 0, timeout=60), 5)
        began = time.monotonic()
        await asyncio.wait_for(store.wait_for_events("d", 1, timeout=60), 5)  # one poll
        assert time.monotonic() - began > 0


async def test_a_writer_stuck_behind_another_is_a_store_error_after_the_lock_timeout(
    postgres_url: str, kinds: SimpleNamespace
) -> None:
    async with EventStore.open(postgres_url, lock_timeout=0.5) as store:
        await store.append("d", kinds.paged(1))
        async with async_engine(store).connect() as conn:
            assert (await conn.execute(text("SHOW lock_timeout"))).scalar_one() == "500ms"
        blocker = create_async_engine(store.url)
        try:
            async with blocker.begin() as conn:
                # Another process in the middle of an append to the same drill.
                await conn.execute(text("SELECT pg_advisory_xact_lock(7243012, hashtext('d'))"))
                with pytest.raises(StoreError, match="stayed locked"):
                    await store.append("d", kinds.paged(2))
        finally:
            await blocker.dispose()
        assert len(await store.records("d")) == 1


async def test_doctor_names_the_server_the_schema_and_the_roles_rights(
    postgres_server: LocalPostgres,
) -> None:
    from drill.config import Config
    from drill.doctor import run_doctor

    owner, clerk, database = _roles(postgres_server)
    url = postgres_server.url(database, user=owner)
    (check,) = [c for c in await run_doctor(Config(), seconds=5, db=url) if c.name == "store"]
    assert check.ok
    assert "PostgreSQL 15" in check.detail and f"schema {head_revision()} (current)" in check.detail
    assert f"role {owner} is the tables' owner" in check.detail

    clerk_url = postgres_server.url(database, user=clerk)  # granted nothing yet
    (check,) = [c for c in await run_doctor(Config(), seconds=5, db=clerk_url) if c.name == "store"]
    assert not check.ok and "permission denied" in check.detail

    postgres_server.execute(
        f"SET ROLE {owner}",
        f"GRANT SELECT ON drills, events, drill_leases, {VERSION_TABLE} TO {clerk}",
        database=database,
    )  # can read, cannot append
    (check,) = [c for c in await run_doctor(Config(), seconds=5, db=clerk_url) if c.name == "store"]
    assert not check.ok and "may not append events" in check.detail
    assert check.fix is not None and "GRANT SELECT, INSERT" in check.fix
