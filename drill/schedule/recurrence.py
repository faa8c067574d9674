"""When a drill is due, as people write it: `--at`, `--cron` or `--every`.

All three are read in the plan's time zone and become an APScheduler trigger of *nominal*
times; the calendar (`drill.schedule.calendar`) then moves or skips those that fall on a
closed day.

- `--at "2027-01-29 10:00"`: once (a `+09:00` style offset may be added).
- `--cron "0 10 * 1 FRI#5"`: minute hour day-of-month month day-of-week, as crontab.
  Day-of-week numbers are crontab's (0 or 7 Sunday, 1 Monday); `FRI#5` is the fifth
  Friday and `FRI#L` (or `5L`) the last. Giving both a day of the month and a day of the
  week is refused: crontab runs on either, which is rarely what is meant.
- `--every "last friday of january 10:00"`: the friendlier form. Accepted shapes::

      last friday of january 10:00      first monday of every month 09:30
      2nd tuesday of june 14:00         january 31 10:00
      day 15 of every month 10:00       last day of march 16:00
      friday 10:00 (weekly)             weekdays 10:00        every day 10:00

A drill calendar runs at most one drill per schedule a day, so minute and hour must be
single values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo
from typing import Any, Literal

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from drill.plan.findings import did_you_mean
from drill.schedule.errors import ScheduleError

__all__ = ["Recurrence", "SpecKind", "parse_at", "parse_cron", "parse_every"]

SpecKind = Literal["at", "cron", "every"]

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_CRON_DOW = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ORDINALS = {
    "first": "1st",
    "1st": "1st",
    "second": "2nd",
    "2nd": "2nd",
    "third": "3rd",
    "3rd": "3rd",
    "fourth": "4th",
    "4th": "4th",
    "fifth": "5th",
    "5th": "5th",
    "last": "last",
}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclasses.dataclass(frozen=True, slots=True)
class Recurrence:
    """A schedule as the user wrote it, and the trigger of nominal times it stands for."""

    kind: SpecKind
    text: str
    zone: str

    def trigger(self) -> Any:
        """An APScheduler trigger (DateTrigger or CronTrigger) in the plan's zone."""
        zone = zoneinfo.ZoneInfo(self.zone)
        if self.kind == "at":
            return DateTrigger(run_date=parse_at(self.text, zone), timezone=zone)
        fields = parse_cron(self.text) if self.kind == "cron" else parse_every(self.text)
        return CronTrigger(timezone=zone, **fields)

    def describe(self) -> str:
        """`--every "last friday of january 10:00"`, as it was given."""
        return f'--{self.kind} "{self.text}"'


def parse_at(text: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """`2027-01-29 10:00` in the plan's zone (or with an explicit offset)."""
    cleaned = text.strip().replace("T", " ")
    try:
        moment = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        raise ScheduleError(
            f'--at {text!r} is not a date and time; write it like "2027-01-29 10:00" '
            "(the plan's time zone is used unless an offset such as +09:00 is given)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def parse_cron(text: str) -> dict[str, str]:
    """Crontab's five fields -> CronTrigger keyword arguments (see the module doc)."""
    parts = text.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"--cron {text!r} needs five fields: minute hour day-of-month month day-of-week "
            '(e.g. "0 10 * 1 FRI#5" for 10:00 on the fifth Friday of January)'
        )
    minute, hour, dom, month, dow = parts
    _single("minute", minute, 59, text)
    _single("hour", hour, 23, text)
    fields = {"minute": minute, "hour": hour, "month": month.lower()}
    nth = re.match(r"^(\w+)(?:#(\d|l)|(l))$", dow.lower())
    if nth and (nth.group(2) or nth.group(3)):
        if dom != "*":
            raise ScheduleError(f"--cron {text!r}: give a day of the month or FRI#N, not both")
        weekday = _cron_weekday(nth.group(1), text)
        which = nth.group(2) or "l"
        if which == "l":
            fields["day"] = f"last {weekday}"
        elif which in "12345":
            fields["day"] = f"{('1st', '2nd', '3rd', '4th', '5th')[int(which) - 1]} {weekday}"
        else:
            raise ScheduleError(f"--cron {text!r}: #N must be 1 to 5 or L")
        return fields
    if dom != "*" and dow != "*":
        raise ScheduleError(
            f"--cron {text!r} gives both a day of the month and a day of the week; crontab "
            "runs on either of them, which is rarely meant. Give one, or use --every."
        )
    if dom != "*":
        fields["day"] = dom.lower()
    if dow != "*":
        fields["day_of_week"] = re.sub(
            r"\w+", lambda match: _cron_weekday(match.group(0), text), dow.lower()
        )
    return fields


def _cron_weekday(token: str, text: str) -> str:
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise ScheduleError(f"--cron {text!r}: day-of-week numbers are 0-7 (0 and 7: Sunday)")
        return _CRON_DOW[number]
    for day in _DAYS:
        if token in (day, day[:3]):
            return day[:3]
    raise ScheduleError(f"--cron {text!r}: {token!r} is not a day of the week")


def _single(name: str, value: str, top: int, text: str) -> None:
    if not value.isdigit() or int(value) > top:
        raise ScheduleError(
            f"--cron {text!r}: the {name} must be one number (0-{top}); a drill calendar runs "
            "a schedule at most once a day"
        )


def parse_every(text: str) -> dict[str, str]:
    """The friendlier form (see the module doc) -> CronTrigger keyword arguments."""
    words = text.strip().lower().replace(",", " ").split()
    if not words:
        raise _every_error(text)
    time_match = _TIME.match(words[-1])
    if time_match is None:
        raise _every_error(text, "end with the time of day, like 10:00")
    hour, minute = int(time_match.group(1)), int(time_match.group(2))
    if hour > 23 or minute > 59:
        raise _every_error(text, f"{words[-1]} is not a time of day")
    fields = {"hour": str(hour), "minute": str(minute)}
    words = words[:-1]
    if words and words[0] == "every":
        words = words[1:]
    if words in (["day"], ["working", "day"]) or words == ["weekday"] or words == ["weekdays"]:
        if words != ["day"]:
            fields["day_of_week"] = "mon-fri"
        return fields
    if len(words) == 1:
        fields["day_of_week"] = _weekday(words[0], text)
        return fields
    if "of" in words:
        at = words.index("of")
        head, tail = words[:at], words[at + 1 :]
        month = _month_spec(tail, text)
        if month is not None:
            fields["month"] = month
        if len(head) == 2 and head[0] in _ORDINALS:
            if head[1] == "day":
                if head[0] != "last":
                    raise _every_error(text, "write 'day N of …' for a day of the month")
                fields["day"] = "last"
            else:
                fields["day"] = f"{_ORDINALS[head[0]]} {_weekday(head[1], text)}"
            return fields
        if len(head) == 2 and head[0] == "day" and head[1].isdigit() and 1 <= int(head[1]) <= 31:
            fields["day"] = head[1]
            return fields
        raise _every_error(text)
    if len(words) == 2 and words[1].isdigit():
        month = _month_spec([words[0]], text)
        day = int(words[1])
        if month is None or not 1 <= day <= 31:
            raise _every_error(text)
        fields.update(month=month, day=str(day))
        return fields
    raise _every_error(text)


def _month_spec(words: list[str], text: str) -> str | None:
    """`january` -> "1"; `every month` / `month` -> None."""
    if words in (["every", "month"], ["month"], ["each", "month"]):
        return None
    if len(words) == 1:
        for number, name in enumerate(_MONTHS, start=1):
            if words[0] in (name, name[:3]):
                return str(number)
    hint = did_you_mean(words[-1], _MONTHS) if words else None
    raise _every_error(
        text,
        f"'{' '.join(words)}' is not a month (or 'every month')" + (f"; {hint}" if hint else ""),
    )


def _weekday(word: str, text: str) -> str:
    word = word.removesuffix("s") if word.endswith("days") else word
    for day in _DAYS:
        if word in (day, day[:3]):
            return day[:3]
    hint = did_you_mean(word, _DAYS)
    raise _every_error(text, f"'{word}' is not a day of the week" + (f"; {hint}" if hint else ""))


def _every_error(text: str, why: str | None = None) -> ScheduleError:
    examples = (
        '"last friday of january 10:00", "first monday of every month 09:30", '
        '"january 31 10:00", "day 15 of every month 10:00", "friday 10:00", "weekdays 10:00"'
    )
    reason = f" ({why})" if why else ""
    return ScheduleError(f"--every {text!r} is not understood{reason}. Write it like {examples}.")
