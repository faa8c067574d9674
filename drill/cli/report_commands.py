"""Report commands: `drillkit report DRILL_ID`, and the report written after every run.

`write_report` writes a drill's HTML, Markdown and JSON report (and CSV on request) into
the data directory under `reports/<drill_id>/`, as the end of every run does
(`drillkit run` through `write_report_folded`, with the run's own fold). The paper contact tree (`drillkit tree --format html|pdf`) is
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
from drill.plan import Plan
from drill.report import (
    ReportError,
    html_to_pdf,
    render_contacts_csv,
    render_events_csv,
    render_paper_tree,
    write_csv,
)
from drill.report.files import (
    FORMATS,
    load_report,
    render_report,
    report_language,
    write_report,
)
from drill.report.pdf import NO_JAPANESE_FONT, japanese_fonts
from drill.store import EventStore

__all__ = ["COMMANDS", "load_report", "write_paper_tree", "write_report"]


@click.command()
@click.argument("drill_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice((*FORMATS, "pdf")),
    default="html",
    show_default=True,
    help="html (one printable file with charts), pdf (the same, printed for signing; needs a "
    "Japanese font and Chromium), md (wiki, ticket), json, csv.",
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
    if fmt == "pdf" and not japanese_fonts():
        raise ReportError(NO_JAPANESE_FONT)  # before anything is read or written
    async with EventStore.open(db) as store:
        report, plan, drill_id = await load_report(store, drill_id, plan_dir)
        language = report_language(lang, plan)
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
    if fmt == "pdf":
        pdf = target or data_dir() / "reports" / drill_id / "report.pdf"
        written = html_to_pdf(render_report(report, "html", language), pdf)
        out.print(str(written), soft_wrap=True)
        return
    text = render_report(report, fmt, language)
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
