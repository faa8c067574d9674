"""Fixtures shared by every test area (per-area fixtures live in tests/<area>/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
