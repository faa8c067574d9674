"""Clocks: where the engine gets its time, so a drill can run in real, scaled or virtual time.

Every clock gives two readings: `monotonic()` seconds for timers (never jumps back, not
affected by the wall clock being set) and `now()`, an aware UTC datetime recorded for
people. The drill runner measures everything from the monotonic reading and only
*records* the wall time.

- `RealClock`: the machine's clocks, for real drills and incidents. Real channels run
  on this clock only (the runner refuses any other with a notifier that reaches people).
- `ScaledClock(speed)`: real time `speed` times faster (`--speed 60` plays a 50-minute
  drill in 50 seconds); wall time advances at the same pace from when it was created.
  Drill time stays tied to real time: after a crash, `restore` puts it where `speed`
  times the real time since the start says, so downtime counts like any other time.
- `VirtualClock`: time stands still until the runner moves it to the next due timer,
  which it does only when nothing else can run; a 50-minute drill takes milliseconds
  and a seeded simulation gives the same events every time. Its wall time starts where
  it is told (a simulated drill: now, unless a date is given; tests: `VIRTUAL_START`).

`clock_kind` names a clock as `DrillStarted.clock` records it, so a resume can rebuild
the same kind at the same speed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from typing import Literal, Protocol

from drill.errors import EngineError

__all__ = [
    "VIRTUAL_START",
    "Clock",
    "ClockKind",
    "RealClock",
    "RealClockRequired",
    "ScaledClock",
    "VirtualClock",
    "clock_kind",
    "resumed_clock",
]

ClockKind = Literal["real", "scaled", "virtual"]

VIRTUAL_START = dt.datetime(2026, 1, 31, 1, 0, tzinfo=dt.UTC)
"""Where a `VirtualClock` starts when nobody says: 10:00 in Tokyo on a fixed day, so tests
and golden files read the same times every run. A simulated drill is never dated by it:
the composition root starts its clock now, or at the date the user gave."""


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
        self._real = dt.datetime.now(dt.UTC)  # the machine's wall time at `_origin`
        self._wall = (start or self._real).astimezone(dt.UTC)

    @property
    def speed(self) -> float:
        return self._speed

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self._speed

    def now(self) -> dt.datetime:
        return self._wall + dt.timedelta(seconds=self.monotonic())

    def real_time(self, monotonic: float) -> dt.datetime:
        """The machine's wall time when this clock reads (or read) `monotonic`."""
        return self._real + dt.timedelta(seconds=monotonic / self._speed)

    def real_now(self) -> dt.datetime:
        """The machine's wall time now (not scaled)."""
        return dt.datetime.now(dt.UTC)

    def restore(self, started_at: dt.datetime, elapsed: float) -> None:
        """Put the clock where a drill whose elapsed 0 was at `started_at` stands after
        `elapsed` drill seconds, running on at `speed` from this real moment.

        Used on resume: the runner works `elapsed` out from the real time since the start,
        so the drill's wall time and elapsed time go on from where real time says.
        """
        self._origin = time.monotonic() - elapsed / self._speed
        self._real = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=elapsed / self._speed)
        self._wall = started_at.astimezone(dt.UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)


class VirtualClock:
    """Time that moves only when told to: by the runner when idle, or by a test."""

    def __init__(self, start: dt.datetime = VIRTUAL_START, monotonic: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = float(monotonic)
        self._wall = start.astimezone(dt.UTC) - dt.timedelta(seconds=self._now)
        self._told: tuple[float, dt.datetime] | None = None
        """The last instant `now` was asked at, and its answer."""

    @property
    def speed(self) -> float:
        return math.inf

    def monotonic(self) -> float:
        return self._now

    def now(self) -> dt.datetime:
        # Time stands still while the runner works: every event of an instant (a
        # nationwide drill's 10^5 events come in bursts) gets the one moment made once.
        told = self._told
        if told is None or told[0] != self._now:
            told = self._told = (self._now, self._wall + dt.timedelta(seconds=self._now))
        return told[1]

    def advance_to(self, monotonic: float) -> None:
        """Move time forward to `monotonic`; never backwards."""
        self._now = max(self._now, monotonic)

    def advance(self, seconds: float) -> None:
        self.advance_to(self._now + max(0.0, seconds))

    def restore(self, started_at: dt.datetime, elapsed: float) -> None:
        """Put the clock where a drill whose elapsed 0 was at `started_at` stands after
        `elapsed` s.

        Used on resume, so a virtual re-run reads exactly the times the first run read.
        """
        self._now = float(elapsed)
        self._wall = started_at.astimezone(dt.UTC)
        self._told = None

    async def sleep(self, seconds: float) -> None:
        # Outside the runner (which moves this clock itself), sleeping just moves time.
        self.advance(seconds)
        await asyncio.sleep(0)


def clock_kind(clock: Clock) -> ClockKind:
    """ "virtual", "scaled" or "real", as `DrillStarted.clock` records it.

    Any clock that is neither virtual nor scaled is taken as real only when it runs at
    real speed; anything else is named by its speed ("scaled").
    """
    if isinstance(clock, VirtualClock) or math.isinf(clock.speed):
        return "virtual"
    if isinstance(clock, ScaledClock) or clock.speed != 1.0:
        return "scaled"
    return "real"


def resumed_clock(
    kind: str, speed: float | None, start: dt.datetime, clock: Clock | None, drill_id: str
) -> Clock:
    """The clock a drill recorded (`kind`, `speed`) resumes on: a new one of that kind when
    `clock` is None, else `clock` if it is of that kind and speed; EngineError otherwise.

    A new virtual clock stands at `start` (the runner restores it to the last event).
    """
    recorded = speed or 0.0
    if clock is None:
        if kind == "virtual":
            return VirtualClock(start=start)
        if kind == "scaled" and recorded > 0:
            return ScaledClock(recorded)
        if kind == "real":
            return RealClock()
    elif clock_kind(clock) == kind and (
        kind != "scaled" or math.isclose(clock.speed, recorded, rel_tol=1e-9)
    ):
        return clock
    named = f"{kind} ({recorded:g}×)" if kind == "scaled" else kind
    given = "" if clock is None else f", not the {clock_kind(clock)} ({clock.speed:g}×) one given"
    raise EngineError(
        f"drill '{drill_id}' started on the {named} clock and resumes on that clock only"
        f"{given}: its timers and recorded times follow it"
    )


class RealClockRequired(EngineError):
    """Real channels were asked to run on a clock other than the real one."""

    title = "実時間のみ / Real channels run on the real clock"

    def __init__(self, channels: str | None, speed: float) -> None:
        pace_ja = "仮想時間" if math.isinf(speed) else f"{speed:g} 倍速"
        pace_en = "virtual time" if math.isinf(speed) else f"{speed:g}× real time"
        which = f"（{channels}）" if channels else ""
        which_en = f" ({channels})" if channels else ""
        super().__init__(
            f"実際の連絡手段{which}は実時間でしか使えません。{pace_ja}では、実在の人への"
            "呼び出しや代理への切り替えが計画より早く行われ、記録される時刻も実際と違って"
            "しまいます。--speed を付けずに実時間で実行するか、速く試すなら模擬（--simulate）"
            "またはローカルのサンドボックス（drillkit demo）を使ってください。\n"
            f"Real channels{which_en} run on the real clock only: at {pace_en} real people "
            "would be paged and escalated sooner than the plan says, and the record would "
            "show invented times. Run it in real time (leave out --speed), or rehearse faster "
            "with simulated people (--simulate) or the local sandbox (drillkit demo)."
        )
