"""How the calendar starts (or resumes) a drill: the one place it touches the runner.

`DrillLauncher` is what the service calls for a due drill. `RunnerLauncher` is the
default: it loads the plan and has the engine's composition root
(`drill.engine.assembly.assemble`, the one the CLI and the console use too) build the
drill, new or resumed after a stop, on the real clock, appending every event to the event
store and registering the drill with the acknowledgement server while it runs. A
composition with more wiring (the TUI's handlers) can replace it by passing its own
launcher to `ScheduleService`.

Simulated drills page the engine's simulated people (and a simulated duty officer
completes the steps). Real channels come from a `NotifierFactory` (`drillkit serve`
injects the configured providers); without one, a drill scheduled with real channels
fails with a clear message (recorded in the schedule ledger) instead of silently running
simulated.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from drill.ack.server import DrillRegistry
from drill.engine.assembly import ClockRequest, DrillSpec, assemble, run_to_end
from drill.engine.clock import Clock
from drill.engine.events import DrillAborted
from drill.engine.lease import when_holder_is_gone
from drill.engine.notifier import Notifier
from drill.engine.sink import EventSink
from drill.plan import Plan, load_plan
from drill.schedule.errors import ScheduleError
from drill.store.follow import operator_desk

log = logging.getLogger(__name__)

__all__ = [
    "DrillLauncher",
    "DrillOutcome",
    "DrillRequest",
    "NotifierFactory",
    "RunnerLauncher",
]

NotifierFactory = Callable[[Plan, bool], Sequence[Notifier]]
"""(plan, simulate) -> the real notifiers a drill (or a reminder) is sent through."""


@dataclasses.dataclass(frozen=True, slots=True)
class DrillRequest:
    """One scheduled occurrence to run."""

    schedule_id: str
    plan_dir: Path
    scenario_id: str
    drill_id: str
    """Derived from the schedule and the occurrence: the same after a restart."""
    simulate: bool
    scheduled_for: dt.datetime
    resume: bool = False
    """True to continue a drill interrupted by a stop, from its stored events."""


@dataclasses.dataclass(frozen=True, slots=True)
class DrillOutcome:
    """How a drill ended: "completed", "failed" (no page delivered) or "aborted", with a
    line for the ledger."""

    status: str
    detail: str | None = None


class DrillLauncher(Protocol):
    async def __call__(self, request: DrillRequest) -> DrillOutcome:
        """Run (or resume) the drill to its end. Cancelled when the service stops: the
        events stored so far must let `resume=True` continue it."""
        ...


def no_real_channels(plan: Plan, simulate: bool) -> Sequence[Notifier]:
    """The default factory: no real channels (simulated drills need none: their simulated
    people are the engine's)."""
    raise ScheduleError(
        "This drill was scheduled with real channels, but `drillkit serve` was started "
        "without them. Schedule it with --simulate, or run a composition that provides "
        "the real channels.",
        title="Real channels not available",
    )


class RunnerLauncher:
    """Runs a scheduled drill with the engine's `DrillRunner` (see the module doc)."""

    def __init__(
        self,
        sink: EventSink,
        *,
        registry: DrillRegistry | None = None,
        notifiers: NotifierFactory = no_real_channels,
        clock: Callable[[DrillRequest], Clock | ClockRequest] | None = None,
        operator: str = "drillkit serve",
        reports: bool = True,
    ) -> None:
        self.sink = sink
        self.registry = registry
        self.notifiers = notifiers
        self.clock = clock
        """Makes each drill's clock (a `VirtualClock` in tests); the real clock when None."""
        self.operator = operator
        self.reports = reports
        """Write the drill's report when it ends (needs the sink to be the event store)."""

    async def __call__(self, request: DrillRequest) -> DrillOutcome:
        plan = (await asyncio.to_thread(load_plan, request.plan_dir, lint=False)).plan
        spec = DrillSpec(
            plan,
            self.sink,
            scenario=None if request.resume else request.scenario_id,
            resume=request.drill_id if request.resume else None,
            # Simulated people are the engine's, playing the drill's (recorded) seed.
            notifiers=None if request.simulate else list(self.notifiers(plan, request.simulate)),
            clock=self.clock(request) if self.clock is not None else ClockRequest(kind="real"),
            operator=self.operator,
            simulated=request.simulate,
            drill_id=request.drill_id,
        )
        if request.resume:
            # After a crash of this service its own lease on the drill may still be live:
            # wait it out, unless someone else is running the drill (their heartbeat shows).
            runner = await when_holder_is_gone(lambda: assemble(spec))
        else:
            runner = await assemble(spec)
        async with operator_desk(self.sink, runner):  # actions from the consoles
            await run_to_end(runner, self.registry)
        await self._write_report(request)
        state = runner.state
        ended = state.ended
        if isinstance(ended, DrillAborted):
            return DrillOutcome("aborted", f"aborted by {ended.by}: {ended.reason}")
        if state.failed:
            reasons = sorted({page.reason or "provider_error" for page in state.provider_errors()})
            return DrillOutcome(
                "failed", f"no page could be delivered ({', '.join(reasons)}): drillkit doctor"
            )
        reason = getattr(ended, "reason", None)
        # DrillCompleted's reason is "completed" when nothing else ended it: say it once.
        if not reason or reason == "completed":
            return DrillOutcome("completed", "completed")
        return DrillOutcome("completed", f"completed ({reason})")

    async def _write_report(self, request: DrillRequest) -> None:
        from drill.store import EventStore

        if not self.reports or not isinstance(self.sink, EventStore):
            return
        from drill.report.files import write_report

        try:
            files = await write_report(self.sink, request.drill_id, request.plan_dir)
        except Exception:  # the drill is recorded; a report can be written again later
            log.exception("the report of %s could not be written", request.drill_id)
            return
        log.info("report of %s written to %s", request.drill_id, files[0].parent if files else "-")
