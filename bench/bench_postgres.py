"""`drillkit run --simulate` of the 17,452-contact plan, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_postgres.py [--people N] [--url postgresql://…]

What a user runs: `drillkit run <plan>/scenarios/nationwide.yaml --simulate` in a child
process, on the plan of bench_cli's large run (bench/gen_plan.py, --people people in
files), the report written. Once with the event store on a fresh SQLite file (WAL,
synchronous=FULL), once on a fresh database of a local PostgreSQL server on 127.0.0.1
(a throwaway cluster with fsync on, started here from the machine's `initdb`/`pg_ctl`,
unless --url names a server), chosen with --db as a user would.

Figures: the child's wall time against the target of the whole run (< 10 s all in), the
median of --repeat runs on each store (the first creates it), with that child's CPU time
and the events the store holds for its drill afterwards (counted by opening the store,
not taken from the run's output). The load average is printed too, since on a shared
machine the figures swing with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cli import DRILLKIT, ROOT, Child, _drill_id, median_child
from gen_plan import write_plan
from record import record

from drill.sandbox.postgres import LocalPostgres, LocalPostgresMissing, find_server_binaries
from drill.store import EventStore

BENCH = "postgres"
TARGET_S = 10.0  # the 17,000-contact simulated drill's target (issue: "< 10 s all in")
SEED = 7


async def _stored_events(url: str, drill_id: str) -> int:
    async with EventStore.open(url) as store:
        return await store.event_count(drill_id)


def drill_on(
    scenario: Path, db: str, env: dict[str, str], timeout: float, repeat: int
) -> tuple[Child, int]:
    """Run the drill as a user does, `repeat` times with its store at `db` (the first
    creates it; the later ones find earlier drills); the median run and its event count."""
    argv = [*DRILLKIT, "run", str(scenario), "--simulate", "--seed", str(SEED), "-q", "--db", db]
    child = median_child(argv, env, timeout, repeat)
    drill_id = _drill_id(child.stdout)
    if child.timed_out or drill_id is None:
        return child, 0
    return child, asyncio.run(_stored_events(db, drill_id))


def report(label: str, child: Child, events: int, repeat: int) -> None:
    if child.timed_out:
        note = f"timed out; CPU {child.cpu:.1f} s"
    else:
        note = (
            f"{events:,} events stored; median of {repeat}; CPU {child.cpu:.2f} s; "
            "all in: plan read, drill, report written"
        )
    record(BENCH, label, child.seconds, "s", TARGET_S, note=note)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--people", type=int, default=34_904, help="people of the plan (contacts: half)"
    )
    parser.add_argument("--url", help="a PostgreSQL database to use instead of a local cluster")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs on each store (median)")
    args = parser.parse_args(argv)
    print("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    work = Path(tempfile.mkdtemp(prefix="drillkit-bench-pg-"))
    env = {**os.environ, "DRILLKIT_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("DRILLKIT_DB", None)
    try:
        plan = work / "plan"
        write_plan(args.people, plan)
        scenario = plan / "scenarios" / "nationwide.yaml"
        contacts = f"{args.people // 2:,} contacts"
        label = f"drillkit run --simulate, {contacts}"

        db = str(work / "events.db")
        child, events = drill_on(scenario, db, env, args.timeout, args.repeat)
        report(f"{label}, SQLite (WAL, synchronous=FULL)", child, events, args.repeat)

        if args.url:
            child, events = drill_on(scenario, args.url, env, args.timeout, args.repeat)
            report(f"{label}, PostgreSQL ({args.url.split('@')[-1]})", child, events, args.repeat)
        elif find_server_binaries() is None:
            print(f"{label}, PostgreSQL: not run (no initdb/pg_ctl on this machine)")
        else:
            try:
                with LocalPostgres(fsync=True) as server:
                    url = server.create_database("bench")
                    child, events = drill_on(scenario, url, env, args.timeout, args.repeat)
            except LocalPostgresMissing as exc:
                print(f"{label}, PostgreSQL: not run ({exc.message.splitlines()[0]})")
            else:
                report(f"{label}, PostgreSQL 127.0.0.1 (fsync on)", child, events, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main(sys.argv[1:])
