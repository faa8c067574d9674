"""Duty rotas (当番) on Japanese public holidays, in virtual time: the engine pages whoever
the rota says at the moment the level starts, with a holiday and an override in one week.

Monday 12 January 2026 is 成人の日; the rota turns weekly on Mondays at 08:30 from
Monday 5 January: alice, then bob (from the 12th), then dave (from the 19th).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import PageQueued
from drill.errors import DrillError
from drill.plan import load_plan, sample_plan_dir
from drill.plan.duty import duty_at
from drill.plan.holidays import public_holiday
from drill.plan.models import Plan

TOKYO = dt.timezone(dt.timedelta(hours=9))


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=TOKYO)


def rota_plan(kit: SimpleNamespace, **rotation: Any) -> Plan:
    b = kit.PlanBuilder()
    for person in ("alice", "bob", "carol", "dave", "erin"):
        b.person(person)
    spec = {"people": ["alice", "bob", "dave"], "every": "week", "start": "2026-01-05"}
    b.role("duty", None, ["erin"], name="当番", rotation={**spec, **rotation})
    b.level("t", "first", ["duty"], timeout=3, channels=("voice",))
    return b.build()


async def paged_at(kit: SimpleNamespace, plan: Plan, when: dt.datetime) -> str:
    everyone = {p: "voice@10" for p in ("alice", "bob", "carol", "dave", "erin")}
    h = kit.Harness(plan, people=everyone, clock=VirtualClock(when))
    await h.runner.run()
    return str((await h.of(PageQueued))[0].person_id)


def test_the_calendar_and_the_rota_read_the_same_holidays() -> None:
    from drill.schedule.calendar import public_holiday as calendar_holiday

    assert public_holiday(dt.date(2026, 1, 12)) == calendar_holiday(dt.date(2026, 1, 12))
    assert public_holiday(dt.date(2026, 1, 12)) == "成人の日"
    assert public_holiday(dt.date(2026, 1, 13)) is None


async def test_a_holiday_person_holds_the_holiday_and_an_override_the_same_week_wins(
    kit: SimpleNamespace,
) -> None:
    plan = rota_plan(
        kit,
        holidays="carol",
        overrides=[{"from": "2026-01-14", "to": "2026-01-14", "person": "dave"}],
    )
    # Monday 12th is a holiday: carol has its duty, from 08:30 to Tuesday's 08:30.
    assert await paged_at(kit, plan, at(12)) == "carol"
    assert await paged_at(kit, plan, at(13, 8, 29)) == "carol"
    # Then bob's week goes on; on Wednesday dave covers (the override), then bob again.
    assert await paged_at(kit, plan, at(13, 8, 30)) == "bob"
    assert await paged_at(kit, plan, at(14)) == "dave"
    assert await paged_at(kit, plan, at(15)) == "bob"
    # Before the holiday's handover the night still belongs to alice's week.
    assert await paged_at(kit, plan, at(12, 8, 0)) == "alice"


async def test_an_override_on_the_holiday_itself_wins_over_the_holiday_duty(
    kit: SimpleNamespace,
) -> None:
    plan = rota_plan(
        kit,
        holidays="carol",
        overrides=[{"from": "2026-01-12", "to": "2026-01-12", "person": "dave"}],
    )
    assert await paged_at(kit, plan, at(12)) == "dave"


async def test_skip_moves_a_monday_holiday_handover_to_tuesday_and_keeps_the_order(
    kit: SimpleNamespace,
) -> None:
    plan = rota_plan(
        kit,
        holidays="skip",
        overrides=[{"from": "2026-01-15", "to": "2026-01-15", "person": "carol"}],
    )
    assert await paged_at(kit, plan, at(12)) == "alice"  # no handover on 成人の日
    assert await paged_at(kit, plan, at(13, 8, 29)) == "alice"
    assert await paged_at(kit, plan, at(13, 8, 30)) == "bob"
    assert await paged_at(kit, plan, at(15)) == "carol"  # the override, the same week
    assert await paged_at(kit, plan, at(19)) == "dave"  # the next handover is on time


def test_duty_at_says_why_a_turn_is_longer_or_who_holds_the_holiday(
    kit: SimpleNamespace,
) -> None:
    (skipping,) = duty_at(rota_plan(kit, holidays="skip"), at(12))
    assert (skipping.person_id, skipping.next_person_id) == ("alice", "bob")
    assert skipping.until == at(13, 8, 30) and skipping.deferred == "成人の日"

    (before,) = duty_at(rota_plan(kit, holidays="carol"), at(11))
    # alice's turn stops where the holiday's duty starts; carol is next.
    assert (before.until, before.next_person_id) == (at(12, 8, 30), "carol")
    (holiday,) = duty_at(rota_plan(kit, holidays="carol"), at(12))
    assert (holiday.person_id, holiday.holiday, holiday.next_person_id) == (
        "carol",
        "成人の日",
        "bob",
    )
    assert holiday.until == at(13, 8, 30)

    (plain,) = duty_at(rota_plan(kit), at(12))
    assert (plain.person_id, plain.holiday, plain.deferred) == ("bob", None, None)


def test_a_daily_rota_that_skips_keeps_its_holder_over_golden_week() -> None:
    from drill.plan.models import Rotation

    rota = Rotation(people=("a", "b", "c"), every="day", start=dt.date(2026, 5, 1), holidays="skip")
    zone = dt.timezone(dt.timedelta(hours=9))
    holders = [
        rota.turn_at(dt.datetime(2026, 5, day, 12, tzinfo=zone), zone)[0] for day in range(1, 9)
    ]
    # 3-6 May are holidays (憲法記念日, みどりの日, こどもの日, 振替休日): b keeps the duty
    # from the 2nd to the 7th's handover, and nobody loses a turn.
    assert holders == ["a", "b", "b", "b", "b", "b", "c", "a"]


@pytest.mark.parametrize(
    ("value", "said"),
    [("zed", "neither `skip` nor a person"), ("skp", "did you mean 'skip'"), ("Skip", "ids use")],
)
def test_a_holiday_value_that_is_not_skip_or_a_person_is_named_with_file_line_and_key(
    tmp_path: Path, value: str, said: str
) -> None:
    plan_dir = tmp_path / "plan"
    shutil.copytree(sample_plan_dir(), plan_dir)
    roles = plan_dir / "contacts" / "roles.yaml"
    roles.write_text(
        roles.read_text(encoding="utf-8").replace("holidays: skip", f"holidays: {value}"),
        encoding="utf-8",
    )
    with pytest.raises(DrillError) as raised:
        load_plan(plan_dir)
    text = str(raised.value)
    assert said in text and "roles.yaml" in text and "holidays" in text
