"""Benchmarks of the acknowledgement path and the e-mail channel, on loopback only.

1. Durable acknowledgements per second through the ack server: real HTTP POSTs to
   acknowledgement links, answered only after the drill runner (the real `Inbox`) has
   appended the `Acknowledged` event to the real event store (SQLite on a temp file,
   synchronous=FULL). Then the latency of the same POSTs at a steady 100 per second.
   Targets: >= 500/s, p99 < 50 ms.
2. E-mail: the same N messages to the same sandbox SMTP server, by bare aiosmtplib and
   by our `EmailNotifier` (which also renders, signs the link and rate-limits), on one
   connection and on four. Target: ours / bare >= 0.8.

Prints figures; asserts nothing. Bounded: about half a minute.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import aiosmtplib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drill.ack.links import Links
from drill.ack.server import AckServer
from drill.channels.email import EmailNotifier, build_message
from drill.channels.ratelimit import RateLimiter
from drill.config import AckSettings
from drill.engine.clock import RealClock
from drill.engine.notifier import Inbox, Page, RenderedMessage, SendResult
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


class AcceptEverything:
    """A notifier for every kind that accepts each page and keeps it (nobody answers)."""

    kinds = frozenset(ChannelKind)

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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def bench_acks() -> None:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    scenario = next(s.id for s in plan.scenarios if s.kind == "drill")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'events.db'}"
        async with EventStore.open(url) as store:
            notifier = AcceptEverything()
            runner = DrillRunner(
                plan, scenario, sink=store, notifiers=[notifier], clock=RealClock()
            )
            driving = asyncio.ensure_future(runner.run(finish_when_idle=False))
            await notifier.first.wait()
            pages = list(notifier.pages)

            # Every POST carries a distinct token (signed a second apart), so every one
            # is a new acknowledgement (the first per person ACCEPTED, then
            # ALREADY_ACKNOWLEDGED): each is one durable append, none a cheap duplicate.
            moment = [time.time()]

            def clock() -> float:
                moment[0] -= 1
                return moment[0]

            signer = Links(public_url="http://x", key="bench", ttl_seconds=10**7, clock=clock)
            verifier = Links(public_url="http://x", key="bench", ttl_seconds=10**7)
            settings = AckSettings(listen_port=0)
            async with AckServer(settings, links=verifier, route_hooks=[]) as server:
                server.registry.register(runner.drill_id, runner)
                urls = [
                    f"{server.url}/a/{signer.make_token(pages[n % len(pages)])}"
                    for n in range(THROUGHPUT_POSTS + STEADY_RATE * STEADY_SECONDS + 100)
                ]
                connector = aiohttp.TCPConnector(limit=CONCURRENCY)
                async with aiohttp.ClientSession(connector=connector) as http:
                    statuses: dict[int, int] = {}

                    async def post(link: str) -> float:
                        started = time.perf_counter()
                        async with http.post(link, data={"confirm": "yes"}) as response:
                            await response.read()
                            statuses[response.status] = statuses.get(response.status, 0) + 1
                        return time.perf_counter() - started

                    for link in urls[:100]:  # warm up
                        await post(link)
                    queue = iter(urls[100 : 100 + THROUGHPUT_POSTS])

                    async def worker() -> None:
                        for link in queue:
                            await post(link)

                    started = time.perf_counter()
                    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
                    elapsed = time.perf_counter() - started
                    rate = THROUGHPUT_POSTS / elapsed
                    print(
                        f"durable acknowledgements through the ack server: {rate:,.0f}/s "
                        f"({THROUGHPUT_POSTS} POSTs, {CONCURRENCY} in flight, "
                        f"{elapsed:.2f} s; target >= 500/s)"
                    )

                    steady = urls[100 + THROUGHPUT_POSTS :]
                    latencies: list[float] = []
                    tasks = []
                    begin = time.perf_counter()
                    for n, link in enumerate(steady[: STEADY_RATE * STEADY_SECONDS]):
                        delay = begin + n / STEADY_RATE - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        tasks.append(asyncio.ensure_future(post(link)))
                    latencies = list(await asyncio.gather(*tasks))
                    ms = [value * 1000 for value in latencies]
                    print(
                        f"latency at a steady {STEADY_RATE}/s for {STEADY_SECONDS} s: "
                        f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
                        f"max {max(ms):.1f} ms (target p99 < 50 ms)"
                    )
                    print(f"  HTTP statuses: {dict(sorted(statuses.items()))}")
            events = await store.read(runner.drill_id)
            acks = sum(1 for item in events if type(item.event).__name__ == "Acknowledged")
            print(f"  Acknowledged events in the store: {acks}")
            driving.cancel()
            await asyncio.gather(driving, return_exceptions=True)
            await runner.close()


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
            # The same messages, built beforehand: bare aiosmtplib only transmits them.
            messages = [
                build_message(
                    page,
                    link=links.make_link(page),
                    token=links.make_token(page),
                    from_address=settings.from_address,
                    reply_to=settings.reply_to,
                )
                for page in pages
            ]
            clients = [
                aiosmtplib.SMTP(hostname=smtp.host, port=smtp.port, start_tls=False)
                for _ in range(connections)
            ]
            for client in clients:
                await client.connect()
            started = time.perf_counter()

            async def run(client: aiosmtplib.SMTP, share: list[object]) -> None:
                for message in share:
                    await client.send_message(message)  # type: ignore[arg-type]

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
