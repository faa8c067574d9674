"""Run commands: `run`, `drills`, `resume`, `verify`."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from drill.cli.console import err, out, print_json
from drill.config import load_config
from drill.engine import DrillState, Event, HandlerSet
from drill.engine.events import (
    Acknowledged,
    DrillAborted,
    DrillCompleted,
    DrillInterrupted,
    DrillRecovered,
    DrillStarted,
    Escalated,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    StepCompleted,
    StepDue,
)
from drill.engine.lease import Lease, wall_now
from drill.errors import DrillError
from drill.session import (
    RunOptions,
    RunResult,
    locate_scenario,
    resume_drill,
    run_scenario,
    run_with_real_channels,
)
from drill.store import EventStore

__all__ = ["COMMANDS", "ConsoleProgress", "print_result"]

db_option = click.option(
    "--db", default=None, help="Event store URL or SQLite path (default: DRILLKIT_DB or data dir)."
)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"T+{minutes:02d}:{secs:02d}"


class ConsoleProgress:
    """Prints a line per event a person running a drill cares about."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet

    def __call__(self, _drill_id: str, event: Event) -> None:
        line = self.describe(event)
        if line is not None and not self.quiet:
            out.print(f"[dim]{_clock(event.elapsed)}[/] {line}", soft_wrap=True)

    @staticmethod
    def describe(event: Event) -> str | None:
        match event:
            case DrillStarted():
                mode = "訓練 drill" if event.mode == "drill" else "[bold red]実災害 INCIDENT[/]"
                return (
                    f"[bold]{escape(event.scenario_title_ja)}[/] started ({mode}, "
                    f"{event.contacts} contacts, drill {event.drill_id})"
                )
            case InjectFired():
                return f"[magenta]状況付与[/] {escape(event.text_ja)}"
            case LevelStarted():
                return f"[cyan]▶ {escape(event.name_ja)}[/] ({len(event.members)} members)"
            case Acknowledged() if event.first:
                how = event.channel.value if event.channel else event.source
                late = " late" if event.late else ""
                return f"[green]✔[/] {escape(event.person_name)} ({escape(event.member)}) via {how}{late}"
            case Escalated():
                return (
                    f"[yellow]↪[/] {escape(event.member)}: {escape(event.from_person)} → "
                    f"{escape(event.to_person)} ({event.reason.value})"
                )
            case MemberUnreached():
                return f"[red]✘ {escape(event.member)} unreached[/] ({event.reason.value})"
            case LevelCompleted():
                mark = "[green]reached[/]" if event.satisfied else "[red]not satisfied[/]"
                return f"[cyan]■ level {escape(event.level)}[/] {mark} {event.acknowledged}/{event.required}"
            case StepCompleted():
                return f"[blue]☑ step {escape(event.step)}[/] by {escape(event.by)} ({event.timing.value})"
            case StepDue():
                return f"[yellow]⏰ step {escape(event.step)} passed its target[/]"
            case DrillInterrupted():
                return f"[yellow]resuming[/] after {event.downtime_seconds:.0f} s down"
            case DrillRecovered():
                return f"[yellow]recovered[/]: {event.acknowledged} acknowledged, {event.pages_waiting} pages waiting"
            case DrillAborted():
                return f"[red]aborted[/] by {escape(event.by)}: {escape(event.reason)}"
            case DrillCompleted():
                return f"[bold]completed[/] ({escape(event.reason)}): {event.acknowledged}/{event.contacts} acknowledged"
        return None


def _summary_json(result: RunResult) -> dict[str, Any]:
    summary = result.state.summary()
    return {
        "drill_id": result.drill_id,
        "status": result.state.status.value,
        "contacts": summary.contacts,
        "acknowledged": summary.acknowledged,
        "unreached": summary.unreached,
        "percent_acknowledged": round(summary.percent_acknowledged, 1),
        "escalations": summary.escalations,
        "duration_seconds": round(summary.duration_seconds, 1),
        "store": result.store,
        "reports": [str(p) for p in result.report_files],
    }


def print_result(result: RunResult, as_json: bool) -> None:
    data = _summary_json(result)
    if as_json:
        print_json(data)
        exit_if_failed(result)
        return
    minutes = data["duration_seconds"] / 60
    out.print(
        f"\n[bold]{data['status']}[/] drill {data['drill_id']}: "
        f"{data['acknowledged']}/{data['contacts']} acknowledged "
        f"({data['percent_acknowledged']:.0f} %), {data['unreached']} unreached, "
        f"{data['escalations']} escalations, {minutes:.1f} min"
    )
    out.print(f"events: {escape(result.store)}")
    for path in result.report_files:
        out.print(f"report: {escape(str(path))}", soft_wrap=True)
    exit_if_failed(result)


def exit_if_failed(result: RunResult) -> None:
    """A drill in which no page could be delivered failed: say so and exit non-zero."""
    state = result.state
    if not state.failed:
        return
    errors = state.provider_errors()
    reasons = sorted({page.reason or "provider_error" for page in errors})
    err.print(
        f"[bold red]失敗 / failed[/]: 訓練 {escape(result.drill_id)} では一件も送信できませんでした"
        f"（{len(state.page_records)} 件すべて失敗: {escape(', '.join(reasons))}）。"
        "`drillkit doctor` でプロバイダの設定を確認してください。\n"
        f"No page of drill {escape(result.drill_id)} could be delivered "
        f"({len(state.page_records)} pages failed: {escape(', '.join(reasons))}); "
        "check the providers with `drillkit doctor`.",
        soft_wrap=True,
    )
    sys.exit(3)


def _handlers(quiet: bool) -> HandlerSet:
    handlers = HandlerSet()
    handlers.subscribe(ConsoleProgress(quiet=quiet))
    return handlers


@click.command()
@click.argument("scenario")
@click.option(
    "--plan",
    "plan_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Plan directory (default: the folder above the scenario file).",
)
@click.option("--simulate", is_flag=True, help="Simulated people instead of real channels.")
@click.option(
    "--incident",
    is_flag=True,
    help="A REAL incident: messages will NOT say 訓練/drill. Needs --confirm.",
)
@click.option(
    "--confirm",
    "confirmation",
    default=None,
    metavar="ORGANISATION",
    help="With --incident: the organisation's name, exactly as in plan.yaml.",
)
@click.option(
    "--speed",
    type=float,
    default=None,
    help="Real time × SPEED (e.g. 60 for rehearsing); default with --simulate: virtual time.",
)
@click.option("--seed", type=int, default=None, help="Seed of the simulated people (reproducible).")
@click.option("--operator", default=None, help="Who runs the drill (default: login name).")
@click.option("--no-report", is_flag=True, help="Do not write the report at the end.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Report language.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
def run(
    scenario: str,
    plan_dir: Path | None,
    simulate: bool,
    incident: bool,
    confirmation: str | None,
    speed: float | None,
    seed: int | None,
    operator: str | None,
    no_report: bool,
    lang: str | None,
    quiet: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Run SCENARIO (scenarios/<id>.yaml, or an id of the sample plan) as a drill.

    With --simulate, simulated people answer in virtual time: a 50-minute drill takes
    seconds. Without it, the configured providers page real people (`drillkit doctor`
    checks them first); `drillkit demo` runs the same path against the local
    sandbox.
    """
    loaded, scenario_id = locate_scenario(scenario, plan_dir)
    mode = "drill"
    if incident:
        _confirm_incident(loaded.plan.info.organisation.ja, confirmation, simulate)
        mode = "incident"
    options = RunOptions(
        simulate=simulate,
        speed=speed,
        seed=seed,
        operator=operator,
        db=db,
        report=not no_report,
        lang=lang,
        mode=mode,
    )
    handlers = _handlers(quiet or as_json)
    if simulate:
        result = asyncio.run(run_scenario(loaded, scenario_id, options, handlers=handlers))
    else:
        config = load_config()
        result = asyncio.run(
            run_with_real_channels(loaded, scenario_id, options, config, handlers=handlers)
        )
    print_result(result, as_json)


def _confirm_incident(organisation: str, confirmation: str | None, simulate: bool) -> None:
    """A real incident is chosen explicitly and confirmed by typing the organisation."""
    warning = (
        "REAL INCIDENT / 実災害モード: real people will be called, texted and e-mailed, and "
        "the messages will NOT say 【訓練】 or [DRILL]."
    )
    if simulate:
        return  # nobody is paged; the incident playbook is rehearsed with simulated people
    if confirmation is None and sys.stdin.isatty():
        err.print(f"[bold red]{warning}[/]")
        confirmation = click.prompt(
            f"Type the organisation name ({organisation}) to confirm",
            default="",
            show_default=False,
            err=True,
        )
    if confirmation != organisation:
        raise DrillError(
            f"{warning}\nNot confirmed: pass --confirm '{organisation}' (exactly as in plan.yaml) "
            "to start it, or leave out --incident to run a drill.",
            title="Real incident not confirmed",
        )


@click.command()
@click.argument("drill_id")
@click.option(
    "--plan",
    "plan_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Plan directory, if it moved since the drill started.",
)
@click.option(
    "--allow-plan-change",
    is_flag=True,
    help="Resume even though the plan changed since the drill started.",
)
@click.option("--operator", default=None, help="Who resumes it (default: login name).")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
def resume(
    drill_id: str,
    plan_dir: Path | None,
    allow_plan_change: bool,
    operator: str | None,
    quiet: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Continue DRILL_ID, interrupted by a crash or a stop, from its stored events."""
    options = RunOptions(operator=operator, db=db)
    result = asyncio.run(
        resume_drill(
            drill_id,
            options,
            plan_dir=plan_dir,
            handlers=_handlers(quiet or as_json),
            allow_plan_change=allow_plan_change,
        )
    )
    print_result(result, as_json)


def _holder(lease: Lease | None, zone: dt.tzinfo) -> dict[str, Any] | None:
    """Who runs the drill now, if an engine holds its lease (one engine per drill)."""
    if lease is None or not lease.live(wall_now()):
        return None
    return {
        "holder": lease.owner.id,
        "host": lease.owner.host,
        "pid": lease.owner.pid,
        "operator": lease.owner.operator,
        "since": lease.started_at.astimezone(zone).isoformat(timespec="seconds"),
        "heartbeat_at": lease.heartbeat_at.astimezone(zone).isoformat(timespec="seconds"),
    }


async def _drill_rows(db: str | None) -> tuple[list[dict[str, Any]], str]:
    async with EventStore.open(db) as store:
        rows: list[dict[str, Any]] = []
        leases = await store.leases()
        for drill in await store.drills():
            state = DrillState.from_events(await store.read(drill.drill_id))
            started = state.started
            summary = state.summary()
            zone = zoneinfo.ZoneInfo(started.timezone if started else "Asia/Tokyo")
            begin = summary.started_at or drill.first_recorded_at
            holder = _holder(leases.get(drill.drill_id), zone)
            rows.append(
                {
                    "drill_id": drill.drill_id,
                    "scenario": started.scenario_id if started else None,
                    "title": started.scenario_title_ja if started else None,
                    "mode": started.mode.value if started else None,
                    "simulated": started.simulated if started else None,
                    "status": state.status.value,
                    # How it went, as the report says it: failed, aborted, interrupted, …
                    # An open drill is running while an engine holds its lease; else it
                    # was interrupted.
                    "outcome": state.outcome(running=holder is not None).value,
                    "started": begin.astimezone(zone).isoformat(timespec="minutes"),
                    "duration_minutes": round(summary.duration_seconds / 60, 1),
                    "percent_acknowledged": round(summary.percent_acknowledged, 1),
                    "events": drill.event_count,
                    "held_by": holder,
                }
            )
        return rows, store.where


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@db_option
def drills(as_json: bool, db: str | None) -> None:
    """List past drills: id, scenario, mode, outcome, start, duration, % acknowledged.

    The outcome is the report's (completed, failed, aborted, interrupted, …); the share
    acknowledged counts acknowledgements in time only. A drill an engine is running now
    shows who runs it (`held_by` in --json).
    """
    rows, where = asyncio.run(_drill_rows(db))
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(f"no drills yet in {escape(where)}; `drillkit run SCENARIO --simulate` runs one")
        return
    table = Table(title=f"drills ({escape(where)})", title_justify="left")
    table.add_column("drill", no_wrap=True)  # ids are copied into `resume`/`report`
    for column in ("scenario", "mode", "outcome", "started", "min", "ack %"):
        table.add_column(column, justify="right" if column in ("min", "ack %") else "left")
    for row in rows:
        mode = row["mode"] or "?"
        if row["simulated"]:
            mode += " (sim)"
        table.add_row(
            row["drill_id"],
            escape(row["title"] or row["scenario"] or "?"),
            mode,
            row["outcome"] + (f" ({escape(row['held_by']['holder'])})" if row["held_by"] else ""),
            row["started"],
            f"{row['duration_minutes']:.1f}",
            f"{row['percent_acknowledged']:.0f}",
        )
    out.print(table)


async def _verify(drill_id: str, db: str | None) -> tuple[Any, str, str]:
    async with EventStore.open(db) as store:
        if drill_id == "latest":
            latest = await store.latest_drill_id()
            if latest is None:
                raise DrillError(f"no drills in {store.where}", title="Nothing to verify")
            drill_id = latest
        return await store.verify(drill_id), store.where, drill_id


@click.command()
@click.argument("drill_id")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@db_option
def verify(drill_id: str, as_json: bool, db: str | None) -> None:
    """Check DRILL_ID's event chain; name the first broken event if any (exit 1)."""
    result, where, drill_id = asyncio.run(_verify(drill_id, db))
    if as_json:
        print_json(
            {
                "drill_id": drill_id,
                "ok": result.ok,
                "events": result.count,
                "head_hash": result.head_hash,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
            }
        )
    elif result.ok:
        out.print(
            f"[green]OK[/] {drill_id}: {result.count} events, chain intact; head {result.head_hash}"
        )
    else:
        err.print(
            f"[red]BROKEN[/] {drill_id} in {escape(where)}: event {result.first_bad_seq}: "
            f"{escape(str(result.problem))}",
            soft_wrap=True,
        )
    if not result.ok:
        sys.exit(1)


COMMANDS = [run, resume, drills, verify]
