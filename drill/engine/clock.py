"""Clocks: where the engine gets its time, so a drill can run in real, scaled or virtual time.

Every clock gives two readings: `monotonic()` seconds for timers (never jumps back, not
affected by the wall clock being set) and `now()`, an aware UTC datetime recorded for
people. The drill runner measures everything from the monotonic reading and only
*records* the wall time.

- `RealClock`: the machine's clocks, for real drills and incidents.
- `ScaledClock(speed)`: real time `speed` times faster (`--speed 60` plays a 50-minute
  drill in 50 seconds); wall time advances at the same pace from when it was created.
- `VirtualClock`: time stands still until the runner moves it to the next due timer,
  which it does only when nothing else can run; a 50-minute drill takes milliseconds
  and a seeded simulation gives the same events every time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from typing import Protocol

__all__ = ["VIRTUAL_START", "Clock", "RealClock", "ScaledClock", "VirtualClock"]

VIRTUAL_START = dt.datetime(2026, 1, 31, 1, 0, tzinfo=dt.UTC)
"""Where virtual time starts unless told otherwise: 10:00 in Tokyo on a drill day."""


class Clock(Protocol):
    """Monotonic seconds for timers and aware UTC wall time for people."""

    @property
    def speed(self) -> float:
        """Clock seconds per real second: 1 real, N scaled, infinity virtual."""
        ...

    def monotonic(self) -> float:
        """Seconds on this clock; only differences mean anything."""
        ...

    def now(self) -> dt.datetime:
        """Wall time, timezone-aware, in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class RealClock:
    """The machine's monotonic clock and wall clock."""

    @property
    def speed(self) -> float:
        return 1.0

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Real time, `speed` times faster, with wall time advancing at the same pace."""

    def __init__(self, speed: float, start: dt.datetime | None = None) -> None:
        if not speed > 0 or math.isinf(speed):
            raise ValueError("speed must be a positive, finite number")
        self._speed = float(speed)
        self._origin = time.monotonic()
        self._wall = (start or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)

    @property
    def speed(self) -> float:
        return self._speed

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self._speed

    def now(self) -> dt.datetime:
        return self._wall + dt.timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)


class VirtualClock:
    """Time that moves only when told to: by the runner when idle, or by a test."""

    def __init__(self, start: dt.datetime = VIRTUAL_START, monotonic: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = float(monotonic)
        self._wall = start.astimezone(dt.UTC) - dt.timedelta(seconds=self._now)

    @property
    def speed(self) -> float:
        return math.inf

    def monotonic(self) -> float:
        return self._now

    def now(self) -> dt.datetime:
        return self._wall + dt.timedelta(seconds=self._now)

    def advance_to(self, monotonic: float) -> None:
        """Move time forward to `monotonic`; never backwards."""
        self._now = max(self._now, monotonic)

    def advance(self, seconds: float) -> None:
        self.advance_to(self._now + max(0.0, seconds))

    def restore(self, started_at: dt.datetime, elapsed: float) -> None:
        """Put the clock where a drill started at `started_at` stands after `elapsed` s.

        Used on resume, so a virtual re-run reads exactly the times the first run read.
        """
        self._now = float(elapsed)
        self._wall = started_at.astimezone(dt.UTC)

    async def sleep(self, seconds: float) -> None:
        # Outside the runner (which moves this clock itself), sleeping just moves time.
        self.advance(seconds)
        await asyncio.sleep(0)
