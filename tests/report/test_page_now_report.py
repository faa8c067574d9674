"""Pages ordered now (今すぐ呼出) and people marked away (不在) show in the report.

The sample plan's stolen-terminal drill pages no branch office: 阿部 誠一 (north branch's
security officer) is outside its trees. The duty officer pages him and an ad hoc
vendor engineer, and marks a holder of a later level away. The report lists who asked,
when, from which console, who answered when, and the mark; the tree's outcome is the
one of the same drill without the pages.
"""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace
from typing import Any

from drill.engine.clock import VirtualClock
from drill.engine.events import PageQueued
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.plan import Plan
from drill.report import build, render_html, render_json, render_markdown
from drill.report.operator import render_operator_csv

ANSWERS_VOICE = {"voice": {"answer": 1, "answer_seconds": [20, 20]}}


def _runner(plan: Plan, people: dict[str, Any], drill_id: str) -> tuple[DrillRunner, MemorySink]:
    model = ResponseModel.from_mapping({"seed": 4, "people": people})
    clock = VirtualClock()
    sink = MemorySink()
    runner = DrillRunner(
        plan,
        "stolen-terminal",
        sink=sink,
        notifiers=[SimulatedNotifier(model, clock=clock)],
        clock=clock,
        drill_id=drill_id,
    )
    return runner, sink


async def _later_holder(plan: Plan) -> str:
    """A holder the baseline drill first pages after 30 s (a later level)."""
    runner, sink = _runner(plan, {}, "base")
    await runner.run()
    for item in await sink.read("base"):
        e = item.event
        later = isinstance(e, PageQueued) and e.candidate_index == 0 and e.elapsed > 30
        if later and len(plan.candidates(e.member)) > 1:
            return e.person_id
    raise AssertionError("the sample drill has no later level with a deputy")


async def test_the_report_lists_pages_ordered_now_and_people_marked_away(
    kit: SimpleNamespace, plan: Plan
) -> None:
    away = await _later_holder(plan)
    people = {"abe-seiichi": ANSWERS_VOICE, "adhoc:1": kit.ABSENT}
    runner, sink = _runner(plan, people, "ops")
    await runner.run_until(0.25)
    await runner.page_now("person", target="abe-seiichi", by="当直 佐藤", origin="pc-2:41:ab12")
    await runner.page_now("ad_hoc", name="保守業者 田中", phone="090-0012-3456", by="当直 佐藤")
    await runner.mark_unavailable(away, reason="異動", by="当直 佐藤")
    await runner.run()
    report = build(await sink.read("ops"), plan)

    person, adhoc = report.operator.orders
    assert (person.by, person.origin, person.asked) == ("当直 佐藤", "pc-2:41:ab12", "person")
    assert person.elapsed == 15.0
    answered = [p for p in person.pages if p.answered_seconds is not None]
    first = min(answered, key=lambda p: p.answered_seconds or 0.0)
    assert (first.person, first.channel, first.answered_seconds) == ("阿部 誠一", "voice", 35.0)
    assert adhoc.asked == "ad_hoc" and all(p.ad_hoc for p in adhoc.pages)
    assert "unanswered" in {p.outcome for p in adhoc.pages}
    assert all(p.answered_at is None for p in adhoc.pages)
    (mark,) = report.operator.marked_away
    assert (mark.reason, mark.by, mark.until) == ("異動", "当直 佐藤", None)
    assert mark.passed_over >= 1 and mark.person == plan.person(away).name
    skipped = [c for c in report.contacts if c.passed_over]
    assert any(p.absence == "異動" for c in skipped for p in c.passed_over)

    md = render_markdown(report)
    assert "## 今すぐ呼出と不在の設定" in md
    assert "当直 佐藤（pc-2:41:ab12 から）" in md and "阿部 誠一 を呼出" in md
    assert "阿部 誠一: 応答 " in md and "（電話）" in md
    assert "保守業者 田中（臨時）: 応答なし" in md and "090-****-**56" in md
    assert "0012-3456" not in md
    assert "訓練終了まで" in md
    en = render_markdown(report, "en")
    assert "## Pages ordered and people marked away" in en and "transfer" in en
    html = render_html(report)
    assert 'id="operator"' in html and 'id="table-operator-orders"' in html
    data = json.loads(render_json(report))
    assert data["operator"]["orders"][0]["by"] == "当直 佐藤"
    assert "0012-3456" not in render_json(report)
    kinds = [t.kind for t in report.timeline]
    assert kinds.count("operator_paged") == 2 and kinds.count("marked_away") == 1

    text = render_operator_csv(report)
    assert "0012-3456" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    abe = [r for r in rows if r["person"] == "阿部 誠一"]
    assert {r["kind"] for r in abe} == {"page"} and abe[0]["by"] == "当直 佐藤"
    assert abe[0]["origin"] == "pc-2:41:ab12" and abe[0]["what"] == "阿部 誠一 を呼出"
    assert "35.000" in {r["seconds_to_answer"] for r in abe}
    vendor = [r for r in rows if r["person"] == "保守業者 田中"]
    assert vendor and all(r["ad_hoc"] == "true" and r["answered_at"] == "" for r in vendor)
    assert "090-****-**56" in {r["address"] for r in vendor}
    (marked,) = [r for r in rows if r["kind"] == "away"]
    assert (marked["reason"], marked["until"]) == ("異動", "")
    assert int(marked["passed_over"]) == mark.passed_over


async def test_pages_outside_the_tree_change_nothing_the_tree_achieved(
    kit: SimpleNamespace, plan: Plan
) -> None:
    people = {"abe-seiichi": ANSWERS_VOICE}
    plain, plain_sink = _runner(plan, people, "plain")
    await plain.run()
    paged, paged_sink = _runner(plan, people, "paged")
    await paged.run_until(0.5)
    await paged.page_now("person", target="abe-seiichi", by="当直 佐藤")
    await paged.run()

    with_pages = build(await paged_sink.read("paged"), plan)
    without = build(await plain_sink.read("plain"), plan)
    assert with_pages.operator.orders and not without.operator
    for field in ("contacts", "acknowledged", "late", "unreached", "share_acknowledged"):
        assert getattr(with_pages.summary, field) == getattr(without.summary, field), field
    assert [(lv.level, lv.satisfied) for lv in with_pages.levels] == [
        (lv.level, lv.satisfied) for lv in without.levels
    ]
    assert "abe-seiichi" not in {c.member for c in with_pages.contacts}
    assert "## 今すぐ呼出と不在の設定" not in render_markdown(without)


async def test_a_mark_taken_back_reads_as_back_in_the_report(plan: Plan) -> None:
    away = await _later_holder(plan)
    runner, sink = _runner(plan, {}, "back")
    await runner.run_until(0.25)
    await runner.mark_unavailable(away, reason="出張", by="当直 佐藤")
    await runner.run_until(0.3)
    await runner.mark_available(away, by="副当直 鈴木")
    await runner.run()
    report = build(await sink.read("back"), plan)

    (mark,) = report.operator.marked_away
    assert mark.back_by == "副当直 鈴木" and mark.back_at is not None and mark.passed_over == 0
    md = render_markdown(report)
    assert f"{mark.back_at:%H:%M:%S} に復帰（副当直 鈴木）" in md, md
    assert "訓練終了まで" not in md.split("## 今すぐ呼出と不在の設定")[1]
    assert "marked back by 副当直 鈴木" in render_markdown(report, "en")
    data = json.loads(render_json(report))["operator"]["marked_away"][0]
    assert data["back_by"] == "副当直 鈴木" and data["back_at"].startswith(
        f"{mark.back_at:%Y-%m-%dT%H:%M}"
    )
    (row,) = csv.DictReader(io.StringIO(render_operator_csv(report)))
    assert (row["kind"], row["back_by"]) == ("away", "副当直 鈴木")
    assert "marked_back" in [t.kind for t in report.timeline]
