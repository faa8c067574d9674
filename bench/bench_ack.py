"""Durable acknowledgements of distinct pages, through the ack server, over loopback HTTP;
and the e-mail channel against bare aiosmtplib.

    .venv/bin/python bench/bench_ack.py [--pages N] [--concurrency N] [--rate R] ...

1. A drill of --pages contacts (one parallel level, e-mail only) runs on the real clock
   with the real event store (SQLite on a temp file) and the real `EmailNotifier`, which
   pages every contact through the SMTP sandbox running in ANOTHER process. Each page gets
   its own signed acknowledgement link, served by the ack server in the drill's process.
   The people who answer run in a THIRD process, as their phones are not the server:
   keep-alive HTTP/1.1 over loopback, every answer's status and page checked. Then:
   - throughput: POSTs to distinct links, --concurrency in flight, each answered only once
     its `Acknowledged` event is durable: acknowledgements per second (target >= 2,000),
     with the server process's CPU time per acknowledgement beside it;
   - latency: further distinct links at a steady --rate per second (default 500) for
     --seconds: p99 (target < 20 ms).
   Every accepted acknowledgement is checked in the store afterwards (none lost, none
   doubled).
2. E-mail: the same --mails messages to the same sandbox, by bare aiosmtplib (messages
   rendered beforehand: transport only) and by our `EmailNotifier` (which also signs the
   link, renders, checks addresses and classifies failures), on one connection and on
   four, each with its connections open before the clock starts. --rounds rounds of
   both, the order swapped every round (each side goes first as often); the figure is
   the median of the rounds' ratios.
   Target: ours / bare >= 0.8.

Figures are printed with target and ratio and kept in bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import aiosmtplib

sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record

from drill.ack.server import AckServer
from drill.channels.email import EmailNotifier, render_message
from drill.channels.links import Links
from drill.channels.ratelimit import RateLimiter
from drill.config import AckSettings, SmtpSettings
from drill.engine.clock import RealClock
from drill.engine.events import Acknowledged
from drill.engine.notifier import Inbox, Page, RenderedMessage, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.synthetic import PlanBuilder
from drill.plan.models import ChannelKind, Plan
from drill.store.eventstore import EventStore

BENCH = "ack"


def _serve_smtp(conn: Connection) -> None:
    """The SMTP sandbox, in its own process: nobody acts on the mail, it is only kept."""
    from drill.sandbox.smtp import SmtpSandbox

    async def serve() -> None:
        async with SmtpSandbox(act=False) as smtp:
            conn.send((smtp.host, smtp.port))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(serve())


def _smtp_settings(host: str, port: int) -> SmtpSettings:
    return SmtpSettings(
        host=host,
        port=port,
        tls="none",
        from_address="drill@city.example",
        reply_to="replies@city.example",
        timeout_seconds=5,
        messages_per_second=100_000,
    )


class Recording:
    """The real e-mail notifier, keeping each page it sent (to sign its link)."""

    def __init__(self, inner: EmailNotifier, expect: int) -> None:
        self.inner = inner
        self.kinds = inner.kinds
        self.local = False
        self.pages: list[Page] = []
        self.expect = expect
        self.all_sent = asyncio.Event()

    async def start(self, inbox: Inbox) -> None:
        await self.inner.start(inbox)

    async def send(self, page: Page) -> SendResult:
        result = await self.inner.send(page)
        self.pages.append(page)
        if len(self.pages) >= self.expect:
            self.all_sent.set()
        return result

    async def close(self) -> None:
        await self.inner.close()


def ack_plan(contacts: int) -> Plan:
    """One parallel level of `contacts` roles, paged by e-mail, with an hour to answer."""
    b = PlanBuilder()
    roles = [b.role(f"r{n:05d}", b.person(f"p{n:05d}", voice=0, sms=0)) for n in range(contacts)]
    b.level("t", "all", roles, timeout=60, channels=("email",))
    return b.build()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of the load generator: a request at a time,
    its answer read by Content-Length (what the ack server sends)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.answer is None:
            return
        head = bytes(self.buffer[:end]).split(b"\r\n")
        length = next(
            (int(line[15:]) for line in head if line[:15].lower() == b"content-length:"), None
        )
        if length is None:
            self.fail(ConnectionError(f"no Content-Length in {head[0]!r}"))
        elif len(self.buffer) >= end + 4 + length:
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            answer, self.answer = self.answer, None
            answer.set_result((int(head[0].split(b" ", 2)[1]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(exc or ConnectionError("the server closed the connection"))

    def fail(self, exc: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None and self.answer is None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.answer


def _generate_load(urls: list[str], args: argparse.Namespace, conn: Connection) -> None:
    """The people, in their own process (as their phones are not the server): POST the
    links over keep-alive HTTP/1.1 connections (at most --concurrency), check every
    answer, and send the timings back. The requests are written by hand and the answers
    read by Content-Length: aiohttp's client cost as much CPU per request as the server,
    and on two cores that would be measured as the server's time."""
    host, port = urls[0].split("/")[2].split(":")

    def raw(url: str) -> bytes:
        path = "/" + url.split("/", 3)[3]
        return (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n"
            "Accept-Encoding: gzip, deflate\r\nUser-Agent: bench_ack\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n"
            "\r\nconfirm=yes"
        ).encode("ascii")

    requests = [raw(url) for url in urls]
    expected = {200: "確認しました".encode(), 409: "確認済みです".encode()}

    async def generate() -> None:
        loop = asyncio.get_running_loop()
        statuses: dict[int, int] = {}
        idle: list[_Connection] = []
        slots = asyncio.Semaphore(args.concurrency)

        async def post(n: int, expect: int) -> float:
            began = time.perf_counter()  # waiting for a connection counts, as in a browser
            async with slots:
                if idle:
                    person = idle.pop()
                else:
                    _, person = await loop.create_connection(_Connection, host, int(port))
                status, body = await person.request(requests[n])
                elapsed = time.perf_counter() - began
                idle.append(person)
            statuses[status] = statuses.get(status, 0) + 1
            if status != expect or expected[expect] not in body:
                raise SystemExit(f"{urls[n]}: HTTP {status}, not {expect}: {body[:200]!r}")
            return elapsed

        for n in range(args.warmup):
            await post(n, 200)
        # A replay storm: one answered link posted again by many at once (a forwarded
        # mail, a retrying gateway) while the drill runs: each gets its "already
        # answered" reply soon.
        storm = asyncio.Semaphore(100)

        async def replay() -> float:
            async with storm:
                return await post(0, 409)

        storm_ms = [v * 1000 for v in await asyncio.gather(*(replay() for _ in range(1000)))]
        queue = iter(range(args.warmup, args.warmup + args.pages))
        conn.send("throughput")
        began = time.perf_counter()

        async def worker() -> None:
            for n in queue:
                await post(n, 200)

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - began
        conn.send("steady")
        tasks = []
        began = time.perf_counter()
        for i, n in enumerate(range(args.warmup + args.pages, len(urls))):
            delay = began + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(post(n, 200)))
        steady_ms = [value * 1000 for value in await asyncio.gather(*tasks)]
        for person in idle:
            assert person.transport is not None
            person.transport.close()
        conn.send((storm_ms, elapsed, steady_ms, statuses))

    asyncio.run(generate())


def _cpu_seconds() -> float:
    """CPU time of this process (the server, the engine and the store's writer thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def bench_acks(host: str, port: int, args: argparse.Namespace) -> None:
    steady = int(args.rate * args.seconds)
    contacts = args.warmup + args.pages + steady
    key = "bench-ack-key"
    links = Links(public_url="http://127.0.0.1", key=key, ttl_seconds=3600)
    with tempfile.TemporaryDirectory() as tmp:
        async with EventStore.open(Path(tmp) / "events.db") as store:
            email = EmailNotifier(
                _smtp_settings(host, port),
                make_link=links,
                sample_plan=True,
                connections=4,
                limiter=RateLimiter(None),
            )
            notifier = Recording(email, contacts)
            runner = DrillRunner(
                ack_plan(contacts), "drill", sink=store, notifiers=[notifier], clock=RealClock()
            )
            started = time.perf_counter()
            driving = asyncio.ensure_future(runner.run(finish_when_idle=False))
            await asyncio.wait_for(notifier.all_sent.wait(), args.timeout)
            print(
                f"  {contacts:,} contacts paged by e-mail to the sandbox process in "
                f"{time.perf_counter() - started:.1f} s"
            )
            async with AckServer(AckSettings(listen_port=0), links=links, route_hooks=[]) as srv:
                srv.registry.register(runner.drill_id, runner)
                urls = [f"{srv.url}/a/{links.make_token(page)}" for page in notifier.pages]
                assert len(set(urls)) == len(urls), "every link names a distinct page"
                parent, child = multiprocessing.get_context("spawn").Pipe()
                people = multiprocessing.get_context("spawn").Process(
                    target=_generate_load, args=(urls, args, child), daemon=True
                )
                people.start()
                child.close()  # the generator's end: its exit is then an EOFError here
                loop = asyncio.get_running_loop()
                # This loop serves while the pipe is read on a thread.
                marks: dict[str, float] = {}
                try:
                    while isinstance(got := await loop.run_in_executor(None, parent.recv), str):
                        marks[got] = _cpu_seconds()
                except EOFError:
                    raise SystemExit("the load generator failed: see its error above") from None
                people.join(timeout=10)
            storm_ms, elapsed, steady_ms, statuses = got
            record(
                BENCH,
                "replay storm: 1,000 posts of one answered link, 100 at once, slowest",
                max(storm_ms),
                "ms",
                1000.0,
                note=f"p50 {statistics.median(storm_ms):.1f} ms",
            )
            cpu = (marks["steady"] - marks["throughput"]) / args.pages
            record(
                BENCH,
                f"durable acks/s, {args.pages:,} distinct pages, {args.concurrency} in flight",
                args.pages / elapsed,
                "/s",
                2000.0,
                higher_is_better=True,
                note=f"server process CPU {cpu * 1e6:.0f} µs per ack",
            )
            record(
                BENCH,
                f"ack p99 latency at {args.rate:g}/s, {steady:,} distinct pages",
                percentile(steady_ms, 0.99),
                "ms",
                20.0,
                note=f"p50 {statistics.median(steady_ms):.1f} ms, max {max(steady_ms):.1f} ms",
            )
            driving.cancel()
            await asyncio.gather(driving, return_exceptions=True)
            await runner.close()
            stored = [
                item.event
                for item in await store.read(runner.drill_id)
                if isinstance(item.event, Acknowledged) and not item.duplicate
            ]
            acked = {event.page_id for event in stored}
            print(
                f"  HTTP statuses {dict(sorted(statuses.items()))}; Acknowledged events stored "
                f"{len(stored):,} for {len(acked):,} distinct pages (posted {len(urls):,})"
            )
            if len(stored) != len(urls) or len(acked) != len(urls):
                raise SystemExit("acknowledgements lost or doubled: see the counts above")


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


async def bench_mail(host: str, port: int, mails: int, rounds: int) -> None:
    links = Links(public_url="https://ack.city.example", key="bench", ttl_seconds=3600)
    settings = _smtp_settings(host, port)
    # The sandbox runs in its own process (started by main).
    pages = [sample_page(n) for n in range(mails)]

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
            aiosmtplib.SMTP(hostname=host, port=port, start_tls=False) for _ in range(connections)
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
        # Its connections opened first, as the bare clients' are.
        await asyncio.gather(*(notifier.send(sample_page(10**6 + n)) for n in range(connections)))
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
        # Rounds of both, each round's ratio taken, the order swapped every round: the
        # machine's pace changes within seconds, and one run of each compared it too.
        ratios, bare_rates, our_rates = [], [], []
        for round_ in range(rounds):
            if round_ % 2:
                ours_s = await ours(connections)
                bare_s = await bare(connections)
            else:
                bare_s = await bare(connections)
                ours_s = await ours(connections)
            ratios.append(bare_s / ours_s)
            bare_rates.append(mails / bare_s)
            our_rates.append(mails / ours_s)
        record(
            BENCH,
            f"EmailNotifier vs bare aiosmtplib, {mails:,} mails, {connections} connection(s)",
            statistics.median(ratios),
            "x",
            0.8,
            higher_is_better=True,
            note=f"median of {rounds} rounds' ratios ({', '.join(f'{r:.2f}' for r in ratios)}); "
            f"bare {statistics.median(bare_rates):,.0f}/s, ours {statistics.median(our_rates):,.0f}/s",
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--pages", type=int, default=3000, help="acks for the throughput figure")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight")
    parser.add_argument("--rate", type=float, default=500, help="steady acks per second")
    parser.add_argument("--seconds", type=float, default=3, help="seconds at the steady rate")
    parser.add_argument("--warmup", type=int, default=100, help="acks before measuring")
    parser.add_argument("--mails", type=int, default=1000, help="mails of the e-mail figure")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="rounds of the e-mail figure (even: each first as often)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds to page everyone")
    parser.add_argument("--only", choices=["ack", "mail"], help="one part only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # per-page log lines would be measured too
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve_smtp, args=(child,), daemon=True)
    server.start()
    try:
        host, port = parent.recv()
        if args.only in (None, "ack"):
            asyncio.run(bench_acks(host, port, args))
        if args.only in (None, "mail"):
            asyncio.run(bench_mail(host, port, args.mails, args.rounds))
    finally:
        parent.send("stop")
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main(sys.argv[1:])
