"""Fixtures shared by every test area (per-area fixtures live in tests/<area>/conftest.py)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from drill.sandbox.postgres import LocalPostgres, LocalPostgresMissing, find_server_binaries

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test touches the user's real data directory, config or event store."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DRILLKIT_HOME", str(home))
    monkeypatch.setenv("DRILLKIT_DB", f"sqlite+aiosqlite:///{home / 'events.db'}")
    monkeypatch.setenv("DRILLKIT_CONFIG", str(home / "config.toml"))


@pytest.fixture
def sample_dir() -> Path:
    return REPO


# --- PostgreSQL: one throwaway server for the whole session ------------------------------

REQUIRE_POSTGRES = "DRILLKIT_REQUIRE_POSTGRES"
"""Set (CI does): a machine without a PostgreSQL server fails the tests that need one
instead of skipping them."""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """A PostgreSQL server of the session's own (temporary folder, free loopback port).

    Runs the machine's `initdb`/`pg_ctl` (as the `postgres` user when the tests run as
    root); fsync is off, since the cluster is thrown away. Skipped, saying why, when no
    server or no asyncpg is installed, unless DRILLKIT_REQUIRE_POSTGRES is set.
    """
    missing = None
    if importlib.util.find_spec("asyncpg") is None:
        missing = "asyncpg is not installed (pip install -e '.[dev]' or 'drillkit[postgres]')"
    elif find_server_binaries() is None:
        missing = (
            "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in "
            "/usr/lib/postgresql/*/bin; .ci/run installs Debian's postgresql package"
        )
    if missing is not None:
        if os.environ.get(REQUIRE_POSTGRES):
            pytest.fail(f"{REQUIRE_POSTGRES} is set but {missing}")
        pytest.skip(missing)
    server = LocalPostgres(fsync=False)
    try:
        server.start()
    except LocalPostgresMissing as exc:
        if os.environ.get(REQUIRE_POSTGRES):
            pytest.fail(f"{REQUIRE_POSTGRES} is set but {exc.message}")
        pytest.skip(f"the local PostgreSQL server did not start: {exc.message}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: LocalPostgres) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An event store on each back-end: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    url: str = request.getfixturevalue("postgres_url")
    return url
