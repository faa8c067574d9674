"""Calendar commands: `schedule add | list | remove | next | log | refresh`, and `serve`.

Times are read and shown in the plan's time zone (Asia/Tokyo unless plan.yaml says
otherwise). Jobs live in the event store's database (`--db`, `DRILLKIT_DB`, or the data
directory), so `serve` in another process runs what `schedule add` put there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from drill.cli.console import out, print_json

if TYPE_CHECKING:
    from drill.schedule.book import DrillBook, ScheduledDrill

# The calendar pulls in APScheduler, SQLAlchemy and the store: imported when a command
# runs, so that `drillkit --help` and the plan commands stay quick.

__all__ = ["COMMANDS", "schedule", "serve"]

_db_option = click.option(
    "--db",
    metavar="URL|PATH",
    default=None,
    help="The event store (jobs live beside the events); default DRILLKIT_DB or the data dir.",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _show(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    return f"{moment:%Y-%m-%d (%a) %H:%M %Z}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _book(db: str | None) -> DrillBook:
    from drill.schedule import book

    return book.DrillBook.open(db)


def _duration(value: dt.timedelta) -> str:
    from drill.schedule import calendar

    return calendar.format_duration(value)


@click.group()
def schedule() -> None:
    """The drill calendar: scheduled drills, holidays and closed days, reminders.

    `drillkit serve` runs what is scheduled here.
    """


@schedule.command("add")
@click.argument("scenario")
@click.option("--at", "at", metavar="WHEN", help='Once: "2027-01-29 10:00" (plan time zone).')
@click.option("--cron", metavar="EXPR", help='Crontab fields: "0 10 * 1 FRI#5".')
@click.option("--every", metavar="TEXT", help='Friendlier: "last friday of january 10:00".')
@click.option(
    "--simulate/--real-channels",
    default=True,
    help="Simulated people (default) or the configured real channels.",
)
@click.option(
    "--plan",
    "plan_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The plan directory, when SCENARIO is an id (default: the bundled sample).",
)
@click.option(
    "--remind",
    "remind_to",
    multiple=True,
    metavar="ROLE|PERSON",
    help="Remind this coordinator before each drill (repeatable; overrides calendar.yaml).",
)
@click.option(
    "--remind-before",
    multiple=True,
    metavar="DURATION",
    help="Lead time of reminders: 1d, 2h, 30m (repeatable; default from calendar.yaml, 1d).",
)
@click.option("--id", "schedule_id", metavar="ID", help="Choose the schedule id.")
@_db_option
@_json_option
def add(
    scenario: str,
    at: str | None,
    cron: str | None,
    every: str | None,
    simulate: bool,
    plan_dir: Path | None,
    remind_to: tuple[str, ...],
    remind_before: tuple[str, ...],
    schedule_id: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Schedule SCENARIO (scenarios/<id>.yaml of a plan, or a scenario id) as a drill.

    Exactly one of --at, --cron, --every. A drill falling on a public holiday or a closed
    day of the plan (calendar.yaml; 年末年始 12/29–1/3 by default) is moved or skipped
    as the plan says; `drillkit schedule next` shows what will happen.

    \b
    --every forms: "last friday of january 10:00", "first monday of every month 09:30",
    "2nd tuesday of june 14:00", "january 31 10:00", "day 15 of every month 10:00",
    "last day of march 16:00", "friday 10:00", "weekdays 10:00", "every day 10:00".
    """
    from drill.schedule.errors import ScheduleError
    from drill.schedule.recurrence import SpecKind

    specs: list[tuple[SpecKind, str | None]] = [("at", at), ("cron", cron), ("every", every)]
    given = [(kind, text) for kind, text in specs if text is not None]
    if len(given) != 1:
        raise ScheduleError("Give exactly one of --at, --cron or --every.")
    kind, when = given[0]
    with _book(db) as book:
        drill = book.add(
            scenario,
            kind=kind,
            when=when,
            plan=plan_dir,
            simulate=simulate,
            remind_to=remind_to or None,
            remind_before=remind_before or None,
            schedule_id=schedule_id,
        )
        upcoming = drill.upcoming(_now(), 1)
    if as_json:
        print_json(drill.as_dict())
        return
    out.print(
        f"Scheduled [bold]{drill.id}[/]: {escape(drill.scenario_id)} "
        f"{escape(drill.recurrence.describe())}"
    )
    out.print(f"  next run: {_show(drill.next_run)}")
    if upcoming and upcoming[0].moved:
        out.print(f"  ({escape(upcoming[0].describe())})")
    out.print(f"  channels: {'simulated' if drill.simulate else 'REAL'}")
    for reminder in drill.reminders:
        out.print(
            f"  reminder {_duration(reminder.lead)} before to "
            f"{', '.join(reminder.to)}: {_show(reminder.next_run)}"
        )
    out.print("[dim]`drillkit serve` runs it; `drillkit schedule next` shows the calendar.[/]")


@schedule.command("list")
@_db_option
@_json_option
def list_(db: str | None, as_json: bool) -> None:
    """Scheduled drills, soonest first."""
    with _book(db) as book:
        drills = book.list()
        where = book.where
    if as_json:
        print_json({"store": where, "schedules": [d.as_dict() for d in drills]})
        return
    if not drills:
        out.print(f"Nothing is scheduled in {escape(where)}.")
        return
    table = Table(box=None)
    table.add_column("id", no_wrap=True)
    for column in ("scenario", "when", "next run", "channels", "reminders"):
        table.add_column(column)
    for drill in drills:
        table.add_row(
            drill.id,
            drill.scenario_id,
            escape(drill.recurrence.describe()),
            _show(drill.next_run) if drill.next_run else "finished",
            "simulated" if drill.simulate else "REAL",
            ", ".join(f"{_duration(r.lead)} → {'/'.join(r.to)}" for r in drill.reminders) or "—",
        )
    out.print(table)


@schedule.command("remove")
@click.argument("schedule_id", metavar="ID")
@_db_option
@_json_option
def remove(schedule_id: str, db: str | None, as_json: bool) -> None:
    """Remove a schedule and its reminders (the ledger keeps what already happened)."""
    with _book(db) as book:
        removed = book.remove(schedule_id)
    if as_json:
        print_json({"removed": removed.as_dict()})
        return
    out.print(f"Removed {removed.id} ({escape(removed.scenario_id)}).")


@schedule.command("next")
@click.argument("schedule_id", metavar="[ID]", required=False)
@click.option("--count", default=3, show_default=True, help="Occurrences per schedule.")
@_db_option
@_json_option
def next_(schedule_id: str | None, count: int, db: str | None, as_json: bool) -> None:
    """The next occurrences and the calendar's decision for each (moved, skipped, why)."""
    now = _now()
    with _book(db) as book:
        drills = [book.get(schedule_id)] if schedule_id else book.list()
    report = [_next(drill, now, count) for drill in drills]
    if as_json:
        print_json({"now": now.isoformat(), "schedules": report})
        return
    if not report:
        out.print("Nothing is scheduled.")
        return
    for drill, item in zip(drills, report, strict=True):
        out.print(
            f"[bold]{drill.id}[/] {escape(drill.scenario_id)} {escape(drill.recurrence.describe())}"
        )
        if item["calendar_changed"]:
            out.print(
                "  [yellow]calendar.yaml changed since this was scheduled; "
                "`drillkit schedule refresh` applies it[/]"
            )
        if not item["occurrences"]:
            out.print("  no further occurrence")
        for occurrence in item["occurrences"]:
            nominal = dt.datetime.fromisoformat(occurrence["nominal"]).astimezone(
                drill.trigger.zone
            )
            out.print(f"  {_show(nominal)}  {escape(occurrence['decision'])}")
            for reminder in occurrence["reminders"]:
                out.print(f"      reminder to {reminder['to']} at {reminder['at_shown']}")


def _next(drill: ScheduledDrill, now: dt.datetime, count: int) -> dict[str, Any]:
    from drill.schedule.calendar import load_calendar

    zone = drill.trigger.zone
    try:
        changed = load_calendar(drill.plan_dir) != drill.policy
    except Exception:  # a broken calendar.yaml is reported by `schedule refresh`, not here
        changed = True
    occurrences = []
    for decision in drill.upcoming(now, count):
        reminders = []
        if decision.run_at is not None:
            for reminder in drill.reminders:
                at = (decision.run_at - reminder.lead).astimezone(zone)
                reminders.append(
                    {
                        "before": _duration(reminder.lead),
                        "to": ", ".join(reminder.to),
                        "at": at.isoformat(),
                        "at_shown": _show(at),
                    }
                )
        occurrences.append(
            {
                "nominal": decision.nominal.isoformat(),
                "run_at": decision.run_at.isoformat() if decision.run_at else None,
                "status": "skipped"
                if decision.skipped
                else ("moved" if decision.moved else "as_scheduled"),
                "reason": decision.reason,
                "decision": decision.describe(),
                "reminders": reminders,
            }
        )
    return {
        "id": drill.id,
        "scenario": drill.scenario_id,
        "timezone": drill.timezone,
        "calendar_changed": changed,
        "occurrences": occurrences,
    }


@schedule.command("log")
@click.argument("schedule_id", metavar="[ID]", required=False)
@click.option("--limit", default=50, show_default=True, help="Most recent entries.")
@_db_option
@_json_option
def log_(schedule_id: str | None, limit: int, db: str | None, as_json: bool) -> None:
    """What the calendar did: drills started, run late, missed, interrupted, reminders."""
    with _book(db) as book:
        entries = book.ledger.entries(job_id=schedule_id, limit=limit)
    if as_json:
        print_json({"entries": [entry.as_dict() for entry in entries]})
        return
    if not entries:
        out.print("The schedule ledger is empty.")
        return
    table = Table("recorded", "schedule", "for", "outcome", "detail", box=None)
    for entry in entries:
        detail = entry.detail.get("reason") or entry.detail.get("detail") or ""
        table.add_row(
            f"{entry.recorded_at:%Y-%m-%d %H:%M:%S}Z",
            entry.job_id,
            f"{entry.scheduled_for:%Y-%m-%d %H:%M}Z",
            entry.outcome,
            escape(str(detail)),
        )
    out.print(table)


@schedule.command("refresh")
@click.argument("schedule_id", metavar="[ID]", required=False)
@_db_option
@_json_option
def refresh(schedule_id: str | None, db: str | None, as_json: bool) -> None:
    """Apply an edited calendar.yaml to existing schedules."""
    with _book(db) as book:
        changed = book.refresh([schedule_id] if schedule_id else None)
    if as_json:
        print_json({"refreshed": [d.as_dict() for d in changed]})
        return
    if not changed:
        out.print("Every schedule already follows its plan's calendar.yaml.")
    for drill in changed:
        out.print(f"Refreshed {drill.id}: next run {_show(drill.next_run)}")


@click.command()
@_db_option
@click.option("--no-ack-server", is_flag=True, help="Do not start the acknowledgement server.")
@click.option(
    "--poll",
    "poll_seconds",
    default=30.0,
    show_default=True,
    help="Seconds between looks for schedules added by other processes.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def serve(db: str | None, no_ack_server: bool, poll_seconds: float, log_level: str) -> None:
    """Run scheduled drills, reminders and the acknowledgement server until stopped.

    Logs are JSON lines on stderr (phone numbers and addresses masked). SIGTERM or Ctrl-C
    stops cleanly: drills in flight are left resumable and resume at the next start.
    See docs/systemd/drillkit.service for running it as a service.
    """
    from drill.schedule import journal
    from drill.schedule.service import serve as run_service
    from drill.session import real_notifiers

    journal.configure(getattr(logging, log_level.upper()))
    try:
        asyncio.run(
            run_service(
                db,
                ack_server=not no_ack_server,
                poll_seconds=poll_seconds,
                real_notifiers=real_notifiers,
            )
        )
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        sys.exit(130)


COMMANDS = [schedule, serve]
