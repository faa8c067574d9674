"""Running a scenario end to end: plan + event store + channels + runner + report.

This is the composition root that `drillkit run`, `resume` and `demo` use: it loads the
plan, opens the event store, builds the notifiers (simulated people, or the real
channels), runs the engine, and writes the report when the drill ends. Nothing here
decides drill semantics; it only wires the parts together.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import getpass
import os
import secrets
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from drill.config import Config, config_path
from drill.engine import (
    DrillRunner,
    DrillState,
    Event,
    Handler,
    HandlerSet,
    Notifier,
    RealClock,
    ResponseModel,
    ScaledClock,
    SimulatedNotifier,
    SimulatedOperator,
    VirtualClock,
)
from drill.engine.clock import Clock
from drill.engine.events import DrillStarted
from drill.errors import ConfigError, EngineError
from drill.plan import LoadedPlan, Plan, PlanError, load_plan
from drill.store import EventStore

if TYPE_CHECKING:  # the real channels load only for a run that uses them
    from drill.ack.server import DrillRegistry
    from drill.channels.links import Links

__all__ = [
    "RunOptions",
    "RunResult",
    "locate_scenario",
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


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What a run left behind."""

    drill_id: str
    state: DrillState
    report_files: tuple[Path, ...]
    store: str


def locate_scenario(target: str | Path, plan_dir: Path | None = None) -> tuple[LoadedPlan, str]:
    """`scenarios/<id>.yaml` (its plan is the folder above) or a bare scenario id."""
    path = Path(target)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise PlanError.simple(f"no scenario file {path}", "check the path")
        root = plan_dir or path.resolve().parent.parent
        loaded = load_plan(root)
        for scenario in loaded.plan.scenarios:
            place = loaded.locator.places.get(("scenario", scenario.id))
            if place is not None and place.file == path.resolve():
                return loaded, scenario.id
        return loaded, path.stem
    from drill.plan import sample_plan_dir

    loaded = load_plan(plan_dir or sample_plan_dir())
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


def _operator_for(options: RunOptions) -> SimulatedOperator | None:
    wanted = options.simulate if options.simulated_operator is None else options.simulated_operator
    return SimulatedOperator(seed=options.seed) if wanted else None


def _registered(
    registry: DrillRegistry | None, runner: DrillRunner
) -> contextlib.AbstractContextManager[object]:
    if registry is None:
        return contextlib.nullcontext()
    return registry.registered(runner.drill_id, runner)


def _clock(options: RunOptions) -> Clock:
    if options.speed is None:
        return VirtualClock() if options.simulate else RealClock()
    return ScaledClock(options.speed) if options.speed != 1 else RealClock()


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


def _notifiers(options: RunOptions, notifiers: Sequence[Notifier] | None) -> list[Notifier]:
    if notifiers is not None:
        return list(notifiers)
    if not options.simulate:
        raise EngineError(
            "Real channels need the channel configuration; use `drillkit demo` for the "
            "local sandbox, or --simulate."
        )
    model = options.responses or ResponseModel(seed=options.seed or 0)
    return [SimulatedNotifier(model)]


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
    if options.simulate and options.seed is None:
        # Record a seed even when none was asked for, so any run can be replayed exactly.
        options = dataclasses.replace(options, seed=secrets.randbelow(2**31))
    own_store = store is None
    active = store if store is not None else await EventStore.open(options.db)
    try:
        runner = DrillRunner(
            loaded.plan,
            scenario_id,
            sink=active,
            notifiers=_notifiers(options, notifiers),
            clock=_clock(options),
            handlers=_merge(handlers),
            mode=options.mode,
            seed=options.seed,
            operator=_operator(options.operator),
            simulated=options.simulate,
            drill_id=options.drill_id,
            simulated_operator=_operator_for(options),
        )
        try:
            with _registered(registry, runner):
                state = await runner.run()
        finally:
            await asyncio.shield(runner.close())
        files = await _report(active, runner.drill_id, loaded, options)
        return RunResult(runner.drill_id, state, tuple(files), active.where)
    finally:
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
    """Continue an interrupted drill from its stored events, to its end."""
    async with EventStore.open(options.db) as store:
        stored = await store.read(drill_id)
        if not stored or not isinstance(stored[0].event, DrillStarted):
            raise EngineError(
                f"no drill '{drill_id}' in {store.where}; `drillkit drills` lists them"
            )
        started = stored[0].event
        root = plan_dir or (Path(started.plan_root) if started.plan_root else None)
        if root is None:
            raise EngineError(f"drill '{drill_id}' does not say where its plan is; pass --plan")
        loaded = load_plan(root, lint=False)
        simulate = started.simulated
        effective = dataclasses.replace(
            options, simulate=simulate, seed=started.seed, mode=started.mode.value
        )
        if started.clock == "virtual" and effective.speed is None:
            clock: Clock = VirtualClock()
        else:
            clock = _clock(dataclasses.replace(effective, speed=effective.speed or 1))
        runner = await DrillRunner.resume(
            drill_id,
            loaded.plan,
            sink=store,
            notifiers=_notifiers(effective, notifiers),
            clock=clock,
            handlers=_merge(handlers),
            simulated_operator=SimulatedOperator(seed=started.seed) if simulate else None,
            by=_operator(options.operator),
            allow_plan_change=allow_plan_change,
        )
        try:
            with _registered(registry, runner):
                state = await runner.run()
        finally:
            await asyncio.shield(runner.close())
        files = await _report(store, drill_id, loaded, effective)
        return RunResult(drill_id, state, tuple(files), store.where)


async def _report(
    store: EventStore, drill_id: str, loaded: LoadedPlan, options: RunOptions
) -> list[Path]:
    if not options.report:
        return []
    from drill.report.files import write_report

    return await write_report(store, drill_id, loaded.plan.root, lang=options.lang)
