"""The pieces on their own: rate limiter (virtual time), error classification, retry policy."""

from __future__ import annotations

import asyncio
import random

import pytest
from twilio.base.exceptions import TwilioRestException

from drill.channels.ratelimit import RateLimiter
from drill.channels.retry import RetryPolicy, call_with_retries
from drill.channels.twilio_http import (
    RequestLost,
    RequestNotSent,
    RequestTimeout,
    classify,
    is_loopback_url,
    scrub,
)
from drill.engine.notifier import FailureReason


class VirtualTime:
    """A clock and a sleep that only move when slept on."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_the_limiter_spaces_sends_exactly_one_interval_apart() -> None:
    time = VirtualTime()
    limiter = RateLimiter(4.0, clock=time.clock, sleep=time.sleep)
    stamps = []
    for _ in range(9):
        await limiter.acquire()
        stamps.append(time.now)
    assert stamps == pytest.approx([n * 0.25 for n in range(9)])


async def test_the_limiter_allows_a_burst_then_the_rate() -> None:
    time = VirtualTime()
    limiter = RateLimiter(2.0, burst=3, clock=time.clock, sleep=time.sleep)
    delays = [limiter.reserve() for _ in range(5)]
    assert delays == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0])


async def test_an_idle_limiter_does_not_save_up_slots() -> None:
    time = VirtualTime()
    limiter = RateLimiter(1.0, clock=time.clock, sleep=time.sleep)
    await limiter.acquire()
    time.now += 60
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == pytest.approx(1.0)  # not 60 sends at once


async def test_no_limit_never_waits() -> None:
    limiter = RateLimiter(None)
    assert not limiter.limited and limiter.reserve() == 0.0
    with pytest.raises(ValueError):
        RateLimiter(0)


async def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    limiter = RateLimiter(10.0)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.reserve() == pytest.approx(0.1, abs=0.02)  # the next slot, not the one after


def rest(status: int, code: int | None) -> TwilioRestException:
    return TwilioRestException(status, "https://api.twilio.com/x", "Unable to create record", code)


@pytest.mark.parametrize(
    ("exc", "reason", "retryable"),
    [
        (rest(400, 21211), FailureReason.INVALID_NUMBER, False),
        (rest(400, 21614), FailureReason.LANDLINE, False),
        (rest(400, 21610), FailureReason.BLOCKED, False),
        (rest(400, 21612), FailureReason.UNREACHABLE, False),
        (rest(400, 21408), FailureReason.CONFIG, False),
        (rest(429, 20429), FailureReason.RATE_LIMITED, True),
        (rest(429, None), FailureReason.RATE_LIMITED, True),
        (rest(500, None), FailureReason.PROVIDER_ERROR, True),
        (rest(503, 20503), FailureReason.PROVIDER_ERROR, True),
        (rest(401, 20003), FailureReason.CONFIG, False),
        (rest(400, 99999), FailureReason.PROVIDER_ERROR, False),
        (RequestTimeout(2, sent=False), FailureReason.TIMEOUT, True),
        (RequestTimeout(2, sent=True), FailureReason.TIMEOUT, False),
        (RequestNotSent("ClientConnectorError"), FailureReason.PROVIDER_ERROR, True),
        (RequestLost("ServerDisconnectedError"), FailureReason.PROVIDER_ERROR, False),
    ],
)
def test_errors_are_classified_with_a_retry_decision(
    exc: BaseException, reason: FailureReason, retryable: bool
) -> None:
    classified = classify(exc)
    assert (classified.reason, classified.retryable) == (reason, retryable)
    assert "https://" not in classified.detail


def test_details_never_carry_numbers_or_urls() -> None:
    text = "The 'To' number +819012345678 is not valid (see https://api.twilio.com/AC1/Calls)"
    cleaned = scrub(text)
    assert "+819012345678" not in cleaned and "https://" not in cleaned
    assert "090-****-**78" in cleaned


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.1.2.3", True),
        ("http://[::1]:80", True),
        ("http://localhost:1", True),
        ("https://api.twilio.com", False),
        ("http://127.0.0.1.example.com", False),
        ("http://10.0.0.1", False),
        ("ftp://127.0.0.1", False),
        (None, False),
        ("", False),
    ],
)
def test_only_loopback_counts_as_the_sandbox(url: str | None, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


async def test_retries_back_off_and_stop_at_the_first_non_retryable_error() -> None:
    time = VirtualTime()
    errors = [rest(500, None), rest(429, 20429), rest(400, 21211), rest(500, None)]

    async def operation() -> str:
        raise errors.pop(0)

    attempted = await call_with_retries(
        operation,
        limiter=RateLimiter(None),
        policy=RetryPolicy(attempts=5, base_delay=1.0, jitter=0.0),
        label="test",
        rng=random.Random(1),
        sleep=time.sleep,
    )
    assert attempted.failure is not None
    assert attempted.failure.reason is FailureReason.INVALID_NUMBER
    assert attempted.tries == 3
    assert time.now == pytest.approx(1.0 + 2.0)  # 1 s, then 2 s


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=0.2)
    rng = random.Random(0)
    delays = [policy.delay(n, rng) for n in range(1, 8)]
    assert all(0.5 <= d <= 4.0 * 1.2 for d in delays)
    assert delays[-1] >= 4.0


@pytest.mark.parametrize(
    "text", ["普通の連絡です。", "<Say>&\"'\n\r\t", "", "\ue000text\ue001", "\ue000query1\ue001"]
)
@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("first_round", [1, 2])
def test_the_cached_call_twiml_is_exactly_what_the_builders_make(
    text: str, language: str, first_round: int
) -> None:
    from drill.channels.voice import VoiceScript, _reference_call_twiml, call_twiml

    tts = ("en-US", "Polly.Joanna") if language == "en" else ("ja-JP", "Polly.Mizuki")
    script = VoiceScript('drill-"1"&<', "page 1\n&", language, text, *tts)
    for url in ("http://127.0.0.1:8750", "https://drill.city.example/base/"):
        assert call_twiml(script, url, first_round=first_round) == _reference_call_twiml(
            script, url, first_round
        )
