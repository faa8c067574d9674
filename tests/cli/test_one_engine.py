"""One engine per drill, across real processes: `drillkit resume` of a running drill.

A drill runs in one process (simulated people on a scaled clock). A second process
asking to resume it is refused with a clear message naming the holder, exits non-zero
without a traceback, and records nothing: no page twice. Once the first process is
killed (-9) and its lease has expired, `resume` takes the drill over.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drill.engine.lease import Lease, wall_now
from drill.store import EventStore
from drill.store.records import EventRecord

REPO = Path(__file__).resolve().parents[2]
SCENARIO = "scenarios/stolen-terminal.yaml"
TTL = 3.0

pytestmark = pytest.mark.slow


def drillkit_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DRILLKIT_FAULT_KILL_AFTER_EVENTS", None)
    env["DRILLKIT_LEASE_TTL"] = str(TTL)
    env["COLUMNS"] = "400"  # the error panel on one line per paragraph
    return env


def start(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "drill", *args, "--db", str(db), "--quiet"],
        cwd=REPO,
        env=drillkit_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def look(db: Path) -> tuple[dict[str, list[EventRecord]], dict[str, Lease], list[Any]]:
    """Every drill's records, the leases, and the lease history of the only drill."""

    async def read() -> tuple[dict[str, list[EventRecord]], dict[str, Lease], list[Any]]:
        async with EventStore.open(db) as store:
            drills = {d.drill_id: await store.records(d.drill_id) for d in await store.drills()}
            history = []
            for drill_id in drills:
                history.extend(await store.lease_history(drill_id))
            return drills, await store.leases(), history

    return asyncio.run(read())


def wait_for(what: str, condition: Callable[[], bool], *procs: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        for proc in procs:
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"process ended before {what}: {err}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def count(records: list[EventRecord], type_name: str, field: str) -> Counter[Any]:
    return Counter(r.payload[field] for r in records if r.type == type_name)


def test_resume_of_a_running_drill_is_refused_then_takes_over_after_kill_9(
    tmp_path: Path,
) -> None:
    db = tmp_path / "events.db"
    first = start(
        db, "run", SCENARIO, "--simulate", "--speed", "30", "--seed", "5", "--no-report",
        "--operator", "佐藤",
    )  # fmt: skip
    second: subprocess.Popen[str] | None = None
    try:

        def paging() -> bool:
            if not db.exists():
                return False
            drills, leases, _ = look(db)
            return any(
                d in leases and count(records, "PageQueued", "page_id")
                for d, records in drills.items()
            )

        wait_for("the first process to page", paging, first)
        drills, leases, _ = look(db)
        ((drill_id, _),) = drills.items()
        holder = leases[drill_id]
        assert holder.owner.pid == first.pid and holder.owner.operator == "佐藤"

        refused = subprocess.run(
            [sys.executable, "-m", "drill", "resume", drill_id, "--db", str(db)],
            cwd=REPO,
            env=drillkit_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr
        assert f"訓練 {drill_id} は、{holder.owner.id}（佐藤、" in refused.stderr
        assert f"Drill {drill_id} is being run by {holder.owner.id}" in refused.stderr
        assert f"PID {first.pid}" in refused.stderr and "佐藤" in refused.stderr
        since = holder.started_at.astimezone(dt.timezone(dt.timedelta(hours=9)))
        assert since.strftime("%Y-%m-%d %H:%M:%S JST") in refused.stderr
        assert first.poll() is None  # the first process runs on, untouched

        # The refused process recorded nothing: no recovery, no page, no inject twice.
        records = look(db)[0][drill_id]
        assert not [r for r in records if r.type in ("DrillInterrupted", "DrillRecovered")]
        assert set(count(records, "PageQueued", "page_id").values()) == {1}
        assert set(count(records, "InjectFired", "index").values()) <= {1}

        # kill -9: the lease stays until it expires, then `resume` takes the drill over.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        wait_for("the lease to expire", lambda: not look(db)[1][drill_id].live(wall_now()))
        second = start(db, "resume", drill_id, "--operator", "鈴木")

        def recovered() -> bool:
            return any(r.type == "DrillRecovered" for r in look(db)[0][drill_id])

        wait_for("the resumed drill to recover", recovered, second)
        _, leases, history = look(db)
        taken = leases[drill_id]
        assert taken.owner.pid == second.pid and taken.owner.operator == "鈴木"
        assert taken.taken_over_from == holder.owner.id
        assert [(e.action, e.owner.pid, e.previous_holder) for e in history] == [
            ("acquired", first.pid, None),
            ("taken_over", second.pid, holder.owner.id),
        ]

        # Ctrl-C: the resumed engine stops and gives its lease up.
        second.send_signal(signal.SIGINT)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 130, err
        assert "Traceback" not in err
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()

    drills, leases, history = look(db)
    assert leases[drill_id].released_at is not None
    assert history[-1].action == "released" and history[-1].owner.pid == second.pid
    records = drills[drill_id]
    assert [r.type for r in records].count("DrillStarted") == 1
    assert set(count(records, "PageQueued", "page_id").values()) == {1}
    assert set(count(records, "InjectFired", "index").values()) <= {1}
