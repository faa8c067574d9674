"""Year on year across three stored drills, `drillkit report`, `write_report`, `tree --format`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from drill.cli import cli
from drill.cli.report_commands import load_report, write_report
from drill.engine.clock import VirtualClock
from drill.engine.events import (
    Acknowledged,
    DrillCompleted,
    LevelStarted,
    MemberUnreached,
    PagingCancelled,
)
from drill.engine.sink import StoredEvent
from drill.engine.state import regional_centres
from drill.plan import Plan
from drill.report.history import past_drill
from drill.report.model import build
from drill.report.pdf import japanese_fonts
from drill.report.source import fold
from drill.store import EventStore

YEARS = ((2024, 3, "y2024"), (2025, 5, "y2025"), (2026, 7, "y2026"))


def truth(stored: list[StoredEvent], plan: Plan) -> tuple[float, float | None, float]:
    """(duration, time to every regional centre, share acknowledged) from raw events:
    an acknowledgement counts unless the contact was given up first (unreached, or the
    drill ended); one whose level was satisfied without it still counts."""
    centres = {s.id for s in plan.sites if s.regional_centre}
    site_of: dict[tuple[str, str, str], str | None] = {}
    firsts: dict[tuple[str, str, str], float] = {}
    ended: set[tuple[str, str, str]] = set()
    duration = math.nan
    contacts = 0
    for item in stored:
        e = item.event
        if isinstance(e, LevelStarted):
            for member, site in zip(e.members, e.member_sites, strict=True):
                site_of[(e.tree, e.level, member)] = site
        elif isinstance(e, Acknowledged):
            key = (e.tree, e.level, e.member)
            if key not in ended:
                firsts.setdefault(key, e.elapsed)
            ended.add(key)
        elif isinstance(e, MemberUnreached) or (
            isinstance(e, PagingCancelled) and e.why.value != "level_satisfied"
        ):
            ended.add((e.tree, e.level, e.member))
        elif isinstance(e, DrillCompleted):
            duration, contacts = e.elapsed, e.contacts
    reached: dict[str, float] = {}
    for key, site in site_of.items():
        if site in centres and key in firsts:
            reached[site] = min(firsts[key], reached.get(site, math.inf))
    all_sites = max(reached.values()) if set(reached) == centres else None
    return duration, all_sites, len(firsts) / contacts


async def _three_years(kit: SimpleNamespace, plan: Plan, url: str) -> dict[str, list[StoredEvent]]:
    out = {}
    runs = [
        (drill_id, seed, "annual-roll-call", dt.datetime(year, 1, 31, 1, 0, tzinfo=dt.UTC))
        for year, seed, drill_id in YEARS
    ]
    # Another scenario in between: not part of this scenario's history.
    runs.insert(
        2, ("other", 9, "aggregation-centre-outage", dt.datetime(2025, 6, 1, 1, tzinfo=dt.UTC))
    )
    async with EventStore.open(url) as store:
        for drill_id, seed, scenario, start in runs:
            stored = await kit.simulate(
                plan, seed=seed, drill_id=drill_id, scenario=scenario, clock=VirtualClock(start)
            )
            # One transaction per drill: the same chain as appending live, much faster.
            await store.append_many(drill_id, [(s.event, s.key) for s in stored])
            out[drill_id] = stored
    return out


@pytest.fixture(scope="module")
def stored(
    tmp_path_factory: pytest.TempPathFactory, kit: SimpleNamespace, plan: Plan
) -> tuple[str, dict[str, list[StoredEvent]]]:
    """Three yearly drills of the roll call and one other scenario, in one event store."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'events.db'}"
    return url, asyncio.run(_three_years(kit, plan, url))


async def test_year_on_year_puts_three_drills_side_by_side(
    plan: Plan, stored: tuple[str, dict[str, list[StoredEvent]]]
) -> None:
    db, drills = stored
    async with EventStore.open(db) as store:
        report, _, drill_id = await load_report(store, "y2026")
        verified = await store.verify("y2026")
    assert drill_id == "y2026"
    rows = report.history.rows
    assert [r.drill_id for r in rows] == ["y2024", "y2025", "y2026"]
    assert [r.current for r in rows] == [False, False, True]
    assert [r.started_at.year for r in rows] == [2024, 2025, 2026]
    for row in rows:
        duration, all_sites, share = truth(drills[row.drill_id], plan)
        assert row.duration_seconds == pytest.approx(duration)
        assert row.share_acknowledged == pytest.approx(share)
        assert row.all_sites_seconds == (pytest.approx(all_sites) if all_sites else None)
        assert len(row.levels) == len(report.history.levels) == 7
    # The trend line says which way "every regional centre" moved since last year.
    before, now = truth(drills["y2025"], plan)[1], truth(drills["y2026"], plan)[1]
    assert before is not None and now is not None
    word = "短縮" if now < before else "延長"
    assert any("全支所への連絡" in t.ja and word in t.ja for t in report.history.trend)
    assert report.integrity.head_hash == verified.head_hash
    assert report.integrity.verified is True


@pytest.mark.parametrize("with_plan", [True, False])
def test_earlier_drills_given_as_events_or_read_off_their_folds_make_the_same_history(
    plan: Plan, stored: tuple[str, dict[str, list[StoredEvent]]], with_plan: bool
) -> None:
    """The report's store path lets each earlier drill's fold go once `past_drill` has
    read it (one nationwide fold in memory at a time); the table is the same."""
    _, drills = stored
    given = plan if with_plan else None
    regional = regional_centres(plan) if with_plan else None
    earlier = [drills["y2024"], drills["other"], drills["y2025"]]
    read_off = [past_drill(fold(events), regional) for events in earlier]

    from_events = build(drills["y2026"], given, history=earlier).history
    from_folds = build(
        drills["y2026"], given, history=[p for p in read_off if p is not None]
    ).history

    assert from_folds == from_events
    assert [r.drill_id for r in from_folds.rows] == ["y2024", "y2025", "y2026"]


def test_report_command_writes_each_format(
    stored: tuple[str, dict[str, list[StoredEvent]]], tmp_path: Path
) -> None:
    db = stored[0]
    runner = CliRunner()
    md = runner.invoke(cli, ["report", "y2025", "--format", "md", "--db", db])
    assert md.exit_code == 0, md.output
    assert md.output.startswith("# 緊急時連絡網 訓練報告書")
    assert "| y2024 |" in md.output and "y2025（今回）" in md.output
    assert "y2026" not in md.output  # a later drill is not "earlier"

    latest = json.loads(
        runner.invoke(cli, ["report", "latest", "--format", "json", "--db", db]).output
    )
    assert latest["drill"]["drill_id"] == "y2026"
    assert [r["drill_id"] for r in latest["history"]["rows"]] == ["y2024", "y2025", "y2026"]
    other = json.loads(
        runner.invoke(cli, ["report", "other", "--format", "json", "--db", db]).output
    )
    assert [r["drill_id"] for r in other["history"]["rows"]] == ["other"]  # its own scenario

    english = runner.invoke(cli, ["report", "y2026", "--format", "md", "--lang", "en", "--db", db])
    assert english.output.startswith("# Contact tree drill report")

    out = tmp_path / "out" / "y2026.csv"
    result = runner.invoke(
        cli, ["report", "y2026", "--format", "csv", "--out", str(out), "--db", db]
    )
    assert result.exit_code == 0, result.output
    events = out.with_name("y2026-events.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    lines = events.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("seq,type,recorded_at")
    assert "+8195" not in events.read_text(encoding="utf-8-sig")  # addresses masked

    html = runner.invoke(cli, ["report", "y2026", "--db", db])
    assert html.exit_code == 0, html.output
    written = Path(html.output.strip())
    assert written.name == "report.html" and written.parent.name == "y2026"
    assert "<svg" in written.read_text(encoding="utf-8")


def test_report_command_prints_a_pdf_to_sign_or_says_what_font_to_install(
    stored: tuple[str, dict[str, list[StoredEvent]]], chromium: str, tmp_path: Path
) -> None:
    target = tmp_path / "y2026.pdf"
    result = CliRunner().invoke(
        cli, ["report", "y2026", "--format", "pdf", "--out", str(target), "--db", stored[0]]
    )
    if not japanese_fonts():
        assert result.exit_code != 0 and "fonts-noto-cjk" in result.output
        assert "Traceback" not in result.output and not target.exists()
        return
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and b"/Count " in data


def test_report_command_names_an_unknown_drill(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(cli, ["report", "nope", "--db", db])
    assert result.exit_code != 0
    assert "nope" in result.output and "drillkit drills" in result.output
    latest = CliRunner().invoke(cli, ["report", "latest", "--db", db])
    assert latest.exit_code != 0 and "drillkit run" in latest.output


async def test_write_report_fills_the_data_directory(
    stored: tuple[str, dict[str, list[StoredEvent]]],
) -> None:
    db = stored[0]
    async with EventStore.open(db) as store:
        paths = await write_report(store, "y2024", formats=("html", "md", "json", "csv"))
    names = sorted(p.name for p in paths)
    assert names == ["contacts.csv", "events.csv", "report.html", "report.json", "report.md"]
    folder = paths[0].parent
    assert folder.parts[-2:] == ("reports", "y2024")
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["schema_version"]


def test_tree_command_writes_the_paper_tree(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "tree.html"
    result = runner.invoke(cli, ["tree", "--format", "html", "--out", str(target)])
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert "電話番号を省略せずに記載しています" in html
    assert "095-000-1101" in html  # the first number of the sample, in full
    english = runner.invoke(cli, ["tree", "--format", "html", "--lang", "en", "--tree", "external"])
    assert "This contact tree shows phone numbers in full." in english.output
    assert "Emergency contact tree with outside agencies" in english.output
    assert "Internal emergency contact tree" not in english.output  # --tree external only


def test_tree_command_prints_a_pdf(chromium: str, tmp_path: Path) -> None:
    target = tmp_path / "renrakumou.pdf"
    result = CliRunner().invoke(cli, ["tree", "--format", "pdf", "--out", str(target)])
    if not japanese_fonts():  # refused, saying what to install (tests/report/test_pdf_fonts.py)
        assert result.exit_code != 0 and "fonts-noto-cjk" in result.output
        assert not target.exists()
        return
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000


async def test_the_plan_a_run_hands_over_writes_the_same_files(
    stored: tuple[str, dict[str, list[StoredEvent]]], plan: Plan, tmp_path: Path
) -> None:
    # The end of a run passes its loaded plan instead of reading the plan files again.
    db = stored[0]
    formats = ("html", "md", "json", "csv")
    async with EventStore.open(db) as store:
        read = await write_report(store, "y2025", formats=formats, out_dir=tmp_path / "read")
        given = await write_report(
            store, "y2025", formats=formats, out_dir=tmp_path / "given", plan=plan
        )
    assert [p.name for p in read] == [p.name for p in given]
    for a, b in zip(read, given, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert "サンプル市" in (tmp_path / "given" / "report.md").read_text(encoding="utf-8")
