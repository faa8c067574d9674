"""Event store throughput on this machine: durable appends (synchronous=FULL), reads, verify.

    .venv/bin/python bench/bench_store.py [--events N]

Prints figures; asserts nothing. Uses a fresh SQLite file in a temporary folder (on the
same disk as the system temp dir, which is what fsync cost depends on).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import tempfile
import time
from pathlib import Path

from drill.engine.events import Event, event
from drill.store import EventStore


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


def _rate(label: str, count: int, seconds: float) -> None:
    per_op = seconds / count * 1000
    print(
        f"{label:<44} {count:>7,} in {seconds:6.2f} s  {count / seconds:>10,.0f}/s  ({per_op:.3f} ms each)"
    )


async def main(events: int) -> None:
    with tempfile.TemporaryDirectory(prefix="drillkit-bench-") as tmp:
        path = Path(tmp) / "events.db"
        async with EventStore.open(path) as store:
            print(f"store: {store.where}  settings: {await store.settings()}")

            single = max(200, events // 10)
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
            _rate(
                "append, all callers at once (group commit)", single, time.perf_counter() - started
            )

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
            started = time.perf_counter()
            await store.read(big)
            _rate("read() (rebuilt events)", count, time.perf_counter() - started)
            started = time.perf_counter()
            result = await store.verify(big)
            assert result.ok
            _rate("verify() (hash chain)", count, time.perf_counter() - started)
            started = time.perf_counter()
            listed = await store.drills()
            print(
                f"{'drills()':<44} {len(listed):>7} drills in {time.perf_counter() - started:6.3f} s"
            )
        print(f"file size: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per batched run")
    asyncio.run(main(parser.parse_args().events))
