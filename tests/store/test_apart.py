"""The writer process: large groups of appends committed on another core.

A simulated drill's batches of thousands of events are hashed, inserted and committed by
`python -m drill.store.apart` once it has opened the store; the record is the one the
store's own writer would have made, and a process that ends takes nothing with it but
the group it held.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.errors import StoreError
from drill.store import EventStore
from drill.store.apart import APART_EXPECTED, APART_ROWS, APART_START, cores
from tests.processes import children

pytestmark = pytest.mark.skipif(cores() < 2, reason="the writer process needs a second core")


def writer_processes() -> list[int]:
    """The pids of this process's writer processes."""
    return children(os.getpid(), b"drill.store.apart")


async def ready(store: EventStore) -> None:
    """Wait until the writer process a large group started is ready (within a minute)."""
    async with asyncio.timeout(60):
        while not store.commits_apart:  # noqa: ASYNC110 (a property: nothing to await)
            await asyncio.sleep(0.02)


def group(
    kinds: SimpleNamespace, first: int, *, keys: bool = False
) -> list[tuple[object, str | None]]:
    """APART_START events from `first` on; with `keys`, every tenth keyed by its number/10
    (so a group's keys repeat earlier ones: duplicates)."""
    return [
        (kinds.paged(n), f"k{n // 20}" if keys and n % 10 == 0 else None)
        for n in range(first, first + APART_START)
    ]


async def test_large_groups_are_committed_apart_into_the_same_record(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    assert not store.commits_apart  # nothing large yet: no process
    first = await store.append_many("d1", group(kinds, 0, keys=True))
    await ready(store)
    assert len(writer_processes()) == 1
    apart = await store.append_many("d1", group(kinds, APART_START, keys=True))
    small = await store.append_many("d1", [(kinds.paged(-1), "k0")])  # in this process

    appended = [*first, *apart, *small]
    assert [a.seq for a in appended] == list(range(1, 2 * APART_START + 2))
    stored = await store.read("d1")
    assert [s.event for s in stored] == [
        e for e, _ in group(kinds, 0) + group(kinds, APART_START)
    ] + [kinds.paged(-1)]
    # Keys recorded by either writer are known to the other: each repeat is a duplicate.
    originals: dict[str, int] = {}
    for s, a in zip(stored, appended, strict=True):
        assert s.duplicate == a.duplicate == (s.key is not None and s.key in originals)
        if s.key is not None:
            originals.setdefault(s.key, s.seq)
    assert sum(a.duplicate for a in apart) > 0
    verified = await store.verify("d1")
    assert verified.ok and verified.count == 2 * APART_START + 1
    assert verified.head_hash == small[-1].hash
    await store.close()
    assert writer_processes() == []


@pytest.mark.sqlite_only
async def test_a_writer_process_that_ended_fails_its_group_and_the_store_goes_on(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    await store.append_many("d1", group(kinds, 0))
    await ready(store)
    (pid,) = writer_processes()
    os.kill(pid, signal.SIGKILL)

    with pytest.raises(StoreError, match="writer process ended"):
        await store.append_many("d1", group(kinds, APART_START))
    assert not store.commits_apart
    # Committed here from now on, after what was stored: the chain is whole.
    after = await store.append_many("d1", group(kinds, 2 * APART_START))
    assert after[0].seq == APART_START + 1
    verified = await store.verify("d1")
    assert verified.ok and verified.count == 2 * APART_START


@pytest.mark.sqlite_only
async def test_a_store_closed_before_its_writer_process_is_ready_does_not_wait_for_it(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    await store.append_many("d1", group(kinds, 0))
    assert len(writer_processes()) == 1  # started by the large group, still starting
    await store.close()
    assert writer_processes() == []
    async with EventStore.open(store.url) as again:
        assert (await again.verify("d1")).count == APART_START


@pytest.mark.sqlite_only
async def test_a_store_with_its_own_clock_commits_everything_itself(
    db_path: Path, kinds: SimpleNamespace
) -> None:
    # The process would stamp recorded_at with the wall clock, not the store's.
    async with EventStore.open(db_path, clock=lambda: kinds.T0) as store:
        await store.append_many("d1", group(kinds, 0))
        await store.append_many("d1", group(kinds, APART_START))
        assert writer_processes() == []
        assert not store.commits_apart


@pytest.mark.sqlite_only
async def test_a_drill_expecting_many_appends_has_the_writer_process_ready_for_its_first_groups(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    store.expect_appends(APART_EXPECTED - 1)
    assert writer_processes() == []
    store.expect_appends(APART_EXPECTED)  # a simulated drill of 8,000 contacts or more
    await ready(store)
    # Groups from APART_ROWS on go to the ready process, smaller ones are committed here:
    # one chain either way.
    smaller = [(kinds.paged(n), None) for n in range(APART_ROWS - 1)]
    await store.append_many("d1", smaller)
    apart = [(kinds.paged(n), None) for n in range(APART_ROWS)]
    await store.append_many("d1", apart)
    verified = await store.verify("d1")
    assert verified.ok and verified.count == 2 * APART_ROWS - 1


@pytest.mark.sqlite_only
async def test_a_drill_that_has_ended_lets_the_writer_process_go_while_the_store_stays_open(
    store: EventStore, kinds: SimpleNamespace
) -> None:
    """Its report is then written while the process ends; the store commits what comes
    itself, and the next large drill has a process of its own."""
    store.expect_appends(APART_EXPECTED)
    await ready(store)
    (first,) = writer_processes()
    await store.append_many("d1", group(kinds, 0))
    store.expect_appends(0)  # the drill has ended
    assert not store.commits_apart
    async with asyncio.timeout(60):
        while writer_processes():  # noqa: ASYNC110 (another process: nothing to await)
            await asyncio.sleep(0.02)
    late = await store.append_many("d1", [(kinds.paged(-1), None)])  # a late answer
    assert late[0].seq == APART_START + 1
    store.expect_appends(APART_EXPECTED)  # the next drill
    await ready(store)
    assert writer_processes() not in ([], [first])
    await store.append_many("d2", group(kinds, 0))
    for drill, count in (("d1", APART_START + 1), ("d2", APART_START)):
        verified = await store.verify(drill)
        assert verified.ok and verified.count == count
    await store.close()
    assert writer_processes() == []
