"""A drill of simulated people commits its events in batches, and nothing else changes.

The same seed gives byte for byte the events of a drill that commits each one; the sink
is written a few dozen times instead of once per event; every handler still hears of an
event only once it is stored, in order; and a caller from outside (the operator, an
acknowledgement) is answered only once its event, and everything before it, is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from drill.engine.events import Event, PageQueued
from drill.engine.notifier import AckOutcome
from drill.engine.sink import Appended, MemorySink, StoredEvent


class CountingSink:
    """A memory sink that counts its writes and the events of each."""

    def __init__(self) -> None:
        self.inner = MemorySink()
        self.writes: list[int] = []

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        self.writes.append(1)
        return await self.inner.append(drill_id, event, key)

    async def append_many(
        self, drill_id: str, items: Sequence[tuple[Event, str | None]]
    ) -> list[Appended]:
        self.writes.append(len(items))
        await asyncio.sleep(0)  # a real store answers later: let other tasks run meanwhile
        return await self.inner.append_many(drill_id, items)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.inner.read(drill_id)


class ApartSink(CountingSink):
    """A sink that commits a batch on another core (as the event store's writer process
    does): it answers each `append_many` only once the drill has gone on meanwhile, or
    after a bounded number of turns of the loop (the drill had nothing left to do)."""

    commits_apart = True

    def __init__(self) -> None:
        super().__init__()
        self.runner: Any = None
        self.went_on: list[bool] = []
        self.expected: list[int] = []

    def expect_appends(self, appends: int) -> None:
        self.expected.append(appends)

    async def append_many(
        self, drill_id: str, items: Sequence[tuple[Event, str | None]]
    ) -> list[Appended]:
        def applied() -> int:
            timeline = self.runner.state.timeline
            return timeline[-1][0] if timeline else 0

        before = applied()
        for _ in range(1000):
            if applied() > before:
                break
            await asyncio.sleep(0)
        self.went_on.append(applied() > before)
        return await super().append_many(drill_id, items)


def harness(kit: SimpleNamespace, *, batched: bool, apart: bool = False) -> SimpleNamespace:
    sink = ApartSink() if apart else CountingSink()
    h = kit.Harness(
        kit.rich_plan(), people=kit.RICH_PEOPLE, seed=21, operator=True, sink=sink, batched=batched
    )
    if isinstance(sink, ApartSink):
        sink.runner = h.runner
    heard: list[tuple[int, str]] = []

    async def told(drill_id: str, event: Event) -> None:
        stored = await sink.read(drill_id)
        seq = next((s.seq for s in stored if s.event is event), None)
        assert seq is not None, f"{event.type_name} told before it was stored"
        heard.append((seq, event.type_name))

    h.runner.subscribe(told)
    return SimpleNamespace(h=h, sink=sink, heard=heard)


async def test_a_batched_drill_records_the_same_events_in_far_fewer_writes(
    kit: SimpleNamespace,
) -> None:
    one_by_one = harness(kit, batched=False)
    await one_by_one.h.runner.run()
    batched = harness(kit, batched=True)
    await batched.h.runner.run()

    expected = kit.records(await one_by_one.h.events())
    assert kit.records(await batched.h.events()) == expected
    assert len(one_by_one.sink.writes) == len(expected)
    assert len(batched.sink.writes) < len(expected) / 4
    assert sum(batched.sink.writes) == len(expected)
    # Every event was told after it was stored, each once, in the order of the record.
    assert batched.heard == one_by_one.heard
    assert [seq for seq, _ in batched.heard] == list(range(1, len(expected) + 1))
    assert batched.h.runner.state.summary() == one_by_one.h.runner.state.summary()


async def test_a_drill_goes_on_while_its_batch_is_committed_apart(kit: SimpleNamespace) -> None:
    one_by_one = harness(kit, batched=False)
    await one_by_one.h.runner.run()
    apart = harness(kit, batched=True, apart=True)
    await apart.h.runner.run()

    expected = kit.records(await one_by_one.h.events())
    assert kit.records(await apart.h.events()) == expected
    assert sum(apart.sink.writes) == len(expected)
    # The drill applied more events while a batch was being committed, one batch at a
    # time; still every event was told after it was stored, once, in order.
    assert any(apart.sink.went_on)
    # Told at the start how large the drill is (about five events a contact), and at its
    # end that no more are coming.
    assert apart.sink.expected == [5 * apart.h.runner.state.started.contacts, 0]
    assert apart.heard == one_by_one.heard
    assert apart.h.runner.state.summary() == one_by_one.h.runner.state.summary()


@pytest.mark.parametrize("apart", [False, True], ids=["batched", "apart"])
async def test_run_until_returns_with_every_event_stored(kit: SimpleNamespace, apart: bool) -> None:
    d = harness(kit, batched=True, apart=apart)
    await d.h.runner.run_until(6)
    stored = await d.sink.read("d1")
    assert len(stored) == d.h.runner.state.timeline[-1][0]
    assert [seq for seq, _ in d.heard] == [s.seq for s in stored]


@pytest.mark.parametrize("apart", [False, True], ids=["batched", "apart"])
async def test_an_acknowledgement_from_outside_is_answered_once_stored(
    kit: SimpleNamespace, apart: bool
) -> None:
    d = harness(kit, batched=True, apart=apart)
    await d.h.runner.run_until(0.5)
    page = next(e for e in await d.h.events() if isinstance(e, PageQueued))

    driving = asyncio.create_task(d.h.runner.run_until(20))
    outcome = await d.h.runner.acknowledge(page.page_id, source="sms", key="link:outside")
    stored = await d.sink.read("d1")
    (ack,) = [s for s in stored if s.key == "link:outside"]
    assert outcome in (AckOutcome.ACCEPTED, AckOutcome.ALREADY_ACKNOWLEDGED)
    # Stored before the answer, after everything the drill had kept back: the record's
    # numbering and the drill's own agree event for event.
    assert [s.seq for s in stored] == list(range(1, len(stored) + 1))
    await driving
    stored = await d.sink.read("d1")
    for seq, event in d.h.runner.state.timeline:
        assert stored[seq - 1].event is event
    assert stored[ack.seq - 1].key == "link:outside"
