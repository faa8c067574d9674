"""The table of Japanese public holidays kept in drill.plan.holidays_table is exactly
what the installed `holidays` package computes, and the package itself is asked when
another version of it is installed."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from collections.abc import Iterator

import pytest

from drill.plan import holidays, holidays_table


@pytest.fixture
def fresh() -> Iterator[None]:
    """The lookups' caches emptied before and after, so each source is read anew."""
    holidays._known.cache_clear()
    holidays.public_holiday.cache_clear()
    yield
    holidays._known.cache_clear()
    holidays.public_holiday.cache_clear()


def test_the_installed_version_is_read_without_importing_it() -> None:
    assert holidays.installed_version() == importlib.metadata.version("holidays")


def test_the_table_is_of_the_installed_package() -> None:
    assert importlib.metadata.version("holidays") == holidays_table.VERSION, (
        "holidays was upgraded: run tools/holidays_table.py to compute the table again"
    )


def test_the_table_holds_every_holiday_the_package_computes(fresh: None) -> None:
    from_table = holidays._known()
    from_package = holidays._from_package()
    assert from_table == from_package
    assert (from_table.first_year, from_table.last_year) == (1949, 2099)
    assert from_table.name_of[dt.date(2026, 1, 12)] == "成人の日"
    assert from_table.name_of[dt.date(2019, 5, 1)] == "天皇の即位の日"


def test_another_version_asks_the_package(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(holidays_table, "VERSION", "0.0")
    monkeypatch.setattr(holidays_table, "DAYS", "2026-01-13\t違う日")
    assert holidays.public_holiday(dt.date(2026, 1, 12)) == "成人の日"
    assert holidays.public_holiday(dt.date(2026, 1, 13)) is None
    assert holidays.holidays_known_until() == 2099


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2026, 5, 6), "振替休日"),
        (dt.date(2026, 9, 22), "国民の休日"),
        (dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC), "元日"),
        (dt.date(1948, 1, 1), None),
        (dt.date(2100, 1, 1), None),
        (dt.date(2026, 1, 2), None),
    ],
)
def test_lookups_name_the_day_as_the_package_does(fresh: None, day: dt.date, name: str) -> None:
    assert holidays.public_holiday(day) == name
    import holidays as package

    japan = package.country_holidays("JP", language="ja")
    assert japan.get(day) == name
    assert holidays.holidays_known(day.year) == (japan.start_year <= day.year <= japan.end_year)
