"""Two processes on one SQLite file (the runner and the ack server), and kill -9."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.store import EventStore

APPENDER = Path(__file__).with_name("appender.py")
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


async def _spawn(
    db: Path | str, drill: str, count: int, label: str, *flags: str
) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(APPENDER),
        str(db),
        drill,
        str(count),
        label,
        *flags,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    assert line == b"ready\n"
    return proc


async def test_two_processes_appending_keep_one_gapless_chain(
    db: Path | str, kinds: SimpleNamespace
) -> None:
    count = 150
    async with EventStore.open(db) as store:
        proc = await _spawn(db, "d", count, "other-process", "--keys")
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
        # Under load the other process may start late: begin once its first append is
        # durable, so that the two do write at the same time.
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), timeout=60)

        mine = []
        for n in range(count):
            key = f"k{n}" if n % 2 == 0 else None
            mine.append(await store.append("d", kinds.paged(n, contact="this-process"), key=key))
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0

        records = await store.records("d")
        result = await store.verify("d")

    assert [r.seq for r in records] == list(range(1, 2 * count + 1))
    assert result.ok and result.count == 2 * count
    writers = [r.payload["contact"] for r in records]
    assert Counter(writers) == {"this-process": count, "other-process": count}
    # The two really did write at the same time (otherwise this test proves little).
    assert sum(a != b for a, b in itertools.pairwise(writers)) > 1
    # Each key was sent by both processes: exactly one original, one duplicate of it.
    keyed = [r for r in records if r.key is not None]
    originals = {r.key: r.seq for r in keyed if r.duplicate_of is None}
    assert len(originals) == count // 2 + count % 2
    assert all(r.duplicate_of == originals[r.key] for r in keyed if r.duplicate_of is not None)
    theirs = [line.split() for line in (first + out).decode().splitlines()]
    reported = sum(int(dup) for _, _, dup in theirs) + sum(a.duplicate for a in mine)
    assert reported == len(keyed) - len(originals)


async def test_kill_9_at_random_points_loses_nothing_confirmed_and_no_half_batch(
    db: Path | str,
) -> None:
    # Writers in turn on one drill (as a drill resumed after each crash), each killed at a
    # seeded random moment, often in the middle of a transaction. They start together
    # (and so also race to create and migrate the file); each waits for its turn.
    rng = random.Random(20260401)
    rounds = 10
    batch = 7
    procs = await asyncio.gather(
        *(_spawn(db, "d", 1_000_000, f"round{i}", "--batch", str(batch)) for i in range(rounds))
    )
    confirmed: set[int] = set()
    for proc in procs:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
        for _ in range(rng.randint(0, 4)):
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
            confirmed.add(int(line.split()[1]))
        await asyncio.sleep(rng.uniform(0, 0.02))
        proc.send_signal(signal.SIGKILL)
        await proc.wait()

    async with EventStore.open(db) as store:
        records = await store.records("d")
        result = await store.verify("d")

    assert result.ok, result.problem
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert confirmed <= {r.seq for r in records}
    # append_many is all or none: every batch that made it is whole.
    sizes = Counter(r.payload["contact"] for r in records)
    assert set(sizes.values()) == {batch}
    assert len(sizes) >= len(confirmed)
