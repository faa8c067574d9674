"""Benchmark of the drill engine in virtual time (prints figures; asserts nothing).

- the annual roll-call drill of the bundled sample plan, simulated: wall time;
- synthetic trees of about 2,000 contacts (a prefecture and its municipalities) and
  17,000 contacts (1,741 municipalities × 10, under 47 prefecture desks): wall time and
  peak memory, with the in-memory sink. Targets: 2,000 under 5 s; 17,000 under 60 s and
  under 1 GiB.

Run: .venv/bin/python bench/bench_engine.py [--only sample|2000|17000] [--trace-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import time
import tracemalloc

from drill.engine import (
    DrillRunner,
    MemorySink,
    ResponseModel,
    SimulatedNotifier,
    SimulatedOperator,
    VirtualClock,
)
from drill.engine.synthetic import synthetic_plan
from drill.plan import Plan, load_plan, sample_plan_dir

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


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def synthetic(municipalities: int, label: str, target_s: float, trace: bool) -> None:
    gc.collect()
    build_started = time.perf_counter()
    plan = synthetic_plan(municipalities)
    build = time.perf_counter() - build_started
    rss_plan = max_rss_mib()
    wall, cpu, events, line = asyncio.run(simulate(plan, "nationwide"))
    rss = max_rss_mib()
    verdict = "ok" if wall < target_s and rss < 1024 else "MISSED"
    print(
        f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU for the drill "
        f"({events / wall:,.0f} events/s); "
        f"plan built in {build:.2f} s; max RSS {rss:.0f} MiB ({rss_plan:.0f} MiB with the plan "
        f"alone); target < {target_s:.0f} s and < 1 GiB: {verdict}\n    ({line})"
    )
    if trace:
        # tracemalloc slows Python several times over, so it gets a run of its own.
        gc.collect()
        tracemalloc.start()
        asyncio.run(simulate(plan, "nationwide"))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"    peak traced Python memory of the drill: {peak / 2**20:.0f} MiB")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sample", "2000", "17000"])
    parser.add_argument(
        "--trace-memory", action="store_true", help="also measure peak Python memory (slow)"
    )
    args = parser.parse_args(argv)
    only, trace = args.only, args.trace_memory
    if only in (None, "sample"):
        sample()
    # Smallest first: max RSS only grows, so each figure is that run's own peak.
    if only in (None, "2000"):
        synthetic(200, "~2,000 contacts (200 municipalities × 10 + 47 desks)", 5, trace)
    if only in (None, "17000"):
        synthetic(1741, "~17,000 contacts (1,741 municipalities × 10 + 47 desks)", 60, trace)


if __name__ == "__main__":
    main(sys.argv[1:])
