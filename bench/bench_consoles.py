"""Benchmark of live consoles on SQLite on disk: how soon a follower sees an event, and
how long a console's request to the owning engine takes to be applied and answered.

Two `EventStore`s on one temp file stand for two processes. (1) The engine's store
appends an event every 50 ms; a `DrillFollower` on the other store follows, and each
event's delay from its commit to the follower's fold is measured. (2) A console asks
the owning engine's `OperatorDesk` to add a note, N times; the round trip (request
written, applied by the runner, event committed, answer written and read) is measured.
Target: both well under 1 s at p99.

Prints figures; asserts nothing. Bounded: about fifteen seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from drill.engine.clock import VirtualClock
from drill.engine.events import NoteAdded
from drill.engine.lease import wall_now
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import StoredEvent
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import DrillFollower, ask, operator_desk

EVENTS = 60
REQUESTS = 30


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name}: n={len(ms)} median {statistics.median(ms):.0f} ms, "
        f"p99 {_p(ms, 0.99):.0f} ms, max {max(ms):.0f} ms"
    )


async def main() -> None:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "events.db"
        async with EventStore.open(db) as engine_store, EventStore.open(db) as console:
            runner = DrillRunner(
                plan,
                "stolen-terminal",
                sink=engine_store,
                notifiers=[SimulatedNotifier(ResponseModel(seed=7))],
                clock=VirtualClock(),
                operator="bench",
                simulated=True,
            )
            await runner.run_until(1)
            follower = DrillFollower(console, runner.drill_id, console=ConsoleIdentity.here("b"))
            await follower.catch_up()
            committed: dict[str, float] = {}
            delays: list[float] = []
            all_seen = asyncio.Event()

            def seen(stored: Sequence[StoredEvent]) -> None:
                now = time.monotonic()
                for item in stored:
                    if isinstance(item.event, NoteAdded) and item.event.text in committed:
                        delays.append(now - committed.pop(item.event.text))
                if len(delays) == EVENTS:
                    all_seen.set()

            follower.listeners.append(seen)
            following = asyncio.create_task(follower.follow())
            for n in range(EVENTS):
                text = f"note {n}"
                committed[text] = time.monotonic()
                await runner.add_note(text, by="bench")
                committed[text] = time.monotonic()  # from the commit, not the call
                await asyncio.sleep(0.05)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_seen.wait(), 5)
            follower.stop()
            await following
            print(_line("event committed -> folded by a follower (other store)", delays))

            rounds: list[float] = []
            me = ConsoleIdentity.here("console")
            async with operator_desk(engine_store, runner):
                for n in range(REQUESTS):
                    start = time.monotonic()
                    await ask(console, runner.drill_id, "note", {"text": f"asked {n}"},
                              operator="console", console=me)  # fmt: skip
                    rounds.append(time.monotonic() - start)
            print(_line("console request -> applied by the owner and answered", rounds))
            print(f"(poll interval on SQLite: 200 ms; run at {wall_now():%Y-%m-%d %H:%M} UTC)")
            await follower.close()
            await runner.close()


if __name__ == "__main__":
    asyncio.run(main())
