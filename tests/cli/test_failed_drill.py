"""A drill in which no page could be delivered ends `failed`, with the provider errors kept.

Every provider refuses: the Twilio-compatible sandbox answers 401 to a wrong auth token
(as Twilio does), and the mail server is not listening. The engine still runs every
ladder to its end; the fold, not the runner, says the drill failed.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from drill.channels.email import build_email_notifier
from drill.channels.twilio_account import build_twilio_notifiers
from drill.engine.state import DrillOutcome, DrillStatus
from drill.plan import load_plan, sample_plan_dir
from drill.sandbox.world import LocalWorld
from drill.session import RunOptions, run_scenario
from drill.store import EventStore

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_every_provider_refusing_ends_the_drill_failed(tmp_path: Path) -> None:
    loaded = load_plan(sample_plan_dir())
    db = str(tmp_path / "events.db")
    async with LocalWorld(loaded.plan, speed=3600, seed=3) as world:
        assert world.config is not None and world.links is not None
        twilio = build_twilio_notifiers(
            world.config, loaded.plan, None, auth_token="wrong-token", links=world.links
        )
        smtp = world.config.smtp.model_copy(update={"port": _closed_port(), "timeout_seconds": 2})
        email = build_email_notifier(
            world.config.model_copy(update={"smtp": smtp}),
            loaded.plan,
            links=world.links,
            sandbox=True,  # the sandbox's own mail settings, its port closed
        )
        options = RunOptions(simulate=False, speed=3600, seed=3, db=db, operator="test")
        result = await run_scenario(
            loaded,
            "annual-roll-call",
            options,
            notifiers=[*twilio.all, email],
            registry=world.registry,
        )
        assert not world.twilio.calls and not world.twilio.messages

    state = result.state
    assert state.status is DrillStatus.FAILED
    assert state.outcome() is DrillOutcome.FAILED
    assert state.page_records and state.pages_accepted == 0
    errors = state.provider_errors()
    assert len(errors) == len(state.page_records)
    details = " ".join(page.detail or "" for page in errors)
    assert "20003" in details or "401" in details, details[:500]
    async with EventStore.open(db) as store:
        assert (await store.verify(result.drill_id)).ok
