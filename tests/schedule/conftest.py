"""Fixtures for the calendar tests: a copy of the sample plan, fixed clocks, test doubles.

Nothing here waits in real time for a schedule: occurrences are put in the (real) past so
that APScheduler finds them due at once, and the service's own clock (which decides
on time / late / missed) is a fixed one the test chooses.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pytest

from drill.channels.marker import mark_email_body, mark_email_subject, mark_sms, mark_voice
from drill.engine.notifier import Inbox, Page, SendResult
from drill.plan.models import ChannelKind
from drill.schedule.launch import DrillOutcome, DrillRequest

REPO = Path(__file__).resolve().parent.parent.parent
JST = zoneinfo.ZoneInfo("Asia/Tokyo")


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=JST)


def fixed(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment.astimezone(dt.UTC)


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A copy of the bundled sample plan that a test may give a calendar.yaml."""
    root = tmp_path / "plan"
    root.mkdir()
    shutil.copy(REPO / "plan.yaml", root / "plan.yaml")
    for folder in ("contacts", "scenarios", "playbooks"):
        shutil.copytree(REPO / folder, root / folder)
    return root


class FakeLauncher:
    """Records each drill it is asked to run; `block` keeps drills running until released."""

    def __init__(self, *, block: bool = False) -> None:
        self.requests: list[DrillRequest] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.block = block

    async def __call__(self, request: DrillRequest) -> DrillOutcome:
        self.requests.append(request)
        self.started.set()
        if self.block:
            await self.release.wait()
        return DrillOutcome("completed", "fake drill")


class ChannelDouble:
    """A notifier that marks messages exactly as the real channels do, and keeps them."""

    kinds: frozenset[ChannelKind] = frozenset(ChannelKind)
    local = True  # keeps messages; nobody is paged

    def __init__(self) -> None:
        self.delivered: list[tuple[Page, str]] = []
        self.started = 0

    async def start(self, inbox: Inbox) -> None:
        self.started += 1

    async def send(self, page: Page) -> SendResult:
        if page.channel is ChannelKind.EMAIL:
            text = mark_email_subject(page) + "\n" + mark_email_body(page)
        elif page.channel is ChannelKind.SMS:
            text = mark_sms(page)
        else:
            text = mark_voice(page)
        self.delivered.append((page, text))
        return SendResult.ok(f"double-{len(self.delivered)}")

    async def close(self) -> None:
        return None


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "store" / "events.db")
