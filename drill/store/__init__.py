"""The append-only event store: every drill's events, durable and hash-chained.

SQLite by default (the user's data directory, `DRILLKIT_DB`, or `--db`); PostgreSQL when
several consoles share one drill. The schema is migrated with Alembic on open.
"""

from __future__ import annotations

from drill.store.chain import VerifyResult
from drill.store.eventstore import EventStore, StoreOpening
from drill.store.location import default_url, resolve_url
from drill.store.records import DrillSummary, EventRecord, UnknownEvent

__all__ = [
    "DrillSummary",
    "EventRecord",
    "EventStore",
    "StoreOpening",
    "UnknownEvent",
    "VerifyResult",
    "default_url",
    "resolve_url",
]
