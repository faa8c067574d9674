"""Japanese public holidays (国民の祝日), as a pure function of the day.

The plan's duty rotas read them (a rota may skip its handover on a holiday, or give the
holiday's duty to one person), and so does the drill calendar (`drill.schedule.calendar`,
which moves or skips a drill that falls on one). The computation is pure — the
`holidays` package's tables and rules (振替休日 and 国民の休日 included), no clock, no
network — so it lives here in the core, below both: the engine resolves a rota at
the moment a level starts without importing the calendar's layer.

What the package computes is also kept, day by day, in `drill.plan.holidays_table`, and
read from there when the installed package is the version that computed it: importing
the package (every country's module comes with it) took 0.2 s of a small drill's run,
whose rota looks up a few dozen days. Any other version of the package is asked itself.

Only the national holidays are read here, never the plan's own closed days
(`calendar.yaml`: 年末年始, one-off closures), which belong to the drill calendar.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
from pathlib import Path
from typing import NamedTuple

__all__ = ["holidays_known", "holidays_known_until", "public_holiday"]


class _Known(NamedTuple):
    first_year: int
    last_year: int
    name_of: dict[dt.date, str]
    """Every holiday of those years, named as the package names it; a lookup (`get`)
    computes nothing."""


def installed_version() -> str | None:
    """The installed `holidays` version, read from its distribution's folder name without
    importing anything (importlib.metadata takes some 50 ms); None when it cannot be told
    that way."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    try:
        found = [p.name for p in site.glob("holidays-*.dist-info")]
    except OSError:
        return None
    versions = [name.removeprefix("holidays-").removesuffix(".dist-info") for name in found]
    return versions[0] if len(versions) == 1 else None


@functools.cache
def _known() -> _Known:
    from drill.plan import holidays_table as table

    if installed_version() == table.VERSION:
        days: dict[dt.date, str] = {}
        for line in table.DAYS.splitlines():
            day, name = line.split("\t")
            days[dt.date.fromisoformat(day)] = name
        return _Known(table.FIRST_YEAR, table.LAST_YEAR, days)
    return _from_package()


def _from_package() -> _Known:
    """Every holiday the installed package knows (about 20 ms after its import)."""
    import holidays

    japan = holidays.country_holidays("JP", language="ja")
    for year in range(japan.start_year, japan.end_year + 1):
        japan.get(dt.date(year, 1, 1))  # computes the whole year
    days = {day: str(name) for day, name in japan.items()}
    return _Known(int(japan.start_year), int(japan.end_year), days)


def holidays_known(year: int) -> bool:
    """Whether the public holidays of `year` are known (the tables cover a range of years)."""
    known = _known()
    return known.first_year <= year <= known.last_year


def holidays_known_until() -> int:
    """The last year whose Japanese public holidays are known."""
    return _known().last_year


@functools.cache
def public_holiday(day: dt.date) -> str | None:
    """The name of the Japanese public holiday on `day` (元日, 振替休日, …), or None."""
    if isinstance(day, dt.datetime):  # the day it falls on, as the package reads it
        day = day.date()
    return _known().name_of.get(day)
