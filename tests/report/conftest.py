"""Fixtures of the report tests: seeded simulated drills of the sample plan, and Chromium.

Drills run in virtual time through the real engine (`DrillRunner`) with simulated people,
so the events are exactly what a real run records. Expected figures are computed in the
tests from those raw events, never by calling the report code.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import NoteAdded
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier, SimulatedOperator
from drill.engine.sink import EventSink, MemorySink, StoredEvent
from drill.engine.state import DrillState
from drill.plan import Plan, load_plan, sample_plan_dir
from drill.store import EventStore

ABSENT: Mapping[str, Any] = {"absent": True}
INVALID: Mapping[str, Any] = {
    kind: {"invalid_number": 1, "fail_seconds": [10, 10]} for kind in ("voice", "sms", "email")
}


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(sample_plan_dir(), lint=False).plan


async def simulate(
    plan: Plan,
    *,
    seed: int,
    drill_id: str = "d1",
    scenario: str = "annual-roll-call",
    people: Mapping[str, Mapping[str, Any]] | None = None,
    sink: EventSink | None = None,
    clock: VirtualClock | None = None,
) -> list[StoredEvent]:
    """Run one seeded drill of the sample plan in virtual time; its stored events."""
    sink = sink if sink is not None else MemorySink()
    clock = clock or VirtualClock()
    model = ResponseModel.from_mapping({"seed": seed, "people": dict(people or {})})
    runner = DrillRunner(
        plan,
        scenario,
        sink=sink,
        notifiers=[SimulatedNotifier(model, clock=clock)],
        clock=clock,
        seed=seed,
        drill_id=drill_id,
        simulated_operator=SimulatedOperator(seed=seed),
    )
    await runner.run()
    return list(await sink.read(drill_id))


LATE_NOTE = "終了後に追記"


async def add_late_note(store: EventStore, drill_id: str, ended: DrillState) -> None:
    """What another terminal adds to a drill a second after its run ended (`ended`)."""
    last = ended.last_at
    assert last is not None
    note = NoteAdded(
        at=last + dt.timedelta(seconds=1), elapsed=ended.elapsed + 1, by="別の端末", text=LATE_NOTE
    )
    await store.append(drill_id, note)


def change_first_row(db: str | Path, drill_id: str) -> None:
    """Change the stored operator of the drill's first event in the SQLite file `db`, as
    someone with the file could (the append-only trigger dropped first)."""
    with sqlite3.connect(db, isolation_level=None) as raw:
        raw.execute("DROP TRIGGER events_no_update")
        raw.execute(
            'UPDATE events SET payload = replace(payload, \'"operator":"test"\', '
            '\'"operator":"someone"\') WHERE drill_id = ? AND seq = 1',
            (drill_id,),
        )


def holder_of(plan: Plan, role: str) -> str:
    holder = plan.role(role).holder
    assert holder is not None
    return holder


def everyone_of(plan: Plan, role: str) -> list[str]:
    return [person.id for person in plan.candidates(role)]


# --- Chromium ---------------------------------------------------------------------------

FLAGS: Sequence[str] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
)


def _install_chromium() -> str | None:
    """Debian's chromium, installed with apt-get when missing (root only)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        return None
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "chromium"]):
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=900, env=env)
        except (OSError, subprocess.SubprocessError):
            return None
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    browser = _install_chromium()
    if browser is None:
        pytest.skip(
            "Chromium is not installed and `apt-get install chromium` failed here "
            "(not root, or no package registry): the HTML is not checked in a browser"
        )
    return browser


def run_chromium(
    browser: str, page: Path, profile: Path, *extra: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import this conftest)."""
    return SimpleNamespace(
        ABSENT=ABSENT,
        INVALID=INVALID,
        simulate=simulate,
        holder_of=holder_of,
        everyone_of=everyone_of,
        run_chromium=run_chromium,
    )
