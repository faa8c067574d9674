"""Fixtures for the acknowledgement tests: pages, links with a controllable clock, a server."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Callable

import pytest

from drill.ack.memory import MemoryInbox
from drill.ack.server import AckServer, DrillRegistry
from drill.channels import links as links_module
from drill.channels.links import Links
from drill.config import AckSettings
from drill.engine.notifier import Page, RenderedMessage
from drill.plan.models import ChannelKind

DRILL = "drill-2026-06-01-roll-call"


class Clock:
    """Seconds since the epoch that a test moves by hand."""

    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_page(
    n: int = 1,
    *,
    drill_id: str = DRILL,
    channel: ChannelKind = ChannelKind.EMAIL,
    attempt: int = 1,
    name: str = "田中 一郎",
    address: str = "tanaka@city.example",
    subject: str = "庁内緊急連絡:集約センター障害",
    body: str = "{{person}} 様\n集約センターで障害が発生しました。",
    language: str = "ja",
) -> Page:
    return Page(
        page_id=f"{drill_id}-p{n}",
        drill_id=drill_id,
        mode="drill",
        person_id=f"person-{n}",
        person_name=name,
        language=language,
        role_name="システム管理者",
        channel=channel,
        address=address,
        attempt=attempt,
        message=RenderedMessage(
            voice="集約センターで障害が発生しました。",
            sms="集約センター障害。確認をお願いします。",
            email_subject=subject,
            email_body=body,
        ),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def links(clock: Clock) -> Links:
    return Links(
        public_url="http://127.0.0.1:1",
        key="test-link-key-0123456789",
        ttl_seconds=3600,
        clock=clock,
    )


@pytest.fixture
def forget_links(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it to forget the drills this process made links for, as a server in another
    process never knew them: short tokens then resolve only against the drills it is given."""

    def forget() -> None:
        monkeypatch.setattr(links_module, "_recent", collections.OrderedDict())

    return forget


@pytest.fixture
def inbox() -> MemoryInbox:
    return MemoryInbox()


@pytest.fixture
async def server(links: Links, inbox: MemoryInbox) -> AsyncIterator[AckServer]:
    registry = DrillRegistry()
    registry.register(DRILL, inbox)
    ack = AckServer(AckSettings(listen_port=0), registry, links=links, route_hooks=[])
    await ack.start()
    try:
        yield ack
    finally:
        await ack.stop()
