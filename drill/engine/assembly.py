"""One composition root: the one place a running drill (new or resumed) is built.

The CLI (`drill.session`: `drillkit run`, `resume`, `demo`), the console
(`drill.tui.session.LiveRun`) and the calendar (`drill.schedule.launch.RunnerLauncher`)
describe the drill they want in a small `DrillSpec` and call `assemble`, which applies
the rules they used to apply each in its own way and returns a `DrillRunner` ready to
run:

- **Clock** (`ClockRequest`): a simulated drill without a speed runs in virtual time,
  dated now unless a start is given; a speed other than 1 is a scaled clock; anything
  else is the real clock. A start date is for simulated drills only. The runner refuses
  any clock but the real one for channels that reach real people (`RealClockRequired`).
  A resumed drill goes on on the clock it recorded (`DrillStarted.clock` and `speed`);
  a clock asked for on resume must be of that kind, or the runner refuses it.
- **Simulated people**: a simulated drill without notifiers is paged through the
  engine's `SimulatedNotifier`, playing the drill's seed. A simulated drill always
  records a seed (a random one when none was asked for), so any run can be replayed;
  a resumed one plays the seed it recorded.
- **Simulated duty officer**: unless the caller says (the console: a person is at it),
  one completes the playbook's steps when nobody real is paged (simulated people, the
  local sandbox), since nobody sits at a console for such a drill; never otherwise.
- **Resume**: mode, seed, operator and scenario come from `DrillStarted`; the runner
  takes the drill's lease before it reads the events it recovers from.

`run_to_end` runs an assembled drill to its end while a `Registry` (the ack server's)
answers for it, then closes it. Everything that touches the world stays with the
callers: opening the event store, starting the ack server or the sandbox, the
configured providers, the login name, writing the report. This module is pure: it
lives in the core so that every edge may import it (the calendar may not import the
session), and it imports no I/O library.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import secrets
from collections.abc import Iterator, Sequence
from typing import Protocol

from drill.engine.clock import Clock, ClockKind, RealClock, ScaledClock, VirtualClock
from drill.engine.events import DrillMode, DrillStarted
from drill.engine.notifier import Inbox, Notifier, reaches_real_people
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier, SimulatedOperator
from drill.engine.sink import EventSink, HandlerSet
from drill.engine.state import DrillState
from drill.errors import EngineError
from drill.plan.models import Plan

__all__ = [
    "ClockRequest",
    "DrillSpec",
    "Registry",
    "assemble",
    "make_clock",
    "recorded_start",
    "run_to_end",
]


@dataclasses.dataclass(frozen=True, slots=True)
class ClockRequest:
    """Which clock a drill runs on (see the module doc for how it is chosen)."""

    kind: ClockKind | None = None
    """None: chosen from `speed` and whether the drill is simulated; else this kind (the
    console's and the tests' virtual time)."""
    speed: float | None = None
    """Clock seconds per real second: None or 1 for real time (a simulation without a
    speed runs in virtual time)."""
    start_at: dt.datetime | None = None
    """The (aware) wall time a simulated drill's clock starts at; now when None."""


@dataclasses.dataclass(frozen=True)
class DrillSpec:
    """What a drill to run is: a scenario of a plan (new) or a drill id (`resume`)."""

    plan: Plan
    sink: EventSink
    """Where every event is appended first (the event store; a `MemorySink` in tests)."""
    scenario: str | None = None
    """The scenario of a new drill."""
    resume: str | None = None
    """The id of an interrupted drill to continue from its stored events."""
    notifiers: Sequence[Notifier] | None = None
    """The channels; None for a simulated drill: simulated people playing its seed."""
    clock: ClockRequest | Clock = ClockRequest()
    """A request, or a clock made by the caller (tests that move a `VirtualClock`)."""
    mode: DrillMode | str = DrillMode.DRILL
    """A new drill's mode; "incident" is confirmed by the caller beforehand."""
    operator: str | None = None
    """Who runs it (a new drill's `DrillStarted.operator`; who resumed it)."""
    seed: int | None = None
    """A new drill's seed; a simulated one gets a random seed when None."""
    simulated: bool = True
    """A new drill pages simulated people (recorded as such)."""
    simulated_operator: bool | None = None
    """A simulated duty officer completes the steps; None: when nobody real is paged."""
    handlers: HandlerSet | None = None
    """Called after each event is stored (progress lines, the console, fault injection)."""
    responses: ResponseModel | None = None
    """How simulated people answer; realistic defaults playing the seed when None."""
    drill_id: str | None = None
    """A new drill's id (the calendar derives one per occurrence); a new one when None."""
    allow_plan_change: bool = False
    """Resume even though the plan changed since the drill started."""


class Registry(Protocol):
    """Where acknowledgements find a running drill (the ack server's `DrillRegistry`)."""

    def register(self, drill_id: str, inbox: Inbox) -> None: ...

    def unregister(self, drill_id: str) -> None: ...


def make_clock(request: ClockRequest, *, simulated: bool) -> Clock:
    """The clock `request` asks for a new drill (simulated or not)."""
    start = request.start_at
    speed = request.speed
    if request.kind is None and start is not None and not simulated:
        raise EngineError(
            "A start date is for simulated drills only: a drill through real channels "
            "happens now. Leave out --start-at, or add --simulate."
        )
    kind = request.kind
    if kind is None:
        if speed is None:
            kind = "virtual" if simulated else "real"
        elif speed == 1 and start is None:
            kind = "real"
        else:
            kind = "scaled"
    if kind == "virtual":
        return VirtualClock(start=start or RealClock().now().replace(microsecond=0))
    if kind == "scaled":
        return ScaledClock(speed or 1.0, start=start)
    return RealClock()


async def recorded_start(sink: EventSink, drill_id: str) -> DrillStarted:
    """How drill `drill_id` started (its clock, channels, seed, plan); EngineError when
    `sink` holds no such drill. For callers choosing a resumed drill's channels."""
    stored = await sink.read(drill_id)
    events = [item.event for item in stored if not item.duplicate]
    if not events or not isinstance(events[0], DrillStarted):
        raise EngineError(f"no drill '{drill_id}' in the event store; `drillkit drills` lists them")
    return events[0]


async def assemble(spec: DrillSpec) -> DrillRunner:
    """The runner of `spec`, ready to `run()` (or `start()` and `run_until()`).

    A new drill records nothing until it starts; a resumed one has taken the drill's lease
    and recovered from its events (`LeaseHeld` when another engine runs it).
    """
    if (spec.scenario is None) == (spec.resume is None):
        raise EngineError("a drill to run is either a scenario (new) or a drill id (resume)")
    if spec.resume is not None:
        return await _resumed(spec, spec.resume)
    assert spec.scenario is not None
    seed = spec.seed
    if spec.simulated and seed is None:
        seed = secrets.randbelow(2**31)
    clock = spec.clock
    if isinstance(clock, ClockRequest):
        clock = make_clock(clock, simulated=spec.simulated)
    notifiers = _notifiers(spec, spec.simulated, seed, clock)
    return DrillRunner(
        spec.plan,
        spec.scenario,
        sink=spec.sink,
        notifiers=notifiers,
        clock=clock,
        handlers=spec.handlers,
        mode=spec.mode,
        drill_id=spec.drill_id,
        seed=seed,
        operator=spec.operator,
        simulated=spec.simulated,
        simulated_operator=_duty_officer(spec, notifiers, seed),
        # The engine's own simulated people: nothing outside sees a page before it is
        # stored, so the events are committed in batches (a simulation is not disk-bound).
        commit_in_batches=spec.notifiers is None,
    )


async def _resumed(spec: DrillSpec, drill_id: str) -> DrillRunner:
    started = await recorded_start(spec.sink, drill_id)
    clock: Clock | None
    if isinstance(spec.clock, ClockRequest):
        asked = spec.clock
        # No kind asked for: the one the drill recorded (the runner rebuilds it).
        clock = None
        if asked.kind is not None:
            clock = make_clock(
                dataclasses.replace(asked, start_at=asked.start_at or started.at),
                simulated=started.simulated,
            )
    else:
        clock = spec.clock
    notifiers = _notifiers(spec, started.simulated, started.seed, clock)
    return await DrillRunner.resume(
        drill_id,
        spec.plan,
        sink=spec.sink,
        notifiers=notifiers,
        clock=clock,
        handlers=spec.handlers,
        simulated_operator=_duty_officer(spec, notifiers, started.seed),
        by=spec.operator,
        allow_plan_change=spec.allow_plan_change,
        commit_in_batches=spec.notifiers is None,
    )


def _notifiers(
    spec: DrillSpec, simulated: bool, seed: int | None, clock: Clock | None
) -> list[Notifier]:
    if spec.notifiers is not None:
        return list(spec.notifiers)
    if not simulated:
        raise EngineError(
            "Real channels need the channel configuration; use `drillkit demo` for the "
            "local sandbox, or --simulate."
        )
    model = spec.responses or ResponseModel(seed=seed or 0)
    return [SimulatedNotifier(model, clock=clock)]


def _duty_officer(
    spec: DrillSpec, notifiers: Sequence[Notifier], seed: int | None
) -> SimulatedOperator | None:
    wanted = spec.simulated_operator
    if wanted is None:
        wanted = not any(reaches_real_people(n) for n in notifiers)
    return SimulatedOperator(seed=seed) if wanted else None


@contextlib.contextmanager
def _answering(registry: Registry | None, runner: DrillRunner) -> Iterator[None]:
    if registry is None:
        yield
        return
    registry.register(runner.drill_id, runner)
    try:
        yield
    finally:
        registry.unregister(runner.drill_id)


async def run_to_end(runner: DrillRunner, registry: Registry | None = None) -> DrillState:
    """Run an assembled drill to its end while `registry` answers for it (webhooks and
    links reach it), then close it (lease released, channels stopped) whatever happens."""
    try:
        with _answering(registry, runner):
            return await runner.run()
    finally:
        await asyncio.shield(runner.close())
