"""--at, --cron and --every as people write them, and the times they stand for."""

from __future__ import annotations

import datetime as dt

import pytest

from drill.schedule.errors import ScheduleError
from drill.schedule.recurrence import Recurrence, parse_cron, parse_every

from .conftest import JST, jst


def times(kind: str, text: str, start: dt.datetime, count: int = 3) -> list[dt.datetime]:
    trigger = Recurrence(kind, text, "Asia/Tokyo").trigger()  # type: ignore[arg-type]
    out: list[dt.datetime] = []
    previous = None
    cursor = start
    while len(out) < count:
        moment = trigger.get_next_fire_time(previous, cursor)
        if moment is None:
            break
        out.append(moment.astimezone(JST))
        previous = cursor = moment
    return out


def test_at_is_read_in_the_plans_zone() -> None:
    assert times("at", "2027-01-29 10:00", jst(2026, 6, 1)) == [jst(2027, 1, 29, 10)]


def test_at_with_an_offset_is_converted() -> None:
    assert times("at", "2027-01-29T01:00+00:00", jst(2026, 6, 1)) == [jst(2027, 1, 29, 10)]


def test_cron_fifth_friday_of_january() -> None:
    # January 2027 has five Fridays; 2028 to 2030 have only four, so they have no drill.
    assert times("cron", "0 10 * 1 FRI#5", jst(2026, 6, 1), 2) == [
        jst(2027, 1, 29, 10),
        jst(2031, 1, 31, 10),
    ]


def test_every_last_friday_of_january_is_yearly() -> None:
    assert times("every", "last friday of january 10:00", jst(2026, 6, 1)) == [
        jst(2027, 1, 29, 10),
        jst(2028, 1, 28, 10),
        jst(2029, 1, 26, 10),
    ]


def test_cron_day_of_week_numbers_are_crontabs() -> None:
    # crontab: 1 is Monday (APScheduler's own numbering would make it Tuesday).
    assert parse_cron("30 9 * * 1-5")["day_of_week"] == "mon-fri"
    assert [t.weekday() for t in times("cron", "0 10 * * 1", jst(2026, 6, 3), 2)] == [0, 0]
    assert parse_cron("0 10 * * 0")["day_of_week"] == "sun"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("first monday of every month 09:30", {"day": "1st mon", "hour": "9", "minute": "30"}),
        ("2nd tuesday of june 14:00", {"day": "2nd tue", "month": "6"}),
        ("january 31 10:00", {"month": "1", "day": "31"}),
        ("day 15 of every month 10:00", {"day": "15"}),
        ("last day of march 16:00", {"day": "last", "month": "3", "hour": "16"}),
        ("every friday 10:00", {"day_of_week": "fri"}),
        ("weekdays 10:00", {"day_of_week": "mon-fri"}),
    ],
)
def test_every_forms(text: str, expected: dict[str, str]) -> None:
    fields = parse_every(text)
    assert expected.items() <= fields.items()


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("cron", "0 10 * 1", "five fields"),
        ("cron", "*/5 10 * * *", "at most once a day"),
        ("cron", "0 10 15 * FRI", "both a day of the month and a day of the week"),
        ("every", "last fryday of january 10:00", "did you mean 'friday'"),
        ("every", "last friday of janury 10:00", "did you mean 'january'"),
        ("every", "last friday of january", "end with the time of day"),
        ("at", "next friday", "not a date and time"),
    ],
)
def test_mistakes_are_explained(kind: str, text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        Recurrence(kind, text, "Asia/Tokyo").trigger()  # type: ignore[arg-type]
