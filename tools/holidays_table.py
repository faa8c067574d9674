"""Write drill/plan/holidays_table.py: every Japanese public holiday the installed
`holidays` package knows (国民の祝日, 振替休日, 国民の休日), by day, with its name.

    .venv/bin/python tools/holidays_table.py

Run it after upgrading `holidays`; tests/plan/test_holidays_table.py fails until the table
is of the installed version and equal to what the package computes.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from pathlib import Path

import holidays

TARGET = Path(__file__).resolve().parent.parent / "drill" / "plan" / "holidays_table.py"

HEADER = '''"""Japanese public holidays as `holidays` {version} computes them, day by day (generated
by tools/holidays_table.py; tests/plan/test_holidays_table.py holds it equal to the
package). `drill.plan.holidays` reads it when that version is the one installed:
importing the package costs 0.2 s of a small drill's run.
"""

VERSION = "{version}"
"""The `holidays` version this table was computed with."""
FIRST_YEAR = {first}
LAST_YEAR = {last}
"""The years the package knows: no holiday is known outside them."""

DAYS = """\\
'''


def compute() -> tuple[int, int, dict[dt.date, str]]:
    """The package's years and every holiday of them, as `public_holiday` would name it."""
    japan = holidays.country_holidays("JP", language="ja")
    for year in range(japan.start_year, japan.end_year + 1):
        japan.get(dt.date(year, 1, 1))  # computes the whole year
    return japan.start_year, japan.end_year, {day: str(name) for day, name in japan.items()}


def main() -> None:
    first, last, days = compute()
    version = importlib.metadata.version("holidays")
    lines = [f"{day.isoformat()}\t{days[day]}" for day in sorted(days)]
    text = HEADER.format(version=version, first=first, last=last)
    TARGET.write_text(text + "\n".join(lines) + '\n"""\n', encoding="utf-8")
    print(f"{TARGET}: {len(lines)} holidays of {first}-{last}, holidays {version}")


if __name__ == "__main__":
    main()
