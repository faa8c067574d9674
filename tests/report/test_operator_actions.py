"""What the operator did shows in the report: a relayed call, a note, a pause, an abort."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from drill.engine.clock import VirtualClock
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.plan import Plan
from drill.report import build, render_markdown


async def test_manual_acknowledgement_note_pause_and_abort(
    kit: SimpleNamespace, plan: Plan
) -> None:
    chief = kit.holder_of(plan, "juki-chief")
    deputies = [p for p in kit.everyone_of(plan, "juki-chief") if p != chief]
    model = ResponseModel.from_mapping(
        {"seed": 4, "people": {p: kit.ABSENT for p in [chief, *deputies]}}
    )
    clock = VirtualClock()
    sink = MemorySink()
    runner = DrillRunner(
        plan,
        "annual-roll-call",
        sink=sink,
        notifiers=[SimulatedNotifier(model, clock=clock)],
        clock=clock,
        drill_id="ops",
    )
    await runner.run_until(1.5)
    reached = clock.now() - dt.timedelta(seconds=30)
    await runner.acknowledge_manually("juki-chief", entered_by="佐々木（当番）", reached_at=reached)
    await runner.add_note("統括責任者には庁内放送で連絡がついた", by="佐々木（当番）")
    await runner.pause(by="佐々木（当番）", reason="来客対応")
    await runner.run_until(4)
    await runner.unpause(by="佐々木（当番）")
    await runner.run_until(12)
    await runner.abort(by="佐々木（当番）", reason="本番の障害が発生したため")
    report = build(await sink.read("ops"), plan)

    row = next(c for c in report.contacts if c.member == "juki-chief")
    assert row.status == "acknowledged"
    assert row.ack_source == "manual" and row.entered_by == "佐々木（当番）"
    assert row.ack_seconds == 60.0  # when reached (1.5 min − 30 s), not when typed in
    assert report.drill.outcome == "aborted"
    assert report.drill.outcome_reason == "本番の障害が発生したため"
    assert report.drill.paused_seconds > 0
    kinds = [t.kind for t in report.timeline]
    assert {"note", "paused", "resumed", "aborted", "inject"} <= set(kinds)
    assert report.findings[0].code == "aborted"
    text = render_markdown(report)
    assert "手入力：佐々木（当番）" in text
    assert "メモ（佐々木（当番））：統括責任者には庁内放送で連絡がついた" in text
    assert "中止（本番の障害が発生したため） — 佐々木（当番）" in text
    # Contacts never paged because the drill stopped are listed, not dropped.
    assert len(report.contacts) == report.summary.contacts == 24
