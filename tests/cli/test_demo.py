"""The demo path: a drill of the sample plan through the real channels on 127.0.0.1.

Asserts on what actually left through the sandbox: every call, SMS and e-mail carries
the drill marker, e-mail went over verified STARTTLS, and acknowledgements came back
through signed callbacks and links into the event store.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from drill.cli.demo_commands import run_demo
from drill.engine import DrillState
from drill.engine.events import (
    Acknowledged,
    DrillCompleted,
    DrillInterrupted,
    DrillRecovered,
    DrillStarted,
)
from drill.engine.lease import wall_now
from drill.plan import load_plan, sample_plan_dir
from drill.report import SCHEMA_VERSION
from drill.sandbox.world import LocalWorld
from drill.session import RunOptions, run_scenario
from drill.store import EventStore

pytestmark = pytest.mark.slow


async def test_demo_drill_through_real_channels_marks_every_payload(tmp_path: Path) -> None:
    loaded = load_plan(sample_plan_dir())
    db = str(tmp_path / "events.db")
    async with LocalWorld(loaded.plan, speed=900, seed=3) as world:
        options = RunOptions(
            simulate=False, speed=900, seed=3, db=db, operator="test", simulated_operator=True
        )
        result = await run_scenario(
            loaded,
            "annual-roll-call",
            options,
            notifiers=world.notifiers(),
            registry=world.registry,
        )
        await world.twilio.wait_idle()
        calls, messages, mails = world.twilio.calls, world.twilio.messages, world.smtp.received

    assert result.state.status.value == "completed"
    assert calls, "voice pages went through the Twilio sandbox"
    for call in calls:  # the TwiML that left, whether or not anyone picked up
        twiml = call.twiml or "".join(call.twiml_seen)
        assert "訓練" in twiml or "DRILL" in twiml.upper(), twiml
    for message in messages:
        assert message.body.startswith(("【訓練】", "[DRILL]")), message.body
        assert message.link is not None
    for mail in mails:
        assert mail.subject.startswith(("【訓練】", "[DRILL]")), mail.subject
        assert "【訓練】" in mail.text or "[DRILL]" in mail.text
        assert mail.tls, "e-mail went over STARTTLS"

    async with EventStore.open(db) as store:
        stored = await store.read(result.drill_id)
        assert (await store.verify(result.drill_id)).ok
    acks = [s.event for s in stored if isinstance(s.event, Acknowledged) and not s.duplicate]
    sources = {ack.source for ack in acks}
    assert "voice" in sources  # a keypress through a signed Twilio callback
    state = DrillState.from_events(stored)
    assert state.summary().acknowledged == result.state.summary().acknowledged > 15


async def test_run_demo_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = await run_demo(
        "stolen-terminal", speed=900, seed=5, db=str(tmp_path / "e.db"), quiet=True
    )
    assert result.state.status.value == "completed"
    report = next(p for p in result.report_files if p.suffix == ".json")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION


async def test_sandbox_channels_give_the_console_real_notifiers_on_loopback() -> None:
    from drill.engine import MemorySink
    from drill.engine.clock import ScaledClock
    from drill.engine.runner import DrillRunner
    from drill.sandbox.world import SandboxChannels

    plan = load_plan(sample_plan_dir()).plan
    channels = SandboxChannels(speed=900, seed=1)
    assert channels.available()
    try:
        notifiers = await channels.notifiers(plan, "drill")
        assert sorted(kind.value for n in notifiers for kind in n.kinds) == [
            "email",
            "sms",
            "voice",
        ]
        runner = DrillRunner(
            plan,
            "annual-roll-call",
            sink=MemorySink(),
            notifiers=notifiers,
            clock=ScaledClock(900),
            seed=1,
        )
        channels.attach(runner.drill_id, runner)
        state = await runner.run_until(3)  # three drill minutes, a fifth of a second here
        channels.detach(runner.drill_id)
        await runner.close()
        assert state.summary().acknowledged > 0  # keypresses came back through the sandbox
    finally:
        await channels.close()


def wait_for_leases_to_lapse(db: Path) -> None:
    """Until no engine's lease in `db` is live (the killed process's has expired)."""

    async def live() -> bool:
        async with EventStore.open(db) as store:
            return any(lease.live(wall_now()) for lease in (await store.leases()).values())

    deadline = time.monotonic() + 30
    while asyncio.run(live()):
        assert time.monotonic() < deadline, "the killed demo's lease never expired"
        time.sleep(0.1)


def test_a_demo_drill_killed_mid_way_is_resumed_from_the_cli_through_the_sandbox(
    tmp_path: Path,
) -> None:
    """`drillkit resume` (no id: the sample plan's interrupted drill) brings the loopback
    sandbox back up at the drill's speed and finishes the demo's drill through it."""
    db = tmp_path / "demo.db"
    # A short lease, so that the resume may take over from the killed process soon.
    env = dict(os.environ, DRILLKIT_FAULT_KILL_AFTER_EVENTS="40", DRILLKIT_LEASE_TTL="1")
    demo = ["demo", "--headless", "--speed", "900", "--seed", "5"]
    killed = subprocess.run(
        [sys.executable, "-m", "drill", *demo, "--quiet", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    env.pop("DRILLKIT_FAULT_KILL_AFTER_EVENTS")
    wait_for_leases_to_lapse(db)
    resumed = subprocess.run(
        [sys.executable, "-m", "drill", "resume", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "\n完了 " in resumed.stdout, resumed.stdout

    async def read() -> list[Any]:
        async with EventStore.open(db) as store:
            (drill,) = await store.drills()
            return [s.event for s in await store.read(drill.drill_id) if not s.duplicate]

    stored = asyncio.run(read())
    started = stored[0]
    assert isinstance(started, DrillStarted)
    assert (started.channels, started.clock, started.speed) == ("sandbox", "scaled", 900.0)
    recovered = next(i for i, e in enumerate(stored) if isinstance(e, DrillRecovered))
    gap = next(e for e in stored if isinstance(e, DrillInterrupted))
    assert (gap.clock, gap.speed) == ("scaled", 900.0)
    after = [e for e in stored[recovered:] if isinstance(e, Acknowledged)]
    assert {e.source for e in after} & {"voice", "sms", "email"}  # through the new sandbox
    assert isinstance(stored[-1], DrillCompleted)
