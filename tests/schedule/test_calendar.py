"""Holidays and closed days: where a drill goes, and calendar.yaml as a user writes it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from drill.plan import PlanError
from drill.schedule.calendar import (
    CalendarPolicy,
    ClosedDate,
    closed_reason,
    decide,
    format_duration,
    load_calendar,
    parse_duration,
    public_holiday,
)
from drill.words.findings import finding_words

from .conftest import jst

DEFAULT = CalendarPolicy()


def test_new_years_day_2027_moves_to_the_first_working_day_after_the_closed_period() -> None:
    decision = decide(jst(2027, 1, 1, 10), DEFAULT)
    # 1/1 is 元日 and inside 年末年始 (12/29–1/3); 1/2 and 1/3 are the weekend too.
    assert decision.run_at == jst(2027, 1, 4, 10)
    assert decision.moved and not decision.skipped
    assert decision.reason is not None
    assert "年末年始" in decision.reason and "元日" in decision.reason
    assert "moved to 2027-01-04 (Mon) 10:00 JST" in decision.describe()


def test_a_national_holiday_moves_past_golden_week() -> None:
    decision = decide(jst(2027, 5, 3, 10), DEFAULT)
    # 5/3 憲法記念日, 5/4 みどりの日, 5/5 こどもの日: Thursday 5/6 is the next working day.
    assert decision.run_at == jst(2027, 5, 6, 10)
    assert decision.reason == "public holiday 憲法記念日"


def test_a_weekend_drill_moves_to_monday() -> None:
    decision = decide(jst(2027, 1, 30, 9, 30), DEFAULT)  # Saturday
    assert decision.run_at == jst(2027, 2, 1, 9, 30)
    assert decision.reason == "Saturday"


def test_a_working_day_runs_as_scheduled() -> None:
    decision = decide(jst(2027, 1, 29, 10), DEFAULT)  # last Friday of January
    assert decision.run_at == jst(2027, 1, 29, 10)
    assert decision.reason is None and not decision.moved
    assert decision.describe() == "runs as scheduled"


def test_substitute_and_citizens_holidays_count() -> None:
    assert public_holiday(dt.date(2027, 3, 22)) == "振替休日"
    assert public_holiday(dt.date(2026, 9, 22)) == "国民の休日"
    assert decide(jst(2027, 3, 22, 10), DEFAULT).run_at == jst(2027, 3, 23, 10)


def test_skip_policy_skips_with_the_reason() -> None:
    policy = CalendarPolicy(on_closed_day="skip")
    decision = decide(jst(2027, 5, 3, 10), policy)
    assert decision.skipped and decision.run_at is None
    assert decision.describe() == "skipped: 2027-05-03 is public holiday 憲法記念日"


def test_previous_working_day_policy_moves_back() -> None:
    policy = CalendarPolicy(on_closed_day="previous_working_day")
    decision = decide(jst(2027, 1, 1, 10), policy)
    assert decision.run_at == jst(2026, 12, 28, 10)  # Monday before 年末年始


def test_no_working_day_within_the_limit_is_skipped_not_looped() -> None:
    policy = CalendarPolicy(
        max_shift_days=3,
        closed_dates=tuple(
            ClosedDate(name="庁舎改修", date=dt.date(2027, 6, 1) + dt.timedelta(days=n))
            for n in range(10)
        ),
    )
    decision = decide(jst(2027, 6, 1, 10), policy)
    assert decision.skipped
    assert "no working day was found within 3 days" in (decision.reason or "")


def test_holidays_can_be_working_days_when_the_plan_says_so() -> None:
    policy = CalendarPolicy(public_holidays=False, closed_periods=(), closed_weekdays=())
    assert closed_reason(dt.date(2027, 1, 1), policy) is None
    assert decide(jst(2027, 1, 1, 10), policy).run_at == jst(2027, 1, 1, 10)


def test_decide_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(dt.datetime(2027, 1, 1, 10), DEFAULT)  # noqa: DTZ001  (the point of the test)


def test_durations_round_trip() -> None:
    assert parse_duration("1h30m") == dt.timedelta(minutes=90)
    assert parse_duration("1d") == dt.timedelta(days=1)
    assert format_duration(dt.timedelta(days=1, hours=2)) == "1d2h"
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("tomorrow")


# --- calendar.yaml ----------------------------------------------------------------------


def test_no_calendar_file_means_the_defaults(plan_dir: Path) -> None:
    assert load_calendar(plan_dir) == DEFAULT


def test_calendar_file_is_read_with_its_closed_days(plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text(
        "# サンプル市の開庁日\n"
        "closed_periods:\n"
        "  - {name: 年末年始, start: '12-28', end: '01-04'}\n"
        "  - {name: 夏季一斉休業, start: '08-13', end: '08-15'}\n"
        "closed_dates:\n"
        "  - {name: 庁舎停電点検, date: 2027-06-07}\n"
        "closed_weekdays: [sat, sun]\n"
        "on_closed_day: skip\n"
        "misfire: {action: skip, late_limit: 2h}\n"
        "reminders: {before: [2d, 1h], to: [sysadmin]}\n",
        encoding="utf-8",
    )
    policy = load_calendar(plan_dir)
    assert decide(jst(2027, 8, 13, 10), policy).skipped
    assert decide(jst(2027, 6, 7, 10), policy).reason == "2027-06-07 is closed day 庁舎停電点検"
    assert "年末年始" in (closed_reason(dt.date(2027, 1, 4), policy) or "")
    assert policy.misfire.action == "skip"
    assert policy.misfire.late_limit == dt.timedelta(hours=2)
    assert policy.reminders.before == (dt.timedelta(days=2), dt.timedelta(hours=1))
    assert policy.reminders.to == ("sysadmin",)


def test_a_misspelt_key_names_file_line_and_the_right_spelling(plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text(
        "on_closed_day: skip\nmisfire:\n  action: run_late\n  late_limt: 2h\n", encoding="utf-8"
    )
    with pytest.raises(PlanError) as caught:
        load_calendar(plan_dir)
    (finding,) = caught.value.findings
    assert finding.file == plan_dir / "calendar.yaml"
    assert finding.line == 4
    assert finding.key == "misfire.late_limt"
    assert finding.fix == "did you mean 'late_limit'?"


def test_a_bad_value_names_the_line_and_the_choices(plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text(
        "closed_periods:\n  - {name: 年末年始, start: '12-32', end: '01-03'}\n"
        "on_closed_day: later\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanError) as caught:
        load_calendar(plan_dir)
    rendered = [f.render(plan_dir) for f in caught.value.findings]
    assert any("calendar.yaml:2 closed_periods[0].start" in r and "12-32" in r for r in rendered)
    assert any("calendar.yaml:3 on_closed_day" in r and "next_working_day" in r for r in rendered)


def test_unsafe_yaml_is_refused(plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text(
        "on_closed_day: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8"
    )
    with pytest.raises(PlanError, match="not allowed"):
        load_calendar(plan_dir)


def test_every_day_closed_is_refused(plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text(
        "closed_weekdays: [mon, tue, wed, thu, fri, sat, sun]\n", encoding="utf-8"
    )
    with pytest.raises(PlanError, match="every day of the week is closed"):
        load_calendar(plan_dir)


def test_calendar_errors_read_in_japanese_with_place_and_fix(plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text(
        "closed_periods:\n  - {name: 年末年始, start: '12-32', end: '01-03'}\n"
        "misfire:\n  late_limt: 2h\n"
        "reminders:\n  before: [1d, 1d]\n"
        "max_search: 3 日\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanError) as caught:
        load_calendar(plan_dir)
    words = finding_words("ja")
    lines = [words.line(f, plan_dir) for f in caught.value.findings]
    expected = [
        "エラー DK-E006（値が正しくありません） calendar.yaml:2 closed_periods[0].start: "
        '月日として読めません。　直し方: `"12-29"` のように',
        "エラー DK-E004（知らないキー） calendar.yaml:4 misfire.late_limt: 知らないキー "
        "'late_limt' です。　直し方: もしかして 'late_limit' ですか？",
        "エラー DK-E006（値が正しくありません） calendar.yaml:6 reminders.before: "
        "同じ事前通知の時間が二度書かれています。",
    ]
    for text in expected:
        assert any(line.startswith(text) for line in lines), (text, lines)
    assert all("直し方: " in line for line in lines), lines
    english = re.compile(r"\b(?:the|is|write|day|not|may|once)\b")
    assert not [line for line in lines if english.search(line)], lines
