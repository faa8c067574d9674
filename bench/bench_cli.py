"""The product path, as a user runs it: `drillkit` in a child process, plans on disk, the
event store on disk, the report written.

    .venv/bin/python bench/bench_cli.py [--only help,validate,run,report] [--people N] ...

Figures (each printed with its target and ratio, and kept in bench/results.json):
- `drillkit --help`: wall time (median of --repeat runs). Target < 0.25 s.
- `drillkit validate` of a generated plan of --people people (default 35,000, written
  to files by bench/gen_plan.py): < 3 s; and the same for a plan --scale times smaller:
  time(large) / time(small) ≤ 4.5 for --scale 4 (linear, with some slack).
- `drillkit run --simulate` all in (store on disk, report written) of the sample drill
  (< 0.8 s), of a plan of --small-people people (2,052 contacts: < 2 s) and of
  --large-people people (17,452 contacts: < 10 s, peak RSS of the child < 600 MiB).
  Each is the median of several runs on one store, as a municipality's store holds
  its earlier drills: the first run creates the store, the later ones find earlier
  drills for year on year. (This machine's speed swings by a fifth from one run to the
  next, so a single run of a slow figure says little.)
- The report of each run's drill, html, md, json and csv, read back from the store as
  `drillkit report` and the console's report of a past drill do (`write_report` with the
  plan loaded, in a fresh interpreter, from importing the report and opening the store
  to the last file): sample < 0.4 s, 17,452 contacts < 3 s. (The end of `run` itself
  renders the run's own fold once the stored chain proves it the record's: that is
  inside the run's figures.)

A child that runs past --timeout is stopped and recorded at the timeout, as failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_plan import write_plan
from record import record

BENCH = "cli"
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SCENARIO = ROOT / "scenarios" / "annual-roll-call.yaml"
_SCRIPT = Path(sys.executable).parent / "drillkit"
DRILLKIT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "drill"]
"""The console script a user runs, where the venv has it."""


class Child:
    """One finished child process: wall seconds, its own peak RSS, its output."""

    def __init__(
        self, seconds: float, cpu: float, rss_mib: float, stdout: str, timed_out: bool
    ) -> None:
        self.seconds = seconds
        self.cpu = cpu
        """User + system CPU seconds: on a shared machine, less swayed by load than wall."""
        self.rss_mib = rss_mib
        self.stdout = stdout
        self.timed_out = timed_out


def run_child(argv: Sequence[str], env: dict[str, str], timeout: float) -> Child:
    """Run `argv`; wall time from spawn to exit, peak RSS from the kernel's rusage."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        timed_out = False
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0 and not timed_out:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{text[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Child(seconds, cpu, usage.ru_maxrss / 1024, text, timed_out)


def median_child(argv: Sequence[str], env: dict[str, str], timeout: float, n: int) -> Child:
    children = [run_child(argv, env, timeout) for _ in range(max(1, n))]
    middle = statistics.median(c.seconds for c in children)
    return min(children, key=lambda c: abs(c.seconds - middle))


def bench_help(env: dict[str, str], args: argparse.Namespace) -> None:
    child = median_child([*DRILLKIT, "--help"], env, args.timeout, args.repeat)
    note = f"median of {args.repeat}; CPU {child.cpu:.2f} s"
    record(BENCH, "drillkit --help", child.seconds, "s", 0.25, note=note)


def bench_validate(env: dict[str, str], args: argparse.Namespace, work: Path) -> None:
    small_people = max(2, args.people // args.scale)
    large, small = work / "plan-large", work / "plan-small"
    write_plan(args.people, large)
    write_plan(small_people, small)
    timed: dict[Path, Child] = {}
    for plan in (small, large):
        argv = [*DRILLKIT, "validate", str(plan)]
        timed[plan] = median_child(argv, env, args.timeout, args.big_repeat)
    record(
        BENCH,
        f"drillkit validate, {args.people:,}-person plan in files",
        timed[large].seconds,
        "s",
        3.0,
        note="timed out"
        if timed[large].timed_out
        else f"median of {args.big_repeat}; CPU {timed[large].cpu:.2f} s",
    )
    ratio = timed[large].seconds / max(timed[small].seconds, 1e-9)
    bound = "at least: the larger one timed out; " if timed[large].timed_out else ""
    record(
        BENCH,
        f"validate time ratio, {args.scale}x plan ({small_people:,} -> {args.people:,} people)",
        ratio,
        "x",
        4.5 * args.scale / 4,
        note=f"{bound}{timed[small].seconds:.2f} s -> {timed[large].seconds:.2f} s",
    )


def _drill_id(stdout: str) -> str | None:
    for word in stdout.split():
        if word.count("-") == 2 and word[:8].isdigit():
            return word.rstrip(":,")
    return None


_REPORT = """
import asyncio, sys, time
from drill.plan import load_plan
from drill.store import EventStore
# As `drillkit report` of a past drill, its plan loaded and the store's modules imported.
plan = load_plan(sys.argv[3], lint=False).plan
started = time.perf_counter()
from drill.report.files import FORMATS, write_report

async def main() -> int:
    async with EventStore.open(sys.argv[1]) as store:
        written = await write_report(store, sys.argv[2], formats=FORMATS, plan=plan)
    return len(written)

files = asyncio.run(main())
print(f"{time.perf_counter() - started:.6f} {files}")
"""


def bench_run_and_report(env: dict[str, str], args: argparse.Namespace, work: Path) -> None:
    cases: list[tuple[str, Path, float, float | None, float | None, int]] = []
    if "run-sample" in args.only:
        cases.append(("sample drill (24 contacts)", SAMPLE_SCENARIO, 0.8, None, 0.4, args.repeat))
    if "run-small" in args.only:
        plan = work / "plan-run-small"
        write_plan(args.small_people, plan)
        scenario = plan / "scenarios" / "nationwide.yaml"
        cases.append(
            (f"{args.small_people // 2:,} contacts", scenario, 2.0, None, None, args.big_repeat)
        )
    if "run-large" in args.only:
        plan = work / "plan-run-large"
        write_plan(args.large_people, plan)
        scenario = plan / "scenarios" / "nationwide.yaml"
        cases.append(
            (f"{args.large_people // 2:,} contacts", scenario, 10.0, 600.0, 3.0, args.big_repeat)
        )
    for label, scenario, target, rss_target, report_target, repeat in cases:
        db = work / f"events-{len(label)}-{time.monotonic_ns()}.db"
        child_env = {**env, "DRILLKIT_DB": str(db)}
        argv = [*DRILLKIT, "run", str(scenario), "--simulate", "--seed", "7", "-q"]
        child = median_child(argv, child_env, args.timeout, repeat)
        note = (
            f"timed out; CPU {child.cpu:.1f} s"
            if child.timed_out
            else f"all in: store on disk, report written; median of {repeat}; CPU {child.cpu:.2f} s"
        )
        record(BENCH, f"drillkit run --simulate, {label}", child.seconds, "s", target, note=note)
        if rss_target is not None:
            record(BENCH, f"peak RSS of that run, {label}", child.rss_mib, "MiB", rss_target)
        drill_id = _drill_id(child.stdout)
        if report_target is None or drill_id is None or child.timed_out:
            continue
        argv = [sys.executable, "-c", _REPORT, str(db), drill_id, str(scenario.parent.parent)]
        timings = []
        cpu = []
        for _ in range(repeat):
            report = run_child(argv, child_env, args.timeout)
            timings.append(float(report.stdout.split()[0]))
            cpu.append(report.cpu)
        record(
            BENCH,
            f"report html+md+json+csv, {label}",
            statistics.median(timings),
            "s",
            report_target,
            note="read back as `drillkit report` does: store opened, read, verified; 5 files; "
            f"median of {repeat}; CPU of the whole child {statistics.median(cpu):.2f} s",
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--only",
        default="help,validate,run-sample,run-small,run-large",
        help="comma-separated: help, validate, run-sample, run-small, run-large (default: all)",
    )
    parser.add_argument("--people", type=int, default=35_000, help="people of the validate plan")
    parser.add_argument("--scale", type=int, default=4, help="the validate plan vs a smaller one")
    parser.add_argument("--small-people", type=int, default=4_104, help="people, smaller run")
    parser.add_argument("--large-people", type=int, default=34_904, help="people, larger run")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each quick figure")
    parser.add_argument("--big-repeat", type=int, default=3, help="runs of each slow figure")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per child")
    args = parser.parse_args(argv)
    args.only = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="drillkit-bench-"))
    env = {**os.environ, "DRILLKIT_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("DRILLKIT_DB", None)
    try:
        if "help" in args.only:
            bench_help(env, args)
        if "validate" in args.only:
            bench_validate(env, args, work)
        if args.only & {"run-sample", "run-small", "run-large"}:
            bench_run_and_report(env, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
