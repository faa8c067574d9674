"""Benchmarks of the acknowledgement path and the e-mail channel, on loopback only.

1. Durable acknowledgements per second through the ack server: real HTTP POSTs to
   acknowledgement links, each answered only after an `Acknowledged` event is committed
   to the real event store (SQLite on a temp file, synchronous=FULL); then the latency of
   the same POSTs at a steady 100 per second. Targets: >= 500/s, p99 < 50 ms. Measured
   twice: with the drill runner as the `Inbox` (the real path: acknowledgements that
   queue up while it is busy are recorded by one `append_many`, one commit, then
   applied), and with a thin inbox that appends straight to the store (concurrent
   appends share commits by the store's group commit).
2. E-mail: the same N messages to the same sandbox SMTP server, by bare aiosmtplib
   (`sendmail` of messages rendered beforehand: transport only) and by our
   `EmailNotifier` (which also signs the link, renders the message, checks addresses
   and classifies failures), on one connection and on four. Target: ours / bare >= 0.8.

Prints figures; asserts nothing. Bounded: about half a minute.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import aiosmtplib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drill.ack.memory import MemoryInbox
from drill.ack.server import AckServer
from drill.channels.email import EmailNotifier, render_message
from drill.channels.links import Links
from drill.channels.ratelimit import RateLimiter
from drill.config import AckSettings
from drill.engine.clock import RealClock
from drill.engine.events import Acknowledged
from drill.engine.notifier import AckOutcome, Inbox, Page, RenderedMessage, SendResult
from drill.engine.runner import DrillRunner
from drill.plan.loader import load_plan, sample_plan_dir
from drill.plan.models import ChannelKind
from drill.sandbox.smtp import SmtpSandbox
from drill.store.eventstore import EventStore

THROUGHPUT_POSTS = 3000
CONCURRENCY = 32
STEADY_RATE = 100
STEADY_SECONDS = 5
MAILS = 1000
TIME_BUDGET = 8.0
"""Seconds at most for one throughput run (the runner path can be slow)."""


class AcceptEverything:
    """A notifier for every kind that accepts each page and keeps it (nobody answers)."""

    kinds = frozenset(ChannelKind)
    local = True  # nobody is paged

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.first = asyncio.Event()

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, page: Page) -> SendResult:
        self.pages.append(page)
        self.first.set()
        return SendResult.ok(f"bench-{len(self.pages)}")

    async def close(self) -> None:
        return None


class StoreInbox:
    """An `Inbox` that appends each acknowledgement to the store and nothing else."""

    def __init__(self, store: EventStore, drill_id: str) -> None:
        self.store = store
        self.drill_id = drill_id
        self.acknowledged: set[str] = set()

    async def acknowledge(
        self,
        page_id: str,
        *,
        source: str,
        key: str | None = None,
        received_at: dt.datetime | None = None,
        entered_by: str | None = None,
    ) -> AckOutcome:
        now = dt.datetime.now(dt.UTC)
        event = Acknowledged(
            at=now,
            elapsed=0.0,
            page_id=page_id,
            tree="bench",
            level="l1",
            member="m",
            person_id="p",
            person_name="田中 一郎",
            channel=ChannelKind.EMAIL,
            source=source,
            entered_by=entered_by,
            received_at=received_at or now,
            late=False,
            first=page_id not in self.acknowledged,
        )
        appended = await self.store.append(self.drill_id, event, key=key)
        if appended.duplicate:
            return AckOutcome.DUPLICATE
        first = page_id not in self.acknowledged
        self.acknowledged.add(page_id)
        return AckOutcome.ACCEPTED if first else AckOutcome.ALREADY_ACKNOWLEDGED

    async def delivery_failed(self, page_id: str, reason: object, **kwargs: object) -> None:
        return None

    async def delivery_status(self, page_id: str, status: object, **kwargs: object) -> None:
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(label: str, inbox: Inbox, drill_id: str, pages: list[Page]) -> None:
    """POST distinct acknowledgement links for `pages` through a real ack server."""
    # Every POST carries a distinct token (signed a minute apart: a short token names the
    # minute it was made in), so every one is a new acknowledgement (ACCEPTED, then
    # ALREADY_ACKNOWLEDGED for the same person): each is one durable append, none a
    # duplicate (HTTP 409).
    moment = [time.time()]

    def clock() -> float:
        moment[0] -= 60
        return moment[0]

    signer = Links(public_url="http://x", key="bench", ttl_seconds=10**7, clock=clock)
    verifier = Links(public_url="http://x", key="bench", ttl_seconds=10**7)
    async with AckServer(AckSettings(listen_port=0), links=verifier, route_hooks=[]) as server:
        server.registry.register(drill_id, inbox)
        total = 100 + THROUGHPUT_POSTS + STEADY_RATE * STEADY_SECONDS
        urls = [f"{server.url}/a/{signer.make_token(pages[n % len(pages)])}" for n in range(total)]
        statuses: dict[int, int] = {}
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def post(link: str) -> float:
                started = time.perf_counter()
                async with http.post(link, data={"confirm": "yes"}) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                return time.perf_counter() - started

            for link in urls[:100]:  # warm up
                await post(link)
            queue = iter(urls[100 : 100 + THROUGHPUT_POSTS])
            done = [0]
            started = time.perf_counter()

            async def worker() -> None:
                for link in queue:
                    await post(link)
                    done[0] += 1
                    if time.perf_counter() - started > TIME_BUDGET:
                        return

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - started
            print(
                f"{label}: {done[0] / elapsed:,.0f} acknowledgements/s "
                f"({done[0]} POSTs, {CONCURRENCY} in flight, {elapsed:.2f} s; "
                "target >= 500/s)"
            )
            tasks = []
            begin = time.perf_counter()
            for n, link in enumerate(urls[100 + THROUGHPUT_POSTS :]):
                delay = begin + n / STEADY_RATE - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.ensure_future(post(link)))
            ms = [value * 1000 for value in await asyncio.gather(*tasks)]
            print(
                f"  at a steady {STEADY_RATE}/s for {STEADY_SECONDS} s: p50 "
                f"{statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max "
                f"{max(ms):.1f} ms (target p99 < 50 ms); HTTP statuses "
                f"{dict(sorted(statuses.items()))}"
            )


async def bench_acks() -> None:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    scenario = next(s.id for s in plan.scenarios if s.kind == "drill")
    with tempfile.TemporaryDirectory() as tmp:
        async with EventStore.open(f"sqlite+aiosqlite:///{Path(tmp) / 'events.db'}") as store:
            notifier = AcceptEverything()
            runner = DrillRunner(
                plan, scenario, sink=store, notifiers=[notifier], clock=RealClock()
            )
            driving = asyncio.ensure_future(runner.run(finish_when_idle=False))
            await notifier.first.wait()
            await measure(
                "ack server -> drill runner -> store", runner, runner.drill_id, list(notifier.pages)
            )
            driving.cancel()
            await asyncio.gather(driving, return_exceptions=True)
            await runner.close()
            acks = sum(
                1
                for item in await store.read(runner.drill_id)
                if isinstance(item.event, Acknowledged)
            )
            print(f"  Acknowledged events stored through the runner: {acks:,}")

            pages = [sample_page(n) for n in range(50)]
            await measure(
                "ack server -> store (thin inbox)", StoreInbox(store, "bench"), "bench", pages
            )
    # The server's own ceiling: the same requests with nothing written anywhere.
    label = "ack server -> memory (NOT durable, for comparison)"
    await measure(label, MemoryInbox(), "bench", pages)


def sample_page(n: int) -> Page:
    return Page(
        page_id=f"bench-p{n}",
        drill_id="bench",
        mode="drill",
        person_id=f"person-{n}",
        person_name="田中 一郎",
        language="ja",
        role_name="システム管理者",
        channel=ChannelKind.EMAIL,
        address=f"person{n}@city.example",
        attempt=1,
        message=RenderedMessage(
            voice="-",
            sms="-",
            email_subject="庁内緊急連絡:集約センター障害",
            email_body="田中 一郎 様\n\n集約センターで障害が発生しました。\n至急確認してください。",
        ),
    )


async def bench_mail() -> None:
    links = Links(public_url="https://ack.city.example", key="bench", ttl_seconds=3600)
    async with SmtpSandbox(act=False) as smtp:
        settings = smtp.settings()
        pages = [sample_page(n) for n in range(MAILS)]

        async def bare(connections: int) -> float:
            # The same messages, rendered beforehand: bare aiosmtplib only transmits them.
            messages = [
                render_message(
                    page,
                    link=links.make_link(page),
                    token=links.make_token(page),
                    from_address=settings.from_address,
                    reply_to=settings.reply_to,
                )[0]
                for page in pages
            ]
            clients = [
                aiosmtplib.SMTP(hostname=smtp.host, port=smtp.port, start_tls=False)
                for _ in range(connections)
            ]
            for client in clients:
                await client.connect()
            started = time.perf_counter()

            async def run(client: aiosmtplib.SMTP, share: list[bytes]) -> None:
                for n, message in enumerate(share):
                    await client.sendmail(settings.from_address, [f"p{n}@city.example"], message)

            await asyncio.gather(*(run(c, messages[i::connections]) for i, c in enumerate(clients)))
            elapsed = time.perf_counter() - started
            for client in clients:
                await client.quit()
            return elapsed

        async def ours(connections: int) -> float:
            notifier = EmailNotifier(
                settings,
                make_link=links,
                sample_plan=True,
                connections=connections,
                limiter=RateLimiter(None),  # no rate limit: the bare client has none
            )
            await notifier.send(sample_page(10**6))  # open the first connection
            started = time.perf_counter()
            if connections == 1:
                results = [await notifier.send(page) for page in pages]
            else:
                results = await asyncio.gather(*(notifier.send(page) for page in pages))
            elapsed = time.perf_counter() - started
            await notifier.close()
            failed = [r for r in results if not r.accepted]
            assert not failed, failed[:3]
            return elapsed

        for connections in (1, 4):
            bare_s = await bare(connections)
            ours_s = await ours(connections)
            print(
                f"e-mail, {MAILS} messages, {connections} connection(s): bare aiosmtplib "
                f"{MAILS / bare_s:,.0f}/s, EmailNotifier {MAILS / ours_s:,.0f}/s, "
                f"ratio {bare_s / ours_s:.2f} (target >= 0.8)"
            )
        print(f"  messages received by the sandbox: {len(smtp.received):,}")


async def main() -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, loopback only")
    await bench_acks()
    await bench_mail()


if __name__ == "__main__":
    asyncio.run(main())
