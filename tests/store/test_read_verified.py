"""One read for a report: `read_verified` hands over every row and event in seq order, a
part at a time, and finds in the hash chain exactly what `verify` finds."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from types import SimpleNamespace
from typing import Any

import pytest

from drill.engine.events import EVENT_TYPES
from drill.engine.sink import StoredEvent
from drill.errors import StoreError
from drill.store import EventStore, UnknownEvent
from drill.store.records import EventRecord

_TRICKY = ['引用 "符" と \\ と\n改行', "tab\tand\u2028line sep", "😀 astral", "a,b:c{d}[e]"]


async def _drill(store: EventStore, kinds: SimpleNamespace) -> None:
    for i in range(1, 8):
        contact = _TRICKY[i % len(_TRICKY)]
        await store.append("d", kinds.paged(i, contact=contact), key="cb" if i in (3, 5) else None)
    await store.append("other", kinds.paged(1))


async def _read(store: EventStore, part: int) -> tuple[list[tuple[EventRecord, StoredEvent]], Any]:
    taken: list[tuple[EventRecord, StoredEvent]] = []
    result = await store.read_verified("d", lambda r, e: taken.append((r, e)), part=part)
    return taken, result


@pytest.mark.parametrize("part", [1, 3, 7, 5000])
async def test_every_row_and_event_in_order_whatever_the_part_size(
    store: EventStore, kinds: SimpleNamespace, part: int
) -> None:
    await _drill(store, kinds)

    taken, result = await _read(store, part)

    assert [r for r, _ in taken] == await store.records("d")
    assert [e for _, e in taken] == await store.read("d")
    assert result == await store.verify("d")
    assert result.ok and result.count == 7
    assert [e.duplicate for _, e in taken] == [False] * 4 + [True] + [False] * 2
    assert taken[1][1].event.contact == _TRICKY[2]  # type: ignore[attr-defined]


async def test_a_payload_spelled_differently_with_the_same_value_still_verifies(
    store: EventStore, kinds: SimpleNamespace, raw: Any
) -> None:
    """The chain covers the payload's value, not its spelling (a database may keep JSON
    natively): spaces and key order changed, nothing else, is not tampering."""
    await _drill(store, kinds)
    record = (await store.records("d"))[1]
    respelled = json.dumps(dict(reversed(list(record.payload.items()))), ensure_ascii=False)
    assert respelled != json.dumps(record.payload, separators=(",", ":"), ensure_ascii=False)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET payload = ? WHERE drill_id = 'd' AND seq = 2", (respelled,))

    taken, result = await _read(store, 3)

    assert result.ok and result == await store.verify("d")
    assert taken[1][0].payload == record.payload


async def test_a_broken_chain_is_named_as_verify_names_it_and_every_event_still_comes(
    store: EventStore, kinds: SimpleNamespace, raw: Any
) -> None:
    await _drill(store, kinds)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET payload = replace(payload, '\"n\":4', '\"n\":40') WHERE seq = 4")

    taken, result = await _read(store, 2)

    assert result == await store.verify("d")
    assert (result.ok, result.first_bad_seq, result.count) == (False, 4, 7)
    assert result.problem is not None and "event 4 (StoreTestPaged) was altered" in result.problem
    assert [e.event.n for _, e in taken] == [1, 2, 3, 40, 5, 6, 7]  # type: ignore[attr-defined]


@pytest.mark.sqlite_only
async def test_a_damaged_row_after_the_break_is_a_clear_error(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection
) -> None:
    await _drill(store, kinds)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET payload = '{broken' WHERE drill_id = 'd' AND seq = 6")

    damaged = r"Event 6 of drill d .* damaged \(its payload is not JSON\).*drillkit verify d"
    with pytest.raises(StoreError, match=damaged):
        await _read(store, 4)
    assert (await store.verify("d")).first_bad_seq == 6


@pytest.mark.sqlite_only
@pytest.mark.parametrize("damage", ["payload = '{broken'", "recorded_at = 'soon'"])
async def test_read_and_read_parts_refuse_a_damaged_row_and_name_it(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection, damage: str
) -> None:
    """The usual rows are parsed and rebuilt in one pass: one damaged among them is still a
    StoreError naming it, whichever way the drill is read."""
    await _drill(store, kinds)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute(f"UPDATE events SET {damage} WHERE drill_id = 'd' AND seq = 4")

    with pytest.raises(StoreError, match=r"Event 4 of drill d .* damaged"):
        await store.read("d")
    with pytest.raises(StoreError, match=r"Event 4 of drill d .* damaged"):
        await store.read_parts("d", lambda e: None, part=3)


async def test_an_unknown_type_among_usual_rows_is_kept_and_the_rest_rebuilt(
    store: EventStore, kinds: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _drill(store, kinds)
    await store.append("d", kinds.Acknowledged(at=kinds.T0, elapsed=5.0, who="佐藤"))
    await store.append("d", kinds.paged(8))
    monkeypatch.delitem(EVENT_TYPES, "StoreTestAcknowledged")

    stored = await store.read("d")
    parts: list[StoredEvent] = []
    await store.read_parts("d", parts.append, part=4)

    assert stored == parts
    assert [s.seq for s in stored] == list(range(1, 10))
    assert isinstance(stored[7].event, UnknownEvent)
    assert stored[8].event == kinds.paged(8)
    assert [s.event for s in stored[:7]] == [
        kinds.paged(i, contact=_TRICKY[i % len(_TRICKY)]) for i in range(1, 8)
    ]


async def test_a_drill_that_is_not_there_reads_as_empty(store: EventStore) -> None:
    taken: list[object] = []
    result = await store.read_verified("nope", lambda r, e: taken.append(e))
    assert taken == [] and not result.ok and result.count == 0


@pytest.mark.parametrize("part", [1, 3, 5000])
async def test_the_events_alone_are_the_events_read_verified_hands_over(
    store: EventStore, kinds: SimpleNamespace, raw: Any, part: int
) -> None:
    await _drill(store, kinds)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET payload = replace(payload, '\"n\":4', '\"n\":40') WHERE seq = 4")
    raw.execute("UPDATE events SET type = 'FromTheFuture' WHERE drill_id = 'd' AND seq = 6")
    taken, result = await _read(store, part)
    events: list[StoredEvent] = []

    alone = await store.read_events_verified("d", events.append, part=part)

    assert alone == result and not alone.ok
    assert events == [e for _, e in taken] == await store.read("d")
    assert type(events[5].event).__name__ == "UnknownEvent"


@pytest.mark.parametrize("part", [1, 3, 5000])
async def test_the_chain_alone_finds_what_verify_finds_and_ends_at_the_head_appends_gave(
    store: EventStore, kinds: SimpleNamespace, part: int
) -> None:
    """What a run's end compares with the head its appends returned (`verify_chain`)."""
    await _drill(store, kinds)
    last = await store.append("d", kinds.paged(8))

    chain = await store.verify_chain("d", part=part)

    assert chain == await store.verify("d")
    assert chain.ok and (chain.count, chain.head_hash) == (last.seq, last.hash) == (8, last.hash)
    assert last.hash == await store.hash_at("d", 8)
    assert await store.head("d") == (8, last.hash)
    assert await store.head("other") == (1, await store.hash_at("other", 1))
    assert await store.head("none") is None


@pytest.mark.parametrize("part", [1, 3, 5000])
async def test_the_chain_followed_while_a_drill_is_written_is_the_chain_checked_after(
    store: EventStore, kinds: SimpleNamespace, part: int
) -> None:
    """A large run's chain is checked while the run stores it (`verify_chain(more=...)`):
    asked each time the stored rows run out, `more` lets the drill go on, and ends the
    check once told where the drill ends."""
    await _drill(store, kinds)
    asked: list[int] = []

    async def more(read_to: int) -> bool:
        asked.append(read_to)
        if len(asked) <= 2:  # the run goes on: three more events each time
            for i in range(3):
                await store.append("d", kinds.paged(10 * len(asked) + i))
            return True
        return False

    followed = await store.verify_chain("d", part=part, more=more)

    assert asked[:3] == [7, 10, 13]
    assert followed == await store.verify_chain("d") == await store.verify("d")
    assert followed.ok and followed.count == 13


@pytest.mark.parametrize("part", [2, 5000])
async def test_the_chain_alone_names_an_altered_event_as_verify_does(
    store: EventStore, kinds: SimpleNamespace, raw: Any, part: int
) -> None:
    await _drill(store, kinds)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET payload = replace(payload, '\"n\":4', '\"n\":40') WHERE seq = 4")

    chain = await store.verify_chain("d", part=part)

    assert chain == await store.verify("d")
    assert (chain.ok, chain.first_bad_seq, chain.count) == (False, 4, 7)


@pytest.mark.sqlite_only
async def test_the_chain_alone_does_not_read_a_payload_whose_hash_matches(
    store: EventStore, kinds: SimpleNamespace, raw: sqlite3.Connection
) -> None:
    """The one difference, as documented: text that is not JSON, hashed as it is stored
    (no writer of ours makes it), passes the chain's check and not `verify`. A run's end
    relies on the chain only when it ends at the head that run wrote."""
    await _drill(store, kinds)
    rows = await store.records("d")
    raw.execute("DROP TRIGGER events_no_update")
    text = "{not json"
    stored_at = raw.execute(
        "SELECT recorded_at FROM events WHERE drill_id = 'd' AND seq = 7"
    ).fetchone()[0]
    # The last event's hash, recomputed over the forged text as the store splices it.
    document = (
        '{"drill_id":"d","duplicate_of":null,"key":null,"payload":'
        + text
        + ',"prev_hash":"'
        + rows[5].hash
        + '","recorded_at":"'
        + f'{stored_at[:10]}T{stored_at[11:]}+00:00","seq":7,"type":"StoreTestPaged"}}'
    )
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    raw.execute(
        "UPDATE events SET payload = ?, hash = ? WHERE drill_id = 'd' AND seq = 7", (text, digest)
    )

    chain = await store.verify_chain("d")
    full = await store.verify("d")

    assert chain.ok and chain.head_hash == digest
    assert not full.ok and full.first_bad_seq == 7 and "not JSON" in (full.problem or "")


@pytest.mark.parametrize("part", [1, 3, 5000])
async def test_events_read_a_part_at_a_time_are_the_events_read_whole(
    store: EventStore, kinds: SimpleNamespace, part: int
) -> None:
    await _drill(store, kinds)
    events: list[StoredEvent] = []

    count = await store.read_parts("d", events.append, part=part)

    assert events == await store.read("d") and count == 7
    assert await store.read_parts("nope", events.append) == 0
