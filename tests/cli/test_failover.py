"""Failover between two engines on one PostgreSQL store (two buildings, one database).

An engine runs a seeded simulated drill (`drillkit run`); a second engine stands by for
it (`drillkit resume DRILL --standby`, its own process, as it would be on another
machine). The first is killed (-9) at 10 seeded points; the standby takes the lease over
once it expires and finishes the drill. The final event sequence must equal an
uninterrupted run with the same seed (the comparison of `test_crash_resume`): nobody
paged twice, no acknowledgement lost; the gap is recorded (`DrillInterrupted`, and a
`taken_over` entry in the lease history), and the hash chain verifies.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from drill.sandbox.postgres import LocalPostgres
from drill.store import EventStore
from tests.cli.test_crash_resume import SCENARIO, SEED, SIMULATED, events_of

REPO = Path(__file__).resolve().parents[2]
LEASE_TTL = "1"
POINTS = 10

pytestmark = pytest.mark.slow


def drillkit_process(url: str, *args: str, kill_after: int | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("DRILLKIT_FAULT_KILL_AFTER_EVENTS", None)
    env["DRILLKIT_DB"] = url
    env["DRILLKIT_LEASE_TTL"] = LEASE_TTL
    if kill_after is not None:
        env["DRILLKIT_FAULT_KILL_AFTER_EVENTS"] = str(kill_after)
    return subprocess.Popen(
        [sys.executable, "-m", "drill", *args, "--quiet"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=180)
    return proc.returncode, err


def the_drill(url: str, owner: subprocess.Popen[str]) -> str:
    """The drill's id, once the owner has recorded its start."""

    async def look() -> list[str]:
        async with EventStore.open(url) as store:
            return [d.drill_id for d in await store.drills()]

    deadline = time.monotonic() + 120
    while not (found := asyncio.run(look())):
        assert owner.poll() is None or owner.returncode == -signal.SIGKILL, owner.stderr
        assert time.monotonic() < deadline, "the owner never started its drill"
        time.sleep(0.05)
    (drill_id,) = found
    return drill_id


def look_back(url: str, drill_id: str) -> tuple[list[Any], list[str], bool]:
    async def read() -> tuple[list[Any], list[str], bool]:
        async with EventStore.open(url) as store:
            stored = [s.event for s in await store.read(drill_id) if not s.duplicate]
            history = [entry.action for entry in await store.lease_history(drill_id)]
            return stored, history, (await store.verify(drill_id)).ok

    return asyncio.run(read())


def test_kill_9_the_owner_at_10_points_and_the_standby_finishes_the_drill(
    postgres_server: LocalPostgres,
) -> None:
    baseline_url = postgres_server.create_database()
    done = drillkit_process(baseline_url, "run", SCENARIO, *SIMULATED, "--no-report")
    code, err = finish(done)
    assert code == 0, err
    (baseline,) = events_of(baseline_url).values()  # type: ignore[arg-type]
    # Enough acknowledgements that one lost or doubled would show (the scenario tells only
    # whom the procedure names: nine people answer).
    assert sum(1 for kind, _ in baseline if kind == "Acknowledged") >= 5

    points = sorted(random.Random(SEED).sample(range(2, len(baseline) - 2), POINTS))

    def fail_over(point: int) -> None:
        url = postgres_server.create_database()
        owner = drillkit_process(url, "run", SCENARIO, *SIMULATED, "--no-report", kill_after=point)
        drill_id = the_drill(url, owner)
        standby = drillkit_process(url, "resume", drill_id, "--standby")

        assert finish(owner)[0] == -signal.SIGKILL, point
        code, err = finish(standby)
        assert code == 0, (point, err)

        assert events_of(url)[drill_id] == baseline, f"killed after event {point}"  # type: ignore[arg-type]
        stored, history, intact = look_back(url, drill_id)
        sent = Counter(e.page_id for e in stored if type(e).__name__ == "PageSent")
        first_acks = Counter(
            e.member for e in stored if type(e).__name__ == "Acknowledged" and e.first
        )
        assert [n for n in sent.values() if n > 1] == [], f"paged twice after kill at {point}"
        assert [n for n in first_acks.values() if n > 1] == []
        assert intact
        assert [type(e).__name__ for e in stored].count("DrillInterrupted") == 1
        assert history[0] == "acquired" and "taken_over" in history, history
        assert history[-1] == "released"

    def outcome(point: int) -> str | None:
        try:
            fail_over(point)
        except Exception as exc:
            return f"killed after event {point}: {type(exc).__name__}: {exc}"
        return None

    # Two at a time: each process spends most of its time starting Python.
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [failure for failure in pool.map(outcome, points) if failure]
    assert failures == []
