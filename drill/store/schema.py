"""The event store's tables, as SQLAlchemy Core metadata.

This is the schema the code queries; the Alembic migrations in `migrations/versions`
create it. A test compares the two, so they cannot drift apart.

- `drills`: one row per drill, written with its first event and never changed. It gives
  `drills()` a cheap listing ordered by start, a parent for the events' foreign key, and
  on PostgreSQL the row the appender locks to serialise a drill's chain.
- `events`: the append-only, hash-chained log. Counts and last times are derived from it
  rather than kept in `drills`, so no row of the record is ever updated.
- `drill_leases`: who runs each drill now (one engine per drill, see
  `drill.engine.lease`). Coordination, not record: the only table whose rows change (a
  heartbeat renews the row, a release marks it). No foreign key: a new drill's lease is
  taken before its first event creates the `drills` row.
- `drill_lease_log`: append-only history of those leases (acquired, taken over after
  expiry, released), so a takeover after a crash stays on record.
- `console_watchers`: the consoles (and `drillkit watch` boards) following each drill,
  with a heartbeat, so the board can say who is watching. Coordination, like the lease:
  heartbeats renew the row.
- `ad_hoc_points`: the full contact methods of people paged ad hoc (not in the plan)
  during a drill, which the journal keeps masked; read by an engine resuming the drill.
- `operator_requests` and `operator_answers`: an operator action entered at a console
  that does not run the drill (acknowledgement, step done, note, pause, abort), and the
  owning engine's answer (applied, with the seq of the event it recorded, or refused and
  why). Both append-only: the request says who asked and from which console.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "UTCDateTime",
    "ad_hoc_points",
    "console_watchers",
    "drill_lease_log",
    "drill_leases",
    "drills",
    "events",
    "metadata",
    "operator_answers",
    "operator_requests",
]

# Named constraints, so future migrations (and SQLite batch rebuilds) can refer to them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite keeps datetimes as naive text and PostgreSQL as `timestamptz`; normalising to
    UTC on the way in and attaching UTC on the way out makes both return the same value
    to the microsecond, which the hash chain depends on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the event store only accepts timezone-aware datetimes")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


_ORIGINAL_KEY = text('"key" IS NOT NULL AND duplicate_of IS NULL')

drills = Table(
    "drills",
    metadata,
    Column("drill_id", String(200), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "created_at"),
)

events = Table(
    "events",
    metadata,
    Column("drill_id", String(200), ForeignKey("drills.drill_id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("type", String(200), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("payload", Text, nullable=False),
    Column("key", Text, nullable=True),
    Column("duplicate_of", Integer, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("seq >= 1", name="seq_positive"),
    CheckConstraint(
        'duplicate_of IS NULL OR ("key" IS NOT NULL AND duplicate_of < seq)',
        name="duplicate_points_back",
    ),
    # A duplicate points at an event of the same drill.
    ForeignKeyConstraint(["drill_id", "duplicate_of"], ["events.drill_id", "events.seq"]),
    # At most one original per key and drill, so two writers racing with the same key
    # cannot both be applied; duplicates (duplicate_of set) are outside the index.
    # Migration 0001 makes it partial on PostgreSQL as well. Its `postgresql_where` is
    # not repeated here: naming a PostgreSQL argument imports SQLAlchemy's PostgreSQL
    # dialect (50 ms) on every SQLite store, and neither the queries nor Alembic's
    # comparison of this metadata with the database read an index's predicate.
    Index("uq_events_original_key", "drill_id", "key", unique=True, sqlite_where=_ORIGINAL_KEY),
)

drill_leases = Table(
    "drill_leases",
    metadata,
    Column("drill_id", String(200), primary_key=True),
    Column("holder", String(300), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("operator", String(200), nullable=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("released_at", UTCDateTime(), nullable=True),
    Column("taken_over_from", String(300), nullable=True),
)

drill_lease_log = Table(
    "drill_lease_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("drill_id", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(20), nullable=False),
    Column("holder", String(300), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("operator", String(200), nullable=True),
    Column("previous_holder", String(300), nullable=True),
    Index(None, "drill_id"),
)

console_watchers = Table(
    "console_watchers",
    metadata,
    Column("console_id", String(300), primary_key=True),
    Column("drill_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("operator", String(200), nullable=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
    Column("left_at", UTCDateTime(), nullable=True),
    Index(None, "drill_id"),
)

operator_requests = Table(
    "operator_requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("drill_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("operator", String(200), nullable=False),
    Column("console_id", String(300), nullable=False),
    Column("host", String(255), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Index(None, "drill_id"),
)

operator_answers = Table(
    "operator_answers",
    metadata,
    Column(
        "request_id",
        String(64),
        ForeignKey("operator_requests.request_id"),
        primary_key=True,
    ),
    Column("drill_id", String(200), nullable=False),
    Column("answered_at", UTCDateTime(), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("seq", Integer, nullable=True),
    Column("message", Text, nullable=True),
    Column("holder", String(300), nullable=False),
    Index(None, "drill_id"),
)

ad_hoc_points = Table(
    "ad_hoc_points",
    metadata,
    Column("drill_id", String(200), primary_key=True),
    Column("ref", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("points", Text, nullable=False),
    Column("kept_at", UTCDateTime(), nullable=False),
)
