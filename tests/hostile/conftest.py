"""The hostile suite's one fixture: a PostgreSQL database for the journal tests that
are parametrized with that back-end (the others never start the server)."""

from __future__ import annotations

import pytest

from .journal_fixtures import POSTGRES_URL


@pytest.fixture(autouse=True)
def _postgres_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "postgresql":
        monkeypatch.setenv(POSTGRES_URL, request.getfixturevalue("postgres_url"))
