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
from json.encoder import encode_basestring
from typing import Any, NamedTuple

import orjson

__all__ = [
    "GENESIS",
    "ChainRow",
    "RecordedAtTexts",
    "TextHasher",
    "VerifyResult",
    "canonical_json",
    "canonical_payload",
    "canonical_payload_utf8",
    "event_hash",
    "event_hash_of_text",
    "format_recorded_at",
    "load_json",
    "stored_time",
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


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """`canonical_json(payload)`, the same text, written by orjson when it writes what
    json would (a simulated drill stores 10^5 payloads; orjson writes one in a fraction
    of the time).

    It does for str (enums made of str included), int, bool, None, lists, tuples, dicts
    with str keys and floats that Python writes without an exponent (from 1e-4 up to
    1e16, and zero). json decides anything else: another float (`1e-05`, where orjson
    writes `0.00001`), NaN (which json refuses and orjson writes as null), an integer
    beyond 64 bits, a value json cannot write (a dataclass, which orjson would).
    """
    return canonical_payload_utf8(payload).decode()


def canonical_payload_utf8(payload: Mapping[str, Any]) -> bytes:
    """`canonical_payload(payload)` encoded in UTF-8, as orjson writes it (see there)."""
    for value in payload.values():
        kind = type(value)
        if kind is str or kind is int or value is None or kind is bool:
            continue
        if not _orjson_writes_as_json(value):
            return canonical_json(payload).encode()
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a key that is not a str, an integer beyond 64 bits
        return canonical_json(payload).encode()


def _orjson_writes_as_json(value: Any) -> bool:
    kind = type(value)
    if kind is float:
        return bool(1e-4 <= abs(value) < 1e16 or value == 0.0)
    if kind is list or kind is tuple:
        return all(_orjson_writes_as_json(item) for item in value)
    if kind is dict:
        return all(type(k) is str and _orjson_writes_as_json(v) for k, v in value.items())
    return kind is int or kind is bool or value is None or isinstance(value, str)


_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E for b in range(256))
"""Every digit to "0", every other byte to ".": a run of digits found with one search."""
_LONG_RUN = b"0" * 19
"""19 digits in a row: the only text seen that orjson reads to another value than json
does (an integer beyond 64 bits becomes a float)."""


_DEEP = 500
"""Brackets from which json decides: it stops at Python's recursion limit (nesting of
some 950, less as the stack is deeper), orjson at 1,024."""


def load_json(text: str) -> Any:
    """`json.loads(text)`: the same value, or the same error, read about twice as fast
    by orjson (a report parses every stored payload: 88,000 of them, 23 MB, for a
    17,000-contact drill).

    json decides wherever orjson could differ: text holding 19 digits in a row (orjson
    reads an integer beyond 64 bits as a float), text that may nest deeper than json
    reads, and text orjson refuses (NaN, Infinity, a lone surrogate, malformed JSON):
    json then reads the value or raises its own error, whose words a verify prints. A
    payload hashed as it was read back therefore hashes exactly as before.
    """
    if type(text) is str:
        try:
            data = text.encode("utf-8")  # a lone surrogate raises: json reads it
            # translate and `in` run at memory speed; a regex for the run took as long as
            # the parse it guards.
            if _LONG_RUN not in data.translate(_DIGITS) and (
                len(data) < 2 * _DEEP or data.count(b"[") + data.count(b"{") < _DEEP
            ):
                return orjson.loads(data)
        except (ValueError, RecursionError):  # json reads it, or says why not
            pass
    return json.loads(text)


def format_recorded_at(value: dt.datetime) -> str:
    """recorded_at as it enters the hash: UTC, ISO 8601, always with microseconds."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


class RecordedAtTexts:
    """`format_recorded_at` for the times of rows stamped one after another.

    A batch's rows are stamped microseconds apart: the text up to the second is kept
    while the second stays the same, and only the microseconds are written for each row
    (a third of the time; writing the whole time was a tenth of the store writer's).
    The same text: a UTC time's text is its fields, in fixed widths.
    """

    __slots__ = ("_head", "_second")

    def __init__(self) -> None:
        self._second: tuple[int, ...] = ()
        self._head = ""

    def __call__(self, value: dt.datetime) -> str:
        if value.tzinfo is not dt.UTC:
            return format_recorded_at(value)
        second = (value.second, value.minute, value.hour, value.day, value.month, value.year)
        if second != self._second:
            self._head = value.isoformat(timespec="seconds")[:19]
            self._second = second
        return f"{self._head}.{value.microsecond:06d}+00:00"


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
    return TextHasher(drill_id)(
        seq=seq,
        type_name=type_name,
        recorded_at_text=format_recorded_at(recorded_at),
        payload_text=payload_text,
        key=key,
        duplicate_of=duplicate_of,
        prev_hash=prev_hash,
    )


class TextHasher:
    """`event_hash_of_text` for the events of one drill, appended one after another.

    What is the same for every event (the drill id, each type name) is encoded once,
    and the time comes as `format_recorded_at` wrote it (the store writes its own
    column from the same text): the document is the same, byte for byte.
    """

    __slots__ = ("_start", "_types")

    def __init__(self, drill_id: str) -> None:
        self._start = f'{{"drill_id":{_CANONICAL.encode(drill_id)},"duplicate_of":'
        self._types: dict[str, str] = {}

    def __call__(
        self,
        *,
        seq: int,
        type_name: str,
        recorded_at_text: str,
        payload_text: str,
        key: str | None,
        duplicate_of: int | None,
        prev_hash: str,
    ) -> str:
        # `encode` of a str is `encode_basestring` (its C function, as `ensure_ascii` is
        # off), of None "null", of an int its repr: called directly, since encode()
        # goes through the encoder's Python machinery for anything but a str.
        text = encode_basestring
        type_json = self._types.get(type_name)
        if type_json is None:
            type_json = self._types[type_name] = _CANONICAL.encode(type_name)
        if duplicate_of is None:
            dup_json = "null"
        elif type(duplicate_of) is int:
            dup_json = int.__repr__(duplicate_of)
        else:
            dup_json = _CANONICAL.encode(duplicate_of)
        seq_json = int.__repr__(seq) if type(seq) is int else _CANONICAL.encode(seq)
        key_json = (
            "null" if key is None else text(key) if isinstance(key, str) else _CANONICAL.encode(key)
        )
        prev_json = text(prev_hash) if isinstance(prev_hash, str) else _CANONICAL.encode(prev_hash)
        document = (
            f"{self._start}{dup_json},"
            f'"key":{key_json},"payload":{payload_text},"prev_hash":{prev_json},'
            f'"recorded_at":{text(recorded_at_text)},"seq":{seq_json},"type":{type_json}}}'
        )
        return hashlib.sha256(document.encode("utf-8")).hexdigest()

    def of_utf8(
        self,
        seq: int,
        type_name: str,
        recorded_at_text: str,
        payload_utf8: bytes,
        key: str | None,
        duplicate_of: int | None,
        prev_hash: str,
    ) -> str:
        """`self(...)` of a payload given as its canonical text's UTF-8 bytes.

        The store hashes each new row with it: the document goes to SHA-256 in three
        pieces, the payload's bytes as they are, instead of being joined into one text
        and encoded again (payload included), which was a third of the writer's time per
        row. The same bytes in the same order make the same digest. Values of other
        types than those annotated go through `self(...)`.
        """
        if not (
            type(seq) is int
            and (key is None or type(key) is str)
            and (duplicate_of is None or type(duplicate_of) is int)
            and type(prev_hash) is str
            and type(recorded_at_text) is str
        ):
            return self(
                seq=seq,
                type_name=type_name,
                recorded_at_text=recorded_at_text,
                payload_text=payload_utf8.decode("utf-8"),
                key=key,
                duplicate_of=duplicate_of,
                prev_hash=prev_hash,
            )
        text = encode_basestring
        type_json = self._types.get(type_name)
        if type_json is None:
            type_json = self._types[type_name] = _CANONICAL.encode(type_name)
        dup_json = "null" if duplicate_of is None else int.__repr__(duplicate_of)
        key_json = "null" if key is None else text(key)
        digest = hashlib.sha256(f'{self._start}{dup_json},"key":{key_json},"payload":'.encode())
        digest.update(payload_utf8)
        digest.update(
            f',"prev_hash":{text(prev_hash)},"recorded_at":{text(recorded_at_text)},'
            f'"seq":{int.__repr__(seq)},"type":{type_json}}}'.encode()
        )
        return digest.hexdigest()


class ChainRow(NamedTuple):
    """An event row as the database holds it, read for verification.

    The fields are typed as they should be, but `verify_rows` trusts none of them: a
    tampered database can hold text in `seq`, a date that does not parse, bytes in
    `payload_text`. `recorded_at` is a datetime (PostgreSQL) or SQLite's text. A tuple,
    so that the database's own rows (in this column order) can be verified as they come.
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


def verify_rows(
    drill_id: str,
    rows: Sequence[Sequence[Any]],
    parsed: list[tuple[dt.datetime, dict[str, Any]]] | None = None,
) -> VerifyResult:
    """Recompute the chain of `rows` (`ChainRow`s, or rows in its column order, in seq
    order) and report the first broken event.

    Never raises for what a row holds: a value of the wrong kind, a date that does not
    parse or a payload that is not JSON is named as that event's problem. `parsed`, when
    given, receives the recorded_at (UTC) and payload of each row found sound, in order,
    so that a caller that also rebuilds the events (a report) reads each row once.
    """
    check = ChainCheck(drill_id)
    check.feed(rows, parsed)
    return check.result()


class ChainCheck:
    """`verify_rows` for a drill read in parts: `feed` each part in seq order, then
    `result`. After the first broken event the rest are only counted.

    With `parse=False` a payload is parsed only where the row's hash does not match its
    stored text: the chain is checked, but a row hashed over text that is not a JSON
    object is not found. Only for a reader that knows the head its own writer stored
    (`EventStore.verify_chain`): a chain ending there holds exactly what it wrote.
    """

    def __init__(self, drill_id: str, *, parse: bool = True) -> None:
        self._drill_id = drill_id
        self._parse = parse
        self._count = 0
        self._head: str | None = None
        self._problem: tuple[int, str] | None = None
        self._prev_hash = GENESIS
        self._originals: dict[str, int] = {}

    @property
    def sound(self) -> bool:
        """No broken event so far: the next row fed is checked."""
        return self._problem is None

    def result(self) -> VerifyResult:
        if self._count == 0:
            return VerifyResult(False, 0, None, 1, "the drill has no events: event 1 is missing")
        if self._problem is not None:
            return VerifyResult(False, self._count, self._head, *self._problem)
        return VerifyResult(True, self._count, self._head, None, None)

    def feed(
        self,
        rows: Sequence[Sequence[Any]],
        parsed: list[tuple[dt.datetime, dict[str, Any]]] | None = None,
    ) -> None:
        """Check `rows`, the next ones of the drill; `parsed` as in `verify_rows`."""
        if not rows:
            return
        self._count += len(rows)
        last = rows[-1][7]
        self._head = last if isinstance(last, str) else None
        if self._problem is None:
            self._problem = self._check(rows, parsed)

    def _check(
        self,
        rows: Sequence[Sequence[Any]],
        parsed: list[tuple[dt.datetime, dict[str, Any]]] | None,
    ) -> tuple[int, str] | None:
        """The first broken event of `rows` and what is wrong with it, or None."""
        drill_id, originals, parse = self._drill_id, self._originals, self._parse
        opening = '{"drill_id":' + _string(drill_id) + ',"duplicate_of":'
        sha256 = hashlib.sha256
        prev_hash = self._prev_hash
        expected = self._count - len(rows) + 1
        for row in rows:
            seq, type_name, stored_at, text, key, duplicate_of, stored_prev, digest = row
            if not (  # the usual row, checked quickly; `_malformed` says what is wrong
                type(seq) is int
                and type(type_name) is str
                and type(text) is str
                and (key is None or type(key) is str)
                and (duplicate_of is None or type(duplicate_of) is int)
                and type(stored_prev) is str
                and type(digest) is str
            ):
                malformed = _malformed(ChainRow(*row))
                if malformed is not None:
                    where = seq if _is_int(seq) else expected
                    return (where, f"event {where} {malformed}")
            if seq != expected:
                if seq > expected:
                    missing = (
                        f"event {expected} is missing"
                        if seq == expected + 1
                        else f"events {expected}-{seq - 1} are missing"
                    )
                    return (expected, f"{missing} (the next stored event is {seq})")
                return (seq, f"event {seq} appears out of order after {expected - 1}")
            recorded_at = stored_time(stored_at)
            if recorded_at is None:
                return (
                    seq,
                    f"event {seq} ({type_name}) has a recorded_at that is not a time: "
                    f"{str(stored_at)[:60]!r}",
                )
            payload: Any = None
            if parse:
                payload = _payload(seq, type_name, text)
                if type(payload) is tuple:
                    return payload
            if stored_prev != prev_hash:
                return (
                    seq,
                    f"event {seq} ({type_name}) does not follow event {seq - 1}: "
                    "its prev_hash differs from that event's hash (an earlier event was "
                    "changed, removed or inserted)",
                )
            # The store writes each payload as its canonical JSON, so the hashed document can
            # be spliced from the stored text without encoding the payload again (most of the
            # cost of a verify). A match proves the row holds what was hashed; a payload kept
            # in another spelling of the same value (another writer, a native JSON column)
            # falls back to encoding the value, which is what the hash is defined over.
            # `_spliced_document`, written out: this line runs 10^5 times a large drill.
            if type(stored_at) is str and len(stored_at) == 26 and stored_at[10] == " ":
                hashed_time = f"{stored_at[:10]}T{stored_at[11:]}+00:00"
            else:
                hashed_time = format_recorded_at(recorded_at)
            spliced = (
                f"{opening}{'null' if duplicate_of is None else duplicate_of}"
                f',"key":{"null" if key is None else _string(key)},"payload":{text}'
                f',"prev_hash":{_string(prev_hash)},"recorded_at":"{hashed_time}"'
                f',"seq":{seq},"type":{_string(type_name)}}}'
            )
            if sha256(spliced.encode("utf-8")).hexdigest() != digest:
                if not parse:
                    payload = _payload(seq, type_name, text)
                    if type(payload) is tuple:
                        return payload
                try:
                    recomputed = event_hash(
                        drill_id=drill_id,
                        seq=seq,
                        type_name=type_name,
                        recorded_at=recorded_at,
                        payload=payload,
                        key=key,
                        duplicate_of=duplicate_of,
                        prev_hash=prev_hash,
                    )
                except (ValueError, RecursionError) as exc:  # NaN, infinity: never written by us
                    return (seq, f"event {seq} ({type_name}) cannot be hashed: {exc}")
                if recomputed != digest:
                    altered = "its content does not match its hash"
                    return (seq, f"event {seq} ({type_name}) was altered: {altered}")
            if key is not None:
                original = originals.get(key)
                if duplicate_of != original:
                    return (
                        seq,
                        f"event {seq} ({type_name}) has key {key!r} but is marked as "
                        f"duplicate of {duplicate_of} where {original} was expected",
                    )
                if original is None:
                    originals[key] = seq
            elif duplicate_of is not None:
                return (seq, f"event {seq} ({type_name}) is a duplicate without a key")
            prev_hash = digest
            expected += 1
            if parsed is not None:
                parsed.append((recorded_at, payload))
        self._prev_hash = prev_hash
        return None


def _payload(seq: int, type_name: str, text: str) -> dict[str, Any] | tuple[int, str]:
    """A row's payload, or its seq and what is wrong with it."""
    try:
        payload = load_json(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        return (seq, f"event {seq} ({type_name}) has a payload that is not JSON: {exc}")
    if not isinstance(payload, dict):
        return (seq, f"event {seq} ({type_name}) has a payload that is not a JSON object")
    return payload


_string = json.encoder.encode_basestring  # what canonical_json writes a string with
"""A str as a JSON string literal, non-ASCII as is (`ensure_ascii=False`)."""


def _hashed_time(stored: object, recorded_at: dt.datetime) -> str:
    """`format_recorded_at(recorded_at)`; for SQLite's text ("YYYY-MM-DD HH:MM:SS.ffffff",
    UTC) made from the text itself, which it equals."""
    if type(stored) is str and len(stored) == 26 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}+00:00"
    return format_recorded_at(recorded_at)


def _spliced_document(
    drill_id: str,
    seq: int,
    type_name: str,
    recorded_at: str,
    payload_text: str,
    key: str | None,
    duplicate_of: int | None,
    prev_hash: str,
) -> str:
    """The text `event_hash` hashes, with `payload_text` standing for the payload's
    canonical JSON: keys in sorted order, written as `canonical_json` writes them."""
    return "".join(
        (
            '{"drill_id":',
            _string(drill_id),
            ',"duplicate_of":',
            "null" if duplicate_of is None else str(duplicate_of),
            ',"key":',
            "null" if key is None else _string(key),
            ',"payload":',
            payload_text,
            ',"prev_hash":',
            _string(prev_hash),
            ',"recorded_at":"',
            recorded_at,
            '","seq":',
            str(seq),
            ',"type":',
            _string(type_name),
            "}",
        )
    )


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


def stored_time(value: object) -> dt.datetime | None:
    """recorded_at as stored (a datetime, or SQLite's text) as UTC; None if it is not one."""
    if isinstance(value, str):
        try:  # SQLite's text is UTC without an offset: read with one (faster than after)
            parsed = dt.datetime.fromisoformat(value + "+00:00")
        except ValueError:
            parsed = None  # an offset of its own, or not a time at all
        if parsed is not None and parsed.tzinfo is not None:  # not a bare date
            return parsed
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
