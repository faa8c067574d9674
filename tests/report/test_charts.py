"""The report's charts: valid inline SVG, Japanese text kept as text, and drawn to scale.

Expected figures come from the drill's raw events, never from the report code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from drill.engine.events import Acknowledged
from drill.plan import Plan
from drill.report import build, render_html
from drill.report.charts import ack_curve, distribution, history, levels_and_sites
from drill.words import Words
from tests.report.conftest import simulate

_SVG = "{http://www.w3.org/2000/svg}"


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{_SVG}text")]


async def test_every_chart_is_svg_with_its_japanese_words_as_text(plan: Plan) -> None:
    events = await simulate(plan, seed=11)
    report = build(events, plan)
    w = Words("ja")
    for draw, words in (
        (ack_curve, ("minutes_from_start", "share_axis")),
        (distribution, ("distribution_axis", "people_axis")),
        (levels_and_sites, ("minutes_from_start",)),
    ):
        root = ET.fromstring(draw(report, w))
        assert root.get("role") == "img"
        assert "Noto Sans CJK JP" in (root.get("font-family") or "")
        texts = _texts(root)
        for key in words:
            assert w(key) in texts
    level_names = {level.name.ja for level in report.levels}
    assert level_names <= set(_texts(ET.fromstring(levels_and_sites(report, w))))


async def test_the_curve_climbs_to_the_share_acknowledged(plan: Plan) -> None:
    events = await simulate(plan, seed=11)
    report = build(events, plan)
    acknowledged = {
        (e.event.tree, e.event.level, e.event.member)
        for e in events
        if isinstance(e.event, Acknowledged)
    }
    root = ET.fromstring(ack_curve(report, Words("en")))
    ticks = {
        t.text: float(t.get("y", "0")) - 4
        for t in root.iter(f"{_SVG}text")
        if t.get("text-anchor") == "end"
    }
    zero, hundred = ticks["0"], ticks["100"]
    line = next(p for p in root.iter(f"{_SVG}path") if p.get("fill") == "none").get("d", "")
    top = float(re.findall(r"V([\d.]+)", line)[-1])
    share = (zero - top) / (zero - hundred)
    assert abs(share - len(acknowledged) / report.curve.total) < 0.01
    assert 0 < len(acknowledged) < report.curve.total


async def test_history_draws_one_point_per_drill(plan: Plan) -> None:
    earlier = [await simulate(plan, seed=s, drill_id=f"d{s}") for s in (1, 2)]
    report = build(await simulate(plan, seed=3, drill_id="d3"), plan, history=earlier)
    root = ET.fromstring(history(report, Words("ja")))
    dots = [c for c in root.iter(f"{_SVG}circle")]
    assert len(dots) == 2 * 3  # duration and every regional centre, for three drills


async def test_the_html_report_loads_no_plotting_library(plan: Plan) -> None:
    events = await simulate(plan, seed=11)
    page = render_html(build(events, plan), "ja")
    assert page.count("<svg") == 3  # no earlier drill: no history chart
    assert "応答" in page
