"""APScheduler triggers that know the plan's calendar.

`CalendarTrigger` wraps a trigger of nominal times (a `DateTrigger` or `CronTrigger` in
the plan's zone) and fires at the times `decide` gives: moved off closed days, or skipped.
`ReminderTrigger` fires a fixed lead time before each of those. Both are pickled into the
job store with a versioned state of plain values (the policy as JSON), so a stored job
still loads after the policy model grows a field.

The policy is the one in force when the job was added; `schedule refresh` (or removing and
adding the job) applies an edited `calendar.yaml`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

from apscheduler.triggers.base import BaseTrigger

from drill.schedule.calendar import (
    CalendarPolicy,
    Decision,
    decide,
    format_duration,
    holidays_known_until,
)

__all__ = ["CalendarTrigger", "ReminderTrigger"]

_MAX_SCAN = 5000
"""Nominal occurrences looked at for one answer: years of daily drills, all skipped."""
_TICK = dt.timedelta(microseconds=1)


class CalendarTrigger(BaseTrigger):  # type: ignore[misc]  # apscheduler is untyped
    """Fires at each nominal time of `nominal` as the calendar decides it (see module doc)."""

    def __init__(self, nominal: Any, policy: CalendarPolicy, timezone: str) -> None:
        self.nominal = nominal
        self.policy = policy
        self.timezone = timezone
        self.zone = zoneinfo.ZoneInfo(timezone)

    # -- the calendar's view -------------------------------------------------------------

    def nominal_times(self, start: dt.datetime) -> Iterator[dt.datetime]:
        """The nominal times from `start` on, in the plan's zone."""
        previous: dt.datetime | None = None
        cursor = start
        last_year = holidays_known_until() if self.policy.public_holidays else dt.MAXYEAR
        for _ in range(_MAX_SCAN):
            moment = self.nominal.get_next_fire_time(previous, cursor)
            if moment is None or moment.astimezone(self.zone).year > last_year:
                return
            yield moment.astimezone(self.zone)
            previous, cursor = moment, moment + _TICK

    def decisions(self, start: dt.datetime, count: int) -> list[Decision]:
        """The next `count` nominal occurrences from `start`, each with its decision
        (skipped ones included): what `schedule next` shows."""
        out: list[Decision] = []
        for nominal in self.nominal_times(start):
            out.append(decide(nominal, self.policy))
            if len(out) >= count:
                break
        return out

    def decision_for(self, run_at: dt.datetime) -> Decision | None:
        """The decision that makes the drill run at `run_at` (the earliest, if several
        nominal times were moved onto the same one)."""
        for decision in self._around(run_at):
            if decision.run_at == run_at:
                return decision
        return None

    def _around(self, moment: dt.datetime) -> Iterator[Decision]:
        window = dt.timedelta(days=self.policy.max_shift_days + 1)
        for nominal in self.nominal_times(moment - window):
            if nominal > moment + window:
                return
            yield decide(nominal, self.policy)

    # -- APScheduler --------------------------------------------------------------------

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        """The first decided time after `previous_fire_time` (or at or after `now` for a
        new job); nominal times moved onto the same decided time fire once."""
        after = previous_fire_time
        floor = now if previous_fire_time is None else None
        start = (after if after is not None else now) - dt.timedelta(
            days=self.policy.max_shift_days + 1
        )
        for nominal in self.nominal_times(start):
            run_at = decide(nominal, self.policy).run_at
            if run_at is None:
                continue
            if after is not None and run_at <= after:
                continue
            if floor is not None and run_at < floor:
                continue
            return run_at
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "nominal": self.nominal,
            "policy": self.policy.model_dump(mode="json"),
            "timezone": self.timezone,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version", 1) > 1:
            raise ValueError(
                f"CalendarTrigger state version {state['version']} is newer than this "
                "version of drillkit understands"
            )
        self.nominal = state["nominal"]
        self.policy = CalendarPolicy.model_validate(state["policy"])
        self.timezone = state["timezone"]
        self.zone = zoneinfo.ZoneInfo(self.timezone)

    def __str__(self) -> str:
        return f"calendar[{self.nominal}, {self.policy.on_closed_day}]"

    def __repr__(self) -> str:
        return f"<CalendarTrigger nominal={self.nominal!r} timezone={self.timezone!r}>"


class ReminderTrigger(BaseTrigger):  # type: ignore[misc]  # apscheduler is untyped
    """Fires `lead` before each time a `CalendarTrigger` fires."""

    def __init__(self, drill: CalendarTrigger, lead: dt.timedelta) -> None:
        self.drill = drill
        self.lead = lead

    def drill_time(self, fire_time: dt.datetime) -> dt.datetime:
        """The drill this reminder (firing at `fire_time`) is for."""
        return (fire_time + self.lead).astimezone(self.drill.zone)

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        """A new job reminds of the next drill even when its lead time has already begun
        (the reminder is then due at once); afterwards, of each following drill."""
        if previous_fire_time is None:
            drill_at = self.drill.get_next_fire_time(None, now)
        else:
            drill_at = self.drill.get_next_fire_time(previous_fire_time + self.lead, now)
        return drill_at - self.lead if drill_at is not None else None

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "drill": self.drill, "lead_seconds": self.lead.total_seconds()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version", 1) > 1:
            raise ValueError("ReminderTrigger state is newer than this version of drillkit")
        self.drill = state["drill"]
        self.lead = dt.timedelta(seconds=state["lead_seconds"])

    def __str__(self) -> str:
        return f"reminder[{format_duration(self.lead)} before {self.drill}]"

    def __repr__(self) -> str:
        return f"<ReminderTrigger lead={self.lead!r} drill={self.drill!r}>"
