"""The plan's calendar: which days are drill days, and what happens to a drill that is not.

Japanese public holidays (国民の祝日, from `drill.plan.holidays`, with substitute and
citizens' holidays) and the plan's closed days (閉庁日: 年末年始 12/29–1/3 by default,
weekends, one-off closures) are never drill days. A drill falling on one is moved to the
next (or previous) working day at the same wall-clock time, or skipped, as the plan says.

The policy lives in `calendar.yaml` beside `plan.yaml` (optional; the defaults apply when
it is missing). It is read with the plan's safe YAML loader, so errors name the file, the
line and the key, with a "did you mean" for misspelt keys::

    closed_periods:            # yearly; a period may wrap the year end
      - {name: 年末年始, start: "12-29", end: "01-03"}
    closed_dates:              # one-off closures
      - {name: 庁舎停電点検, date: 2027-08-14}
    closed_weekdays: [saturday, sunday]
    public_holidays: true
    on_closed_day: next_working_day   # or previous_working_day, skip
    misfire:
      action: run_late         # or skip
      grace: 5m                # later than this is a misfire
      late_limit: 4h           # run_late only up to this late, and only on a working day
    reminders:
      before: [1d]             # 1d, 2h, 30m, 1h30m
      to: [sysadmin]           # roles or people: the drill's coordinator, not its participants
      channels: [email, sms, voice]

`decide(when, policy)` is pure: it reads no file and no clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from drill.plan.findings import Finding, PlanError, Severity
from drill.plan.holidays import holidays_known, holidays_known_until, public_holiday
from drill.plan.loader import findings_from
from drill.plan.models import ChannelKind
from drill.plan.source import load_document

__all__ = [
    "CALENDAR_FILE",
    "CalendarPolicy",
    "ClosedDate",
    "ClosedPeriod",
    "Decision",
    "MisfirePolicy",
    "ReminderPolicy",
    "Weekday",
    "closed_reason",
    "decide",
    "format_duration",
    "holidays_known_until",
    "load_calendar",
    "parse_duration",
    "public_holiday",
]

CALENDAR_FILE = "calendar.yaml"

_MODEL = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def parse_duration(value: Any) -> dt.timedelta:
    """`1d`, `2h`, `30m`, `1h30m`, `45s` -> a timedelta (ValueError otherwise)."""
    if isinstance(value, dt.timedelta):
        return value
    text = str(value).strip().lower().replace(" ", "")
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"'{value}' is not a duration; write it like 1d, 2h, 30m or 1h30m")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: dt.timedelta) -> str:
    """The inverse of `parse_duration`: 1 day 2 hours -> `1d2h`."""
    total = int(value.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            out += f"{amount}{unit}"
    return out or "0m"


def _duration(value: Any) -> dt.timedelta:
    try:
        return parse_duration(value)
    except ValueError:
        raise PydanticCustomError(
            "duration",
            "'{value}' is not a duration; write it like 1d, 2h, 30m or 1h30m",
            {"value": str(value)},
        ) from None


Duration = Annotated[
    dt.timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
]
Ref = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class Weekday(StrEnum):
    """A day of the week."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """0 for Monday, as `date.weekday()`."""
        return list(Weekday).index(self)


def _weekday(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        for day in Weekday:
            if text in (day.value, day.value[:3]):
                return day.value
    return value


def _month_day(value: Any) -> tuple[int, int]:
    if isinstance(value, tuple | list) and len(value) == 2:
        value = f"{value[0]}-{value[1]}"
    text = value if isinstance(value, str) else str(value)
    match = _MONTH_DAY.match(text.strip())
    if match is None:
        raise PydanticCustomError("month_day", 'write the day as MM-DD (e.g. "12-29")')
    month, day = int(match.group(1)), int(match.group(2))
    try:
        dt.date(2028, month, day)  # a leap year, so 02-29 is allowed
    except ValueError:
        raise PydanticCustomError(
            "month_day", "'{text}' is not a day of the year", {"text": text}
        ) from None
    return month, day


MonthDay = Annotated[
    tuple[int, int],
    BeforeValidator(_month_day),
    PlainSerializer(lambda md: f"{md[0]:02d}-{md[1]:02d}", return_type=str),
]


class ClosedPeriod(BaseModel):
    """A yearly closed period (閉庁期間), such as 年末年始 from 12-29 to 01-03."""

    model_config = _MODEL

    name: str = Field(min_length=1)
    """What it is (年末年始), shown when a drill is moved or skipped because of it."""
    start: MonthDay
    """First closed day, MM-DD."""
    end: MonthDay
    """Last closed day, MM-DD; earlier than `start` when the period wraps the year end."""

    def contains(self, day: dt.date) -> bool:
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


class ClosedDate(BaseModel):
    """A one-off closed day (庁舎点検, 選挙事務)."""

    model_config = _MODEL

    name: str = Field(min_length=1)
    """What it is, shown when a drill is moved or skipped because of it."""
    date: dt.date
    """The day, YYYY-MM-DD."""


class MisfirePolicy(BaseModel):
    """What happens to a drill whose time passed while the service was not running."""

    model_config = _MODEL

    action: Literal["run_late", "skip"] = "run_late"
    """run_late: run it as soon as the service notices (within `late_limit`); skip: record
    it as missed and wait for the next one. Either way the miss is reported."""
    grace: Duration = dt.timedelta(minutes=5)
    """Starting this late still counts as on time."""
    late_limit: Duration = dt.timedelta(hours=4)
    """A drill later than this is skipped even with run_late; it is never run on a closed
    day either."""


class ReminderPolicy(BaseModel):
    """Reminders to the drill's coordinator (never to its participants: drills may be
    unannounced)."""

    model_config = _MODEL

    before: tuple[Duration, ...] = (dt.timedelta(days=1),)
    """How long before each drill to remind (one reminder per entry)."""
    to: tuple[Ref, ...] = ()
    """Roles or people to remind; no reminders are sent when empty."""
    channels: tuple[ChannelKind, ...] = (ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.VOICE)
    """Channels tried in order for each coordinator until one is accepted."""

    @field_validator("before")
    @classmethod
    def _positive(cls, value: tuple[dt.timedelta, ...]) -> tuple[dt.timedelta, ...]:
        if any(lead <= dt.timedelta(0) for lead in value):
            raise PydanticCustomError(
                "duration",
                "a reminder lead time must be positive",
                {"message_key": "calendar.lead_positive"},
            )
        if len(set(value)) != len(value):
            raise PydanticCustomError(
                "duration", "each lead time may appear once", {"message_key": "calendar.lead_once"}
            )
        return value


class CalendarPolicy(BaseModel):
    """The plan's drill calendar: closed days, what to do with a drill on one, misfires,
    reminders. Read from `calendar.yaml` beside `plan.yaml`."""

    model_config = _MODEL

    closed_periods: tuple[ClosedPeriod, ...] = (
        ClosedPeriod(name="年末年始", start=(12, 29), end=(1, 3)),
    )
    """Yearly closed periods; 年末年始 (12-29 to 01-03) when not given."""
    closed_dates: tuple[ClosedDate, ...] = ()
    """One-off closed days."""
    closed_weekdays: tuple[Annotated[Weekday, BeforeValidator(_weekday)], ...] = (
        Weekday.SATURDAY,
        Weekday.SUNDAY,
    )
    """Days of the week the offices are closed."""
    public_holidays: bool = True
    """Japanese public holidays (国民の祝日, 振替休日, 国民の休日) are closed days."""
    on_closed_day: Literal["next_working_day", "previous_working_day", "skip"] = "next_working_day"
    """What happens to a drill that falls on a closed day."""
    max_shift_days: int = Field(default=14, ge=1, le=60)
    """A drill is skipped when no working day is found within this many days."""
    misfire: MisfirePolicy = MisfirePolicy()
    """Drills missed while the service was down."""
    reminders: ReminderPolicy = ReminderPolicy()
    """Reminders to the coordinator."""

    @model_validator(mode="after")
    def _some_working_day(self) -> CalendarPolicy:
        if len(set(self.closed_weekdays)) == 7:
            raise PydanticCustomError(
                "calendar",
                "every day of the week is closed",
                {"message_key": "calendar.all_closed"},
            )
        return self


def _known_year(year: int) -> bool:
    return holidays_known(year)


def closed_reason(day: dt.date, policy: CalendarPolicy) -> str | None:
    """Why `day` is not a drill day ("年末年始; public holiday 元日"), or None for a working day."""
    reasons: list[str] = []
    reasons.extend(
        f"closed day {closed.name}" for closed in policy.closed_dates if closed.date == day
    )
    reasons.extend(
        f"closed period {period.name}" for period in policy.closed_periods if period.contains(day)
    )
    if policy.public_holidays:
        name = public_holiday(day)
        if name:
            reasons.append(f"public holiday {name}")
    if any(day.weekday() == weekday.number for weekday in policy.closed_weekdays):
        reasons.append(day.strftime("%A"))
    return "; ".join(reasons) or None


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    """What the calendar does with a drill due at `nominal`: run it at `run_at`, or skip it."""

    nominal: dt.datetime
    """When the schedule says (in the plan's zone)."""
    run_at: dt.datetime | None
    """When it runs (same wall-clock time, possibly another day); None when skipped."""
    reason: str | None
    """Why it was moved or skipped; None when it runs as scheduled."""

    @property
    def skipped(self) -> bool:
        return self.run_at is None

    @property
    def moved(self) -> bool:
        return self.run_at is not None and self.run_at != self.nominal

    def describe(self) -> str:
        """One line for people: 'runs as scheduled', 'moved to …', 'skipped: …'."""
        if self.run_at is None:
            return f"skipped: {self.reason}"
        if self.moved:
            return f"moved to {_show(self.run_at)}: {self.nominal:%Y-%m-%d} is {self.reason}"
        return "runs as scheduled"


def decide(when: dt.datetime, policy: CalendarPolicy) -> Decision:
    """Where a drill due at `when` goes: as scheduled, to a working day, or skipped.

    `when` must be timezone-aware and expressed in the plan's zone: its local date is the
    one checked against holidays and closed days. Pure: no file, no clock.
    """
    if when.tzinfo is None:
        raise ValueError("decide() needs a timezone-aware datetime in the plan's zone")
    if policy.public_holidays and not _known_year(when.year):
        return Decision(when, None, f"the public holidays of {when.year} are not known")
    reason = closed_reason(when.date(), policy)
    if reason is None:
        return Decision(when, when, None)
    if policy.on_closed_day == "skip":
        return Decision(when, None, f"{when:%Y-%m-%d} is {reason}")
    step = 1 if policy.on_closed_day == "next_working_day" else -1
    for offset in range(1, policy.max_shift_days + 1):
        day = when.date() + dt.timedelta(days=step * offset)
        if closed_reason(day, policy) is None:
            moved = dt.datetime.combine(day, when.time(), tzinfo=when.tzinfo)
            return Decision(when, moved, reason)
    return Decision(
        when,
        None,
        f"{when:%Y-%m-%d} is {reason}, and no working day was found within "
        f"{policy.max_shift_days} days",
    )


def _show(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d (%a) %H:%M %Z}"


# --- calendar.yaml --------------------------------------------------------------------


def load_calendar(plan_dir: Path | str) -> CalendarPolicy:
    """The policy in `plan_dir/calendar.yaml`, or the defaults when there is none.

    Raises PlanError naming the file, line and key of every problem.
    """
    root = Path(plan_dir)
    file = root / CALENDAR_FILE
    if not file.is_file():
        return CalendarPolicy()
    document, problems = load_document(file)
    if document is None:
        raise PlanError(problems, root)
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        raise PlanError(
            [
                Finding(
                    "DK-E006",
                    Severity.ERROR,
                    "the file must be a mapping of keys",
                    file,
                    document.line_of(()),
                    fix="start with keys such as closed_periods, on_closed_day, misfire",
                    message_key="calendar.not_mapping",
                    fix_key="calendar.not_mapping.fix",
                )
            ],
            root,
        )
    try:
        return CalendarPolicy.model_validate(data)
    except ValidationError as exc:
        raise PlanError(findings_from(exc, CalendarPolicy, document), root) from None
