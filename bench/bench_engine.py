"""Benchmark of the drill engine in virtual time (prints figures; asserts nothing).

The engine alone, in memory: a floor under what `drillkit run --simulate` costs all in
(bench_cli.py measures that, as a user runs it). Each figure is held to the product
target it is a part of (2,000 contacts: 2 s; 17,000 contacts: 10 s and 600 MiB;
acknowledgements: >= 2,000/s, p99 < 20 ms at a steady rate), printed with its ratio and
kept in bench/results.json.

- the annual roll-call drill of the bundled sample plan, simulated: wall time;
- synthetic trees of about 2,000 contacts (a prefecture and its municipalities) and
  17,000 contacts (1,741 municipalities × 10, under 47 prefecture desks): wall time and
  peak memory, with the in-memory sink. Targets: 2,000 under 5 s; 17,000 under 60 s and
  under 1 GiB.
- durable acknowledgements straight into a running drill (real clock, the real event
  store on a temp file, SQLite synchronous=FULL, no HTTP): 1,000 `acknowledge` calls made
  at once, each with its own idempotency key, answered only once its `Acknowledged` event
  is committed: acknowledgements per second, commits, and p50/p99 latency; then the
  latency at a steady 100 per second. Targets: >= 500/s, p99 < 50 ms at 100/s.

Run: .venv/bin/python bench/bench_engine.py [--only sample|2000|17000|ack] [--trace-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable, Sequence
from pathlib import Path

from drill.engine import (
    Appended,
    DrillRunner,
    Event,
    Inbox,
    MemorySink,
    Page,
    RealClock,
    ResponseModel,
    SendResult,
    SimulatedNotifier,
    SimulatedOperator,
    StoredEvent,
    VirtualClock,
)
from drill.engine.events import Acknowledged
from drill.engine.synthetic import PlanBuilder, synthetic_plan
from drill.plan import ChannelKind, Plan, load_plan, sample_plan_dir
from drill.store import EventStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import record

BENCH = "engine"
SEED = 2026


async def simulate(plan: Plan, scenario: str) -> tuple[float, float, int, str]:
    sink = MemorySink()
    runner = DrillRunner(
        plan,
        scenario,
        sink=sink,
        notifiers=[SimulatedNotifier(ResponseModel(seed=SEED))],
        clock=VirtualClock(),
        drill_id="bench",
        simulated_operator=SimulatedOperator(SEED),
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    state = await runner.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    summary = state.summary()
    events = len(await sink.read("bench"))
    line = (
        f"{events:,} events, {summary.contacts:,} contacts, {summary.pages:,} pages, "
        f"{summary.percent_acknowledged:.1f} % acknowledged, "
        f"{summary.duration_seconds / 60:.1f} drill minutes"
    )
    return wall, cpu, events, line


def sample() -> None:
    plan = load_plan(sample_plan_dir()).plan
    wall, cpu, _, line = asyncio.run(simulate(plan, "annual-roll-call"))
    print(f"sample annual roll-call: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU  ({line})")
    record(BENCH, "sample drill in memory", wall, "s", 0.1, note="engine only, no store")


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def synthetic(
    municipalities: int, label: str, target_s: float, trace: bool, rss_target: float | None
) -> None:
    gc.collect()
    build_started = time.perf_counter()
    plan = synthetic_plan(municipalities)
    build = time.perf_counter() - build_started
    rss_plan = max_rss_mib()
    wall, cpu, events, line = asyncio.run(simulate(plan, "nationwide"))
    rss = max_rss_mib()
    print(
        f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU for the drill "
        f"({events / wall:,.0f} events/s); "
        f"plan built in {build:.2f} s; max RSS {rss:.0f} MiB ({rss_plan:.0f} MiB with the plan "
        f"alone)\n    ({line})"
    )
    contacts = line.split(" contacts")[0].split(", ")[-1]
    record(BENCH, f"{contacts} contacts in memory", wall, "s", target_s, note="engine only")
    if rss_target is not None:
        record(BENCH, f"{contacts} contacts in memory: max RSS", rss, "MiB", rss_target)
    if trace:
        # tracemalloc slows Python several times over, so it gets a run of its own.
        gc.collect()
        tracemalloc.start()
        asyncio.run(simulate(plan, "nationwide"))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"    peak traced Python memory of the drill: {peak / 2**20:.0f} MiB")


ACK_PAGES = 50


class AcceptEverything:
    """Accepts every page and keeps it; nobody answers (the benchmark does)."""

    kinds = frozenset(ChannelKind)
    local = True  # nobody is paged

    def __init__(self, expect: int) -> None:
        self.pages: list[Page] = []
        self.expect = expect
        self.all_sent = asyncio.Event()

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, page: Page) -> SendResult:
        self.pages.append(page)
        if len(self.pages) >= self.expect:
            self.all_sent.set()
        return SendResult.ok(f"bench-{len(self.pages)}")

    async def close(self) -> None:
        return None


class CountingStore:
    """The event store, counting the transactions the runner asks for."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.calls = 0

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        self.calls += 1
        return await self.store.append(drill_id, event, key)

    async def append_many(
        self, drill_id: str, items: Iterable[tuple[Event, str | None]]
    ) -> Sequence[Appended]:
        self.calls += 1
        return await self.store.append_many(drill_id, items)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.store.read(drill_id)


def ack_plan() -> Plan:
    """One parallel level of 50 roles (all required), then a level of one."""
    b = PlanBuilder()
    roles = []
    for n in range(ACK_PAGES):
        roles.append(b.role(f"r{n:02d}", b.person(f"p{n:02d}", voice=0, sms=0)))
    b.level("t", "first", roles, timeout=60, channels=("email",))
    b.level("t", "second", [b.role("last", b.person("last", voice=0, sms=0))], channels=("email",))
    return b.build()


async def bench_ack(acks: int, steady_rate: float, steady_seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with EventStore.open(Path(tmp) / "events.db") as store:
            sink = CountingStore(store)
            notifier = AcceptEverything(ACK_PAGES)
            runner = DrillRunner(
                ack_plan(),
                "drill",
                sink=sink,
                notifiers=[notifier],
                clock=RealClock(),
                drill_id="bench-ack",
            )
            driving = asyncio.ensure_future(runner.run(finish_when_idle=False))
            await asyncio.wait_for(notifier.all_sent.wait(), 60)
            page_ids = [page.page_id for page in notifier.pages]
            serial = [0]

            async def ack() -> float:
                serial[0] += 1
                n = serial[0]
                started = time.perf_counter()
                await runner.acknowledge(
                    page_ids[n % len(page_ids)], source="email", key=f"link:{n}"
                )
                return time.perf_counter() - started

            for _ in range(20):  # warm up
                await ack()
            calls_before = sink.calls
            cpu_started = time.process_time()
            started = time.perf_counter()
            latencies = await asyncio.gather(*(ack() for _ in range(acks)))
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            commits = sink.calls - calls_before
            ms = [value * 1000 for value in latencies]
            print(
                f"runner -> store, {acks:,} acknowledge() at once: {acks / wall:,.0f} "
                f"acknowledgements/s ({wall:.2f} s wall, {cpu / acks * 1000:.2f} ms CPU each, "
                f"{commits:,} appends to the store); p50 {statistics.median(ms):.0f} ms, "
                f"p99 {percentile(ms, 0.99):.0f} ms"
            )
            record(BENCH, f"runner -> store acks/s, {acks:,} at once", acks / wall, "/s", 2000.0,
                   higher_is_better=True, note="no HTTP")  # fmt: skip
            tasks = []
            begin = time.perf_counter()
            for n in range(int(steady_rate * steady_seconds)):
                delay = begin + n / steady_rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.ensure_future(ack()))
            ms = [value * 1000 for value in await asyncio.gather(*tasks)]
            record(BENCH, f"runner -> store ack p99 at {steady_rate:g}/s", percentile(ms, 0.99),
                   "ms", 20.0, note=f"p50 {statistics.median(ms):.1f} ms, no HTTP")  # fmt: skip
            driving.cancel()
            await asyncio.gather(driving, return_exceptions=True)
            await runner.close()
            stored = await store.read("bench-ack")
            acks = sum(1 for item in stored if isinstance(item.event, Acknowledged))
            second = sum(1 for p in notifier.pages if p.person_id == "last")
            print(
                f"  {acks:,} Acknowledged events stored; the next level paged: {second == 1}; "
                + "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
            )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sample", "2000", "17000", "ack"])
    parser.add_argument(
        "--trace-memory", action="store_true", help="also measure peak Python memory (slow)"
    )
    parser.add_argument("--small", type=int, default=200, help="municipalities, smaller drill")
    parser.add_argument("--large", type=int, default=1741, help="municipalities, larger drill")
    parser.add_argument("--acks", type=int, default=1000, help="acknowledge() calls at once")
    parser.add_argument("--rate", type=float, default=500, help="steady acknowledgements/s")
    parser.add_argument("--seconds", type=float, default=3, help="seconds at the steady rate")
    args = parser.parse_args(argv)
    only, trace = args.only, args.trace_memory
    if only in (None, "sample"):
        sample()
    # Smallest first: max RSS only grows, so each figure is that run's own peak.
    if only in (None, "2000"):
        synthetic(args.small, f"{args.small} municipalities × 10 + 47 desks", 2, trace, None)
    if only in (None, "17000"):
        synthetic(args.large, f"{args.large} municipalities × 10 + 47 desks", 10, trace, 600)
    if only in (None, "ack"):
        asyncio.run(bench_ack(args.acks, args.rate, args.seconds))


if __name__ == "__main__":
    main(sys.argv[1:])
