"""Escalation semantics, in virtual time: levels, quorums, deputies, the channel ladder."""

from __future__ import annotations

from types import SimpleNamespace

from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    CancelReason,
    DeliveryFailed,
    Escalated,
    EscalationReason,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    PageQueued,
    PageSent,
    PagingCancelled,
)
from drill.engine.notifier import FailureReason, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.sink import MemorySink
from drill.plan.contact import mask_number
from drill.plan.models import ChannelKind, Plan


def dialled(plan: Plan, e: PageQueued) -> str:
    """The number a page went to: the plan's contact method the event refers to (the
    event itself keeps only a masked form)."""
    assert e.point is not None
    address = plan.person(e.person_id).channels[e.point].address
    assert e.address == mask_number(address) and "*" in e.address
    return address


def pages(events: list[PageQueued], member: str | None = None) -> list[tuple[str, str, float]]:
    """(person, channel, elapsed) of each page, optionally of one member."""
    return [
        (e.person_id, e.channel.value, e.elapsed)
        for e in events
        if member is None or e.member == member
    ]


async def test_levels_run_in_order_and_the_next_starts_when_one_is_reached(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "voice@30", "carol": "voice@20"})
    await h.runner.run()

    started = {e.level: e.elapsed for e in await h.of(LevelStarted)}
    completed = {e.level: e for e in await h.of(LevelCompleted)}
    assert started == {"first": 0.0, "second": 30.0}
    assert completed["first"].satisfied and completed["first"].elapsed == 30.0
    assert completed["second"].elapsed == 50.0
    queued = await h.of(PageQueued)
    assert pages(queued, "admin") == [("carol", "voice", 30.0)]


async def test_parallel_members_are_paged_at_once(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(first=("chief", "admin", "north"))
    h = kit.Harness(plan, people={"alice": "voice@30", "carol": "voice@50", "erin": "voice@70"})
    await h.runner.run()

    queued = await h.of(PageQueued)
    first_pages = {e.member: e.elapsed for e in queued if e.attempt == 1 and e.level == "first"}
    assert first_pages == {"chief": 0.0, "admin": 0.0, "north": 0.0}
    level = next(e for e in await h.of(LevelCompleted) if e.level == "first")
    assert (level.acknowledged, level.required, level.elapsed) == (3, 3, 70.0)


async def test_sequential_members_are_paged_one_after_another(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(first=("chief", "admin", "north"), mode="sequential")
    h = kit.Harness(plan, people={"alice": "voice@30", "carol": "voice@50", "erin": "voice@70"})
    await h.runner.run()

    queued = [e for e in await h.of(PageQueued) if e.level == "first"]
    assert [(e.member, e.elapsed) for e in queued] == [
        ("chief", 0.0),
        ("admin", 30.0),
        ("north", 80.0),
    ]


async def test_any_quorum_cancels_the_rest_of_the_level(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(first=("chief", "admin", "north"), required="any")
    h = kit.Harness(plan, people={"alice": "voice@30", "carol": "absent", "erin": "absent"})
    await h.runner.run()

    cancelled = await h.of(PagingCancelled)
    assert {(e.member, e.why, e.elapsed) for e in cancelled} == {
        ("admin", CancelReason.LEVEL_SATISFIED, 30.0),
        ("north", CancelReason.LEVEL_SATISFIED, 30.0),
    }
    first = next(e for e in await h.of(LevelCompleted) if e.level == "first")
    assert first.satisfied and first.elapsed == 30.0
    # Nobody of the first level is paged again once it is satisfied.
    later = [e for e in await h.of(PageQueued) if e.level == "first" and e.elapsed > 30.0]
    assert later == []


async def test_a_numeric_quorum_needs_that_many(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(first=("chief", "admin", "north"), required=2)
    h = kit.Harness(plan, people={"alice": "voice@30", "carol": "absent", "erin": "voice@45"})
    await h.runner.run()

    first = next(e for e in await h.of(LevelCompleted) if e.level == "first")
    assert (first.acknowledged, first.required, first.satisfied, first.elapsed) == (
        2,
        2,
        True,
        45.0,
    )
    assert [e.member for e in await h.of(PagingCancelled)] == ["admin"]


async def test_an_exhausted_level_is_recorded_with_why_and_the_drill_goes_on(
    kit: SimpleNamespace,
) -> None:
    plan = kit.two_level_plan(first=("chief", "admin"), channels=("voice",))
    h = kit.Harness(
        plan,
        people={"alice": "absent", "bob": "absent", "carol": "voice@20", "dave": "voice@20"},
    )
    await h.runner.run()

    unreached = await h.of(MemberUnreached)
    assert [(e.member, e.people_tried) for e in unreached] == [("chief", ("alice", "bob"))]
    first = next(e for e in await h.of(LevelCompleted) if e.level == "first")
    assert not first.satisfied
    assert first.unreached == ("chief",)
    assert first.reason is not None and "chief" in first.reason
    assert any(e.level == "second" for e in await h.of(LevelStarted))


async def test_a_holder_who_does_not_answer_passes_to_the_deputy(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent", "bob": "voice@40"})
    await h.runner.run()

    # alice: the call rings out after 30 s, then SMS (3 min), then e-mail (3 min).
    assert pages(await h.of(PageQueued), "chief") == [
        ("alice", "voice", 0.0),
        ("alice", "sms", 30.0),
        ("alice", "email", 210.0),
        ("bob", "voice", 390.0),
    ]
    escalated = await h.of(Escalated)
    assert [(e.from_person, e.to_person, e.reason, e.elapsed) for e in escalated] == [
        ("alice", "bob", EscalationReason.LADDER_EXHAUSTED, 390.0)
    ]
    ack = (await h.of(Acknowledged))[0]
    assert (ack.person_id, ack.member, ack.elapsed) == ("bob", "chief", 430.0)
    assert h.runner.state.contact("chief").escalated


async def test_every_number_of_a_kind_is_dialled_in_order_before_the_next_channel(
    kit: SimpleNamespace,
) -> None:
    b = kit.PlanBuilder()
    b.person("alice", voice=2, sms=1, email=0)
    b.person("bob")
    b.role("chief", "alice", ["bob"])
    b.level("t", "only", ["chief"], retries=0, timeout=3, channels=("voice", "sms"))
    plan = b.build()
    v1, v2 = (p.address for p in plan.person("alice").points(ChannelKind.VOICE))
    h = kit.Harness(plan, people={"alice": "absent", "bob": "voice@10"})
    await h.runner.run()

    # 庁舎 rings out, then 携帯 is dialled (not SMS straight away), then SMS.
    alice = [e for e in await h.of(PageQueued) if e.person_id == "alice"]
    assert [(e.channel.value, e.attempt, dialled(plan, e)) for e in alice[:2]] == [
        ("voice", 1, v1),
        ("voice", 2, v2),
    ]
    assert [(e.channel.value, e.attempt) for e in alice[2:]] == [("sms", 1)]
    assert alice[0].elapsed < alice[1].elapsed < alice[2].elapsed


async def test_retries_repeat_the_whole_round_of_a_persons_numbers(
    kit: SimpleNamespace,
) -> None:
    b = kit.PlanBuilder()
    b.person("alice", voice=2, sms=1, email=0)
    b.person("bob")
    b.role("chief", "alice", ["bob"])
    b.level("t", "only", ["chief"], retries=1, timeout=3, channels=("voice", "sms"))
    plan = b.build()
    v1, v2 = (p.address for p in plan.person("alice").points(ChannelKind.VOICE))
    h = kit.Harness(plan, people={"alice": "absent", "bob": "voice@10"})
    await h.runner.run()

    alice = [e for e in await h.of(PageQueued) if e.person_id == "alice"]
    assert [(e.channel.value, e.attempt, dialled(plan, e)) for e in alice] == [
        ("voice", 1, v1),
        ("voice", 2, v2),
        ("voice", 3, v1),
        ("voice", 4, v2),
        ("sms", 1, dialled(plan, alice[4])),
        ("sms", 2, dialled(plan, alice[4])),
    ]
    escalated = await h.of(Escalated)
    assert [(e.from_person, e.to_person) for e in escalated] == [("alice", "bob")]


async def test_a_bad_number_is_skipped_in_the_later_rounds(kit: SimpleNamespace) -> None:
    b = kit.PlanBuilder()
    b.person("alice", voice=2, sms=1, email=0)
    b.person("bob")
    b.role("chief", "alice", ["bob"])
    b.level("t", "only", ["chief"], retries=2, timeout=3, channels=("voice", "sms"))
    plan = b.build()
    v1, v2 = (p.address for p in plan.person("alice").points(ChannelKind.VOICE))

    class Phones:
        """Voice: the first number does not exist; the others ring, and nobody answers."""

        kinds = frozenset({ChannelKind.VOICE})
        local = True  # a test double on the virtual clock: nobody is paged

        async def start(self, inbox: object) -> None:
            return None

        async def send(self, page: Page) -> SendResult:
            if page.address == v1:
                return SendResult.failed(FailureReason.INVALID_NUMBER, "no such number")
            return SendResult.ok(f"call-{page.page_id}")

        async def close(self) -> None:
            return None

    h = kit.Harness(plan, people={"alice": "absent", "bob": "sms@10"})
    runner = DrillRunner(
        plan,
        plan.scenarios[0].id,
        sink=h.sink,
        notifiers=[Phones(), h.notifier],
        clock=h.clock,
        drill_id=h.drill_id,
    )
    await runner.run()

    alice = [e for e in await h.of(PageQueued) if e.person_id == "alice"]
    # Round 1 tries both; rounds 2 and 3 skip the number found invalid (attempts 3, 5).
    assert [(e.channel.value, e.attempt, dialled(plan, e)) for e in alice[:4]] == [
        ("voice", 1, v1),
        ("voice", 2, v2),
        ("voice", 4, v2),
        ("voice", 6, v2),
    ]
    assert [(e.channel.value, e.attempt) for e in alice[4:]] == [
        ("sms", 1),
        ("sms", 2),
        ("sms", 3),
    ]
    sent = {e.page_id: e for e in await h.of(PageSent)}
    assert [sent[e.page_id].failure for e in alice[:2]] == [FailureReason.INVALID_NUMBER, None]


async def test_busy_moves_to_the_next_page_at_once(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(retries=1, channels=("voice",))
    h = kit.Harness(plan, people={"alice": "busy", "bob": "voice@10"})
    await h.runner.run()

    failures = [e for e in await h.of(DeliveryFailed)]
    assert [(e.reason, e.elapsed) for e in failures] == [
        (FailureReason.BUSY, 5.0),
        (FailureReason.BUSY, 10.0),
    ]
    assert pages(await h.of(PageQueued), "chief") == [
        ("alice", "voice", 0.0),
        ("alice", "voice", 5.0),
        ("bob", "voice", 10.0),
    ]
    assert await h.of(AttemptTimedOut) == []


async def test_an_invalid_number_is_not_tried_again(kit: SimpleNamespace) -> None:
    b = kit.PlanBuilder()
    b.person("alice", voice=2, sms=1, email=0)
    b.person("bob")
    b.role("chief", "alice", ["bob"])
    b.level("t", "only", ["chief"], retries=3, timeout=3, channels=("voice", "sms"))
    h = kit.Harness(b.build(), people={"alice": "invalid", "bob": "voice@10"})
    await h.runner.run()

    alice = [e for e in await h.of(PageQueued) if e.person_id == "alice"]
    # Two numbers, each failed once: the other two voice attempts are skipped.
    assert [(e.channel.value, e.attempt) for e in alice] == [
        ("voice", 1),
        ("voice", 2),
        ("sms", 1),
    ]
    sent = {e.page_id: e for e in await h.of(PageSent)}
    assert [sent[e.page_id].failure for e in alice] == [FailureReason.INVALID_NUMBER] * 3
    assert all(e.elapsed == 0.0 for e in alice)  # failures at send move on at once


async def test_a_missing_kind_of_contact_point_is_skipped(kit: SimpleNamespace) -> None:
    b = kit.PlanBuilder()
    b.person("alice", voice=0, sms=1, email=1)
    b.person("bob", voice=0, sms=0, email=0)
    b.person("carol")
    b.role("chief", "alice", ["bob", "carol"])
    b.level("t", "only", ["chief"], timeout=3)
    h = kit.Harness(b.build(), people={"alice": "absent", "carol": "voice@15"})
    await h.runner.run()

    assert pages(await h.of(PageQueued))[:2] == [("alice", "sms", 0.0), ("alice", "email", 180.0)]
    escalated = await h.of(Escalated)
    assert [(e.to_person, e.reason) for e in escalated] == [
        ("bob", EscalationReason.LADDER_EXHAUSTED),
        ("carol", EscalationReason.NO_CONTACT_POINT),
    ]


async def test_a_vacant_role_without_deputies_is_unreached_at_once(kit: SimpleNamespace) -> None:
    b = kit.PlanBuilder()
    b.person("alice")
    b.role("vacant", None)
    b.role("chief", "alice")
    b.level("t", "only", ["vacant", "chief"], timeout=3)
    h = kit.Harness(b.build(), people={"alice": "voice@20"})
    await h.runner.run()

    unreached = await h.of(MemberUnreached)
    assert [(e.member, e.reason, e.elapsed) for e in unreached] == [
        ("vacant", EscalationReason.NO_CANDIDATES, 0.0)
    ]


async def test_a_late_acknowledgement_after_escalation_still_counts(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(channels=("sms",))
    h = kit.Harness(plan, people={"alice": "sms@300", "bob": "absent", "carol": "sms@60"})
    await h.runner.run()

    chief = [e for e in await h.of(PageQueued) if e.member == "chief"]
    assert [(e.person_id, e.elapsed) for e in chief] == [("alice", 0.0), ("bob", 180.0)]
    ack = next(e for e in await h.of(Acknowledged) if e.member == "chief")
    assert (ack.person_id, ack.elapsed, ack.late, ack.first) == ("alice", 300.0, True, True)
    # bob's page no longer waits: no timeout for it, and nobody else is paged for chief.
    assert [e.page_id for e in await h.of(AttemptTimedOut)] == [chief[0].page_id]
    contact = h.runner.state.contact("chief")
    assert contact.acknowledged_by == "alice" and contact.after_deadline


async def test_an_acknowledgement_during_a_retry_stops_the_retries(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(retries=2, channels=("sms", "email"))
    h = kit.Harness(plan, people={"alice": "sms@200", "carol": "sms@10"})
    await h.runner.run()

    chief = [e for e in await h.of(PageQueued) if e.member == "chief"]
    assert [(e.channel.value, e.attempt, e.elapsed) for e in chief] == [
        ("sms", 1, 0.0),
        ("sms", 2, 180.0),
    ]
    ack = next(e for e in await h.of(Acknowledged) if e.member == "chief")
    assert ack.page_id == chief[0].page_id and ack.late
    assert [e.page_id for e in await h.of(AttemptTimedOut)] == [chief[0].page_id]


async def test_an_acknowledgement_stops_exactly_that_members_paging(kit: SimpleNamespace) -> None:
    plan = kit.two_level_plan(first=("chief", "admin"), channels=("sms",), retries=3)
    h = kit.Harness(plan, people={"alice": "absent", "carol": "absent"})
    await h.runner.run_until(1)
    outcome = await h.runner.acknowledge_manually("chief", entered_by="duty officer")
    await h.runner.run_until(20)

    assert outcome == "accepted"
    after = [(e.member, e.elapsed) for e in await h.of(PageQueued) if e.elapsed > 60]
    assert after and all(member == "admin" for member, _ in after)


async def test_two_acknowledgements_in_the_same_second_keep_both_and_count_once(
    kit: SimpleNamespace,
) -> None:
    import asyncio

    h = kit.Harness(
        kit.two_level_plan(first=("chief", "admin")), people={"alice": "absent", "carol": "absent"}
    )
    await h.runner.run_until(1)
    page = next(e for e in await h.of(PageQueued) if e.member == "chief")
    when = h.clock.now()
    outcomes = await asyncio.gather(
        h.runner.acknowledge(page.page_id, source="sms", received_at=when, key="sms-link-1"),
        h.runner.acknowledge_manually("chief", entered_by="duty officer", reached_at=when),
    )

    assert sorted(outcomes) == ["accepted", "already_acknowledged"]
    acks = [e for e in await h.of(Acknowledged) if e.member == "chief"]
    assert sorted(e.source for e in acks) == ["manual", "sms"]
    assert [e.first for e in acks] == [True, False]
    assert h.runner.state.levels[("t", "first")].acknowledged == 1


async def test_a_repeated_callback_key_is_recorded_as_duplicate_not_applied(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(
        kit.two_level_plan(first=("chief", "admin")), people={"alice": "absent", "carol": "absent"}
    )
    await h.runner.run_until(1)
    page = next(e for e in await h.of(PageQueued) if e.member == "chief")

    first = await h.runner.acknowledge(page.page_id, source="voice", key="CA-1")
    again = await h.runner.acknowledge(page.page_id, source="voice", key="CA-1")

    assert (first, again) == ("accepted", "duplicate")
    stored = [s for s in await h.sink.read("d1") if isinstance(s.event, Acknowledged)]
    assert [s.duplicate for s in stored] == [False, True]
    assert len(h.runner.state.acknowledgements) == 1


async def test_unknown_pages_and_finished_drills_are_answered_without_recording(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "voice@10", "carol": "voice@10"})
    await h.runner.run_until(0.1)
    assert await h.runner.acknowledge("d1-p999", source="sms") == "unknown_page"
    await h.runner.run()
    count = len(await h.events())
    assert await h.runner.acknowledge("d1-p1", source="sms") == "finished"
    assert len(await h.events()) == count


async def test_a_contact_reached_before_its_level_is_not_paged(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "voice@60"})
    await h.runner.run_until(0.5)
    await h.runner.acknowledge_manually("admin", entered_by="duty officer", note="会議中に口頭で")
    await h.runner.run()

    assert [e.member for e in await h.of(PageQueued)] == ["chief"]
    second = next(e for e in await h.of(LevelCompleted) if e.level == "second")
    assert second.satisfied and second.elapsed == 60.0


async def test_a_notifier_that_raises_fails_the_page_and_paging_goes_on(
    kit: SimpleNamespace,
) -> None:
    class Broken:
        kinds = frozenset({ChannelKind.VOICE})
        local = True  # a test double on the virtual clock: nobody is paged

        async def start(self, inbox: object) -> None:
            return None

        async def send(self, page: Page) -> SendResult:
            raise RuntimeError("provider exploded")

        async def close(self) -> None:
            return None

    h = kit.Harness(kit.two_level_plan(), people={"alice": "sms@20", "carol": "sms@20"})
    runner = DrillRunner(
        h.plan, "drill", sink=MemorySink(), notifiers=[Broken(), h.notifier], clock=h.clock
    )
    await runner.run()

    sent = [e for e in runner.state.pages]
    assert sent
    contact = runner.state.contact("chief")
    assert contact.acknowledged_channel is ChannelKind.SMS
    stored = [s.event for s in await runner.sink.read(runner.drill_id)]
    failures = [e for e in stored if isinstance(e, PageSent) and not e.accepted]
    assert failures and failures[0].failure is FailureReason.PROVIDER_ERROR
