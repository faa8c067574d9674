"""A live drill behind the ack server, for the hostile tests and the ack fuzzer.

A real `DrillRunner` on the real clock, journalling to a SQLite file through the real
`EventStore`; alice (level 1) and then bob (level 2) are paged by e-mail by a notifier
that only records the page;
the ack server (real HTTP on 127.0.0.1, port 0) answers for it. Tests then attack the
server and read the journal to see what, if anything, was written.

Helpers in this file, not in a conftest.py: `tests/hostile/` is shared with other areas.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

from drill.ack.server import AckServer, DrillRegistry
from drill.ack.twilio_hooks import twilio_routes
from drill.channels.links import Links
from drill.config import AckSettings
from drill.engine.clock import RealClock
from drill.engine.events import Event, PageSent
from drill.engine.notifier import Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.synthetic import PlanBuilder
from drill.plan.models import ChannelKind
from drill.store.eventstore import EventStore
from drill.store.records import EventRecord

__all__ = ["DRILL", "PUBLIC_URL", "LiveDrill", "live_drill", "raw_request"]

DRILL = "hostile-2026-12-06"


class RecordingNotifier:
    """Accepts every page and remembers it; nobody is really paged."""

    kinds = frozenset({ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.VOICE})
    local = True

    def __init__(self) -> None:
        self.pages: list[Page] = []

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, page: Page) -> SendResult:
        self.pages.append(page)
        return SendResult.ok(f"msg-{page.page_id}")

    async def close(self) -> None:
        return None


@dataclasses.dataclass
class LiveDrill:
    runner: DrillRunner
    store: EventStore
    server: AckServer
    links: Links
    page: Page
    """The e-mail page sent to alice (its token acknowledges on `/a/`)."""

    def token(self, channel: ChannelKind | None = None) -> str:
        """A good token for the page, as if it were a page of `channel`."""
        page = self.page if channel is None else dataclasses.replace(self.page, channel=channel)
        return self.links.make_token(page)

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    async def rows(self) -> list[EventRecord]:
        return await self.store.records(DRILL)

    async def acknowledgements(self) -> int:
        """Acknowledgements the engine's fold counts (the one truth)."""
        return sum(1 for c in self.runner.state.contacts.values() if c.ack is not None)


PUBLIC_URL = "http://127.0.0.1:1"
"""What Twilio signatures are computed over in these tests."""


async def live_drill(tmp: Path, *, twilio_token: str | None = None) -> AsyncIterator[LiveDrill]:
    """Start the drill, wait for its first page, serve; finish and close afterwards.

    `twilio_token`: the auth token the Twilio webhooks check signatures with (None: the
    one configured, i.e. none in the tests, so every webhook is refused with 403).
    """
    b = PlanBuilder()
    b.person("alice", voice=0, sms=0, email=1)
    b.person("bob", voice=0, sms=0, email=1)
    b.role("chief", "alice")
    b.role("admin", "bob")
    # A second level keeps the drill open after alice acknowledges.
    b.level("t", "first", ["chief"], timeout=30, channels=("email",))
    b.level("t", "second", ["admin"], timeout=30, channels=("email",))
    plan = b.build()
    store = await EventStore.open(tmp / "events.db")
    notifier = RecordingNotifier()
    runner = DrillRunner(
        plan,
        plan.scenarios[0].id,
        sink=store,
        notifiers=[notifier],
        clock=RealClock(),
        drill_id=DRILL,
    )
    sent = asyncio.Event()

    async def on_event(drill_id: str, event: Event) -> None:
        if isinstance(event, PageSent):
            sent.set()

    runner.handlers.subscribe(on_event)
    task = asyncio.create_task(runner.run())
    links = Links(public_url=PUBLIC_URL, key="hostile-link-key-0123", ttl_seconds=3600)
    registry = DrillRegistry()
    registry.register(DRILL, runner)
    hooks = (
        [twilio_routes(public_url=PUBLIC_URL, auth_token=twilio_token)] if twilio_token else None
    )
    server = AckServer(AckSettings(listen_port=0), registry, links=links, route_hooks=hooks)
    try:
        async with asyncio.timeout(10):
            # The page's PageSent is stored after the send: wait for it, so that nothing
            # the drill writes by itself lands in the middle of a test's before/after.
            await sent.wait()
        await server.start()
        yield LiveDrill(runner, store, server, links, notifier.pages[0])
    finally:
        await server.stop()
        if not runner.over:
            await runner.finish(by="test")
        await task
        await store.close()


async def raw_request(port: int, data: bytes, *, seconds: float = 5.0) -> tuple[int, bytes]:
    """Send bytes as they are (no client fixing them up); the status and the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(seconds):
            answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head = answer.split(b"\r\n", 1)[0].split(b" ")
    status = int(head[1]) if len(head) > 1 and head[1].isdigit() else 0
    return status, answer
