"""Where the store lives: --db, then DRILLKIT_DB, then DRILLKIT_HOME or the data directory."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.errors import StoreError
from drill.store import EventStore, default_url, resolve_url
from drill.store.location import describe


def test_default_is_drillkit_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DRILLKIT_DB")
    monkeypatch.setenv("DRILLKIT_HOME", str(tmp_path / "home"))

    assert default_url() == f"sqlite+aiosqlite:///{tmp_path}/home/events.db"


def test_default_without_drillkit_home_is_the_user_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DRILLKIT_DB")
    monkeypatch.delenv("DRILLKIT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    assert default_url() == f"sqlite+aiosqlite:///{tmp_path}/data/drillkit/events.db"


def test_environment_accepts_a_url_or_a_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DRILLKIT_DB", f"sqlite:///{tmp_path}/a.db")
    assert default_url() == f"sqlite+aiosqlite:///{tmp_path}/a.db"
    monkeypatch.setenv("DRILLKIT_DB", str(tmp_path / "b.db"))
    assert default_url() == f"sqlite+aiosqlite:///{tmp_path}/b.db"


def test_explicit_url_wins_over_the_environment(tmp_path: Path) -> None:
    assert resolve_url(tmp_path / "c.db") == f"sqlite+aiosqlite:///{tmp_path}/c.db"
    assert resolve_url("postgresql://ops:secret@db/drills") == (
        "postgresql+asyncpg://ops:secret@db/drills"
    )


def test_passwords_are_not_shown() -> None:
    assert describe("postgresql+asyncpg://ops:secret@db/drills") == (
        "postgresql+asyncpg://ops:***@db/drills"
    )


def test_nonsense_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        resolve_url("::://")


async def test_open_without_url_uses_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kinds: SimpleNamespace
) -> None:
    target = tmp_path / "deep" / "er" / "events.db"
    monkeypatch.setenv("DRILLKIT_DB", str(target))

    async with EventStore.open() as store:
        await store.append("d", kinds.paged(1))
        assert store.where == str(target)

    assert target.is_file()
