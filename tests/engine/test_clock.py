"""Clocks: monotonic seconds for timers, aware UTC wall time for people."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from drill.engine import clock as clock_module
from drill.engine.clock import VIRTUAL_START, RealClock, ScaledClock, VirtualClock


def test_virtual_time_moves_only_when_told() -> None:
    clock = VirtualClock()
    assert clock.now() == VIRTUAL_START and clock.monotonic() == 0.0
    clock.advance(90)
    clock.advance_to(30)  # never backwards
    assert clock.monotonic() == 90.0
    assert clock.now() == VIRTUAL_START + dt.timedelta(seconds=90)
    assert clock.speed == math.inf


def test_a_restored_virtual_clock_reads_what_the_first_run_read() -> None:
    first = VirtualClock()
    first.advance(1234.5)
    again = VirtualClock(start=VIRTUAL_START + dt.timedelta(days=3))
    again.advance(1234.5)
    assert again.now() != first.now()  # read at the same instant, before the restore
    again.restore(VIRTUAL_START, 1234.5)
    assert (again.monotonic(), again.now()) == (first.monotonic(), first.now())


async def test_sleeping_on_a_virtual_clock_advances_it() -> None:
    clock = VirtualClock()
    await clock.sleep(5)
    assert clock.monotonic() == 5.0


def test_scaled_time_runs_faster_for_timers_and_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: now[0])
    start = dt.datetime(2026, 1, 31, 1, 0, tzinfo=dt.UTC)
    clock = ScaledClock(60, start=start)
    now[0] += 1.5  # one and a half real seconds
    assert clock.monotonic() == pytest.approx(90.0)
    assert clock.now() == start + dt.timedelta(seconds=90)
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(0)


def test_wall_time_is_always_aware_utc() -> None:
    for clock in (RealClock(), ScaledClock(10), VirtualClock()):
        assert clock.now().utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(start=dt.datetime(2026, 1, 31))  # noqa: DTZ001
