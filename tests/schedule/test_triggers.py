"""Calendar and reminder triggers: the times APScheduler fires at, and surviving pickling."""

from __future__ import annotations

import datetime as dt
import pickle

from drill.schedule.calendar import CalendarPolicy
from drill.schedule.recurrence import Recurrence
from drill.schedule.triggers import CalendarTrigger, ReminderTrigger

from .conftest import jst


def calendar(kind: str, text: str, **policy: object) -> CalendarTrigger:
    nominal = Recurrence(kind, text, "Asia/Tokyo").trigger()  # type: ignore[arg-type]
    return CalendarTrigger(nominal, CalendarPolicy(**policy), "Asia/Tokyo")  # type: ignore[arg-type]


def fire_times(trigger: object, now: dt.datetime, count: int) -> list[dt.datetime]:
    out: list[dt.datetime] = []
    previous = None
    while len(out) < count:
        moment = trigger.get_next_fire_time(previous, now)  # type: ignore[attr-defined]
        if moment is None:
            break
        out.append(moment)
        previous = moment
    return out


def test_a_drill_on_new_years_day_fires_on_the_next_working_day() -> None:
    trigger = calendar("at", "2027-01-01 10:00")
    assert fire_times(trigger, jst(2026, 12, 1), 3) == [jst(2027, 1, 4, 10)]


def test_a_yearly_drill_fires_on_the_decided_days() -> None:
    trigger = calendar("every", "january 1 10:00")
    assert fire_times(trigger, jst(2026, 6, 1), 3) == [
        jst(2027, 1, 4, 10),  # Fri 元日 -> Mon
        jst(2028, 1, 4, 10),  # Sat 元日 -> Tue (1/3 is still 年末年始)
        jst(2029, 1, 4, 10),  # Mon 元日 -> Thu
    ]


def test_skipped_occurrences_do_not_fire() -> None:
    trigger = calendar("every", "may 3 10:00", on_closed_day="skip")
    assert fire_times(trigger, jst(2026, 6, 1), 2) == []  # 憲法記念日 every year


def test_days_moved_onto_the_same_day_fire_once() -> None:
    trigger = calendar("every", "every day 10:00")
    fired = fire_times(trigger, jst(2026, 12, 28, 11), 3)
    # 12/29–1/3 all move to 1/4; it fires once, then 1/5.
    assert fired == [jst(2027, 1, 4, 10), jst(2027, 1, 5, 10), jst(2027, 1, 6, 10)]


def test_a_new_job_picks_the_moved_occurrence_still_ahead() -> None:
    trigger = calendar("every", "every day 10:00")
    # Added on 1/2 (closed): yesterday's and today's drills both move to Monday 1/4.
    assert trigger.get_next_fire_time(None, jst(2027, 1, 2, 12)) == jst(2027, 1, 4, 10)


def test_decision_for_finds_the_nominal_time() -> None:
    trigger = calendar("at", "2027-05-03 10:00")
    decision = trigger.decision_for(jst(2027, 5, 6, 10))
    assert decision is not None
    assert decision.nominal == jst(2027, 5, 3, 10)
    assert decision.reason == "public holiday 憲法記念日"


def test_reminder_fires_the_lead_before_the_decided_time() -> None:
    drill = calendar("every", "last friday of january 10:00")
    reminder = ReminderTrigger(drill, dt.timedelta(days=1))
    assert fire_times(reminder, jst(2026, 6, 1), 2) == [jst(2027, 1, 28, 10), jst(2028, 1, 27, 10)]
    assert reminder.drill_time(jst(2027, 1, 28, 10)) == jst(2027, 1, 29, 10)


def test_reminder_of_a_moved_drill_follows_it() -> None:
    drill = calendar("at", "2027-01-01 10:00")
    reminder = ReminderTrigger(drill, dt.timedelta(hours=2))
    assert reminder.get_next_fire_time(None, jst(2026, 12, 1)) == jst(2027, 1, 4, 8)


def test_triggers_survive_pickling_as_the_job_store_does() -> None:
    drill = calendar("every", "last friday of january 10:00", on_closed_day="skip")
    reminder = ReminderTrigger(drill, dt.timedelta(minutes=30))
    restored = pickle.loads(pickle.dumps(reminder))
    assert isinstance(restored, ReminderTrigger)
    assert restored.drill.policy == drill.policy
    assert restored.get_next_fire_time(None, jst(2026, 6, 1)) == jst(2027, 1, 29, 9, 30)
    assert restored.drill.get_next_fire_time(None, jst(2026, 6, 1)) == jst(2027, 1, 29, 10)
