"""Page anyone, now (今すぐ呼出), and people marked away from the console, in virtual time.

The plan: chief (alice, deputy bob) in level `first`, admin (carol, deputy dave) in
level `second`; zoe holds the `duty` role and is in no tree. Every page outside the
ladder goes out on each kind of contact method the person has.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from types import SimpleNamespace

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import (
    Acknowledged,
    Escalated,
    EscalationReason,
    Event,
    OperatorPaged,
    OutsideAcknowledged,
    OutsidePageQueued,
    PageQueued,
    PersonMarkedAvailable,
    PersonMarkedUnavailable,
    to_record,
)
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.engine.sink import Appended, MemorySink, StoredEvent
from drill.engine.state import DrillState, LevelStatus
from drill.errors import EngineError
from drill.plan.models import Plan

AD_HOC_NUMBER = "090-1234-5678"
AD_HOC_E164 = "+819012345678"


def plan(kit: SimpleNamespace, *, channels: Sequence[str] = ("voice", "sms", "email")) -> Plan:
    b = kit.PlanBuilder()
    for person in ("alice", "bob", "carol", "dave", "zoe"):
        b.person(person)
    b.role("chief", "alice", ["bob"], name="統括責任者")
    b.role("admin", "carol", ["dave"], name="システム管理者")
    b.role("duty", "zoe", [], name="当番")
    b.level("t", "first", ["chief"], timeout=3, channels=channels)
    b.level("t", "second", ["admin"], timeout=3, channels=channels)
    return b.build()


def state_of(events: list[Event]) -> DrillState:
    return DrillState.from_events(events)


async def test_a_person_outside_the_tree_is_paged_now_and_answers_without_changing_the_tree(
    kit: SimpleNamespace,
) -> None:
    people = {"alice": "voice@50", "carol": "voice@50", "zoe": "sms@45"}
    h = kit.Harness(plan(kit), people=people)
    await h.runner.run_until(0.5)
    order = await h.runner.page_now(
        "person", target="zoe", by="当直 佐藤", key="console-1", origin="host:1:ab"
    )
    again = await h.runner.page_now("person", target="zoe", by="当直 佐藤", key="console-1")
    await h.runner.run()

    assert again == order  # the same key: the same order, nothing paged twice
    (ordered,) = await h.of(OperatorPaged)
    assert (ordered.by, ordered.origin, ordered.asked, ordered.target) == (
        "当直 佐藤",
        "host:1:ab",
        "person",
        "zoe",
    )
    queued = await h.of(OutsidePageQueued)
    assert sorted(q.channel.value for q in queued) == ["email", "sms", "voice"]
    assert {q.person_id for q in queued} == {"zoe"}
    sent = [p for p in h.notifier.sent if p.person_id == "zoe"]
    assert len(sent) == 3 and all(p.mode == "drill" for p in sent)  # the drill marker
    (answer,) = await h.of(OutsideAcknowledged)
    assert answer.person_id == "zoe" and answer.channel.value == "sms"

    state = state_of(await h.events())
    answered = state.orders[ordered.request].answered()
    assert answered["zoe"].acknowledged_elapsed == pytest.approx(30 + 45)
    # Outside the tree: the tree's outcome is the one of a drill without the order.
    alone = kit.Harness(plan(kit), people=people)
    await alone.runner.run()
    plain = state_of(await alone.events())
    assert state.summary().acknowledged == plain.summary().acknowledged == 2
    assert state.summary().contacts == plain.summary().contacts
    assert [lv.status for lv in state.levels.values()] == [
        lv.status for lv in plain.levels.values()
    ]
    assert ("t", "first", "zoe") not in state.contacts


async def test_every_holder_of_a_role_is_paged(kit: SimpleNamespace) -> None:
    h = kit.Harness(plan(kit, channels=("voice",)), people={"alice": "voice@10"})
    await h.runner.run_until(0.5)
    order = await h.runner.page_now("role", target="duty", by="officer")
    assert set(order.people) == {"zoe"} and order.target_name == "当番"
    queued = await h.of(OutsidePageQueued)
    assert {q.role_id for q in queued} == {"duty"}
    with pytest.raises(EngineError, match="not a role"):
        await h.runner.page_now("role", target="dutty", by="officer")


async def test_an_ad_hoc_person_is_paged_with_the_number_masked_in_every_event(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(plan(kit), people={"alice": "voice@50", "adhoc:1": "voice@30"})
    await h.runner.run_until(0.5)
    order = await h.runner.page_now(
        "ad_hoc", name="外部業者 田中", phone=AD_HOC_NUMBER, email="tanaka@vendor.example", by="o"
    )
    await h.runner.run_until(5)

    assert order.target == "adhoc:1" and order.target_name == "外部業者 田中"
    journal = json.dumps([to_record(e) for e in await h.events()], ensure_ascii=False)
    assert AD_HOC_E164 not in journal and "1234-5678" not in journal
    assert "090-****-**78" in journal  # masked, as every page's number
    voice = [p for p in h.notifier.sent if p.person_id == "adhoc:1" and p.channel.value == "voice"]
    assert [p.address for p in voice] == [AD_HOC_E164]  # the full number reached the channel
    assert (await h.sink.ad_hoc_people("d1"))["adhoc:1"][1][0] == ("voice", AD_HOC_E164)
    state = state_of(await h.events())
    (page,) = [p for p in state.outside_pages.values() if p.outcome == "acknowledged"]
    assert page.queued.ad_hoc and page.acknowledged_elapsed == pytest.approx(30 + 30)


async def test_a_bad_number_or_unknown_person_is_refused_and_nothing_is_recorded(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(plan(kit), people={"alice": "voice@50"})
    await h.runner.run_until(0.5)
    before = len(await h.events())
    with pytest.raises(EngineError, match="number is not valid") as caught:
        await h.runner.page_now("ad_hoc", name="x", phone="090-9876", by="o")
    assert "9876" not in str(caught.value)  # masked in the message too
    with pytest.raises(EngineError, match="did you mean 'zoe'"):
        await h.runner.page_now("person", target="zoey", by="o")
    with pytest.raises(EngineError, match="e-mail"):
        await h.runner.page_now("ad_hoc", name="x", email="not an address", by="o")
    assert len(await h.events()) == before


async def test_re_paging_the_unanswered_pages_each_once_and_an_answer_counts_for_the_contact(
    kit: SimpleNamespace,
) -> None:
    # The ladder calls alice by voice only; she answers only an SMS (the re-page sends one).
    h = kit.Harness(plan(kit, channels=("voice",)), people={"alice": "sms@30", "carol": "voice@10"})
    await h.runner.run_until(0.25)  # alice's call rings out at 30 s
    order = await h.runner.page_now("unanswered", by="officer")
    await h.runner.run_until(2)

    assert set(order.people) == {"alice"} and set(order.contacts) == {"t/first/chief"}
    (ack,) = [a for a in await h.of(Acknowledged) if a.person_id == "alice"]
    assert ack.page_id in {q.page_id for q in await h.of(OutsidePageQueued)}
    state = state_of(await h.events())
    assert state.contacts[("t", "first", "chief")].acknowledged
    assert state.levels[("t", "first")].status is LevelStatus.SATISFIED
    # Once, not a loop: nothing more is paged outside the ladder unless asked again.
    await h.runner.run()
    assert len(await h.of(OperatorPaged)) == 1
    assert len(await h.of(OutsidePageQueued)) == len(order.people)


async def test_a_person_marked_away_from_the_console_is_passed_over_like_a_plan_absence(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(plan(kit), people={"alice": "voice@50", "dave": "voice@50"})
    await h.runner.run_until(0.1)
    until = VirtualClock().now() + dt.timedelta(days=3)
    await h.runner.mark_unavailable(
        "carol", reason="出張", until=until, by="当直 佐藤", key="k-away", origin="host:2:cd"
    )
    await h.runner.run()

    (mark,) = await h.of(PersonMarkedUnavailable)
    assert (mark.person_id, mark.reason, mark.by, mark.origin) == (
        "carol",
        "出張",
        "当直 佐藤",
        "host:2:cd",
    )
    assert "carol" not in [e.person_id for e in await h.of(PageQueued)]
    (skip,) = await h.of(Escalated)
    assert (skip.from_person, skip.to_person) == ("carol", "dave")
    assert skip.reason is EscalationReason.UNAVAILABLE and skip.absence == "出張"
    state = state_of(await h.events())
    assert [e.person_id for _, e in state.marked_unavailable] == ["carol"]
    other = kit.Harness(plan(kit), people={"alice": "voice@50"})
    await other.runner.run_until(0.1)
    with pytest.raises(EngineError, match="already passed"):
        await other.runner.mark_unavailable(
            "carol", reason="休暇", until=until - dt.timedelta(days=10), by="o"
        )
    with pytest.raises(EngineError, match="did you mean 'carol'"):
        await other.runner.mark_unavailable("caroll", reason="休暇", by="o")


async def test_a_mark_that_has_ended_changes_nothing(kit: SimpleNamespace) -> None:
    h = kit.Harness(plan(kit), people={"alice": "voice@50", "carol": "voice@50"})
    await h.runner.run_until(0.1)
    back = VirtualClock().now() + dt.timedelta(seconds=30)  # back before level 2 starts
    await h.runner.mark_unavailable("carol", reason="その他", until=back, by="o")
    await h.runner.run()
    assert await h.of(Escalated) == []
    assert "carol" in [e.person_id for e in await h.of(PageQueued)]


async def test_a_mark_taken_back_pages_the_person_again_and_the_fold_pairs_them(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(plan(kit), people={"alice": "voice@50", "carol": "voice@50"})
    await h.runner.run_until(0.1)
    await h.runner.mark_unavailable("carol", reason="休暇", by="当直 佐藤")
    await h.runner.run_until(0.5)  # minutes: level 2 starts at 50 s
    with pytest.raises(EngineError, match="not marked away"):
        await h.runner.mark_available("alice", by="当直 佐藤")
    back = await h.runner.mark_available("carol", by="副当直 鈴木", key="k-back", origin="pc-2")
    await h.runner.run()

    assert await h.of(Escalated) == []  # level 2 started after the mark was taken back
    assert "carol" in [e.person_id for e in await h.of(PageQueued)]
    (stored,) = await h.of(PersonMarkedAvailable)
    assert (stored.person_id, stored.by, stored.origin) == ("carol", "副当直 鈴木", "pc-2")
    state = state_of(await h.events())
    (mark,) = [e for _, e in state.marked_unavailable]
    assert state.marked_back[0][1] == back
    assert state.console_mark("carol", mark.at) == mark
    assert state.console_mark("carol", back.at) is None
    with pytest.raises(EngineError):
        await h.runner.mark_available("carol", by="o")  # the drill has ended


async def test_a_resumed_engine_knows_the_mark_was_taken_back(kit: SimpleNamespace) -> None:
    """Marked away, marked back, then the process stops before level 2: the engine that
    resumes it pages carol on level 2 (it rebuilt the marks from the events)."""
    sink = MemorySink()
    people = {"alice": "voice@50", "carol": "voice@50"}
    first = kit.Harness(plan(kit), people=people, sink=sink)
    await first.runner.run_until(0.1)
    await first.runner.mark_unavailable("carol", reason="出張", by="o")
    await first.runner.mark_available("carol", by="o")

    sim = SimulatedNotifier(first.model)
    runner = await DrillRunner.resume(
        "d1", first.plan, sink=sink, notifiers=[sim], clock=VirtualClock(), by="officer"
    )
    await runner.run()
    events = [s.event for s in await sink.read("d1") if not s.duplicate]
    assert not [e for e in events if isinstance(e, Escalated)]
    assert "carol" in [p.person_id for p in sim.sent]


# -- resume -----------------------------------------------------------------------------


class Crash(Exception):
    """The process died here."""


class CrashingSink:
    """Stores until `survive` more events were appended after `arm()`, then fails."""

    def __init__(self) -> None:
        self.inner = MemorySink()
        self.left: int | None = None

    def arm(self, survive: int) -> None:
        self.left = survive

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        if self.left is not None:
            if self.left <= 0:
                raise Crash(event.type_name)
            self.left -= 1
        return await self.inner.append(drill_id, event, key)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.inner.read(drill_id)

    async def keep_ad_hoc(self, drill_id: str, ref: str, name: str, points: object) -> None:
        await self.inner.keep_ad_hoc(drill_id, ref, name, points)  # type: ignore[arg-type]

    async def ad_hoc_people(self, drill_id: str) -> dict[str, object]:
        return dict(await self.inner.ad_hoc_people(drill_id))


@pytest.mark.parametrize("survive", [1, 2, 4])
async def test_a_drill_killed_while_paging_ad_hoc_resumes_with_no_page_sent_twice(
    kit: SimpleNamespace, survive: int
) -> None:
    """Killed after the order (1), after its first page was queued (2) or sent (4) of
    three (voice, SMS, e-mail): the resumed engine sends the rest, once each."""
    people = {"alice": "voice@50", "carol": "voice@50", "adhoc:1": "email@40"}
    sink = CrashingSink()
    h = kit.Harness(plan(kit), people=people, sink=sink)
    await h.runner.run_until(0.5)
    sink.arm(survive)
    with pytest.raises(Crash):
        await h.runner.page_now(
            "ad_hoc", name="田中", phone=AD_HOC_NUMBER, email="t@v.example", by="o"
        )
    before = [p.page_id for p in h.notifier.sent if p.person_id == "adhoc:1"]

    sim = SimulatedNotifier(h.model)
    runner = await DrillRunner.resume(
        "d1", h.plan, sink=sink.inner, notifiers=[sim], clock=VirtualClock(), by="officer"
    )
    await runner.run()
    events = [s.event for s in await sink.inner.read("d1") if not s.duplicate]

    queued = [e for e in events if isinstance(e, OutsidePageQueued)]
    assert sorted((q.request, q.index) for q in queued) == [
        (queued[0].request, i) for i in range(3)
    ]
    after = [p.page_id for p in sim.sent if p.person_id == "adhoc:1"]
    assert not set(before) & set(after)  # nothing sent again
    assert len(set(before) | set(after)) <= 3
    assert {p.address for p in sim.sent if p.person_id == "adhoc:1"} <= {
        AD_HOC_E164,
        "t@v.example",
    }
    state = DrillState.from_events(events)
    (order,) = state.orders.values()
    assert "adhoc:1" in order.answered()  # the e-mail answer, after the resume
    assert len([e for e in events if isinstance(e, OutsideAcknowledged)]) == 1
