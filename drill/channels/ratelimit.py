"""Rate limits per provider: Twilio allows one call per second per account by default.

`RateLimiter` hands out send slots spaced exactly 1/R apart (a GCRA, the algorithm
behind most provider limits), so paging N people takes N/R seconds, not more: each
slot is computed from the previous slot, not from when a sleep happened to wake up,
so sleep jitter does not add up. A slot is reserved when `acquire` is called, which
keeps callers in order; a cancelled waiter gives its slot back when nobody is behind it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from types import TracebackType

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most `rate` acquisitions per second, with up to `burst` at once."""

    def __init__(
        self,
        rate: float | None,
        *,
        burst: int = 1,
        name: str = "provider",
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (or None for no limit)")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.name = name
        self.rate = None if rate is None or math.isinf(rate) else float(rate)
        self.burst = burst
        self._interval = 0.0 if self.rate is None else 1.0 / self.rate
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._tat: float | None = None  # theoretical arrival time of the next slot

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock()
        return asyncio.get_running_loop().time()

    @property
    def limited(self) -> bool:
        return self.rate is not None

    def reserve(self) -> float:
        """Reserve the next slot; return how long to wait for it (0 when it is now)."""
        if self.rate is None:
            return 0.0
        now = self._now()
        tat = now if self._tat is None else max(self._tat, now)
        allowed_at = tat - (self.burst - 1) * self._interval
        self._tat = tat + self._interval
        return max(0.0, allowed_at - now)

    async def acquire(self) -> None:
        """Wait for the next slot."""
        delay = self.reserve()
        if delay <= 0:
            return
        mine = self._tat
        try:
            await self._sleep(delay)
        except asyncio.CancelledError:
            if self._tat == mine and self._tat is not None:
                self._tat -= self._interval  # nobody reserved after us: give the slot back
            raise

    async def __aenter__(self) -> RateLimiter:
        await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def __repr__(self) -> str:
        rate = "unlimited" if self.rate is None else f"{self.rate:g}/s"
        return f"RateLimiter({self.name}: {rate}, burst {self.burst})"
