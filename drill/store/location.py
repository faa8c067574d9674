"""Where the event store lives: the default file, the environment override, `--db`.

Precedence: an explicit URL (the CLI's `--db`) over `DRILLKIT_DB` over `events.db` in
drillkit's data directory (`DRILLKIT_HOME`, else `platformdirs.user_data_dir("drillkit")`).
The first two may be a SQLAlchemy URL (`sqlite+aiosqlite:///path`,
`postgresql+asyncpg://…`) or a plain file path.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from drill.errors import StoreError

__all__ = ["ENV_VAR", "default_url", "describe", "resolve_url", "sqlite_path"]

ENV_VAR = "DRILLKIT_DB"

# A plain `sqlite://` or `postgresql://` URL names the synchronous driver; the store is
# async, so people can paste the URL they know and we pick the async driver for them.
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def default_url() -> str:
    """The URL the store opens when no `--db` is given (environment, then data dir)."""
    return resolve_url(None)


def resolve_url(url: str | os.PathLike[str] | None) -> str:
    """Turn `--db`, `DRILLKIT_DB` or the default location into an async SQLAlchemy URL."""
    if url is None or str(url) == "":
        url = os.environ.get(ENV_VAR) or None
    if url is None:
        from drill.config import data_dir  # DRILLKIT_HOME, else the platform's data dir

        return _file_url(data_dir() / "events.db")
    text = os.fspath(url)
    if "://" not in text:
        return _file_url(Path(text))
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"{text!r} is not a database URL or a file path: {exc}") from exc
    backend = parsed.get_backend_name()
    if parsed.drivername in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def describe(url: str) -> str:
    """How to name the store in a message: the file path, or the URL without its password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def _file_url(path: Path) -> str:
    path = path.expanduser().absolute()
    return URL.create("sqlite+aiosqlite", database=str(path)).render_as_string()
