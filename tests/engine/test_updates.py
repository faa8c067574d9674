"""Status updates (第N報) in virtual time: who gets them, their own acknowledgements, resume.

A recording notifier stands for the channels: it accepts every page and answers none,
so each acknowledgement in these tests is one the test makes, through the same inbox
call a link, a keypress or a reply makes (`DrillRunner.acknowledge`).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import (
    Acknowledged,
    DrillInterrupted,
    Event,
    UpdateAcknowledged,
    UpdateIssued,
    UpdateQueued,
    UpdateSent,
)
from drill.engine.notifier import AckOutcome, Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.sink import Appended, MemorySink, StoredEvent
from drill.engine.state import ContactStatus, DrillState, LevelStatus
from drill.errors import EngineError
from drill.plan import load_plan, sample_plan_dir
from drill.plan.models import Audience, ChannelKind, Plan


class Recorder:
    """Accepts every page, answers none: the test acknowledges what it wants to."""

    kinds = frozenset(ChannelKind)
    local = True

    def __init__(self) -> None:
        self.sent: list[Page] = []

    async def start(self, inbox: Inbox) -> None:
        pass

    async def send(self, page: Page) -> SendResult:
        self.sent.append(page)
        return SendResult.ok(f"rec-{page.page_id}")

    async def close(self) -> None:
        pass

    def updates(self, number: int | None = None) -> list[Page]:
        return [
            p for p in self.sent if p.update is not None and (number is None or p.update == number)
        ]

    def level_pages(self) -> list[Page]:
        return [p for p in self.sent if p.update is None]


def runner(plan: Plan, recorder: Recorder, sink: object | None = None) -> DrillRunner:
    return DrillRunner(
        plan,
        plan.scenarios[0].id,
        sink=sink if sink is not None else MemorySink(),  # type: ignore[arg-type]
        notifiers=[recorder],
        clock=VirtualClock(),
        drill_id="d1",
    )


def page_of(recorder: Recorder, person: str) -> Page:
    return next(p for p in reversed(recorder.level_pages()) if p.person_id == person)


async def chief_acknowledged(kit: SimpleNamespace) -> tuple[DrillRunner, Recorder]:
    """alice (the chief) acknowledged her SMS; carol (admin, next level) is being paged."""
    rec = Recorder()
    r = runner(kit.two_level_plan(channels=("sms", "email")), rec)
    await r.run_until(0.5)
    assert await r.acknowledge(page_of(rec, "alice").page_id, source="sms") == "accepted"
    await r.run_until(1)
    assert page_of(rec, "carol").channel is ChannelKind.SMS
    return r, rec


async def test_an_update_goes_to_everyone_reached_on_the_channel_they_answered(
    kit: SimpleNamespace,
) -> None:
    r, rec = await chief_acknowledged(kit)
    number = await r.issue_update("サーバの復旧作業を開始しました。", by="当番 佐藤")
    assert number == 1
    [copy] = rec.updates(1)
    assert (copy.person_id, copy.channel) == ("alice", ChannelKind.SMS)
    assert copy.address == page_of(rec, "alice").address
    assert copy.mode == "drill"  # the channel adds the drill marker to every part
    assert "第1報" in copy.message.email_subject
    assert "サーバの復旧作業を開始しました。" in copy.message.sms
    assert "サーバの復旧作業を開始しました。" in copy.message.email_body
    # numbered with the pages, so its link is a short page link
    assert copy.page_id.startswith("d1-p") and copy.page_id not in {
        p.page_id for p in rec.level_pages()
    }
    update = r.state.update(1)
    assert update is not None
    assert (update.kind, update.issued.by, update.recipients) == ("first", "当番 佐藤", 1)
    assert update.acknowledged_by == () and update.not_acknowledged == ("alice",)


async def test_each_acknowledgement_of_an_update_is_that_update_s_alone(
    kit: SimpleNamespace,
) -> None:
    r, rec = await chief_acknowledged(kit)
    await r.issue_update("第一報の本文", by="officer", audience="tree:t")
    assert [p.person_id for p in rec.updates(1)] == ["alice", "carol"]
    await r.run_until(1.5)
    carol = next(p for p in rec.updates(1) if p.person_id == "carol")
    acks_before = len(r.state.acknowledgements)

    assert await r.acknowledge(carol.page_id, source="sms", key="k1") == AckOutcome.ACCEPTED
    assert await r.acknowledge(carol.page_id, source="sms", key="k1") == AckOutcome.DUPLICATE
    assert await r.acknowledge(carol.page_id, source="email", key="k2") == "already_acknowledged"

    update = r.state.update(1)
    assert update is not None
    assert update.acknowledged_by == ("carol",)
    assert update.not_acknowledged == ("alice",)
    assert update.seconds_to_acknowledge() == [30.0]
    assert update.copies["carol"].acknowledgements == 2
    # Carol acknowledged the update, not her page: the level still waits for her.
    assert len(r.state.acknowledgements) == acks_before
    admin = r.state.contact("admin")
    assert not admin.acknowledged and admin.status is not ContactStatus.ACKNOWLEDGED
    assert r.state.levels[("t", "second")].status is LevelStatus.RUNNING


async def test_updates_change_no_level_tree_or_contact_outcome(kit: SimpleNamespace) -> None:
    async def drill(with_updates: bool) -> DrillState:
        rec = Recorder()
        r = runner(kit.two_level_plan(channels=("sms",)), rec)
        await r.run_until(0.5)
        await r.acknowledge(page_of(rec, "alice").page_id, source="sms")
        await r.run_until(1)
        if with_updates:
            await r.issue_update("続報です", by="officer", audience="level:t/second")
            for copy in rec.updates():
                await r.acknowledge(copy.page_id, source="sms")  # carol, by the update only
            await r.issue_update("最終報です", kind="final", by="officer", audience="tree:t")
            for copy in rec.updates(2):
                await r.acknowledge(copy.page_id, source="sms")
        return await r.run()

    plain, updated = await drill(False), await drill(True)
    assert [u.acknowledged for u in updated.updates] == [1, 2]
    assert plain.updates == []

    def outcome(state: DrillState) -> object:
        return (
            {k: (c.status, c.acknowledged_by) for k, c in state.contacts.items()},
            {k: (lv.status, lv.satisfied) for k, lv in state.levels.items()},
            {k: t.satisfied for k, t in state.trees.items()},
            state.summary(),
            len(state.acknowledgements),
        )

    assert outcome(updated) == outcome(plain)
    assert updated.levels[("t", "second")].satisfied is False


async def test_the_audience_is_chosen_by_tree_level_or_agency(kit: SimpleNamespace) -> None:
    r, rec = await chief_acknowledged(kit)
    await r.issue_update("二階層目のみ", by="officer", audience="level:t/second")
    assert [p.person_id for p in rec.updates(1)] == ["carol"]
    # carol has acknowledged nothing: her first contact method (a phone: a call), even
    # though her level pages by SMS and e-mail
    assert rec.updates(1)[0].channel is ChannelKind.VOICE
    with pytest.raises(EngineError, match="did you mean 'second'"):
        await r.issue_update("x", by="officer", audience="level:t/secnd")
    with pytest.raises(EngineError, match="nobody to send"):
        await r.issue_update("x", by="officer", audience="agency")
    with pytest.raises(EngineError, match="unknown audience"):
        await r.issue_update("x", by="officer", audience="everyone")
    assert len(r.state.updates) == 1


async def test_an_outside_agency_gets_the_agency_text(kit: SimpleNamespace) -> None:
    plan = load_plan(sample_plan_dir()).plan
    scenario = next(s for s in plan.scenarios if s.agency_messages is not None)
    rec = Recorder()
    r = DrillRunner(
        plan, scenario.id, sink=MemorySink(), notifiers=[rec], clock=VirtualClock(), drill_id="d1"
    )
    await r.run_until(0.1)
    await r.issue_update("漏えいは確認されていません。", by="officer", audience="agency")
    copies = rec.updates(1)
    assert copies
    members = r._levels.members.values()
    agencies = {c.id for m in members if m.audience is Audience.AGENCY for c in m.candidates}
    assert {p.person_id for p in copies} <= agencies
    for copy in copies:
        assert "漏えいは確認されていません。" in copy.message.email_body
    update = r.state.update(1)
    assert update is not None
    assert {c.audience for c in update.copies.values()} == {"agency"}


async def test_numbers_kinds_and_the_final_update(kit: SimpleNamespace) -> None:
    r, rec = await chief_acknowledged(kit)
    assert await r.issue_update("一", by="officer") == 1
    with pytest.raises(EngineError, match="first update was issued"):
        await r.issue_update("二", kind="first", by="officer")
    assert await r.issue_update("二", by="officer") == 2
    assert await r.issue_update("三", kind="final", by="officer") == 3
    with pytest.raises(EngineError, match="final update"):
        await r.issue_update("四", by="officer")
    with pytest.raises(EngineError, match="no text"):
        await r.issue_update("   ", by="officer")
    assert [u.kind for u in r.state.updates] == ["first", "followup", "final"]
    assert "第2報" in rec.updates(2)[0].message.email_subject
    assert "最終報" in rec.updates(3)[0].message.email_subject


async def test_an_update_is_issued_once_per_key(kit: SimpleNamespace) -> None:
    r, rec = await chief_acknowledged(kit)
    assert await r.issue_update("一", by="officer", key="req-1", origin="console-b") == 1
    assert await r.issue_update("一", by="officer", key="req-1", origin="console-b") is None
    assert len(rec.updates()) == 1 and len(r.state.updates) == 1
    assert r.state.updates[0].issued.origin == "console-b"


async def test_an_update_needs_someone_reached_by_default(kit: SimpleNamespace) -> None:
    rec = Recorder()
    r = runner(kit.two_level_plan(channels=("sms",)), rec)
    await r.run_until(0.5)
    with pytest.raises(EngineError, match="nobody has acknowledged"):
        await r.issue_update("まだ誰も", by="officer")
    assert r.state.updates == []


class Crash(Exception):
    pass


class CrashingSink:
    """Stores `survive` events, then fails every append: what a kill -9 leaves behind."""

    def __init__(self, inner: MemorySink, survive: int) -> None:
        self.inner = inner
        self.left = survive

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        if self.left <= 0:
            raise Crash(event.type_name)
        self.left -= 1
        return await self.inner.append(drill_id, event, key)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.inner.read(drill_id)


async def test_resume_sends_each_copy_once_and_keeps_taking_acknowledgements(
    kit: SimpleNamespace,
) -> None:
    plan = kit.two_level_plan(channels=("sms",))
    memory = MemorySink()
    crashing = CrashingSink(memory, 10_000)
    rec = Recorder()
    r = runner(plan, rec, crashing)
    await r.run_until(0.5)
    await r.acknowledge(page_of(rec, "alice").page_id, source="sms")
    await r.run_until(1)
    # The process dies right after the first copy was queued (before its send is recorded).
    crashing.left = 2  # UpdateIssued, UpdateQueued
    with pytest.raises(Crash):
        await r.issue_update("作業中です", by="officer", audience="tree:t")
    stored = [s.event for s in await memory.read("d1")]
    assert isinstance(stored[-1], UpdateQueued) and isinstance(stored[-2], UpdateIssued)
    in_flight = stored[-1].page_id

    rec2 = Recorder()
    resumed = await DrillRunner.resume(
        "d1", plan, sink=memory, notifiers=[rec2], clock=VirtualClock(), by="officer"
    )
    events = [s.event for s in await memory.read("d1")]
    interrupted = next(e for e in events if isinstance(e, DrillInterrupted))
    assert in_flight in interrupted.pages_in_flight
    # The copy in flight is never sent again; carol, not yet queued, is sent hers.
    assert [(p.person_id, p.update) for p in rec2.updates()] == [("carol", 1)]
    queued = [e for e in events if isinstance(e, UpdateQueued)]
    assert sorted(e.person_id for e in queued) == ["alice", "carol"]
    assert [e.page_id for e in events if isinstance(e, UpdateSent)] == [rec2.updates()[0].page_id]
    # Both copies still take acknowledgements, the one in flight included.
    assert await resumed.acknowledge(in_flight, source="sms") == AckOutcome.ACCEPTED
    assert await resumed.acknowledge(rec2.updates()[0].page_id, source="sms") == "accepted"
    update = resumed.state.update(1)
    assert update is not None and update.not_acknowledged == ()
    # Later pages of the levels take numbers after the copies.
    await resumed.run()
    page_ids = [e.page_id for e in await memory_events(memory, UpdateQueued)]
    later = [p.page_id for p in rec2.level_pages()]
    assert not set(page_ids) & set(later)
    assert not any(isinstance(e, Acknowledged) and e.page_id in page_ids for e in events)


async def memory_events(memory: MemorySink, kind: type[Event]) -> list[UpdateQueued]:
    return [s.event for s in await memory.read("d1") if isinstance(s.event, kind)]  # type: ignore[misc]


async def test_update_acknowledgements_rebuild_from_the_events(kit: SimpleNamespace) -> None:
    sink = MemorySink()
    rec = Recorder()
    r = runner(kit.two_level_plan(channels=("sms",)), rec, sink)
    await r.run_until(0.5)
    await r.acknowledge(page_of(rec, "alice").page_id, source="sms")
    await r.issue_update("一", by="officer")
    await r.acknowledge(rec.updates(1)[0].page_id, source="sms")
    await r.run()
    folded = DrillState.from_events(await sink.read("d1"))
    assert [(u.number, u.acknowledged_by) for u in folded.updates] == [(1, ("alice",))]
    assert any(isinstance(s.event, UpdateAcknowledged) for s in await sink.read("d1"))
    assert [type(e).__name__ for _, e in folded.timeline].count("UpdateIssued") == 1
