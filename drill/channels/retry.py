"""Retries with backoff, only while the provider has certainly not accepted the request.

A 429, a 5xx or a connection that never opened means nothing happened at the provider,
so the request is sent again after a growing, jittered pause (each try waits for the
rate limiter again). Anything that may have been accepted — an answer that never came
after the request was sent, a connection lost mid-reply — is not retried: a second call
could ring the person twice (GoAlert #1599). The page fails with its reason and the
engine escalates to the next channel or deputy instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from drill.channels.ratelimit import RateLimiter
from drill.channels.twilio_http import Classified, classify

__all__ = ["Attempted", "RetryPolicy", "call_with_retries"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a request the provider did not accept is sent again."""

    attempts: int = 4
    """Tries in all (1 = no retry)."""
    base_delay: float = 0.5
    """Pause before the first retry, in seconds; doubled for each further retry."""
    max_delay: float = 8.0
    """Longest pause between tries."""
    jitter: float = 0.2
    """Random share added to each pause, so many pages do not retry in lockstep."""

    def delay(self, retry: int, rng: random.Random) -> float:
        """Pause before retry number `retry` (1-based)."""
        pause = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return pause * (1 + self.jitter * rng.random())


@dataclasses.dataclass(frozen=True, slots=True)
class Attempted(Generic[T]):
    """The outcome of `call_with_retries`: a value, or why it failed after `tries` tries."""

    value: T | None
    failure: Classified | None
    tries: int


async def call_with_retries(
    operation: Callable[[], Awaitable[T]],
    *,
    limiter: RateLimiter,
    policy: RetryPolicy,
    label: object,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Attempted[T]:
    """Run `operation` under the rate limit; retry only what the provider did not accept.

    `label` names the page in log lines (its `str()` is taken only when a line is written).

    Never raises for a provider problem (cancellation still propagates).
    """
    tries = 0
    while True:
        tries += 1
        await limiter.acquire()
        try:
            value = await operation()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = classify(exc)
        else:
            return Attempted(value, None, tries)
        if not failure.retryable or tries >= policy.attempts:
            if failure.retryable:
                log.warning("%s: giving up after %d tries: %s", label, tries, failure.detail)
            return Attempted(None, failure, tries)
        if rng is None:
            rng = random.Random()  # seeded from the OS: only when a retry needs a pause
        pause = policy.delay(tries, rng)
        log.info("%s: %s; retry %d in %.2f s", label, failure.detail, tries, pause)
        await sleep(pause)
