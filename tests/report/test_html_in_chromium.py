"""The HTML report and the paper tree in a real browser: key figures, and not one request.

Chromium (Debian's package, installed by the fixture when missing) loads the page from a
file with a net log. Requests the *page* makes carry the file:// page in their network
isolation key; the browser's own housekeeping (update checks and the like, which this
machine's network refuses anyway) does not, and is left out. A probe page proves the
detector sees a page's request, and that the report's Content-Security-Policy blocks it.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.engine.events import (
    Acknowledged,
    DrillStarted,
    LevelStarted,
    MemberUnreached,
    PagingCancelled,
)
from drill.plan import Plan
from drill.plan.contact import display_number
from drill.report import build, render_html, render_paper_tree
from drill.report.layout import CSP

pytestmark = pytest.mark.slow


def page_requests(net_log: Path, page: Path) -> list[str]:
    """URLs the page itself asked for (not the page's own file)."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for entry in log["events"]:
        params = entry.get("params") or {}
        if entry["type"] != start_job or "file://" not in params.get("network_isolation_key", ""):
            continue
        if params.get("url") != page.as_uri():
            urls.append(params["url"])
    return urls


def load(
    kit: SimpleNamespace, browser: str, html: str, tmp_path: Path, name: str
) -> tuple[str, list[str]]:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    net_log = tmp_path / f"{name}.netlog.json"
    result = kit.run_chromium(
        browser, page, tmp_path / f"profile-{name}", f"--log-net-log={net_log}", "--dump-dom"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, page_requests(net_log, page)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value:
                self.found.append(value)


def external_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [link for link in parser.found if not link.startswith("#")]


def test_the_detector_sees_a_page_request_and_the_csp_blocks_it(
    kit: SimpleNamespace, chromium: str, tmp_path: Path
) -> None:
    probe = '<img src="http://127.0.0.1:9/probe.png"><p id="x">probe</p>'
    _, open_requests = load(
        kit, chromium, f"<!DOCTYPE html><html><body>{probe}</body></html>", tmp_path, "open"
    )
    assert open_requests == ["http://127.0.0.1:9/probe.png"]
    guarded = (
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"</head><body>{probe}</body></html>"
    )
    dom, guarded_requests = load(kit, chromium, guarded, tmp_path, "guarded")
    assert 'id="x"' in dom
    assert guarded_requests == []


async def test_report_shows_the_key_figures_and_makes_no_request(
    kit: SimpleNamespace, plan: Plan, chromium: str, tmp_path: Path
) -> None:
    stored = await kit.simulate(plan, seed=7)
    events = [s.event for s in stored]
    start = events[0]
    assert isinstance(start, DrillStarted)
    # Ground truth from the events: share acknowledged in time (before the contact was
    # given up: unreached, or the drill ended), and when every centre was reached.
    firsts: dict[tuple[str, str, str], float] = {}
    late: set[tuple[str, str, str]] = set()
    ended: set[tuple[str, str, str]] = set()
    sites: dict[tuple[str, str, str], str | None] = {}
    for e in events:
        if isinstance(e, LevelStarted):
            for member, site in zip(e.members, e.member_sites, strict=True):
                sites[(e.tree, e.level, member)] = site
        elif isinstance(e, Acknowledged):
            key = (e.tree, e.level, e.member)
            if key not in firsts and key not in late:
                (late.add(key) if key in ended else firsts.setdefault(key, e.elapsed))
            ended.add(key)
        elif isinstance(e, MemberUnreached) or (
            isinstance(e, PagingCancelled) and e.why.value != "level_satisfied"
        ):
            ended.add((e.tree, e.level, e.member))
    centres = {s.id for s in plan.sites if s.regional_centre}
    reached: dict[str, float] = {}
    for key, t in firsts.items():
        site = sites.get(key)
        if site in centres:
            reached[site] = min(t, reached.get(site, math.inf))
    assert set(reached) == centres
    all_sites = int(max(reached.values()))
    share = f"{len(firsts) / start.contacts * 100:.1f}%"

    for lang, expected_sites in (
        ("ja", f"{all_sites // 60}分{all_sites % 60:02d}秒"),
        ("en", f"{all_sites // 60} min {all_sites % 60:02d} s"),
    ):
        html = render_html(build(stored, plan), lang)
        assert f'content="{CSP}"'.replace("'", "&#39;") in html
        assert "default-src &#39;none&#39;" in html
        assert "<script" not in html.lower()
        assert external_links(html) == []
        assert not re.search(r"url\(\s*['\"]?(https?:|//)", html)
        dom, requests = load(kit, chromium, html, tmp_path, f"report-{lang}")
        assert requests == []
        assert re.search(rf'id="key-all-sites">{re.escape(expected_sites)}<', dom)
        assert re.search(rf'id="key-acknowledged">{re.escape(share)}<', dom)
        assert dom.count("<svg") >= 3  # curve, distribution, levels: drawn inline
        label = "応答済みの割合" if lang == "ja" else "Share acknowledged"
        assert label in dom
        # A late acknowledgement is shown as late, in the page the PDF is printed from;
        # without one, the word does not appear.
        late_word = "遅れて応答" if lang == "ja" else "acknowledged late"
        assert (late_word in dom) == bool(late)


def test_paper_tree_shows_every_number_in_full_and_makes_no_request(
    kit: SimpleNamespace, plan: Plan, chromium: str, tmp_path: Path
) -> None:
    html = render_paper_tree(plan, "ja")
    dom, requests = load(kit, chromium, html, tmp_path, "paper")
    assert requests == []
    assert "電話番号を省略せずに記載しています" in dom
    for tree in plan.trees:
        for _, member in plan.members(tree.id):
            for person in plan.candidates(member.ref):
                for point in person.channels:
                    if point.kind.value != "email":
                        assert display_number(point.address) in dom, person.id
    assert "*" not in re.sub(r"<style>.*?</style>", "", dom, flags=re.S)
