"""Running a scenario end to end: plan + event store + channels + runner + report.

The I/O around the composition root for `drillkit run`, `resume` and `demo`: it loads
the plan, opens the event store, starts what the channels need (the ack server, the
local sandbox on resume of a `drillkit demo` drill), builds the real channels, and
writes the report when the drill ends. The running drill itself is built by
`drill.engine.assembly.assemble`, the one place the CLI, the console and the calendar
all use: clock, simulated people and duty officer, seed, resume on the recorded clock.
Nothing here decides drill semantics.

A resume goes on with the channels the drill used: simulated people, the local sandbox
brought back up, or the configured providers with the ack server in this process.

Which drills a plan may resume (`interrupted_drills`): those started from the same plan
folder, or from a plan with exactly the same content (`plan_digest`: a copied or moved
folder). The organisation's name alone is not enough: a test plan and the real one of
one organisation are different plans.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import getpass
import os
import signal
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from drill.config import Config, config_path, load_config
from drill.engine import (
    DrillState,
    Event,
    Handler,
    HandlerSet,
    Notifier,
    ResponseModel,
    plan_digest,
)
from drill.engine.assembly import (
    ClockRequest,
    DrillSpec,
    assemble,
    recorded_start,
    run_to_end,
)
from drill.engine.events import DrillStarted
from drill.engine.state import regional_centres
from drill.errors import ConfigError, EngineError
from drill.plan import LoadedPlan, Plan, PlanError, load_plan
from drill.store import EventStore
from drill.store.follow import operator_desk

if TYPE_CHECKING:  # the real channels load only for a run that uses them
    from drill.ack.server import DrillRegistry
    from drill.channels.links import Links
    from drill.report.files import RunFold

__all__ = [
    "InterruptedDrill",
    "RunOptions",
    "RunResult",
    "interrupted_drills",
    "locate_scenario",
    "of_plan",
    "real_notifiers",
    "resume_drill",
    "run_scenario",
    "run_with_real_channels",
]

FAULT_KILL_AFTER = "DRILLKIT_FAULT_KILL_AFTER_EVENTS"
"""Fault injection for the crash test: SIGKILL this process right after the Nth event of
the run has been stored (a real kill -9, at a point chosen by the test)."""


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How to run a scenario."""

    simulate: bool = True
    """Simulated people instead of real channels."""
    speed: float | None = None
    """None: virtual time when simulating (as fast as possible); else real time × speed."""
    mode: str = "drill"
    """"drill" (every message marked 訓練) or "incident" (confirmed by the caller)."""
    seed: int | None = None
    """Seed of the simulated people and operator, for a reproducible run."""
    operator: str | None = None
    """Who runs it (recorded in DrillStarted); the login name by default."""
    db: str | None = None
    """Event store URL or path; DRILLKIT_DB or the data directory by default."""
    report: bool = True
    """Write the report (HTML, Markdown, JSON) when the drill ends."""
    lang: str | None = None
    """Report language; the plan's by default."""
    responses: ResponseModel | None = None
    """How simulated people answer; realistic defaults when None."""
    drill_id: str | None = None
    """A fixed drill id (the calendar derives one per occurrence); a new one when None."""
    simulated_operator: bool | None = None
    """A simulated duty officer completes playbook steps (default: when simulating)."""
    start_at: dt.datetime | None = None
    """Simulation only: the (aware) wall time the drill's clock starts at; now when None,
    so a simulated drill carries today's date."""


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What a run left behind."""

    drill_id: str
    state: DrillState
    report_files: tuple[Path, ...]
    store: str


def locate_scenario(
    target: str | Path, plan_dir: Path | None = None, *, lint: bool = True
) -> tuple[LoadedPlan, str]:
    """`scenarios/<id>.yaml` (its plan is the folder above) or a bare scenario id.

    `lint=False` skips the plan's lint warnings (errors are found either way), for a
    caller that does not show them."""
    path = Path(target)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise PlanError.simple(f"no scenario file {path}", "check the path")
        root = plan_dir or path.resolve().parent.parent
        loaded = load_plan(root, lint=lint)
        for scenario in loaded.plan.scenarios:
            place = loaded.locator.places.get(("scenario", scenario.id))
            if place is not None and place.file == path.resolve():
                return loaded, scenario.id
        return loaded, path.stem
    from drill.plan import sample_plan_dir

    loaded = load_plan(plan_dir or sample_plan_dir(), lint=lint)
    if not loaded.plan.has("scenario", str(target)):
        from drill.plan.findings import did_you_mean

        ids = [s.id for s in loaded.plan.scenarios]
        raise PlanError.simple(
            f"no scenario '{target}'", did_you_mean(str(target), ids) or f"scenarios: {ids}"
        )
    return loaded, str(target)


def _operator(name: str | None) -> str:
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # some containers have no login name
        return "operator"


def _fault_handler() -> Handler | None:
    """The crash test's kill -9 at the Nth stored event (see FAULT_KILL_AFTER)."""
    limit = os.environ.get(FAULT_KILL_AFTER)
    if not limit:
        return None
    remaining = [int(limit)]

    def count(_drill_id: str, _event: Event) -> None:
        remaining[0] -= 1
        if remaining[0] <= 0:
            os.kill(os.getpid(), signal.SIGKILL)

    return count


def _merge(extra: HandlerSet | None) -> HandlerSet:
    handlers = extra or HandlerSet()
    fault = _fault_handler()
    if fault is not None:
        handlers.subscribe(fault)
    return handlers


async def run_scenario(
    loaded: LoadedPlan,
    scenario_id: str,
    options: RunOptions,
    *,
    handlers: HandlerSet | None = None,
    notifiers: Sequence[Notifier] | None = None,
    store: EventStore | None = None,
    registry: DrillRegistry | None = None,
) -> RunResult:
    """Run one scenario to its end and write its report; returns the drill's final state.

    With a `registry` (the ack server's), the drill is registered while it runs so that
    webhooks and links reach it, and unregistered when it ends.
    """
    own_store = store is None
    active = store if store is not None else await EventStore.open(options.db)
    ahead = None
    try:
        merged = _merge(handlers)
        if options.report:  # a large drill's chain is checked beside its report
            from drill.report.chain_check import Ahead

            ahead = Ahead(active, merged)
        runner = await assemble(
            DrillSpec(
                loaded.plan,
                active,
                scenario=scenario_id,
                notifiers=notifiers,
                clock=ClockRequest(speed=options.speed, start_at=options.start_at),
                mode=options.mode,
                operator=_operator(options.operator),
                seed=options.seed,
                simulated=options.simulate,
                simulated_operator=options.simulated_operator,
                handlers=merged,
                responses=options.responses,
                drill_id=options.drill_id,
            )
        )
        async with operator_desk(active, runner):  # actions from the other consoles
            state = await run_to_end(runner, registry)
        drill_id = runner.drill_id
        if not options.report:
            return RunResult(drill_id, state, (), active.where)
        # The report is of the stored record. When the store holds exactly what this
        # runner committed, its fold is that record's fold, and the report only checks
        # the chain (a nationwide drill's 88,000 events are not read back and folded
        # again); otherwise the report reads them. The runner itself is let go first: its
        # fold then stands alone (some 80 MiB for a nationwide drill), and is the outcome.
        from drill.report.files import RunFold

        written = runner.written
        helper = await ahead.helper() if ahead is not None else None
        run = RunFold(state, *written, helper=helper) if written is not None else None
        del runner
        if run is None:  # the report folds the record: this copy of its fold goes first
            del state
            gc.collect()
        files, folded = await _report_folded(active, drill_id, loaded, options, run)
        return RunResult(drill_id, folded, tuple(files), active.where)
    finally:
        if ahead is not None:
            await ahead.close()
        if own_store:
            await active.close()


def real_notifiers(config: Config, plan: Plan, links: Links) -> list[Notifier]:
    """Voice and SMS (when Twilio is configured) and e-mail (when SMTP is configured).

    Each builder refuses a sample plan with a real provider and a missing secret with a
    clear error; with neither configured there is nothing to page with.
    """
    from drill.channels.email import build_email_notifier
    from drill.channels.twilio_account import build_twilio_notifiers

    notifiers: list[Notifier] = []
    if config.twilio.account_sid:
        notifiers.extend(build_twilio_notifiers(config, plan, None, links=links).all)
    if config.smtp.host:
        notifiers.append(build_email_notifier(config, plan, links=links))
    if not notifiers:
        raise ConfigError(
            "No channel is configured: set [twilio] account_sid and/or [smtp] host in "
            f"{config_path()} (see `drillkit config show`), or run with --simulate."
        )
    return notifiers


async def run_with_real_channels(
    loaded: LoadedPlan,
    scenario_id: str,
    options: RunOptions,
    config: Config,
    *,
    handlers: HandlerSet | None = None,
) -> RunResult:
    """Run through the configured providers, with the ack server (and reply poller) in
    this process so that callbacks, links and replies reach the drill."""
    from drill.ack.service import AckService

    service = AckService(config)
    await service.start()
    try:
        notifiers = real_notifiers(config, loaded.plan, service.links)
        return await run_scenario(
            loaded,
            scenario_id,
            options,
            handlers=handlers,
            notifiers=notifiers,
            registry=service.registry,
        )
    finally:
        await service.stop()


async def resume_drill(
    drill_id: str,
    options: RunOptions,
    *,
    plan_dir: Path | None = None,
    handlers: HandlerSet | None = None,
    notifiers: Sequence[Notifier] | None = None,
    allow_plan_change: bool = False,
    registry: DrillRegistry | None = None,
) -> RunResult:
    """Continue an interrupted drill from its stored events, to its end.

    It goes on on the clock it started on (kind and speed, as `DrillStarted` recorded
    them) and through the channels it used: simulated people, the local sandbox (started
    again, at the drill's speed), or the configured providers (with the ack server in
    this process). `notifiers` (with `registry`) overrides the channels.
    """
    async with EventStore.open(options.db) as store:
        started = await recorded_start(store, drill_id)
        root = plan_dir or (Path(started.plan_root) if started.plan_root else None)
        if root is None:
            raise EngineError(f"drill '{drill_id}' does not say where its plan is; pass --plan")
        loaded = load_plan(root, lint=False)
        effective = dataclasses.replace(
            options,
            simulate=started.simulated,
            seed=started.seed,
            mode=started.mode.value,
            speed=started.speed,
            start_at=None,
        )
        async with _channels_for(started, loaded.plan, notifiers, registry) as (chosen, reach):
            runner = await assemble(
                DrillSpec(
                    loaded.plan,
                    store,
                    resume=drill_id,
                    notifiers=chosen,
                    operator=_operator(options.operator),
                    handlers=_merge(handlers),
                    responses=options.responses,
                    allow_plan_change=allow_plan_change,
                )
            )
            async with operator_desk(store, runner):
                state = await run_to_end(runner, reach)
        files = await _report(store, drill_id, loaded, effective)
        return RunResult(drill_id, state, tuple(files), store.where)


def _used_sandbox(started: DrillStarted, plan: Plan) -> bool:
    """Whether the drill paged the local sandbox (a `drillkit demo` drill).

    Drills recorded before `DrillStarted.channels` existed: the sample plan with real
    channels can only have used the sandbox (a real provider refuses the sample plan).
    """
    if started.channels is not None:
        return started.channels == "sandbox"
    return not started.simulated and plan.info.sample


@contextlib.asynccontextmanager
async def _channels_for(
    started: DrillStarted,
    plan: Plan,
    notifiers: Sequence[Notifier] | None,
    registry: DrillRegistry | None,
) -> AsyncIterator[tuple[Sequence[Notifier] | None, DrillRegistry | None]]:
    """The notifiers a resumed drill pages through (None: its simulated people), and the
    registry its acks come to."""
    if notifiers is not None or started.simulated:
        yield notifiers, registry
    elif _used_sandbox(started, plan):
        from drill.sandbox.world import LocalWorld

        async with LocalWorld(plan, speed=started.speed or 1.0, seed=started.seed or 0) as world:
            yield world.notifiers(), world.registry
    else:
        from drill.ack.service import AckService

        config = load_config()
        service = AckService(config)
        await service.start()
        try:
            yield real_notifiers(config, plan, service.links), service.registry
        finally:
            await service.stop()


@dataclasses.dataclass(frozen=True)
class InterruptedDrill:
    """A drill that stopped without completing or being aborted: one `resume` can offer."""

    drill_id: str
    started: DrillStarted
    events: int
    last_recorded_at: dt.datetime
    """When its last event was stored (the machine's time)."""


def of_plan(plan_root: str | None, digest: str | None, plan: Plan) -> bool:
    """Whether a drill recorded with `plan_root` and `digest` belongs to `plan`: started
    from the same folder, or from a plan with exactly the same content."""
    if digest is not None and digest == plan_digest(plan):
        return True
    if not plan_root or plan.root is None:
        return False
    try:
        return Path(plan_root).resolve() == Path(plan.root).resolve()
    except OSError:
        return False


async def interrupted_drills(store: EventStore, plan: Plan) -> list[InterruptedDrill]:
    """The interrupted drills of `plan` in `store` (see `of_plan`), oldest first."""
    from drill.report import kept_history  # for `resume` alone

    found: list[InterruptedDrill] = []
    regional = regional_centres(plan)  # as its reports kept the figures of each drill
    for drill in await store.drills():
        payload = drill.first_payload or {}
        if drill.first_type != "DrillStarted" or not of_plan(
            payload.get("plan_root"), payload.get("plan_digest"), plan
        ):
            continue
        # Whether it ended is its fold's word: kept by its report (or by this list) for
        # the events it has now, else read and folded once (a plan drilled every year
        # has a nationwide drill of 88,000 events a year).
        kept = await kept_history.look_up(store, drill.drill_id, regional)
        past = kept.past
        if past is None:
            state = DrillState()
            past = kept.keep(state, await store.read_parts(drill.drill_id, state.take))
        if past is None or past.ended:
            continue
        found.append(
            InterruptedDrill(
                drill.drill_id, past.started, drill.event_count, drill.last_recorded_at
            )
        )
    return found


async def _report_folded(
    store: EventStore,
    drill_id: str,
    loaded: LoadedPlan,
    options: RunOptions,
    run: RunFold | None,
) -> tuple[list[Path], DrillState]:
    from drill.report.files import write_report_folded

    return await write_report_folded(
        store, drill_id, loaded.plan.root, lang=options.lang, plan=loaded.plan, run=run
    )


async def _report(
    store: EventStore, drill_id: str, loaded: LoadedPlan, options: RunOptions
) -> list[Path]:
    if not options.report:
        return []
    from drill.report.files import write_report

    return await write_report(
        store, drill_id, loaded.plan.root, lang=options.lang, plan=loaded.plan
    )
