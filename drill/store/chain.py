"""The hash chain: how an event's hash is computed and how a drill's chain is checked.

Each event's hash is SHA-256 over a canonical JSON document of everything stored about it
(drill id, seq, type, recorded_at, payload, key, duplicate_of) plus the previous event's
hash, so changing, removing or reordering any stored event breaks the chain from there on.
The payload enters the document as a JSON value, not as the stored text, so the chain
stays valid if a future schema keeps payloads in a native JSON column.

Removing events from the *end* of a chain cannot be seen from the chain alone: compare
`head_hash` with the one printed in the drill's report for that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "GENESIS",
    "ChainRow",
    "VerifyResult",
    "canonical_json",
    "event_hash",
    "format_recorded_at",
    "verify_rows",
]

GENESIS = "0" * 64
"""The `prev_hash` of a drill's first event."""


def canonical_json(value: Any) -> str:
    """The one JSON text of `value`: sorted keys, no spaces, UTF-8 as is, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def format_recorded_at(value: dt.datetime) -> str:
    """recorded_at as it enters the hash: UTC, ISO 8601, always with microseconds."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    drill_id: str,
    seq: int,
    type_name: str,
    recorded_at: dt.datetime,
    payload: Mapping[str, Any],
    key: str | None,
    duplicate_of: int | None,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical JSON of one stored event and its predecessor's hash."""
    document = {
        "drill_id": drill_id,
        "seq": seq,
        "type": type_name,
        "recorded_at": format_recorded_at(recorded_at),
        "payload": payload,
        "key": key,
        "duplicate_of": duplicate_of,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class ChainRow:
    """An event row as read for verification: payload still the stored text."""

    seq: int
    type: str
    recorded_at: dt.datetime
    payload_text: str
    key: str | None
    duplicate_of: int | None
    prev_hash: str
    hash: str


@dataclasses.dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of `EventStore.verify`."""

    ok: bool
    count: int
    """Events found for the drill."""
    head_hash: str | None
    """Stored hash of the last event found. When `ok`, print it with the report: a later
    verify showing a different head means events were removed from the end."""
    first_bad_seq: int | None = None
    """The first event that is missing, altered or out of place."""
    problem: str | None = None
    """What is wrong at `first_bad_seq`, in words."""


def verify_rows(drill_id: str, rows: Sequence[ChainRow]) -> VerifyResult:
    """Recompute the chain of `rows` (in seq order) and report the first broken event."""
    count = len(rows)
    head = rows[-1].hash if rows else None
    if not rows:
        return VerifyResult(False, 0, None, 1, "the drill has no events: event 1 is missing")

    def bad(seq: int, problem: str) -> VerifyResult:
        return VerifyResult(False, count, head, seq, problem)

    prev_hash = GENESIS
    originals: dict[str, int] = {}
    expected = 1
    for row in rows:
        if row.seq != expected:
            if row.seq > expected:
                missing = (
                    f"event {expected} is missing"
                    if row.seq == expected + 1
                    else f"events {expected}-{row.seq - 1} are missing"
                )
                return bad(expected, f"{missing} (the next stored event is {row.seq})")
            return bad(row.seq, f"event {row.seq} appears out of order after {expected - 1}")
        try:
            payload = json.loads(row.payload_text)
        except ValueError as exc:
            return bad(
                row.seq, f"event {row.seq} ({row.type}) has a payload that is not JSON: {exc}"
            )
        if not isinstance(payload, dict):
            return bad(
                row.seq, f"event {row.seq} ({row.type}) has a payload that is not a JSON object"
            )
        if row.prev_hash != prev_hash:
            return bad(
                row.seq,
                f"event {row.seq} ({row.type}) does not follow event {row.seq - 1}: "
                "its prev_hash differs from that event's hash (an earlier event was "
                "changed, removed or inserted)",
            )
        recomputed = event_hash(
            drill_id=drill_id,
            seq=row.seq,
            type_name=row.type,
            recorded_at=row.recorded_at,
            payload=payload,
            key=row.key,
            duplicate_of=row.duplicate_of,
            prev_hash=row.prev_hash,
        )
        if recomputed != row.hash:
            return bad(
                row.seq,
                f"event {row.seq} ({row.type}) was altered: its content does not match its hash",
            )
        if row.key is not None:
            original = originals.get(row.key)
            if row.duplicate_of != original:
                return bad(
                    row.seq,
                    f"event {row.seq} ({row.type}) has key {row.key!r} but is marked as "
                    f"duplicate of {row.duplicate_of} where {original} was expected",
                )
            if original is None:
                originals[row.key] = row.seq
        elif row.duplicate_of is not None:
            return bad(row.seq, f"event {row.seq} ({row.type}) is a duplicate without a key")
        prev_hash = row.hash
        expected += 1
    return VerifyResult(True, count, head, None, None)
