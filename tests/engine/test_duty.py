"""Duty rotations (当番) and people marked away (不在), in virtual time.

The drill starts at the virtual clock's fixed moment, Saturday 31 January 2026 10:00 in
Tokyo, so each test states its periods around that moment.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from drill.engine.events import Acknowledged, Escalated, EscalationReason, PageQueued
from drill.engine.state import DrillState
from drill.plan.duty import away_at, duty_at
from drill.plan.models import Plan

TOKYO = dt.timezone(dt.timedelta(hours=9))
START = dt.datetime(2026, 1, 31, 10, 0, tzinfo=TOKYO)


def plan_with(
    kit: SimpleNamespace, *, away: dict[str, list[dict[str, object]]], rotation=None
) -> Plan:  # type: ignore[no-untyped-def]
    b = kit.PlanBuilder()
    for person in ("alice", "bob", "carol", "dave"):
        b.person(person, unavailable=away.get(person, ()))
    if rotation is None:
        b.role("admin", "alice", ["bob", "carol"], name="システム管理者")
    else:
        b.role("admin", None, ["carol"], name="システム管理者", rotation=rotation)
    b.level("t", "first", ["admin"], timeout=3, channels=("voice",))
    return b.build()


async def paged_people(harness: SimpleNamespace) -> list[str]:
    return [e.person_id for e in await harness.of(PageQueued)]


async def test_a_holder_on_leave_is_passed_over_to_the_deputy_and_the_record_says_why(
    kit: SimpleNamespace,
) -> None:
    plan = plan_with(
        kit, away={"alice": [{"from": "2026-01-30", "to": "2026-02-02", "reason": "休暇"}]}
    )
    h = kit.Harness(plan, people={"bob": "voice@20"})
    await h.runner.run()

    assert await paged_people(h) == ["bob"]  # alice never called
    (skip,) = await h.of(Escalated)
    assert (skip.from_person, skip.to_person) == ("alice", "bob")
    assert skip.reason is EscalationReason.UNAVAILABLE and skip.absence == "休暇"
    (ack,) = await h.of(Acknowledged)
    assert ack.person_id == "bob"
    state = DrillState.from_events(await h.sink.read(h.drill_id))
    contact = state.contacts[("t", "first", "admin")]
    assert [e.absence for _, e in contact.passed_over] == ["休暇"]


async def test_an_absence_that_has_ended_or_not_begun_changes_nothing(
    kit: SimpleNamespace,
) -> None:
    plan = plan_with(
        kit,
        away={
            "alice": [
                {"from": "2026-01-20", "to": "2026-01-30", "reason": "出張"},  # ended last night
                {"from": "2026-01-31T18:00", "to": "2026-02-03", "reason": "休暇"},  # from tonight
            ]
        },
    )
    h = kit.Harness(plan, people={"alice": "voice@20"})
    await h.runner.run()
    assert await paged_people(h) == ["alice"]
    assert await h.of(Escalated) == []


async def test_two_away_in_a_row_skip_to_the_third_and_the_last_is_paged_even_when_away(
    kit: SimpleNamespace,
) -> None:
    period = {"from": "2026-01-31", "to": "2026-01-31", "reason": "研修"}
    plan = plan_with(kit, away={"alice": [period], "bob": [period], "carol": [period]})
    h = kit.Harness(plan, people={"carol": "voice@20"})
    await h.runner.run()
    # Nobody is left after carol, so she is paged although away (better than nobody).
    assert await paged_people(h) == ["carol"]
    assert [(e.from_person, e.to_person) for e in await h.of(Escalated)] == [
        ("alice", "bob"),
        ("bob", "carol"),
    ]


ROTATION = {
    "people": ["alice", "bob", "dave"],
    "every": "week",
    "start": "2026-01-12",  # a Monday: alice 1/12, bob 1/19, dave 1/26, alice 2/2 …
    "handover": "08:30",
}


async def test_a_rotating_role_pages_whoever_is_on_duty_when_its_level_starts(
    kit: SimpleNamespace,
) -> None:
    plan = plan_with(kit, away={}, rotation=ROTATION)
    h = kit.Harness(plan, people={"dave": "voice@20"})
    await h.runner.run()
    assert await paged_people(h) == ["dave"]  # the week of 26 January


async def test_an_override_takes_the_turn_and_an_away_holder_falls_to_the_deputy(
    kit: SimpleNamespace,
) -> None:
    rotation = {
        **ROTATION,
        "overrides": [{"from": "2026-01-31", "to": "2026-02-01", "person": "bob"}],
    }
    plan = plan_with(
        kit,
        away={"bob": [{"from": "2026-01-31T09:00", "to": "2026-01-31T12:00", "reason": "通院"}]},
        rotation=rotation,
    )
    h = kit.Harness(plan, people={"carol": "voice@20"})
    await h.runner.run()
    # bob covers the weekend for dave, but is away this morning: the deputy carol is paged.
    assert await paged_people(h) == ["carol"]
    (skip,) = await h.of(Escalated)
    assert (skip.from_person, skip.absence) == ("bob", "通院")


def test_duty_at_says_who_is_on_duty_until_when_and_who_is_next(kit: SimpleNamespace) -> None:
    plan = plan_with(kit, away={}, rotation=ROTATION)
    (duty,) = duty_at(plan, START)
    assert (duty.person_id, duty.next_person_id) == ("dave", "alice")
    assert duty.until == dt.datetime(2026, 2, 2, 8, 30, tzinfo=TOKYO)
    # At the handover itself the turn has passed.
    (after,) = duty_at(plan, duty.until)
    assert (after.person_id, after.next_person_id) == ("alice", "bob")
    # Before 08:30 on a Monday the previous turn still holds.
    (early,) = duty_at(plan, dt.datetime(2026, 2, 2, 8, 29, tzinfo=TOKYO))
    assert early.person_id == "dave"


def test_away_at_lists_who_is_away_now_and_soon_with_their_roles(kit: SimpleNamespace) -> None:
    plan = plan_with(
        kit,
        away={
            "bob": [{"from": "2026-02-05", "to": "2026-02-06", "reason": "出張"}],
            "carol": [{"from": "2026-01-30", "to": "2026-02-01", "reason": "休暇"}],
            "dave": [{"from": "2026-03-01", "to": "2026-03-02", "reason": "異動"}],
        },
    )
    found = away_at(plan, START, dt.timedelta(days=14))
    assert [(a.person_id, a.now, a.roles) for a in found] == [
        ("carol", True, ("admin",)),
        ("bob", False, ("admin",)),
    ]


async def test_the_report_says_who_was_passed_over_and_why(kit: SimpleNamespace) -> None:
    from drill.report.markdown_report import render_markdown
    from drill.report.model import build

    plan = plan_with(
        kit, away={"alice": [{"from": "2026-01-31", "to": "2026-01-31", "reason": "休暇"}]}
    )
    h = kit.Harness(plan, people={"bob": "voice@20"})
    await h.runner.run()
    report = build(await h.sink.read(h.drill_id), plan)

    (row,) = report.contacts
    assert [(p.person, p.absence) for p in row.passed_over] == [("alice", "休暇")]
    finding = next(f for f in report.findings if f.code == "passed_over")
    assert "alice（休暇）は不在のため" in finding.text.ja
    assert "alice（休暇）は不在のため" in render_markdown(report, "ja")
    assert "alice (休暇) away" in render_markdown(report, "en")
