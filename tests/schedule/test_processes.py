"""Real processes: jobs survive a restart, `serve` stops cleanly on SIGTERM and resumes.

These start `python -m drill` (or a small script around `serve`) as separate processes.
They wait for a process to start or stop, never for a schedule: every occurrence is
already due, and the service's clock is fixed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from drill.schedule.book import DrillBook
from drill.schedule.calendar import CalendarPolicy, decide
from drill.schedule.ledger import Ledger, Outcome, open_engine, sync_url

from .conftest import fixed, jst

pytestmark = pytest.mark.slow

SCENARIO = "scenarios/annual-roll-call.yaml"


def drillkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drill", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_for(predicate: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_job_added_by_one_process_is_listed_by_another(db: str, plan_dir: Path) -> None:
    added = drillkit(
        "schedule", "add", str(plan_dir / SCENARIO), "--at", "2098-05-03 10:00",
        "--id", "roll-call", "--remind", "sysadmin", "--db", db, "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = drillkit("schedule", "list", "--db", db, "--json")
    assert listed.returncode == 0, listed.stderr
    (drill,) = json.loads(listed.stdout)["schedules"]
    expected = decide(jst(2098, 5, 3, 10), CalendarPolicy()).run_at
    assert expected is not None and expected != jst(2098, 5, 3, 10)  # 憲法記念日: moved
    assert drill["id"] == "roll-call"
    assert drill["next_run"] == expected.isoformat()
    assert drill["reminders"][0]["to"] == ["sysadmin"]
    shown = drillkit("schedule", "next", "roll-call", "--db", db, "--json")
    (occurrence, *_) = json.loads(shown.stdout)["schedules"][0]["occurrences"]
    assert occurrence["status"] == "moved"
    assert occurrence["reason"].startswith("public holiday 憲法記念日")
    removed = drillkit("schedule", "remove", "roll-call", "--db", db)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(drillkit("schedule", "list", "--db", db, "--json").stdout)["schedules"] == []


SERVE_SCRIPT = textwrap.dedent(
    """
    import asyncio, datetime as dt, json, pathlib, sys

    from drill.engine.events import NoteAdded
    from drill.schedule import journal
    from drill.schedule.launch import DrillOutcome
    from drill.schedule.service import serve
    from drill.store import EventStore

    db, record, now = sys.argv[1], pathlib.Path(sys.argv[2]), dt.datetime.fromisoformat(sys.argv[3])

    class Launcher:
        async def __call__(self, request):
            if not request.resume:  # what the engine does first: a durable event
                async with EventStore.open(db) as store:
                    note = NoteAdded(at=now, elapsed=0.0, by="test", text="started")
                    await store.append(request.drill_id, note)
            with record.open("a") as out:
                out.write(json.dumps({"drill": request.drill_id, "resume": request.resume}) + "\\n")
            if request.resume:
                return DrillOutcome("completed", "resumed to the end")
            await asyncio.Event().wait()  # a long drill, still running at SIGTERM

    journal.configure()
    asyncio.run(serve(db, ack_server=False, launcher=Launcher(), poll_seconds=0, clock=lambda: now))
    """
)


def start_serving(script: Path, db: str, record: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, str(script), db, str(record), jst(2026, 1, 6, 10, 1).isoformat()],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
        )


def records(record: Path) -> list[dict[str, object]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]


def test_sigterm_during_a_scheduled_drill_then_resume(
    db: str, plan_dir: Path, tmp_path: Path
) -> None:
    # Scheduled on 1/5 for 1/6 10:00; the service starts (at a fixed 1/6 10:01) to find it due.
    with DrillBook.open(db, clock=fixed(jst(2026, 1, 5, 9))) as book:
        book.add(plan_dir / SCENARIO, kind="at", when="2026-01-06 10:00", schedule_id="roll-call")
    script = tmp_path / "serve_script.py"
    script.write_text(SERVE_SCRIPT, encoding="utf-8")
    record, log = tmp_path / "launched.jsonl", tmp_path / "serve.log"

    first = start_serving(script, db, record, log)
    try:
        wait_for(lambda: len(records(record)) == 1, "the drill to start")
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:  # never leave a server behind when the test fails
            first.kill()
            first.wait()

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    interrupted = [line for line in lines if line["message"].startswith("drill interrupted")]
    assert interrupted and interrupted[0]["drill"] == "roll-call-20260106-1000"
    assert lines[-1]["message"] == "drillkit serve stopped"

    second = start_serving(script, db, record, log)
    try:
        wait_for(lambda: len(records(record)) == 2, "the drill to resume")
        ledger = Ledger(open_engine(sync_url(db)))
        wait_for(
            lambda: any(e.outcome == Outcome.COMPLETED for e in ledger.entries(job_id="roll-call")),
            "the resumed drill to finish",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            assert second.wait(timeout=60) == 0
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()
    assert records(record) == [
        {"drill": "roll-call-20260106-1000", "resume": False},
        {"drill": "roll-call-20260106-1000", "resume": True},
    ]
    assert [e.outcome for e in ledger.entries(job_id="roll-call")] == [
        Outcome.STARTED,
        Outcome.INTERRUPTED,
        Outcome.RESUMED,
        Outcome.COMPLETED,
    ]
    ledger.engine.dispose()


def test_drillkit_serve_hosts_the_ack_server_and_stops_on_sigterm(db: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[ack]\nlisten_port = 0\n", encoding="utf-8")
    log = tmp_path / "serve.log"
    env = {**os.environ, "DRILLKIT_CONFIG": str(config)}
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "drill", "serve", "--db", db, "--poll", "1"],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
            env=env,
        )

    def started() -> dict[str, object] | None:
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            if entry["message"] == "drillkit serve started":
                return entry  # type: ignore[no-any-return]
        return None

    try:
        wait_for(lambda: started() is not None, "serve to start")
        entry = started()
        assert entry is not None
        with urllib.request.urlopen(f"{entry['ack_server']}/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0
    messages = [json.loads(line)["message"] for line in log.read_text().splitlines()]
    assert messages[-1] == "drillkit serve stopped"
