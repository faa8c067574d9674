"""Japanese public holidays (国民の祝日), as a pure function of the day.

The plan's duty rotas read them (a rota may skip its handover on a holiday, or give the
holiday's duty to one person), and so does the drill calendar (`drill.schedule.calendar`,
which moves or skips a drill that falls on one). The computation is pure — the
`holidays` package's tables and rules (振替休日 and 国民の休日 included), no file, no clock,
no network — so it lives here in the core, below both: the engine resolves a rota at
the moment a level starts without importing the calendar's layer.

Only the national holidays are read here, never the plan's own closed days
(`calendar.yaml`: 年末年始, one-off closures), which belong to the drill calendar.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a holiday is first asked for (about 50 ms)
    import holidays as _holidays

__all__ = ["holidays_known", "holidays_known_until", "public_holiday"]


@functools.cache
def _japan() -> _holidays.HolidayBase:
    import holidays

    return holidays.country_holidays("JP", language="ja")


def holidays_known(year: int) -> bool:
    """Whether the public holidays of `year` are known (the tables cover a range of years)."""
    japan = _japan()
    return bool(japan.start_year <= year <= japan.end_year)


def holidays_known_until() -> int:
    """The last year whose Japanese public holidays are known."""
    return int(_japan().end_year)


@functools.cache
def public_holiday(day: dt.date) -> str | None:
    """The name of the Japanese public holiday on `day` (元日, 振替休日, …), or None."""
    name = _japan().get(day)
    return str(name) if name else None
