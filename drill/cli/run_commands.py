"""Run commands: `run`, `drills`, `resume`, `verify`.

`--speed` is for rehearsals: `run` refuses it without `--simulate` (real channels run on
the real clock; the engine refuses it too), and `resume` takes no speed at all, since a
drill goes on on the clock it started on. `resume` without an id offers the interrupted
drills of the plan at hand (`--plan`, or the sample plan) and no other.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import gc
import math
import sys
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from drill.cli.console import err, out, print_json
from drill.config import load_config
from drill.engine import DrillState, Event, HandlerSet
from drill.engine.clock import RealClockRequired
from drill.engine.events import (
    Acknowledged,
    DeliveryFailed,
    DrillAborted,
    DrillCompleted,
    DrillInterrupted,
    DrillPaused,
    DrillRecovered,
    DrillResumed,
    DrillStarted,
    Escalated,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    OperatorPaged,
    OutsideAcknowledged,
    PageSent,
    PersonMarkedAvailable,
    PersonMarkedUnavailable,
    StepCompleted,
    StepDue,
    TreeCompleted,
)
from drill.engine.lease import Lease, LeaseHeld, wall_now
from drill.engine.sink import StoredEvent
from drill.errors import DrillError, EngineError
from drill.plan import Locator, load_plan
from drill.plan.models import Plan
from drill.session import (
    InterruptedDrill,
    RunOptions,
    RunResult,
    interrupted_drills,
    locate_scenario,
    resume_drill,
    run_scenario,
    run_with_real_channels,
)
from drill.store import EventStore
from drill.words import Lang, words
from drill.words.choices import choice_word, tally_line
from drill.words.sentences import TONE_STYLE, FoldNames, Names, PlanNames

__all__ = ["COMMANDS", "ConsoleProgress", "print_result", "progress_language"]

db_option = click.option(
    "--db", default=None, help="Event store URL or SQLite path (default: DRILLKIT_DB or data dir)."
)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"T+{minutes:02d}:{secs:02d}"


_SHOWN = (
    DrillStarted,
    InjectFired,
    TreeCompleted,
    LevelStarted,
    LevelCompleted,
    Acknowledged,
    Escalated,
    PageSent,
    DeliveryFailed,
    MemberUnreached,
    StepCompleted,
    StepDue,
    DrillPaused,
    DrillResumed,
    DrillInterrupted,
    DrillRecovered,
    DrillAborted,
    DrillCompleted,
    OperatorPaged,
    OutsideAcknowledged,
    PersonMarkedUnavailable,
    PersonMarkedAvailable,
)
"""The events a person running a drill at a terminal cares about."""

_WORTH_SAYING = frozenset(
    {"invalid_number", "wrong_number", "landline", "blocked", "bounced", "refused"}
    | {"provider_error", "config"}
)
"""Failures of a page the progress says (a number or address to fix, a provider that
refused): busy lines and unanswered calls are the ladder's ordinary steps."""


def progress_language(option: str | None = None) -> Lang:
    """The language of the progress lines, chosen as the console chooses its own: the
    option, then DRILLKIT_LANG, then the console's saved choice, then Japanese."""
    from drill.tui.settings import initial_language  # reads one small JSON file

    return initial_language(option)


class ConsoleProgress:
    """Prints a line per event a person running a drill cares about.

    The words are the one catalogue's (`drill.words`), the same as the console's log and
    the report; every judgement (in time or late, a level satisfied, a drill failed) is
    the drill's fold's. The progress keeps its own fold of the events it is handed,
    primed with the stored events when a drill is resumed.
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        lang: str | None = None,
        plan: Plan | None = None,
        state: DrillState | None = None,
    ) -> None:
        self.quiet = quiet
        self.words = words(lang or "ja")
        self.state = state if state is not None else DrillState()
        self.plan = plan
        self.names: Names = (
            PlanNames(plan, self.state, self.words.lang)
            if plan is not None
            else FoldNames(self.state, self.words.lang)
        )

    def prime(self, stored: Iterable[Event | StoredEvent]) -> None:
        """Fold what was recorded before this process took the drill over (resume)."""
        if self.quiet:
            return
        for item in stored:
            self.state.take(item)

    def __call__(self, _drill_id: str, event: Event) -> None:
        if self.quiet:
            return  # nothing to show, so nothing to follow (a second fold of every event)
        self.state.apply(event)
        line = self.describe(event)
        if line is not None and not self.quiet:
            out.print(f"[dim]{_clock(event.elapsed)}[/] {line}", soft_wrap=True)

    def describe(self, event: Event) -> str | None:
        """The catalogue's sentence for `event`, as console markup (None: not shown)."""
        if not isinstance(event, _SHOWN):
            return None
        if isinstance(event, PageSent) and (event.accepted or event.failure is None):
            return None
        if isinstance(event, PageSent | DeliveryFailed):
            failure = event.failure if isinstance(event, PageSent) else event.reason
            if failure is None or failure.value not in _WORTH_SAYING:
                return None
        if isinstance(event, Acknowledged):
            contact = self.state.contacts.get((event.tree, event.level, event.member))
            if contact is not None and contact.ack is not None and contact.ack != event:
                return None  # a repeated acknowledgement: kept in the record, not news
        said = self.words.sentence(event, self.state, self.names)
        style = TONE_STYLE[said.tone]
        return f"[{style}]{escape(said.text)}[/]" if style else escape(said.text)


def _local_time(at: dt.datetime, zone: str) -> str:
    try:
        local = at.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = at
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or zone}"


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
        "simulated": result.state.started.simulated if result.state.started else None,
        "started_at": summary.started_at.isoformat() if summary.started_at else None,
        "store": result.store,
        "reports": [str(p) for p in result.report_files],
    }


def print_result(result: RunResult, as_json: bool, lang: str | None = None) -> None:
    data = _summary_json(result)
    if as_json:
        print_json(data)
        exit_if_failed(result)
        return
    w = words(lang or "ja")
    state = result.state
    summary = state.summary()
    outcome = state.outcome(running=False).value
    parts = [
        f"{w.status('acknowledged')} {summary.acknowledged}/{summary.contacts}"
        f" ({summary.percent_acknowledged:.0f} %)",
    ]
    if summary.late:
        parts.append(f"{w.status('late')} {summary.late}")
    parts.append(f"{w.status('unreached')} {summary.unreached}")
    if summary.not_reached_ended:
        parts.append(f"{w.status('aborted')} {summary.not_reached_ended}")
    parts.append(f"{w('duration')} {w.duration(summary.duration_seconds)}")
    sep = "、" if w.lang == "ja" else ", "
    # A simulated drill says so outright (模擬), beside its outcome.
    simulated = f" [bold]{escape(w.mode('simulated'))}[/]" if data["simulated"] else ""
    out.print(
        f"\n[bold]{escape(w.outcome(outcome))}[/]{simulated} {escape(result.drill_id)}: "
        f"{escape(sep.join(parts))}",
        soft_wrap=True,
    )
    answers = tally_line(state.tally(), w.lang)
    if answers:  # the scenario asked a question: what people answered
        out.print(escape(choice_word("line", w.lang, tally=answers)), soft_wrap=True)
    out.print(escape(w.cli("result.events", where=result.store)), soft_wrap=True)
    for path in result.report_files:
        out.print(escape(w.cli("result.report", path=path)), soft_wrap=True)
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


def _handlers(progress: ConsoleProgress) -> HandlerSet:
    handlers = HandlerSet()
    handlers.subscribe(progress)
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
    help="With --simulate only: real time × SPEED (e.g. 60); default: virtual time. "
    "Real channels run on the real clock.",
)
@click.option(
    "--start-at",
    "start_at",
    default=None,
    metavar="DATE[ HH:MM]",
    help="With --simulate only: the date (and time) the simulated drill is dated, in the "
    "plan's time zone (a date alone: 09:00). Default: now.",
)
@click.option("--seed", type=int, default=None, help="Seed of the simulated people (reproducible).")
@click.option("--operator", default=None, help="Who runs the drill (default: login name).")
@click.option("--no-report", is_flag=True, help="Do not write the report at the end.")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the report and the progress lines (default: Japanese; DRILLKIT_LANG).",
)
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
    start_at: str | None,
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
    seconds, dated now (模擬) unless --start-at says otherwise. Without it, the configured
    providers page real people on the real clock (`drillkit doctor` checks them first);
    `drillkit demo` runs the same path, faster, against the local sandbox.
    """
    if speed is not None and (not speed > 0 or math.isinf(speed)):
        raise DrillError(
            f"--speed {speed:g}: give a number more than 0, such as 60 (60× real time).",
            title="Invalid option",
        )
    if speed is not None and speed != 1 and not simulate:
        raise RealClockRequired(None, speed)
    if start_at is not None and not simulate:
        raise DrillError(
            f"--start-at {start_at}: only a simulated drill can be dated; a drill through "
            "real channels happens now. Add --simulate, or leave out --start-at.",
            title="Invalid option",
        )
    # `run` shows no lint warnings (`drillkit validate` does): not computed (half a second
    # for a nationwide plan). A plan with errors is refused all the same.
    loaded, scenario_id = locate_scenario(scenario, plan_dir, lint=False)
    # Where each thing was written (the parsed YAML, line by line) served the checks and
    # finding the scenario; a run needs only the plan. Dropped before the drill, its
    # memory (some 200 MiB for a nationwide plan) is reused by the drill and its report
    # instead of adding to their peak.
    loaded = dataclasses.replace(loaded, locator=Locator())
    # The plan and the modules loaded so far live until this command ends: keep Python's
    # cycle collector from walking them again each time the drill has made garbage (a
    # nationwide plan is a million objects; otherwise a third of a simulated run).
    gc.freeze()
    start = _start_at(start_at, loaded.plan.info.zone) if start_at is not None else None
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
        start_at=start,
    )
    language = progress_language(lang)
    progress = ConsoleProgress(quiet=quiet or as_json, lang=language, plan=loaded.plan)
    handlers = _handlers(progress)
    if simulate:
        with _rare_collections():
            result = asyncio.run(run_scenario(loaded, scenario_id, options, handlers=handlers))
    else:
        config = load_config()
        with _rare_collections():
            result = asyncio.run(
                run_with_real_channels(loaded, scenario_id, options, config, handlers=handlers)
            )
    print_result(result, as_json, language)


_YOUNG_COLLECTION = 50_000
"""Allocations between two collections of young objects while a drill runs (Python's
default: 700); the older generations follow every 20 and 10 of those (Python's: 10, 10)."""


@contextlib.contextmanager
def _rare_collections() -> Iterator[None]:
    """A drill's fold and its events live until the drill ends and grow by 10^5 objects in
    a nationwide drill: at Python's default thresholds the cycle collector rescanned them
    in full a dozen times, a fifth of a simulated run. Young garbage is still collected,
    in larger, rarer sweeps; the thresholds are restored afterwards.

    What is left then (the drill's outcome, to be printed as the command ends) is frozen
    first: with the thresholds back, the next collection walked all of it (0.1 s for a
    nationwide drill) only to find it alive."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], _YOUNG_COLLECTION), max(thresholds[1], 20), thresholds[2])
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*thresholds)


def _start_at(text: str, zone: dt.tzinfo) -> dt.datetime:
    """`2026-04-01`, `2026-04-01 13:30` or an ISO time with offset, in the plan's zone."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise DrillError(
            f"--start-at {text!r} is not a date: write it as 2026-04-01 or "
            "'2026-04-01 13:30' (the plan's time zone).",
            title="Invalid option",
        ) from None
    if len(text.strip()) <= 10:  # a date alone: the start of an office day
        when = when.replace(hour=9, minute=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(dt.UTC)


def _confirm_incident(organisation: str, confirmation: str | None, simulate: bool) -> None:
    """A real incident is chosen explicitly and confirmed by typing the organisation."""
    warning = (
        "REAL INCIDENT / 実災害モード: real people will be called, texted and e-mailed, and "
        "the messages will NOT say 【訓練】 or [DRILL]."
    )
    if simulate:
        return  # nobody is paged; the incident playbook is rehearsed with simulated people
    if confirmation is None and sys.stdin.isatty():
        err.print(f"[bold red]{escape(warning)}[/]")  # "[DRILL]" is text, not a style
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
@click.argument("drill_id", required=False)
@click.option(
    "--plan",
    "plan_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Plan directory: whose interrupted drills to offer (default: the sample plan); "
    "with DRILL_ID, where its plan is now if it moved.",
)
@click.option("--list", "list_only", is_flag=True, help="Only list the plan's interrupted drills.")
@click.option(
    "--allow-plan-change",
    is_flag=True,
    help="Resume even though the plan changed since the drill started.",
)
@click.option("--operator", default=None, help="Who resumes it (default: login name).")
@click.option(
    "--standby",
    is_flag=True,
    help="Failover: while another engine runs the drill, wait; take it over when that "
    "engine stops renewing its lease (on a shared PostgreSQL store, from another machine).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only the summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary (or the list) as JSON.")
@db_option
def resume(
    drill_id: str | None,
    plan_dir: Path | None,
    list_only: bool,
    allow_plan_change: bool,
    operator: str | None,
    standby: bool,
    quiet: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Continue DRILL_ID, interrupted by a crash or a stop, from its stored events.

    It goes on on the clock it started on (same speed; the time it was down counts) and
    through the channels it used; a `drillkit demo` drill brings the local sandbox back
    up. Without DRILL_ID, the interrupted drills of the plan at hand (--plan, or the
    sample plan) are offered: one is resumed, several are listed to choose from. A drill
    belongs to a plan when it was started from that plan folder or from a plan with
    exactly the same content.
    """
    if drill_id is None or list_only:
        candidates, where, root = asyncio.run(_interrupted(plan_dir, db))
        if list_only:
            _print_interrupted(candidates, where, root, as_json)
            return
        drill_id = _pick(candidates, where, root)
        if plan_dir is None:
            plan_dir = root
    options = RunOptions(operator=operator, db=db)
    language = progress_language()
    if standby:
        result = asyncio.run(
            _stand_by(
                drill_id,
                options,
                lambda: ConsoleProgress(quiet=quiet or as_json, lang=language),
                plan_dir=plan_dir,
                allow_plan_change=allow_plan_change,
            )
        )
        if result is None:
            err.print(
                f"訓練 {drill_id} は別のエンジンが最後まで実行しました。引き継ぐものはありません。"
                f" / Drill {drill_id} was run to its end by another engine: nothing to take over."
            )
            return
    else:
        progress = ConsoleProgress(quiet=quiet or as_json, lang=language)
        result = asyncio.run(
            _resume(
                drill_id, options, progress, plan_dir=plan_dir, allow_plan_change=allow_plan_change
            )
        )
    print_result(result, as_json, language)


async def _stand_by(
    drill_id: str,
    options: RunOptions,
    progress: Callable[[], ConsoleProgress],
    *,
    plan_dir: Path | None,
    allow_plan_change: bool,
) -> RunResult | None:
    """Resume `drill_id` as soon as no other engine holds it; None if it ended meanwhile.

    The holder renews its lease every fifth of its time to live; this engine tries again
    each time the lease it was refused would have expired. Taking it over records the
    gap (`DrillInterrupted`, and `taken_over` in the lease history), and the runner
    re-arms from the stored events, so nobody is paged twice and no acknowledgement is
    lost.
    """
    while True:
        if await _ended(drill_id, options.db):
            return None
        try:
            return await _resume(
                drill_id,
                options,
                progress(),
                plan_dir=plan_dir,
                allow_plan_change=allow_plan_change,
            )
        except LeaseHeld as held:
            left = (held.lease.expires_at - wall_now()).total_seconds()
            await asyncio.sleep(max(0.05, left + 0.05))
        except EngineError:
            if await _ended(drill_id, options.db):  # it ended just before the takeover
                return None
            raise


async def _ended(drill_id: str, db: str | None) -> bool:
    async with EventStore.open(db) as store:
        state = DrillState()
        for item in await store.read(drill_id):
            if not item.duplicate:
                state.apply(item.event, item.seq)
        return state.started is not None and not state.is_open


async def _resume(
    drill_id: str,
    options: RunOptions,
    progress: ConsoleProgress,
    *,
    plan_dir: Path | None,
    allow_plan_change: bool,
) -> RunResult:
    # The progress lines judge by the drill's fold: it starts from what was recorded.
    async with EventStore.open(options.db) as store:
        progress.prime(await store.read(drill_id))
    return await resume_drill(
        drill_id,
        options,
        plan_dir=plan_dir,
        handlers=_handlers(progress),
        allow_plan_change=allow_plan_change,
    )


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


async def _interrupted(
    plan_dir: Path | None, db: str | None
) -> tuple[list[InterruptedDrill], str, Path]:
    from drill.cli.plan_commands import resolve_plan_dir

    loaded = await asyncio.to_thread(load_plan, resolve_plan_dir(plan_dir), lint=False)
    assert loaded.plan.root is not None
    async with EventStore.open(db) as store:
        return await interrupted_drills(store, loaded.plan), store.where, loaded.plan.root


def _interrupted_rows(candidates: list[InterruptedDrill]) -> list[dict[str, Any]]:
    rows = []
    for item in candidates:
        started = item.started
        rows.append(
            {
                "drill_id": item.drill_id,
                "scenario": started.scenario_id,
                "title": started.scenario_title_ja,
                "mode": started.mode.value,
                "simulated": started.simulated,
                "channels": started.channels,
                "clock": started.clock,
                "speed": started.speed,
                "started": _local_time(started.at, started.timezone),
                "last_recorded": item.last_recorded_at.isoformat(timespec="seconds"),
                "events": item.events,
            }
        )
    return rows


def _print_interrupted(
    candidates: list[InterruptedDrill], where: str, root: Path, as_json: bool
) -> None:
    rows = _interrupted_rows(candidates)
    if as_json:
        print_json({"plan": str(root), "store": where, "interrupted": rows})
        return
    if not rows:
        out.print(f"no interrupted drill of the plan {escape(str(root))} in {escape(where)}")
        return
    from rich.table import Table  # only tables need it (5 ms of every run's start)

    table = Table(
        title=f"interrupted drills of {escape(str(root))} ({escape(where)})",
        title_justify="left",
    )
    for column in ("#", "drill", "scenario", "how", "started", "events"):
        table.add_column(column, no_wrap=column in ("drill", "how"))
    for number, (row, item) in enumerate(zip(rows, candidates, strict=True), start=1):
        started = item.started
        who = (
            "模擬" if started.simulated else "sandbox" if started.channels == "sandbox" else "real"
        )
        pace = {"virtual": "virtual", "scaled": f"{started.speed or 0:g}×"}.get(started.clock, "1×")
        if started.mode.value == "incident":
            who = "INCIDENT " + who
        table.add_row(
            str(number),
            row["drill_id"],
            escape(row["title"] or row["scenario"]),
            f"{who} {pace}",
            row["started"],
            str(row["events"]),
        )
    out.print(table)


def _pick(candidates: list[InterruptedDrill], where: str, root: Path) -> str:
    """The one interrupted drill of the plan, or the one chosen on a terminal."""
    if not candidates:
        raise DrillError(
            f"No interrupted drill of the plan {root} in {where}. `drillkit drills` lists "
            "every drill; pass a drill id, or --plan for another plan.",
            title="Nothing to resume",
        )
    if len(candidates) == 1:
        item = candidates[0]
        out.print(
            f"resuming {item.drill_id}: {escape(item.started.scenario_title_ja)}, started "
            f"{_local_time(item.started.at, item.started.timezone)}"
        )
        return item.drill_id
    _print_interrupted(candidates, where, root, as_json=False)
    if not sys.stdin.isatty():
        raise DrillError(
            f"{len(candidates)} drills of this plan were interrupted: say which one, "
            "e.g. `drillkit resume " + candidates[-1].drill_id + "`.",
            title="Which drill?",
        )
    number: int = click.prompt(
        "Resume which one (#)", type=click.IntRange(1, len(candidates)), err=True
    )
    return candidates[number - 1].drill_id


async def _drill_rows(db: str | None) -> tuple[list[dict[str, Any]], str]:
    from drill.report import kept_history  # its figures of each drill, for this command only

    async with EventStore.open(db) as store:
        rows: list[dict[str, Any]] = []
        leases = await store.leases()
        for drill in await store.drills():
            # An ended drill's row is read off the figures kept when it was last folded
            # (by its report, or by this listing): a nationwide drill is 88,000 events.
            # An open one is folded now, since whether an engine runs it is its outcome.
            kept = await kept_history.look_up(store, drill.drill_id, None)
            past, state = kept.past, None
            if past is None or not past.ended:
                state = DrillState()
                past = kept.keep(state, await store.read_parts(drill.drill_id, state.take))
            started = past.started if past is not None else None
            zone = zoneinfo.ZoneInfo(started.timezone if started else "Asia/Tokyo")
            holder = _holder(leases.get(drill.drill_id), zone)
            if state is not None:
                status = state.status.value
                # How it went, as the report says it: failed, aborted, interrupted, …
                # An open drill is running while an engine holds its lease; else it
                # was interrupted.
                outcome = state.outcome(running=holder is not None).value
                summary = state.summary()
            else:
                assert past is not None  # kept, and ended
                status, outcome, summary = past.status, past.outcome, past.summary
            begin = summary.started_at or drill.first_recorded_at
            rows.append(
                {
                    "drill_id": drill.drill_id,
                    "scenario": started.scenario_id if started else None,
                    "title": started.scenario_title_ja if started else None,
                    "mode": started.mode.value if started else None,
                    "simulated": started.simulated if started else None,
                    "status": status,
                    "outcome": outcome,
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
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the table (default: Japanese; DRILLKIT_LANG).",
)
@db_option
def drills(as_json: bool, lang: str | None, db: str | None) -> None:
    """List past drills: id, scenario, mode, outcome, start, duration, % acknowledged.

    The outcome is the report's (completed, failed, aborted, interrupted, …); the share
    acknowledged counts acknowledgements in time only. A drill an engine is running now
    shows who runs it (`held_by` in --json).
    """
    rows, where = asyncio.run(_drill_rows(db))
    if as_json:
        print_json(rows)
        return
    w = words(progress_language(lang))
    if not rows:
        out.print(escape(w.cli("drills.none", where=where)), soft_wrap=True)
        return
    from rich.table import Table

    table = Table(title=escape(w.cli("drills.title", where=where)), title_justify="left")
    table.add_column(w.cli("drills.id"), no_wrap=True)  # ids are copied into `resume`/`report`
    for key in ("scenario", "mode", "outcome", "started"):
        table.add_column(w.cli(f"drills.{key}"))
    for key in ("minutes", "percent"):
        table.add_column(w.cli(f"drills.{key}"), justify="right")
    for row in rows:
        mode = w.mode(row["mode"]) if row["mode"] else "?"
        if row["simulated"]:
            mode += f"（{w.mode('simulated')}）" if w.lang == "ja" else f" ({w.mode('simulated')})"
        outcome = w.outcome(row["outcome"])
        if row["held_by"]:
            outcome = w.cli("drills.held_by", outcome=outcome, holder=row["held_by"]["holder"])
        table.add_row(
            row["drill_id"],
            escape(row["title"] or row["scenario"] or "?"),
            mode,
            escape(outcome),
            row["started"],
            f"{row['duration_minutes']:.1f}",
            f"{row['percent_acknowledged']:.0f}",
        )
    out.print(table)


async def _verify(
    drill_id: str | None, db: str | None, anchor: Any = None
) -> tuple[Any, str, str, Any]:
    from drill.store.anchor import check_anchor

    async with EventStore.open(db) as store:
        if drill_id is None and anchor is not None:
            drill_id = anchor.drill_id
        if drill_id is None:
            raise DrillError(
                "name the drill to verify (or `latest`), or give --against REPORT.json",
                title="Nothing to verify",
            )
        if drill_id == "latest":
            latest = await store.latest_drill_id()
            if latest is None:
                raise DrillError(f"no drills in {store.where}", title="Nothing to verify")
            drill_id = latest
        result = await store.verify(drill_id)
        checked = None
        if anchor is not None:
            if anchor.drill_id != drill_id:
                raise DrillError(
                    f"the report is of drill {anchor.drill_id}, not {drill_id}",
                    title="Report and drill differ",
                )
            head = await store.hash_at(drill_id, anchor.event_count)
            checked = check_anchor(anchor, result, head)
        return result, store.where, drill_id, checked


def _read_anchor(path: Path) -> Any:
    """The anchor in a report's JSON; a DrillError naming the file when it has none."""
    import json

    from drill.store.anchor import anchor_from_report

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DrillError(
            f"cannot read the report {path}: {exc}. Give the report's .json file.",
            title="Report not readable",
        ) from None
    try:
        return anchor_from_report(data)
    except ValueError as exc:
        raise DrillError(f"{path}: {exc}", title="Report has no chain head") from None


@click.command()
@click.argument("drill_id", required=False)
@click.option(
    "--against",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A report's JSON: also check its signed chain head (a rewritten or cut journal fails).",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@db_option
def verify(drill_id: str | None, report_path: Path | None, as_json: bool, db: str | None) -> None:
    """Check DRILL_ID's event chain; name the first broken event if any (exit 1).

    With --against REPORT.json, also check the report's signed head: the journal must
    still hold that event with that hash (DRILL_ID may then be left out)."""
    anchor: Any = _read_anchor(report_path) if report_path is not None else None
    result, where, drill_id, checked = asyncio.run(_verify(drill_id, db, anchor))
    ok = result.ok and (checked is None or checked.ok)
    bad_seq = result.first_bad_seq if not result.ok else getattr(checked, "first_bad_seq", None)
    problem = result.problem if not result.ok else getattr(checked, "problem", None)
    if as_json:
        body: dict[str, Any] = {
            "drill_id": drill_id,
            "ok": ok,
            "events": result.count,
            "head_hash": result.head_hash,
            "first_bad_seq": bad_seq,
            "problem": problem,
        }
        if checked is not None:
            body["against"] = {
                "report": str(report_path),
                "event_count": anchor.event_count,
                "head_hash": anchor.head_hash,
                "signature": checked.signature,
                "ok": checked.ok,
            }
        print_json(body)
    elif ok:
        out.print(
            f"[green]OK[/] {drill_id}: {result.count} events, chain intact; head {result.head_hash}",
            soft_wrap=True,
        )
        if checked is not None:
            how = {
                "pinned": "signature checked with the pinned key",
                "report-key": "signature checked with the key the report names "
                "(pin it with DRILLKIT_ANCHOR_PUBLIC_KEY)",
                "unsigned": "the report's head is not signed",
            }[checked.signature]
            out.print(
                f"[green]OK[/] matches the report: event {anchor.event_count} has its head "
                f"({escape(how)})",
                soft_wrap=True,
            )
    else:
        err.print(
            f"[red]BROKEN[/] {drill_id} in {escape(where)}: event {bad_seq}: "
            f"{escape(str(problem))}",
            soft_wrap=True,
        )
    if not ok:
        sys.exit(1)


COMMANDS = [run, resume, drills, verify]
