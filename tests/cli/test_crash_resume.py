"""kill -9 at 20+ points of a seeded simulated drill, then `drillkit resume`.

The final event sequence must equal an uninterrupted run with the same seed: nobody
paged twice for an attempt, no acknowledgement lost, every timer fired once. The killed
process leaves its drill's lease behind: `resume` can take the drill over once it has
expired (a short lease here, `DRILLKIT_LEASE_TTL`). A drill on a 60× clock, killed and its
resume killed too, goes on at 60× to its end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from drill.engine.lease import wall_now
from drill.store import EventStore
from drill.store.apart import APART_EXPECTED, cores
from tests.generated import generator
from tests.processes import children, running

SEED = 11
SCENARIO = "scenarios/unauthorized-access.yaml"
"""Its regulator is paged only after an inject: kills around it must not page it early."""
MARKERS = {"DrillInterrupted", "DrillRecovered"}
SIMULATED = ("--simulate", "--seed", str(SEED), "--start-at", "2026-01-31 10:00")
"""Seeded, and dated: a simulated drill is dated now unless told, and page deadlines are
wall times, so runs minutes apart would differ in them."""
REPO = Path(__file__).resolve().parents[2]
LEASE_TTL = "1"

pytestmark = pytest.mark.slow


def drillkit_env(kill_after: int | None = None) -> dict[str, str]:
    """The environment of a `drillkit` that is killed -9 after `kill_after` events."""
    env = dict(os.environ)
    env.pop("DRILLKIT_FAULT_KILL_AFTER_EVENTS", None)
    env["DRILLKIT_LEASE_TTL"] = LEASE_TTL
    if kill_after is not None:
        env["DRILLKIT_FAULT_KILL_AFTER_EVENTS"] = str(kill_after)
    return env


def drillkit(
    db: Path, *args: str, kill_after: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drill", *args, "--db", str(db), "--quiet"],
        cwd=REPO,
        env=drillkit_env(kill_after),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def events_of(db: Path) -> dict[str, list[tuple[str, str]]]:
    """Each drill's events as (type, normalised payload), drill ids and resume markers out."""

    async def read() -> dict[str, list[tuple[str, str]]]:
        async with EventStore.open(db) as store:
            out: dict[str, list[tuple[str, str]]] = {}
            for drill in await store.drills():
                rows = []
                for record in await store.records(drill.drill_id):
                    if record.type in MARKERS:
                        continue
                    payload: dict[str, Any] = dict(record.payload)
                    payload.pop("at", None)  # wall time of the event; the clock is virtual
                    if record.type == "DrillStarted":
                        payload.pop("operator", None)
                    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
                    rows.append((record.type, text.replace(drill.drill_id, "<drill>")))
                out[drill.drill_id] = rows
            return out

    return asyncio.run(read())


def wait_for_lease_to_lapse(db: Path, drill_id: str) -> None:
    """Until the killed process's lease on `drill_id` has expired."""

    async def lapsed() -> bool:
        async with EventStore.open(db) as store:
            lease = (await store.leases()).get(drill_id)
            return lease is None or not lease.live(wall_now())

    deadline = time.monotonic() + 30
    while not asyncio.run(lapsed()):
        assert time.monotonic() < deadline, f"the lease on {drill_id} never expired"
        time.sleep(0.1)


def test_kill_9_at_random_points_then_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    baseline_db = tmp_path / "baseline.db"
    done = drillkit(baseline_db, "run", SCENARIO, *SIMULATED, "--no-report")
    assert done.returncode == 0, done.stderr
    (baseline,) = events_of(baseline_db).values()
    acknowledged = sum(1 for kind, _ in baseline if kind == "Acknowledged")
    assert len(baseline) > 60 and acknowledged >= 8  # the nine the scenario tells

    points = sorted(random.Random(SEED).sample(range(2, len(baseline) - 2), 20))

    def kill_then_resume(point: int) -> None:
        db = tmp_path / f"killed-{point}.db"
        killed = drillkit(db, "run", SCENARIO, *SIMULATED, "--no-report", kill_after=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
        (drill_id,) = events_of(db)
        assert len(events_of(db)[drill_id]) >= point  # every event stored before the kill

        wait_for_lease_to_lapse(db, drill_id)
        resumed = drillkit(db, "resume", drill_id)
        assert resumed.returncode == 0, (point, resumed.stderr)
        assert events_of(db)[drill_id] == baseline, f"killed after event {point}: sequences differ"

    # Two at a time: each process spends most of its time starting Python.
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(kill_then_resume, points))


def test_a_60x_drill_killed_and_killed_again_resumes_at_60x_and_finishes(tmp_path: Path) -> None:
    """kill -9 a simulated drill on a 60× clock, then its resume, then resume it again:
    it goes on at 60× (finishing in seconds, not the drill's 25 minutes), recorded times
    never go backwards, no attempt is paged twice, and the downtime is the real gap."""
    db = tmp_path / "scaled.db"
    scenario = "tests/plan/fixtures/minimal/scenarios/theft.yaml"
    args = ("--simulate", "--speed", "60", "--seed", "4", "--no-report")
    killed = drillkit(db, "run", scenario, *args, kill_after=12)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    down_since = time.monotonic()
    (drill_id,) = events_of(db)

    wait_for_lease_to_lapse(db, drill_id)  # the killed engine's lease, then a takeover
    again = drillkit(db, "resume", drill_id, kill_after=8)
    assert again.returncode == -signal.SIGKILL, again.stderr
    first_gap = time.monotonic() - down_since
    down_since = time.monotonic()
    wait_for_lease_to_lapse(db, drill_id)
    began = time.monotonic()
    done = drillkit(db, "resume", drill_id)
    took = time.monotonic() - began
    second_gap = time.monotonic() - down_since
    assert done.returncode == 0, done.stderr

    async def read() -> list[Any]:
        async with EventStore.open(db) as store:
            return [s.event for s in await store.read(drill_id) if not s.duplicate]

    stored = asyncio.run(read())
    names = [type(e).__name__ for e in stored]
    assert names[0] == "DrillStarted" and names[-1] == "DrillCompleted"
    started = stored[0]
    assert (started.clock, started.speed) == ("scaled", 60.0)
    for earlier, later in itertools.pairwise(stored):
        assert later.elapsed >= earlier.elapsed, (earlier, later)
        assert later.at >= earlier.at, (earlier, later)

    gaps = [e for e in stored if type(e).__name__ == "DrillInterrupted"]
    assert len(gaps) == 2
    for gap, bound in zip(gaps, (first_gap, second_gap), strict=True):
        assert (gap.clock, gap.speed) == ("scaled", 60.0)
        assert 0 < gap.downtime_seconds <= bound + 1  # real seconds, not drill seconds
        assert gap.drill_downtime_seconds == pytest.approx(gap.downtime_seconds * 60)

    # At 60×: the last part of a drill of many minutes took seconds.
    rest = stored[-1].elapsed - gaps[-1].elapsed
    assert rest > 300 and took < rest / 10

    queued = [e.page_id for e in stored if type(e).__name__ == "PageQueued"]
    sent = [e.page_id for e in stored if type(e).__name__ == "PageSent"]
    assert len(queued) == len(set(queued)) and len(sent) == len(set(sent))
    first_acks = [e.member for e in stored if type(e).__name__ == "Acknowledged" and e.first]
    assert len(first_acks) == len(set(first_acks))


@pytest.mark.skipif(cores() < 2, reason="the store's writer process needs a second core")
def test_kill_9_while_the_writer_process_commits_then_resume_matches(tmp_path: Path) -> None:
    """A drill of 8,000 contacts commits its batches through the store's writer process
    (`drill.store.apart`). kill -9 of drillkit mid-drill ends that process too, leaves a
    sound record of what was committed, and `drillkit resume` finishes the drill as an
    uninterrupted run does."""
    plan = tmp_path / "plan"
    generator().write_plan(16_000, plan)
    scenario = str(plan / "scenarios" / "nationwide.yaml")
    baseline_db = tmp_path / "baseline.db"
    done = drillkit(baseline_db, "run", scenario, *SIMULATED, "--no-report")
    assert done.returncode == 0, done.stderr
    (baseline,) = events_of(baseline_db).values()
    assert len(baseline) > APART_EXPECTED

    db = tmp_path / "killed.db"
    argv = [sys.executable, "-m", "drill", "run", scenario, *SIMULATED, "--no-report"]
    with subprocess.Popen(
        [*argv, "--db", str(db), "--quiet"],
        cwd=REPO,
        env=drillkit_env(kill_after=len(baseline) * 2 // 3),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as run:
        writers: set[int] = set()
        while run.poll() is None:  # its writer process, as ps shows it
            writers.update(children(run.pid, b"drill.store.apart"))
            time.sleep(0.05)
        assert run.returncode == -signal.SIGKILL, run.stderr.read() if run.stderr else ""
    assert writers, "the drill's store had no writer process"
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in writers):
        assert time.monotonic() < deadline, "the writer process outlived drillkit"
        time.sleep(0.05)

    (drill_id,) = events_of(db)

    async def verified() -> Any:
        async with EventStore.open(db) as store:
            return await store.verify(drill_id)

    kept = asyncio.run(verified())
    assert kept.ok and len(baseline) * 2 // 3 <= kept.count < len(baseline)
    wait_for_lease_to_lapse(db, drill_id)
    resumed = drillkit(db, "resume", drill_id)
    assert resumed.returncode == 0, resumed.stderr
    assert events_of(db)[drill_id] == baseline
