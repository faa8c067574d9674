"""Twilio channel throughput against the sandbox (loopback only). Prints figures; no asserts.

    .venv/bin/python bench/bench_twilio.py [--pages N] [--rounds N]

1. Fan-out of --pages pages (voice calls, then SMS) through our notifiers with no rate
   limit, compared in the same run with the bare twilio client (`AsyncTwilioHttpClient`)
   sending the same requests to the same sandbox: our throughput as a share of the bare
   one (target >= 0.9). --rounds rounds of both, the order swapped every round: whichever
   side runs second in a round runs faster (a round's ratio moved by a fifth or more with
   the order), so each side goes first as often; the figure is the median of the rounds'
   ratios.
2. With a rate limit of R per second: time to page N people versus N/R (target within 5 %).

Figures are printed with target and ratio and kept in bench/results.json.

The sandbox runs in a child process (so it does not share the client's event loop) and
only accepts and records (`simulate=False`): nobody is rung and nothing calls back.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from drill.channels.ratelimit import RateLimiter
from drill.channels.retry import RetryPolicy
from drill.channels.sms import MESSAGE_STATUS_PATH, sms_body
from drill.channels.twilio_account import build_twilio_notifiers
from drill.channels.voice import STATUS_PATH, VoiceScript, call_twiml, callback_url
from drill.config import AckSettings, Config, TwilioSettings
from drill.engine.notifier import Page, RenderedMessage
from drill.plan.models import ChannelKind, Plan, PlanInfo

BENCH = "twilio"
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


async def bare(settings: TwilioSettings, token: str, pages: list[Page]) -> tuple[float, float]:
    """(pages per second, client CPU µs per page) with the bare twilio async client.

    The same form parameters as our notifiers send (TwiML or body, status callback and
    its events), built before the clock starts: only the sending is timed.
    """
    http = AsyncTwilioHttpClient()
    client = Client(settings.account_sid, token, http_client=http)
    client.api.base_url = settings.api_base_url
    requests = []
    for p in pages:
        script = VoiceScript.for_page(p, settings)
        query = {"drill": p.drill_id, "page": p.page_id, "lang": script.language}
        if p.channel is ChannelKind.VOICE:
            requests.append(
                {
                    "to": p.address,
                    "from_": settings.from_number,
                    "twiml": call_twiml(script, PUBLIC),
                    "status_callback": callback_url(PUBLIC, STATUS_PATH, **query),
                    "status_callback_event": ["initiated", "ringing", "answered", "completed"],
                    "status_callback_method": "POST",
                    "timeout": 30,
                }
            )
        else:
            requests.append(
                {
                    "to": p.address,
                    "from_": settings.from_number,
                    "body": sms_body(p, LINK),
                    "status_callback": callback_url(
                        PUBLIC, MESSAGE_STATUS_PATH, drill=p.drill_id, page=p.page_id
                    ),
                }
            )
    create = (
        client.calls.create_async
        if pages[0].channel is ChannelKind.VOICE
        else client.messages.create_async
    )
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(create(**r) for r in requests))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await http.close()
    return len(pages) / elapsed, cpu / len(pages) * 1e6


async def ours(
    settings: TwilioSettings, token: str, pages: list[Page], *, rate: float | None = None
) -> tuple[float, float, float]:
    """(pages per second, seconds, client CPU µs per page) through our notifiers.

    `rate` None: no rate limit.
    """
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
    started, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(notifier.send(p) for p in pages))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    for n in built.all:
        await n.close()
    failed = [r for r in results if not r.accepted]
    if failed:
        print(f"   ! {len(failed)} pages failed: {failed[0].failure} {failed[0].detail}")
    return len(pages) / elapsed, elapsed, cpu / len(pages) * 1e6


async def run(base_url: str, account_sid: str, token: str, pages_n: int, rounds: int) -> None:
    settings = TwilioSettings(
        account_sid=account_sid,
        from_number="+81950000000",
        api_base_url=base_url,
        timeout_seconds=30,
    )
    print(f"Twilio fan-out: {pages_n} pages per run, {rounds} rounds, sandbox in a child process")
    print(
        "  (same requests both ways; the bare client's payloads are built before its clock starts)"
    )
    for channel in (ChannelKind.VOICE, ChannelKind.SMS):
        pages = [page(n, channel) for n in range(pages_n)]
        bare_runs: list[tuple[float, float]] = []
        our_runs: list[tuple[float, float]] = []
        await bare(settings, token, pages[:200])  # warm up both paths
        await ours(settings, token, pages[:200])
        # Each round's ratio, the order swapped every round: the second run of a round is
        # the faster, and the machine's pace changes within seconds.
        for round_ in range(rounds):
            if round_ % 2:
                rate, _, cpu = await ours(settings, token, pages)
                bare_runs.append(await bare(settings, token, pages))
            else:
                bare_runs.append(await bare(settings, token, pages))
                rate, _, cpu = await ours(settings, token, pages)
            our_runs.append((rate, cpu))
        b = statistics.median(r for r, _ in bare_runs)
        o = statistics.median(r for r, _ in our_runs)
        b_cpu = statistics.median(c for _, c in bare_runs)
        o_cpu = statistics.median(c for _, c in our_runs)
        ratios = [
            ours_run[0] / bare_run[0]
            for ours_run, bare_run in zip(our_runs, bare_runs, strict=True)
        ]
        ratio = statistics.median(ratios)
        print(
            f"  {channel.value:5}  bare twilio client {b:6.0f} pages/s ({b_cpu:4.0f} µs CPU/page)"
            f"   ours {o:6.0f} pages/s ({o_cpu:4.0f} µs CPU/page)"
            f"   ratio {ratio:.2f} (median of the rounds' ratios)"
        )
        record(
            BENCH,
            f"{channel.value} fan-out vs bare twilio client, {pages_n:,} pages",
            ratio,
            "x",
            0.9,
            higher_is_better=True,
            note=f"median of {rounds} rounds' ratios ({', '.join(f'{r:.2f}' for r in ratios)}); "
            f"bare {b:.0f}/s, ours {o:.0f}/s",
        )
        print(
            "         runs (pages/s): bare "
            + ", ".join(f"{r:.0f}" for r, _ in bare_runs)
            + "; ours "
            + ", ".join(f"{r:.0f}" for r, _ in our_runs)
        )

    print("Rate limit: time to page N people versus N/R")
    for rate, count in ((10.0, 50), (20.0, 100), (50.0, 250)):
        pages = [page(n, ChannelKind.VOICE) for n in range(count)]
        _, elapsed, _ = await ours(settings, token, pages, rate=rate)
        ideal = count / rate
        record(
            BENCH,
            f"rate limit {rate:g}/s, {count} pages: deviation from N/R",
            abs(100 * (elapsed - ideal) / ideal),
            "%",
            5.0,
            note=f"{elapsed:.3f} s vs N/R {ideal:.3f} s",
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--pages", type=int, default=1000, help="pages per fan-out run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="bare/ours rounds per channel (even: each first as often)",
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)  # the bare client's BasicAuth warning
    logging.basicConfig(level=logging.ERROR)  # per-page log lines would be measured too
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        base_url, account_sid, token = parent.recv()
        asyncio.run(run(base_url, account_sid, token, args.pages, args.rounds))
    finally:
        parent.send("stop")
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main(sys.argv[1:])
