"""Report commands: `drillkit report DRILL_ID`, and the report written after every run.

`write_report` is what `drillkit run` calls at the end of a drill: it writes the HTML,
Markdown and JSON report (and CSV on request) into the data directory under
`reports/<drill_id>/`. The paper contact tree (`drillkit tree --format html|pdf`) is
written by `write_paper_tree`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from drill.cli.console import err, out
from drill.config import data_dir
from drill.engine.events import DrillStarted
from drill.engine.sink import StoredEvent
from drill.plan import Plan, PlanError, load_plan, sample_plan_dir
from drill.report import (
    Integrity,
    Report,
    ReportError,
    build,
    html_to_pdf,
    render_contacts_csv,
    render_events_csv,
    render_html,
    render_json,
    render_markdown,
    render_paper_tree,
    write_csv,
)
from drill.store import EventStore

__all__ = ["COMMANDS", "load_report", "write_paper_tree", "write_report"]

FORMATS = ("html", "md", "json", "csv")
_HISTORY_LIMIT = 10
"""Earlier drills of the same scenario shown side by side (the most recent ones)."""


def _plan(plan_dir: Path | str | None) -> Plan | None:
    if plan_dir is None:
        return None
    try:
        return load_plan(Path(plan_dir), lint=False).plan
    except (PlanError, OSError):
        return None


async def _resolve(store: EventStore, drill_id: str) -> str:
    if drill_id != "latest":
        return drill_id
    latest = await store.latest_drill_id()
    if latest is None:
        raise ReportError(f"There is no drill in {store.where} yet; run one with `drillkit run`.")
    return latest


async def load_report(
    store: EventStore, drill_id: str, plan_dir: Path | None = None
) -> tuple[Report, Plan | None, str]:
    """Build the report of `drill_id` ("latest" works) from the store.

    The plan is `plan_dir`, else the directory the drill ran with, else (for a drill of
    the bundled sample) the sample plan; the report still builds without one.
    """
    drill_id = await _resolve(store, drill_id)
    stored = await store.read(drill_id)
    if not stored or not isinstance(stored[0].event, DrillStarted):
        raise ReportError(
            f"There is no drill {drill_id!r} in {store.where}. `drillkit drills` lists them."
        )
    started = stored[0].event
    plan = _plan(plan_dir) if plan_dir is not None else _plan(started.plan_root)
    if plan is None and plan_dir is None:
        sample = _plan(sample_plan_dir())
        if sample is not None and sample.info.organisation.ja == started.organisation:
            plan = sample
    history = await _history(store, started)
    verified = await store.verify(drill_id)
    integrity = Integrity(
        head_hash=verified.head_hash,
        event_count=verified.count,
        verified=verified.ok,
        problem=verified.problem,
    )
    report = build(stored, plan, history=history, integrity=integrity)
    return report, plan, drill_id


async def _history(store: EventStore, started: DrillStarted) -> list[list[StoredEvent]]:
    """Earlier drills of the same scenario, real or simulated like this one."""
    chosen: list[str] = []
    for summary in await store.drills():
        payload = summary.first_payload or {}
        if (
            summary.first_type == "DrillStarted"
            and summary.drill_id != started.drill_id
            and payload.get("scenario_id") == started.scenario_id
            and bool(payload.get("simulated")) == started.simulated
            and payload.get("mode") == started.mode.value
        ):
            chosen.append(summary.drill_id)
    return [list(await store.read(drill_id)) for drill_id in chosen[-_HISTORY_LIMIT:]]


def _lang(lang: str | None, plan: Plan | None) -> str:
    if lang is not None:
        return lang
    return plan.info.language if plan is not None else "ja"


async def write_report(
    store: EventStore,
    drill_id: str,
    plan_dir: Path | None = None,
    formats: Sequence[str] = ("html", "md", "json"),
    out_dir: Path | None = None,
    lang: str | None = None,
) -> list[Path]:
    """Write the report of `drill_id` in each of `formats`; returns the files written.

    Files go to `out_dir`, by default `<data dir>/reports/<drill_id>/`: report.html,
    report.md, report.json, and for csv contacts.csv and events.csv.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ReportError(f"unknown report format(s): {', '.join(unknown)}; use {FORMATS}")
    report, plan, drill_id = await load_report(store, drill_id, plan_dir)
    language = _lang(lang, plan)
    folder = out_dir if out_dir is not None else data_dir() / "reports" / drill_id
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        if fmt == "csv":
            written.append(
                write_csv(folder / "contacts.csv", render_contacts_csv(report, language))
            )
            records = await store.records(drill_id)
            events = render_events_csv(records, report.drill.timezone)
            written.append(write_csv(folder / "events.csv", events))
            continue
        path = folder / f"report.{fmt}"
        path.write_text(_render(report, fmt, language), encoding="utf-8")
        written.append(path)
    return written


def _render(report: Report, fmt: str, lang: str) -> str:
    if fmt == "html":
        return render_html(report, lang)
    if fmt == "md":
        return render_markdown(report, lang)
    if fmt == "json":
        return render_json(report)
    return render_contacts_csv(report, lang)


@click.command()
@click.argument("drill_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html (one printable file with charts), md (wiki, ticket), json, csv.",
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Report language.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file (csv: also <name>-events.csv). md, json and csv print to "
    "stdout without it; html goes to the data directory.",
)
@click.option("--db", default=None, help="Event store URL or file (default: DRILLKIT_DB).")
@click.option(
    "--plan",
    "plan_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Plan directory for role and site names and targets (default: the drill's own).",
)
def report(
    drill_id: str,
    fmt: str,
    lang: str | None,
    out: Path | None,
    db: str | None,
    plan_dir: Path | None,
) -> None:
    """The report of a drill (DRILL_ID, or `latest`), built from its recorded events.

    Summary against the plan's targets and Nagasaki City's figures, the acknowledgement
    curve, every contact, the playbook, findings with fixes, self-inspection evidence,
    earlier drills of the same scenario, and the hash that proves the record unchanged.
    """
    asyncio.run(_report(drill_id, fmt, lang, out, db, plan_dir))


async def _report(
    drill_id: str,
    fmt: str,
    lang: str | None,
    target: Path | None,
    db: str | None,
    plan_dir: Path | None,
) -> None:
    async with EventStore.open(db) as store:
        report, plan, drill_id = await load_report(store, drill_id, plan_dir)
        language = _lang(lang, plan)
        if fmt == "csv":
            contacts = render_contacts_csv(report, language)
            if target is None:
                click.echo(contacts, nl=False)
                err.print("[dim]contacts only; --out FILE also writes the events CSV[/]")
                return
            events = render_events_csv(await store.records(drill_id), report.drill.timezone)
            target.parent.mkdir(parents=True, exist_ok=True)
            second = target.with_name(f"{target.stem}-events{target.suffix or '.csv'}")
            for path in (write_csv(target, contacts), write_csv(second, events)):
                out.print(str(path), soft_wrap=True)
            return
    text = _render(report, fmt, language)
    if target is None and fmt != "html":
        sys.stdout.write(text)
        return
    if target is None:
        target = data_dir() / "reports" / drill_id / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.print(str(target), soft_wrap=True)


def write_paper_tree(
    plan: Plan,
    trees: Sequence[str] | None,
    lang: str | None,
    fmt: str,
    target: Path | None,
    *,
    today: dt.date | None = None,
) -> Path | None:
    """`drillkit tree --format html|pdf`: the paper 連絡網, numbers in full.

    HTML without `target` goes to stdout (None is returned); a PDF without `target` is
    written as contact-tree-YYYYMMDD.pdf in the current directory.
    """
    html = render_paper_tree(plan, lang, trees=trees, today=today)
    if fmt == "html":
        if target is None:
            sys.stdout.write(html)
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        return target
    if fmt != "pdf":
        raise ReportError(f"unknown format {fmt!r} for the paper contact tree; use html or pdf")
    day = today or dt.datetime.now(plan.info.zone).date()
    return html_to_pdf(html, target or Path(f"contact-tree-{day:%Y%m%d}.pdf"))


COMMANDS: list[click.Command] = [report]
