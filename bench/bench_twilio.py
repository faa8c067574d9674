"""Twilio channel throughput against the sandbox (loopback only). Prints figures; no asserts.

1. Fan-out of 2,000 pages (voice calls, then SMS) through our notifiers with no rate limit,
   compared in the same run with the bare twilio client (`AsyncTwilioHttpClient`) sending
   the same requests to the same sandbox: our throughput as a share of the bare one
   (target >= 0.8). Runs alternate bare/ours to share the machine's drift fairly.
2. With a rate limit of R per second: time to page N people versus N/R (target within 5 %).

The sandbox runs in a child process (so it does not share the client's event loop) and
only accepts and records (`simulate=False`): nobody is rung and nothing calls back.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import statistics
import sys
import time
import warnings
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from drill.channels.ratelimit import RateLimiter
from drill.channels.retry import RetryPolicy
from drill.channels.sms import sms_body
from drill.channels.twilio_account import build_twilio_notifiers
from drill.channels.voice import VoiceScript, call_twiml
from drill.config import AckSettings, Config, TwilioSettings
from drill.engine.notifier import Page, RenderedMessage
from drill.plan.models import ChannelKind, Plan, PlanInfo

PAGES = 2_000
ROUNDS = 3
PUBLIC = "http://127.0.0.1:8750"
LINK = f"{PUBLIC}/a/ZHJpbGwtYmVuY2gtcDEtc21zLTEgMSBzIDE.aXyZ12.abcdefghijklmnopqrst"


def _serve(conn: Connection) -> None:
    from drill.sandbox.twilio_api import TwilioSandbox

    async def main() -> None:
        sandbox = TwilioSandbox(simulate=False)
        await sandbox.start()
        conn.send((sandbox.base_url, sandbox.account_sid, sandbox.auth_token))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)
        await sandbox.close()

    asyncio.run(main())


def page(n: int, channel: ChannelKind) -> Page:
    return Page(
        page_id=f"drill-bench-p{n}-{channel.value}-1",
        drill_id="drill-bench",
        mode="drill",
        person_id=f"person-{n}",
        person_name="山田 太郎",
        language="ja",
        role_name="システム管理者",
        channel=channel,
        address=f"+8190{n:09d}"[:13].ljust(13, "0"),
        attempt=1,
        message=RenderedMessage(
            voice="山田 太郎様、集約センターで障害が発生しました。",
            sms="集約センター障害。確認を",
            email_subject="件名",
            email_body="本文",
        ),
    )


def plan() -> Plan:
    import datetime as dt

    return Plan(
        info=PlanInfo(
            organisation="ベンチ市",  # type: ignore[arg-type]
            title="計画",  # type: ignore[arg-type]
            version="1",
            approved_on=dt.date(2026, 1, 1),
        )
    )


async def bare(settings: TwilioSettings, token: str, pages: list[Page]) -> float:
    """Pages per second with the bare twilio async client, same requests."""
    http = AsyncTwilioHttpClient()
    client = Client(settings.account_sid, token, http_client=http)
    client.api.base_url = settings.api_base_url
    bodies = []
    for p in pages:
        if p.channel is ChannelKind.VOICE:
            bodies.append(call_twiml(VoiceScript.for_page(p, settings), PUBLIC))
        else:
            bodies.append(sms_body(p, LINK))
    started = time.perf_counter()
    if pages[0].channel is ChannelKind.VOICE:
        await asyncio.gather(
            *(
                client.calls.create_async(to=p.address, from_=settings.from_number, twiml=b)
                for p, b in zip(pages, bodies, strict=True)
            )
        )
    else:
        await asyncio.gather(
            *(
                client.messages.create_async(to=p.address, from_=settings.from_number, body=b)
                for p, b in zip(pages, bodies, strict=True)
            )
        )
    elapsed = time.perf_counter() - started
    await http.close()
    return len(pages) / elapsed


async def ours(
    settings: TwilioSettings, token: str, pages: list[Page], *, rate: float | None = None
) -> tuple[float, float]:
    """(pages per second, seconds) through our notifiers; `rate` None: no rate limit."""
    config = Config(ack=AckSettings(public_url=PUBLIC), twilio=settings)
    built = build_twilio_notifiers(
        config,
        plan(),
        auth_token=token,
        links=lambda p: LINK,
        retry=RetryPolicy(attempts=1),
    )
    assert built.voice is not None and built.sms is not None
    notifier = built.voice if pages[0].channel is ChannelKind.VOICE else built.sms
    notifier.limiter = RateLimiter(rate, name="bench")
    started = time.perf_counter()
    results = await asyncio.gather(*(notifier.send(p) for p in pages))
    elapsed = time.perf_counter() - started
    for n in built.all:
        await n.close()
    failed = [r for r in results if not r.accepted]
    if failed:
        print(f"   ! {len(failed)} pages failed: {failed[0].failure} {failed[0].detail}")
    return len(pages) / elapsed, elapsed


async def run(base_url: str, account_sid: str, token: str) -> None:
    settings = TwilioSettings(
        account_sid=account_sid,
        from_number="+81950000000",
        api_base_url=base_url,
        timeout_seconds=30,
    )
    print(f"Twilio fan-out: {PAGES} pages per run, {ROUNDS} rounds, sandbox in a child process")
    for channel in (ChannelKind.VOICE, ChannelKind.SMS):
        pages = [page(n, channel) for n in range(PAGES)]
        bare_rates: list[float] = []
        our_rates: list[float] = []
        await bare(settings, token, pages[:200])  # warm up both paths
        await ours(settings, token, pages[:200])
        for _ in range(ROUNDS):
            bare_rates.append(await bare(settings, token, pages))
            our_rates.append((await ours(settings, token, pages))[0])
        b, o = statistics.median(bare_rates), statistics.median(our_rates)
        print(
            f"  {channel.value:5}  bare twilio client {b:7.0f} pages/s   ours {o:7.0f} pages/s"
            f"   ratio {o / b:.2f}  (target >= 0.8; runs: bare "
            + ", ".join(f"{r:.0f}" for r in bare_rates)
            + "; ours "
            + ", ".join(f"{r:.0f}" for r in our_rates)
            + ")"
        )

    print("Rate limit: time to page N people versus N/R")
    for rate, count in ((10.0, 50), (20.0, 100), (50.0, 250)):
        pages = [page(n, ChannelKind.VOICE) for n in range(count)]
        _, elapsed = await ours(settings, token, pages, rate=rate)
        ideal = count / rate
        print(
            f"  R={rate:4.0f}/s N={count:4d}: {elapsed:6.3f} s vs N/R {ideal:6.3f} s"
            f"   deviation {100 * (elapsed - ideal) / ideal:+5.1f} %  (target within 5 %)"
        )


def main() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)  # the bare client's BasicAuth warning
    logging.basicConfig(level=logging.ERROR)  # per-page log lines would be measured too
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        base_url, account_sid, token = parent.recv()
        asyncio.run(run(base_url, account_sid, token))
    finally:
        parent.send("stop")
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()
