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
    "event_hash_of_text",
    "format_recorded_at",
    "verify_rows",
]

GENESIS = "0" * 64
"""The `prev_hash` of a drill's first event."""


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
"""`json.dumps` with these options builds an encoder per call; a drill encodes 10^5 events."""


def canonical_json(value: Any) -> str:
    """The one JSON text of `value`: sorted keys, no spaces, UTF-8 as is, no NaN."""
    return _CANONICAL.encode(value)


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


def event_hash_of_text(
    *,
    drill_id: str,
    seq: int,
    type_name: str,
    recorded_at: dt.datetime,
    payload_text: str,
    key: str | None,
    duplicate_of: int | None,
    prev_hash: str,
) -> str:
    """`event_hash` of an event whose payload is already `payload_text`, its canonical JSON.

    The same document, byte for byte: its keys in sorted order with the payload's text
    spliced in, instead of encoding the payload a second time (appending a 17,000-contact
    drill spent a third of its store time there). Only for text this process made with
    `canonical_json`; a payload read back from a database goes through `event_hash`.
    """
    encode = _CANONICAL.encode
    document = (
        f'{{"drill_id":{encode(drill_id)},"duplicate_of":{encode(duplicate_of)},'
        f'"key":{encode(key)},"payload":{payload_text},"prev_hash":{encode(prev_hash)},'
        f'"recorded_at":{encode(format_recorded_at(recorded_at))},"seq":{encode(seq)},'
        f'"type":{encode(type_name)}}}'
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class ChainRow:
    """An event row as the database holds it, read for verification.

    The fields are typed as they should be, but `verify_rows` trusts none of them: a
    tampered database can hold text in `seq`, a date that does not parse, bytes in
    `payload_text`. `recorded_at` is a datetime (PostgreSQL) or SQLite's text.
    """

    seq: Any
    type: Any
    recorded_at: Any
    payload_text: Any
    key: Any
    duplicate_of: Any
    prev_hash: Any
    hash: Any


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
    """Recompute the chain of `rows` (in seq order) and report the first broken event.

    Never raises for what a row holds: a value of the wrong kind, a date that does not
    parse or a payload that is not JSON is named as that event's problem.
    """
    count = len(rows)
    last = rows[-1].hash if rows else None
    head = last if isinstance(last, str) else None
    if not rows:
        return VerifyResult(False, 0, None, 1, "the drill has no events: event 1 is missing")

    def bad(seq: int, problem: str) -> VerifyResult:
        return VerifyResult(False, count, head, seq, problem)

    prev_hash = GENESIS
    originals: dict[str, int] = {}
    expected = 1
    for row in rows:
        malformed = _malformed(row)
        if malformed is not None:
            where = row.seq if _is_int(row.seq) else expected
            return bad(where, f"event {where} {malformed}")
        if row.seq != expected:
            if row.seq > expected:
                missing = (
                    f"event {expected} is missing"
                    if row.seq == expected + 1
                    else f"events {expected}-{row.seq - 1} are missing"
                )
                return bad(expected, f"{missing} (the next stored event is {row.seq})")
            return bad(row.seq, f"event {row.seq} appears out of order after {expected - 1}")
        recorded_at = _recorded_at(row.recorded_at)
        if recorded_at is None:
            return bad(
                row.seq,
                f"event {row.seq} ({row.type}) has a recorded_at that is not a time: "
                f"{str(row.recorded_at)[:60]!r}",
            )
        try:
            payload = json.loads(row.payload_text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
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
        try:
            recomputed = event_hash(
                drill_id=drill_id,
                seq=row.seq,
                type_name=row.type,
                recorded_at=recorded_at,
                payload=payload,
                key=row.key,
                duplicate_of=row.duplicate_of,
                prev_hash=row.prev_hash,
            )
        except (ValueError, RecursionError) as exc:  # NaN, infinity: never written by drillkit
            return bad(row.seq, f"event {row.seq} ({row.type}) cannot be hashed: {exc}")
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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _malformed(row: ChainRow) -> str | None:
    """What is of the wrong kind in `row`, in words; None when every value has its kind."""
    if not _is_int(row.seq):
        return f"has a seq that is not a number: {str(row.seq)[:40]!r}"
    checks: tuple[tuple[str, object, bool], ...] = (
        ("type", row.type, isinstance(row.type, str)),
        ("payload", row.payload_text, isinstance(row.payload_text, str)),
        ("key", row.key, row.key is None or isinstance(row.key, str)),
        ("duplicate_of", row.duplicate_of, row.duplicate_of is None or _is_int(row.duplicate_of)),
        ("prev_hash", row.prev_hash, isinstance(row.prev_hash, str)),
        ("hash", row.hash, isinstance(row.hash, str)),
    )
    for name, value, good in checks:
        if not good:
            return f"has a {name} of the wrong kind ({type(value).__name__}: {str(value)[:40]!r})"
    return None


def _recorded_at(value: object) -> dt.datetime | None:
    """recorded_at as stored (a datetime, or SQLite's text) as UTC; None if it is not one."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # year 1 with an eastern offset, say
        return None
