"""Who was in charge (責任者) and each handover, in every report format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

from drill.engine.clock import VirtualClock
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import EventSink, MemorySink
from drill.plan import Plan
from drill.report import build, render_markdown
from drill.report.csv_report import render_events_csv
from drill.report.html_report import render_html
from drill.report.json_report import render_json
from drill.store import EventStore


async def handed_over_twice(plan: Plan, sink: EventSink) -> DrillRunner:
    clock = VirtualClock()
    runner = DrillRunner(
        plan,
        "annual-roll-call",
        sink=sink,
        notifiers=[SimulatedNotifier(ResponseModel(seed=3), clock=clock)],
        clock=clock,
        drill_id="ho",
        operator="佐藤",
    )
    await runner.run_until(3)
    await runner.hand_over("鈴木", by="佐藤", note="第2段の応答待ち")
    await runner.run_until(10)
    await runner.hand_over("高橋", by="田中")  # taken for an officer who could not
    await runner.run()
    return runner


async def test_the_chain_of_officers_and_each_handover_in_every_format(
    kit: SimpleNamespace, plan: Plan, tmp_path: Path
) -> None:
    async with EventStore.open(tmp_path / "events.db") as store:
        await handed_over_twice(plan, store)
        stored = await store.read("ho")
        records = await store.records("ho")
    report = build(stored, plan)

    chain = [
        (o.name, o.since_seconds, o.until_seconds, o.from_officer, o.by) for o in report.officers
    ]
    assert chain == [
        ("佐藤", 0.0, 180.0, None, None),
        ("鈴木", 180.0, 600.0, "佐藤", "佐藤"),
        ("高橋", 600.0, None, "鈴木", "田中"),
    ]
    assert report.officers[1].note == "第2段の応答待ち"
    assert [t.kind for t in report.timeline].count("handover") == 2

    ja = render_markdown(report)
    assert "## 責任者と交代" in ja
    assert "| 鈴木 | " in ja and "佐藤 から交代" in ja and "第2段の応答待ち" in ja
    assert "鈴木 から交代（入力: 田中）" in ja and "終了まで" in ja
    assert "責任者の交代: 佐藤 → 鈴木（第2段の応答待ち）" in ja  # the timeline
    en = render_markdown(report, "en")
    assert "## Officers in charge and handovers" in en
    assert "took over from 鈴木 (entered by 田中)" in en and "started the drill" in en

    html = render_html(report)
    assert '<section id="officers">' in html and 'href="#officers"' in html
    assert "鈴木 から交代（入力: 田中）" in html

    data = json.loads(render_json(report))
    assert [(o["name"], o["from_officer"], o["by"]) for o in data["officers"]] == [
        ("佐藤", None, None),
        ("鈴木", "佐藤", "佐藤"),
        ("高橋", "鈴木", "田中"),
    ]
    assert data["officers"][0]["until"].endswith("+09:00")

    rows = list(csv.DictReader(io.StringIO(render_events_csv(records))))
    handovers = [r for r in rows if r["type"] == "HandedOver"]
    assert len(handovers) == 2 and "第2段の応答待ち" in str(handovers[0])


async def test_a_drill_without_a_named_officer_has_no_chain_section(
    kit: SimpleNamespace, plan: Plan
) -> None:
    clock = VirtualClock()
    sink = MemorySink()
    runner = DrillRunner(
        plan,
        "annual-roll-call",
        sink=sink,
        notifiers=[SimulatedNotifier(ResponseModel(seed=3), clock=clock)],
        clock=clock,
        drill_id="anon",
    )
    await runner.run()
    report = build(await sink.read("anon"), plan)
    assert report.officers == ()
    assert "責任者と交代" not in render_markdown(report)
    assert '<section id="officers">' not in render_html(report)
