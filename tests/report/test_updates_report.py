"""The report's status updates (第N報): each update with its acknowledgements, every format."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

from drill.engine.clock import VirtualClock
from drill.engine.notifier import Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.sink import MemorySink
from drill.engine.synthetic import PlanBuilder
from drill.plan.models import ChannelKind
from drill.report.html_report import render_html
from drill.report.json_report import render_json
from drill.report.markdown_report import render_markdown
from drill.report.model import build
from drill.report.types import Report
from drill.report.updates import render_updates_csv


class Recorder:
    kinds = frozenset(ChannelKind)
    local = True

    def __init__(self) -> None:
        self.sent: list[Page] = []

    async def start(self, inbox: Inbox) -> None:
        pass

    async def send(self, page: Page) -> SendResult:
        self.sent.append(page)
        return SendResult.ok()

    async def close(self) -> None:
        pass


async def drill_with_updates() -> tuple[Report, SimpleNamespace]:
    b = PlanBuilder()
    for person in ("alice", "bob", "carol", "dave"):
        b.person(person)
    b.role("chief", "alice", ["bob"])
    b.role("admin", "carol", ["dave"])
    b.level("t", "first", ["chief", "admin"], timeout=5, channels=("sms",))
    b.playbook("pb", [("close", None, ())])  # a step without a target keeps the drill open
    b.scenario(playbook="pb")
    plan = b.build()
    sink, rec = MemorySink(), Recorder()
    r = DrillRunner(
        plan, plan.scenarios[0].id, sink=sink, notifiers=[rec], clock=VirtualClock(), drill_id="d1"
    )
    await r.run_until(0.5)
    for page in list(rec.sent):
        await r.acknowledge(page.page_id, source="sms")
    await r.issue_update("復旧作業を開始しました", by="当番 佐藤")
    await r.run_until(2.5)  # alice answers two minutes after the update; carol never
    alice = next(p for p in rec.sent if p.update == 1 and p.person_id == "alice")
    await r.acknowledge(alice.page_id, source="sms")
    await r.issue_update("復旧しました", kind="final", by="当番 佐藤")
    await r.finish(by="当番 佐藤")
    return build(await sink.read("d1"), plan), SimpleNamespace(plan=plan)


async def test_every_format_lists_each_update_with_its_acknowledgements() -> None:
    report, _ = await drill_with_updates()
    first, final = report.updates
    assert (first.number, first.kind, first.recipients, first.acknowledged) == (1, "first", 2, 1)
    assert first.median_seconds == 120.0 and first.slowest_seconds == 120.0
    assert (final.kind, final.acknowledged) == ("final", 0)
    assert [c.person_id for c in first.copies if c.acknowledged_at is None] == ["carol"]

    md = render_markdown(report, "ja")
    assert "## 状況報告（第N報）" in md
    assert "| 第1報 | 第1報 |" in md and "1/2" in md and "2分00秒" in md
    assert "### 最終報（第2報）（復旧しました）" in md
    md_en = render_markdown(report, "en")
    assert "## Status updates" in md_en and "final update (2)" in md_en

    html = render_html(report, "ja")
    assert 'id="updates"' in html and 'href="#updates"' in html
    assert "復旧作業を開始しました" in html and "0/2" in html

    data = json.loads(render_json(report))
    assert data["schema_version"] == "3.2"
    assert [(u["number"], u["acknowledged"], u["recipients"]) for u in data["updates"]] == [
        (1, 1, 2),
        (2, 0, 2),
    ]
    assert data["updates"][0]["copies"][0]["seconds_to_acknowledge"] == 120.0

    rows = list(csv.DictReader(io.StringIO(render_updates_csv(report))))
    assert [(r["number"], r["person_id"], r["seconds_to_acknowledge"]) for r in rows] == [
        ("1", "alice", "120.000"),
        ("1", "carol", ""),
        ("2", "alice", ""),
        ("2", "carol", ""),
    ]
    # The updates' acknowledgements are theirs alone: both contacts acknowledged once.
    assert report.summary.acknowledged == 2


async def test_a_drill_without_updates_has_no_update_section() -> None:
    b = PlanBuilder()
    b.person("alice")
    b.role("chief", "alice")
    b.level("t", "first", ["chief"], timeout=1, channels=("sms",))
    plan = b.build()
    sink = MemorySink()
    r = DrillRunner(
        plan, plan.scenarios[0].id, sink=sink, notifiers=[Recorder()], clock=VirtualClock()
    )
    state = await r.run()
    report = build(await sink.read(state.drill_id or ""), plan)
    assert report.updates == ()
    assert "状況報告" not in render_markdown(report, "ja")
    assert 'id="updates"' not in render_html(report, "ja")
    assert json.loads(render_json(report))["updates"] == []
