"""Event store throughput on this machine: durable appends (synchronous=FULL), reads, verify.

    .venv/bin/python bench/bench_store.py [--events N]

Prints figures; asserts nothing. Targets (kept in bench/results.json): concurrent appends
share commits (>= 2,000/s, what a burst of acknowledgements needs), and reading and
verifying a drill fast enough for the report of a 17,000-contact drill (about 90,000
events) to stay under 3 s (each >= 90,000 events/s). Uses a fresh SQLite file in a temporary folder (on the
same disk as the system temp dir, which is what fsync cost depends on). The first line is
the floor for a durable append: plain `sqlite3` doing BEGIN IMMEDIATE / INSERT / COMMIT
with the store's settings. The load average is printed before and after, since on a
shared machine the figures swing with it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from drill.engine.events import Event, event
from drill.store import EventStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import record

BENCH = "store"


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class BenchAcknowledged(Event):
    """Roughly the size of a real acknowledgement event."""

    contact_id: str
    role: str
    channel: str
    attempt: int
    source: str
    note: str | None = None


def _make(n: int) -> BenchAcknowledged:
    return BenchAcknowledged(
        at=dt.datetime.now(dt.UTC),
        elapsed=float(n),
        contact_id=f"nagasaki-{n:05d}",
        role="危機管理課 課長補佐",
        channel="voice",
        attempt=1 + n % 3,
        source="twilio-callback",
        note=None,
    )


async def _median_timed(repeat: int, work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """The median wall time of `repeat` runs of `work`, and the CPU time of that run."""
    timed = []
    for _ in range(max(1, repeat)):
        started, cpu = time.perf_counter(), time.process_time()
        await work()
        timed.append((time.perf_counter() - started, time.process_time() - cpu))
    timed.sort()
    return timed[len(timed) // 2]


def _rate(label: str, count: int, seconds: float) -> None:
    per_op = seconds / count * 1000
    print(
        f"{label:<44} {count:>7,} in {seconds:6.2f} s  {count / seconds:>10,.0f}/s  ({per_op:.3f} ms each)"
    )


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # not available on this platform
        return "load average unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def _raw_sqlite(path: Path, count: int) -> None:
    """The floor: durable single-row transactions with plain sqlite3, same settings."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode = WAL", "synchronous = FULL"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        payload = "x" * 300
        started = time.perf_counter()
        for _ in range(count):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t (payload) VALUES (?)", (payload,))
            connection.execute("COMMIT")
        _rate("raw sqlite3 commit, one at a time (floor)", count, time.perf_counter() - started)
    finally:
        connection.close()


async def _tasks_one_at_a_time(store: EventStore, tasks: int, each: int) -> None:
    """Several tasks, each awaiting its appends one by one (drills running side by side)."""

    async def run(t: int) -> None:
        for n in range(each):
            await store.append(f"task-{t % 4}", _make(n))

    started = time.perf_counter()
    await asyncio.gather(*(run(t) for t in range(tasks)))
    _rate(f"append, {tasks} tasks each one at a time", tasks * each, time.perf_counter() - started)


async def main(events: int, repeat: int) -> None:
    print(_load())
    with tempfile.TemporaryDirectory(prefix="drillkit-bench-") as tmp:
        path = Path(tmp) / "events.db"
        single = max(200, events // 10)
        _raw_sqlite(Path(tmp) / "raw.db", single)
        async with EventStore.open(path) as store:
            print(f"store: {store.where}  settings: {await store.settings()}")

            started = time.perf_counter()
            for n in range(single):
                await store.append("one-at-a-time", _make(n))
            _rate("append, one at a time (durable each)", single, time.perf_counter() - started)

            started = time.perf_counter()
            for n in range(single):
                await store.append("keyed", _make(n), key=f"CA{n:032x}")
            _rate(
                "append with idempotency key, one at a time", single, time.perf_counter() - started
            )

            started = time.perf_counter()
            results = await asyncio.gather(
                *(store.append("gathered", _make(n)) for n in range(single))
            )
            assert len(results) == single
            seconds = time.perf_counter() - started
            _rate("append, all callers at once (group commit)", single, seconds)
            record(BENCH, f"durable appends/s, {single:,} callers at once", single / seconds,
                   "/s", 2000.0, higher_is_better=True)  # fmt: skip
            await _tasks_one_at_a_time(store, 20, max(10, single // 20))

            for size in (10, 100, 1000):
                batches = max(1, events // size)
                started = time.perf_counter()
                for b in range(batches):
                    await store.append_many(
                        f"batched-{size}", [(_make(b * size + i), None) for i in range(size)]
                    )
                _rate(
                    f"append_many, batches of {size}", batches * size, time.perf_counter() - started
                )

            big = f"batched-{100}"
            count = len(await store.records(big))
            started = time.perf_counter()
            await store.records(big)
            _rate("records() (raw rows)", count, time.perf_counter() - started)
            # Each read is a fifth of a second: the median of `repeat` of them, since this
            # machine's speed swings by a fifth from one moment to the next.
            seconds, cpu = await _median_timed(repeat, lambda: store.read(big))
            _rate("read() (rebuilt events)", count, seconds)
            record(BENCH, f"read() events/s, {count:,} events", count / seconds, "/s", 90_000.0,
                   higher_is_better=True, note=f"median of {repeat}; CPU {count / cpu:,.0f}/s")  # fmt: skip
            result = await store.verify(big)
            assert result.ok
            seconds, cpu = await _median_timed(repeat, lambda: store.verify(big))
            _rate("verify() (hash chain)", count, seconds)
            record(BENCH, f"verify() events/s, {count:,} events", count / seconds, "/s",
                   90_000.0, higher_is_better=True,
                   note=f"median of {repeat}; CPU {count / cpu:,.0f}/s")  # fmt: skip
            started = time.perf_counter()
            listed = await store.drills()
            print(
                f"{'drills()':<44} {len(listed):>7} drills in {time.perf_counter() - started:6.3f} s"
            )
        print(f"file size: {path.stat().st_size / 1e6:.1f} MB")
    print(_load())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per batched run")
    parser.add_argument("--repeat", type=int, default=5, help="reads and verifies timed")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.repeat))
