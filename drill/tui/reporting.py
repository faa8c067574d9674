"""Writing a run's report from the console, off the event loop.

The report is a pure function of the events (`drill.report.build`). The console gathers
what the store knows (earlier runs of the same scenario for the year-on-year table, the
hash chain's verification), then builds and renders in a thread, so the board keeps
moving. Files go where `drillkit run` puts them: `<data dir>/reports/<drill_id>/`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from drill.config import data_dir
from drill.engine.events import DrillStarted, Event
from drill.plan.models import Plan

if TYPE_CHECKING:
    from drill.report import Integrity
    from drill.report.history import PastDrill
    from drill.tui.records import Records

__all__ = ["render_report", "report_folder"]


def report_folder(drill_id: str) -> Path:
    return data_dir() / "reports" / drill_id


def _write(
    drill_id: str,
    events: Sequence[Event],
    plan: Plan | None,
    history: list[PastDrill],
    integrity: Integrity | None,
    language: str,
) -> Path:
    from drill.report import build, render_html, render_json, render_markdown

    report = build(events, plan, history=history, integrity=integrity)
    folder = report_folder(drill_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(render_markdown(report, language), encoding="utf-8")
    (folder / "report.json").write_text(render_json(report), encoding="utf-8")
    html = folder / "report.html"
    html.write_text(render_html(report, language), encoding="utf-8")
    return html


async def render_report(
    drill_id: str,
    events: Sequence[Event],
    plan: Plan | None,
    records: Records,
    language: str,
) -> Path | None:
    """Write the report of one run (HTML, Markdown, JSON); the HTML file's path."""
    if not events or not isinstance(events[0], DrillStarted):
        return None
    started = events[0]
    if plan is not None and plan.info.organisation.ja != started.organisation:
        plan = None  # another organisation's run: the report says the plan was not found
    history: list[PastDrill] = []
    integrity: Integrity | None = None
    store = records.store
    if store is not None:
        from drill.engine.state import regional_centres
        from drill.report.files import integrity_of
        from drill.report.kept_history import earlier_drills

        # As `drillkit report` chooses and reads them: one earlier drill at a time, or
        # the figures kept of its fold.
        regional = regional_centres(plan) if plan is not None else None
        history = await earlier_drills(store, started, regional)
        integrity = integrity_of(drill_id, await store.verify(drill_id))
    return await asyncio.to_thread(
        _write, drill_id, list(events), plan, history, integrity, language
    )
