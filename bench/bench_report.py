"""Report benchmark: the report of a nationwide 17,000-contact drill in every format.

    .venv/bin/python bench/bench_report.py [--municipalities N] [--per-municipality N]

The drill's events are synthetic but real: a synthetic nationwide plan (1,741
municipalities × 10 roles, under 47 prefectures) run by the engine in virtual time with
simulated people. Then, for `build` and each format, it prints the wall time and the
peak memory the step allocated (tracemalloc, measured in a second run so it does not
slow the timed one). Target: build and the four formats under 3 s together (the product
path, store read and files written, is bench_cli.py's figure). Prints figures, records the
total in bench/results.json; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drill.engine.clock import VirtualClock
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier, SimulatedOperator
from drill.engine.sink import MemorySink, StoredEvent
from drill.engine.synthetic import synthetic_plan
from drill.plan import Plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import record

from drill.report import (
    build,
    render_contacts_csv,
    render_html,
    render_json,
    render_markdown,
)


async def _drill(plan: Plan, seed: int) -> list[StoredEvent]:
    clock = VirtualClock()
    sink = MemorySink()
    runner = DrillRunner(
        plan,
        plan.scenarios[0].id,
        sink=sink,
        notifiers=[SimulatedNotifier(ResponseModel(seed=seed), clock=clock)],
        clock=clock,
        seed=seed,
        drill_id="nationwide",
        simulated_operator=SimulatedOperator(seed=seed),
    )
    await runner.run()
    return list(await sink.read("nationwide"))


def _measure(step: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """(wall seconds, CPU seconds, peak MiB, result): CPU time is the fairer figure on a
    machine shared with other work."""
    started, cpu = time.perf_counter(), time.process_time()
    result = step()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, cpu, peak / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=1741)
    parser.add_argument("--per-municipality", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    plan = synthetic_plan(args.municipalities, args.per_municipality)
    started = time.perf_counter()
    events = asyncio.run(_drill(plan, args.seed))
    print(f"drill: {len(events):,} events simulated in {time.perf_counter() - started:.1f} s")

    seconds, cpu, peak, report = _measure(lambda: build(events, plan))
    print(f"contacts: {report.summary.contacts:,}, acknowledged {report.summary.acknowledged:,}")
    print(f"{'step':<10} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'output':>10}")
    print(f"{'build':<10} {seconds:>8.2f} {cpu:>8.2f} {peak:>9.1f} {'':>10}")
    total, total_cpu = seconds, cpu
    renderers: list[tuple[str, Callable[[], str]]] = [
        ("html", lambda: render_html(report)),
        ("md", lambda: render_markdown(report)),
        ("json", lambda: render_json(report)),
        ("csv", lambda: render_contacts_csv(report)),
    ]
    for name, render in renderers:
        seconds, cpu, peak, text = _measure(render)
        size = len(text.encode("utf-8")) / 2**20
        print(f"{name:<10} {seconds:>8.2f} {cpu:>8.2f} {peak:>9.1f} {size:>8.1f} MiB")
        total += seconds
        total_cpu += cpu
    record(
        "report",
        f"build + html/md/json/csv in memory, {report.summary.contacts:,} contacts",
        total,
        "s",
        3.0,
        note=f"no store, no files; CPU {total_cpu:.2f} s",
    )


if __name__ == "__main__":
    main()
