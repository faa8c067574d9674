"""Who is in charge (責任者) and handing over, in virtual time: recorded, idempotent, resumed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import HandedOver
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.engine.state import DrillState
from drill.errors import EngineError


def harness(kit: SimpleNamespace, operator: str | None = "佐藤") -> SimpleNamespace:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "absent", "carol": "voice@10"})
    h.runner.operator = operator  # who starts the drill (the console's or the CLI's name)
    return h


async def test_the_drill_starts_in_the_charge_of_whoever_started_it(kit: SimpleNamespace) -> None:
    h = harness(kit)
    await h.runner.run_until(1)
    officer = h.runner.state.officer
    assert officer is not None and officer.name == "佐藤"
    assert officer.since_elapsed == 0.0 and officer.handover is None


async def test_a_handover_is_recorded_from_whom_to_whom_when_with_its_note(
    kit: SimpleNamespace,
) -> None:
    h = harness(kit)
    await h.runner.run_until(2)
    await h.runner.hand_over("鈴木", by="佐藤", note="第2段の応答待ち")
    await h.runner.run_until(7)
    await h.runner.hand_over("高橋", by="鈴木", origin="host:1:abc")
    await h.runner.run()

    first, second = await h.of(HandedOver)
    assert (first.from_officer, first.to_officer, first.by) == ("佐藤", "鈴木", "佐藤")
    assert first.note == "第2段の応答待ち" and first.elapsed == 120.0
    assert (second.from_officer, second.to_officer, second.origin) == ("鈴木", "高橋", "host:1:abc")
    # The fold keeps the chain, read back from the record alone.
    state = DrillState.from_events(await h.sink.read(h.drill_id))
    assert [(o.name, o.since_elapsed) for o in state.officers] == [
        ("佐藤", 0.0),
        ("鈴木", 120.0),
        ("高橋", 420.0),
    ]
    assert state.officer is not None and state.officer.name == "高橋"
    assert any(isinstance(e, HandedOver) for _, e in state.timeline)


async def test_a_handover_with_the_same_key_is_applied_once(kit: SimpleNamespace) -> None:
    h = harness(kit)
    await h.runner.run_until(1)
    await h.runner.hand_over("鈴木", by="佐藤", key="console-request:r1")
    # A console asking again with the same request (its answer was lost): nothing new,
    # and no "already in charge" refusal either.
    await h.runner.hand_over("鈴木", by="佐藤", key="console-request:r1")
    await h.runner.run()
    assert [e.to_officer for e in await h.of(HandedOver)] == ["鈴木"]


async def test_a_handover_to_whoever_is_in_charge_or_to_nobody_is_refused(
    kit: SimpleNamespace,
) -> None:
    h = harness(kit)
    await h.runner.run_until(1)
    with pytest.raises(EngineError, match="already in charge"):
        await h.runner.hand_over("佐藤", by="佐藤")
    with pytest.raises(EngineError, match="name the person"):
        await h.runner.hand_over("  ", by="佐藤")
    await h.runner.run()
    assert await h.of(HandedOver) == []
    with pytest.raises(EngineError, match="already ended"):
        await h.runner.hand_over("鈴木", by="佐藤")


async def test_anyone_may_take_charge_of_a_drill_started_without_a_name(
    kit: SimpleNamespace,
) -> None:
    h = harness(kit, operator=None)
    await h.runner.run_until(1)
    assert h.runner.state.officer is None
    await h.runner.hand_over("鈴木", by="鈴木")
    (event,) = await h.of(HandedOver)
    assert event.from_officer is None and h.runner.state.officer is not None


async def test_the_chain_survives_a_resume_and_goes_on_from_the_new_officer(
    kit: SimpleNamespace,
) -> None:
    sink = MemorySink()
    h = kit.Harness(kit.rich_plan(), people=kit.RICH_PEOPLE, seed=5, sink=sink)
    h.runner.operator = "佐藤"
    await h.runner.run_until(2)
    await h.runner.hand_over("鈴木", by="佐藤", key="k1")
    # The engine stops here (nothing more recorded); another one resumes the drill.
    resumed = await DrillRunner.resume(
        "d1",
        kit.rich_plan(),
        sink=sink,
        notifiers=[SimulatedNotifier(h.model)],
        clock=VirtualClock(),
        by="鈴木",
    )
    assert resumed.state.officer is not None and resumed.state.officer.name == "鈴木"
    await resumed.hand_over("鈴木", by="佐藤", key="k1")  # the same request again: once
    await resumed.hand_over("高橋", by="鈴木")
    await resumed.run()
    handovers = [
        e for e in (item.event for item in await sink.read("d1")) if isinstance(e, HandedOver)
    ]
    assert [(e.from_officer, e.to_officer) for e in handovers] == [
        ("佐藤", "鈴木"),
        ("鈴木", "高橋"),
    ]
    assert [o.name for o in resumed.state.officers] == ["佐藤", "鈴木", "高橋"]
