"""The schedule ledger: what the calendar did with each occurrence, durable and append-only.

It lives in the event store's database, beside APScheduler's job table, in a table of its
own (`schedule_ledger`). Every row is keyed: the first row for an occurrence's decision
(`<run key>#decision`) is the claim that lets exactly one process start that drill, so a
drill is never started twice, whatever fires it again (a restart, a second `serve`). A
miss, a late run, a skip, a reminder sent, an interruption and a result are rows too, so
`schedule log` shows that nothing was silently lost. Rows are never updated or deleted
(SQLite triggers refuse it, like the event store's).

APScheduler 3's job store is synchronous, so this module speaks synchronous SQLAlchemy to
the same file (`sqlite:///…`); the service calls it from a worker thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from drill.schedule.errors import ScheduleError
from drill.store.location import describe, resolve_url, sqlite_path
from drill.store.schema import UTCDateTime

__all__ = [
    "JOB_TABLE",
    "LEDGER_TABLE",
    "Entry",
    "Ledger",
    "Outcome",
    "open_engine",
    "sync_url",
]

JOB_TABLE = "drillkit_schedule_jobs"
"""APScheduler's job table (its default name would collide in a shared database)."""
LEDGER_TABLE = "drillkit_schedule_ledger"


class Outcome:
    """The outcomes a ledger row records (strings, so old rows always read back)."""

    STARTED = "started"
    """The drill was started on time."""
    STARTED_LATE = "started_late"
    """Missed while the service was down, run late by the plan's misfire policy."""
    MISSED = "missed"
    """Missed while the service was down and not run (misfire policy, limit, closed day)."""
    DUPLICATE = "not_run_again"
    """Fired again for an occurrence that was already decided: not run a second time."""
    INTERRUPTED = "interrupted"
    """The service stopped while the drill ran; it resumes when the service starts."""
    RESUMED = "resumed"
    COMPLETED = "completed"
    FAILED = "failed"
    REMINDER_SENDING = "reminder_sending"
    """A reminder was claimed for sending (its result row follows)."""
    REMINDER_SENT = "reminder_sent"
    REMINDER_FAILED = "reminder_failed"
    REMINDER_MISSED = "reminder_missed"


metadata = MetaData()
ledger_table = Table(
    LEDGER_TABLE,
    metadata,
    Column("key", String(300), primary_key=True),
    Column("run_key", String(200), nullable=False, index=True),
    Column("job_id", String(120), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("scheduled_for", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("detail", Text, nullable=False),
)

_APPEND_ONLY = [
    f"CREATE TRIGGER IF NOT EXISTS {LEDGER_TABLE}_no_update BEFORE UPDATE ON {LEDGER_TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'the schedule ledger is append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {LEDGER_TABLE}_no_delete BEFORE DELETE ON {LEDGER_TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'the schedule ledger is append-only'); END",
]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sync_url(url: str | os.PathLike[str] | None) -> str:
    """The synchronous SQLAlchemy URL of the event store's database (`sqlite:///…`)."""
    resolved = make_url(resolve_url(url))
    driver = resolved.drivername.split("+", 1)[0]
    return resolved.set(drivername=driver).render_as_string(hide_password=False)


def open_engine(url: str, *, busy_timeout: float = 10.0) -> Engine:
    """A synchronous engine on the store's database, with the store's durability settings."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError) as exc:
        raise ScheduleError(f"Cannot use the database {describe(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        busy_ms = max(0, int(busy_timeout * 1000))

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = FULL")
            finally:
                cursor.close()

        event.listen(engine, "connect", on_connect)
    return engine


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One ledger row."""

    key: str
    run_key: str
    job_id: str
    kind: str
    outcome: str
    scheduled_for: dt.datetime
    recorded_at: dt.datetime
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "run_key": self.run_key,
            "job_id": self.job_id,
            "kind": self.kind,
            "outcome": self.outcome,
            "scheduled_for": self.scheduled_for.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "detail": self.detail,
        }


class Ledger:
    """Append-only records of what happened to each scheduled occurrence."""

    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.engine = engine
        self._clock = clock

    def create(self) -> None:
        """Create the table (and its append-only triggers) if it does not exist."""
        try:
            with self.engine.begin() as conn:
                metadata.create_all(conn)
                if conn.dialect.name == "sqlite":
                    for statement in _APPEND_ONLY:
                        conn.exec_driver_sql(statement)
        except SQLAlchemyError as exc:
            raise self._failure("prepare", exc) from exc

    def claim(
        self,
        key: str,
        *,
        run_key: str,
        job_id: str,
        kind: str,
        outcome: str,
        scheduled_for: dt.datetime,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Append a row under `key`; False (and nothing written) when `key` is already there.

        The insert is the check: two processes claiming the same key cannot both win.
        """
        row = {
            "key": key,
            "run_key": run_key,
            "job_id": job_id,
            "kind": kind,
            "outcome": outcome,
            "scheduled_for": scheduled_for,
            "recorded_at": self._clock(),
            "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(ledger_table.insert().values(**row))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise self._failure("write to", exc) from exc
        return True

    def entries(
        self, *, run_key: str | None = None, job_id: str | None = None, limit: int | None = None
    ) -> list[Entry]:
        """Rows, oldest first (optionally of one occurrence or one schedule)."""
        query = select(ledger_table).order_by(ledger_table.c.recorded_at, ledger_table.c.key)
        if run_key is not None:
            query = query.where(ledger_table.c.run_key == run_key)
        if job_id is not None:
            query = query.where(ledger_table.c.job_id == job_id)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise self._failure("read", exc) from exc
        entries = [
            Entry(
                key=row.key,
                run_key=row.run_key,
                job_id=row.job_id,
                kind=row.kind,
                outcome=row.outcome,
                scheduled_for=row.scheduled_for,
                recorded_at=row.recorded_at,
                detail=json.loads(row.detail),
            )
            for row in rows
        ]
        return entries[-limit:] if limit else entries

    def unfinished(self) -> list[Entry]:
        """Drills that were started (on time or late) and have no result yet: resumable."""
        by_run: dict[str, list[Entry]] = {}
        for entry in self.entries():
            if entry.kind == "drill":
                by_run.setdefault(entry.run_key, []).append(entry)
        out: list[Entry] = []
        for rows in by_run.values():
            outcomes = {row.outcome for row in rows}
            if outcomes & {Outcome.COMPLETED, Outcome.FAILED}:
                continue
            started = [r for r in rows if r.outcome in (Outcome.STARTED, Outcome.STARTED_LATE)]
            out.extend(started[:1])
        return out

    def _failure(self, action: str, exc: BaseException) -> ScheduleError:
        where = describe(self.engine.url.render_as_string(hide_password=True))
        return ScheduleError(
            f"Could not {action} the schedule ledger in {where}: {exc}. "
            "(Choose another store with --db or DRILLKIT_DB.)"
        )
