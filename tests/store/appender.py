"""A second process for the store tests (run as a script, not collected by pytest).

    python appender.py DB DRILL COUNT LABEL [--keys] [--batch N]

Opens the store, prints "ready", waits for a line on stdin, then appends COUNT events
(one by one, or with --batch in append_many batches of N whose events carry the batch's
name), printing "seq N D" after each append returns, i.e. once it is durable.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import sys

from drill.engine.events import Event, event
from drill.store import EventStore


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class StoreTestPaged(Event):
    """Same shape as the one in conftest.py."""

    n: int
    contact: str = ""
    channels: tuple[str, ...] = ()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("drill")
    parser.add_argument("count", type=int)
    parser.add_argument("label")
    parser.add_argument("--keys", action="store_true")
    parser.add_argument("--batch", type=int, default=0)
    args = parser.parse_args()
    async with EventStore.open(args.db) as store:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        if args.batch:
            for b in range(args.count // args.batch):
                name = f"{args.label}-{b}"
                batch = [
                    (
                        StoreTestPaged(at=dt.datetime.now(dt.UTC), elapsed=0.0, n=i, contact=name),
                        None,
                    )
                    for i in range(args.batch)
                ]
                results = await store.append_many(args.drill, batch)
                print(f"seq {results[-1].seq} 0", flush=True)
            return
        for n in range(args.count):
            item = StoreTestPaged(
                at=dt.datetime.now(dt.UTC), elapsed=float(n), n=n, contact=args.label
            )
            key = f"k{n}" if args.keys and n % 2 == 0 else None
            appended = await store.append(args.drill, item, key=key)
            print(f"seq {appended.seq} {int(appended.duplicate)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
