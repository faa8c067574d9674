"""What the event store hands back: raw records, drill summaries, and unknown events.

Records are kept for years, across versions of drillkit. An event whose type this version
does not know (written by a newer drillkit, or a type since retired) is read back as an
`UnknownEvent` placeholder instead of failing the whole read: the report can still count
and list it, replay ignores it, and its payload is kept verbatim.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from drill.engine.events import Event

__all__ = ["DrillSummary", "EventRecord", "UnknownEvent"]


@dataclasses.dataclass(frozen=True, slots=True)
class EventRecord:
    """One row of the `events` table, as stored (for verify, reports and CSV export)."""

    drill_id: str
    seq: int
    """Position in the drill's chain, 1-based and gapless."""
    type: str
    """The event's type name (`Acknowledged`, …)."""
    recorded_at: dt.datetime
    """When the store wrote it (UTC); the event's own time is `payload["at"]`."""
    payload: Mapping[str, Any]
    """The event's fields as JSON values (see `drill.engine.events.to_record`)."""
    key: str | None
    """Idempotency key, e.g. a provider's callback id."""
    duplicate_of: int | None
    """For a duplicate, the seq of the original event with the same key."""
    prev_hash: str
    hash: str

    @property
    def duplicate(self) -> bool:
        return self.duplicate_of is not None


@dataclasses.dataclass(frozen=True, slots=True)
class DrillSummary:
    """A drill as listed by `drillkit drills`: enough to compute the rest from its events."""

    drill_id: str
    first_recorded_at: dt.datetime
    last_recorded_at: dt.datetime
    event_count: int
    """All events, duplicates included."""
    first_type: str | None
    """Type of event 1 (normally `DrillStarted`); None only if the chain was damaged."""
    first_payload: Mapping[str, Any] | None
    """Payload of event 1: scenario, mode and the like."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnknownEvent(Event):
    """Placeholder for a stored event this version of drillkit cannot rebuild.

    Deliberately not registered with `@event`: it only ever comes out of the store.
    """

    type_name: ClassVar[str] = "UnknownEvent"

    stored_type: str
    """The type name as recorded."""
    payload: Mapping[str, Any]
    """The recorded payload, untouched."""
    reason: str
    """Why it could not be rebuilt (unknown type, fields that no longer match)."""
