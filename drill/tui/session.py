"""A run (drill or incident) as the console holds it: the engine inside the app's loop.

`LiveRun` owns one `DrillRunner` (built, new or resumed, by the engine's composition
root `drill.engine.assembly.assemble`, as the CLI's and the calendar's are), the task that
drives it, and the board's `Feed`. The console asks it to start, resume, acknowledge by hand, complete steps, write notes,
pause, abort, or be left to resume later; it tells the console when the run ends or
when something failed. In virtual time (tests) nothing runs by itself: `advance`
moves the drill forward.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from drill.engine.assembly import ClockRequest, DrillSpec, assemble, recorded_start
from drill.engine.clock import VirtualClock
from drill.engine.events import DrillMode, DrillStarted, Event, StepTiming
from drill.engine.notifier import AckOutcome, Notifier
from drill.engine.runner import DrillRunner
from drill.engine.sink import EventSink, HandlerSet
from drill.engine.state import DrillState, DrillStatus
from drill.errors import EngineError
from drill.plan.models import Plan, Scenario
from drill.tui.board_model import BoardModel, Feed, RowKey

__all__ = [
    "ClockKind",
    "LiveRun",
    "RunRequest",
]

log = logging.getLogger(__name__)

ClockKind = Literal["real", "scaled", "virtual"]


@dataclasses.dataclass(frozen=True)
class RunRequest:
    """What the user chose on the scenarios screen."""

    scenario: str
    mode: DrillMode
    simulated: bool
    speed: float = 1.0
    seed: int = 0
    drill_id: str | None = None
    operator: str = ""


class LiveRun:
    """One drill or incident, driven inside the console's event loop."""

    def __init__(
        self,
        runner: DrillRunner,
        *,
        virtual: bool,
        on_end: Callable[[LiveRun], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.runner = runner
        self.plan: Plan = runner.plan
        self.scenario: Scenario = runner.scenario
        self.virtual = virtual
        self.feed = Feed(runner.state)
        self.model = BoardModel(runner.state, runner.plan, runner.scenario)
        self.events: list[Event] = []
        """Every event of this run seen by the console, for the log when a board is rebuilt."""
        self.listeners: list[Callable[[], None]] = []
        """Called (without arguments) after each event; the board coalesces."""
        self._on_end = on_end
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None
        self._left = False
        self.begun = asyncio.Event()
        """Set once the start is recorded and the first pages are out."""
        self.report_path: str | None = None
        self.report_error: str | None = None
        runner.subscribe(self._event)

    # -- construction ----------------------------------------------------------------

    @classmethod
    async def create(
        cls,
        plan: Plan,
        request: RunRequest,
        *,
        sink: EventSink,
        notifiers: Sequence[Notifier] | None,
        clock: ClockRequest,
        on_end: Callable[[LiveRun], None],
        on_error: Callable[[BaseException], None],
    ) -> LiveRun:
        """A new run of `request` (not started: `begin()`); `notifiers` None for a
        simulated run (the engine's simulated people)."""
        runner = await assemble(
            DrillSpec(
                plan,
                sink,
                scenario=request.scenario,
                notifiers=notifiers,
                clock=clock,
                mode=request.mode,
                operator=request.operator or None,
                seed=request.seed if request.simulated else None,
                simulated=request.simulated,
                # A person at the console completes the steps.
                simulated_operator=False,
                handlers=_handlers(on_error),
                drill_id=request.drill_id,
            )
        )
        return cls(runner, virtual=_virtual(runner), on_end=on_end, on_error=on_error)

    @classmethod
    async def resume(
        cls,
        drill_id: str,
        plan: Plan,
        *,
        sink: EventSink,
        notifiers: Callable[[DrillStarted], Awaitable[Sequence[Notifier] | None]],
        clock: ClockRequest,
        operator: str,
        on_end: Callable[[LiveRun], None],
        on_error: Callable[[BaseException], None],
    ) -> LiveRun:
        """Continue an interrupted run through `notifiers(started)` (None: its simulated
        people), on the clock it recorded (`clock` names a kind only in tests)."""
        started = await recorded_start(sink, drill_id)
        runner = await assemble(
            DrillSpec(
                plan,
                sink,
                resume=drill_id,
                notifiers=await notifiers(started),
                clock=clock,
                operator=operator or None,
                simulated_operator=False,
                handlers=_handlers(on_error),
            )
        )
        run = cls(runner, virtual=_virtual(runner), on_end=on_end, on_error=on_error)
        run.events = [item.event for item in await sink.read(drill_id) if not item.duplicate]
        return run

    # -- what the screens ask ----------------------------------------------------------

    @property
    def state(self) -> DrillState:
        return self.runner.state

    @property
    def drill_id(self) -> str:
        return self.runner.drill_id

    @property
    def incident(self) -> bool:
        return self.runner.mode is DrillMode.INCIDENT

    @property
    def simulated(self) -> bool:
        return self.runner.simulated

    @property
    def status(self) -> str:
        """running, paused, completed, aborted or interrupted."""
        status = self.state.status
        if status is DrillStatus.NOT_STARTED:
            return "running"
        if self._left and status in (DrillStatus.RUNNING, DrillStatus.PAUSED):
            return "interrupted"
        return status.value

    @property
    def over(self) -> bool:
        return self.runner.over

    @property
    def active(self) -> bool:
        """Still open and driven by this console."""
        return not self.over and not self._left

    def elapsed(self) -> float:
        if self.over:
            ended = self.state.ended
            return ended.elapsed if ended is not None else self.state.elapsed
        if not self.runner.started:
            return 0.0
        return max(0.0, self.runner.elapsed())

    def now(self) -> dt.datetime:
        return self.runner.clock.now()

    # -- running -----------------------------------------------------------------------

    def state_events(self, limit: int = 2000) -> list[Event]:
        return self.events[-limit:]

    def _event(self, drill_id: str, event: Event) -> None:
        self.events.append(event)
        self.feed.note(event)
        for listener in list(self.listeners):
            listener()

    async def begin(self) -> None:
        """Record the start and send the first pages; then keep driving (unless virtual)."""
        try:
            await self.runner.start()
        finally:
            self.begun.set()
        if not self.virtual:
            self._task = asyncio.get_running_loop().create_task(self._drive())
        elif self.over:
            self._ended()

    async def _drive(self) -> None:
        try:
            await self.runner.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the drill engine stopped")
            self._on_error(exc)
            return
        self._ended()

    def _ended(self) -> None:
        if self.over:
            self._on_end(self)

    async def advance(self, minutes: float) -> None:
        """Virtual time only: run the drill up to `minutes` after its start."""
        if not self.virtual:
            raise EngineError("only a virtual-time run is advanced by hand")
        await self.begun.wait()
        await self.runner.run_until(minutes)
        self._ended()

    async def run_to_end(self) -> None:
        """Virtual time only: run until the drill completes."""
        if not self.virtual:
            raise EngineError("only a virtual-time run is advanced by hand")
        await self.begun.wait()
        await self.runner.run()
        self._ended()

    async def acknowledge(self, key: RowKey, *, entered_by: str, when: dt.datetime) -> AckOutcome:
        tree, level, member = key
        outcome = await self.runner.acknowledge_manually(
            member, entered_by=entered_by, reached_at=when, tree=tree, level=level
        )
        if self.over:
            self._ended()
        return outcome

    async def complete_step(self, step: str, *, by: str) -> StepTiming:
        timing = await self.runner.complete_step(step, by=by)
        if self.over:
            self._ended()
        return timing

    async def add_note(self, text: str, *, by: str) -> None:
        await self.runner.add_note(text, by=by)

    async def toggle_pause(self, *, by: str) -> bool:
        """Pause or resume; True when now paused."""
        if self.runner.paused:
            await self.runner.unpause(by=by)
            return False
        await self.runner.pause(by=by)
        return True

    async def abort(self, *, by: str, reason: str) -> None:
        await self.runner.abort(by=by, reason=reason)
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=5)
        self._ended()

    async def leave(self) -> None:
        """Stop driving without ending: the record stays open, to be resumed later."""
        self._left = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)
        await self.runner.close()


def _handlers(on_error: Callable[[BaseException], None]) -> HandlerSet:
    """A failing handler (the board) is shown as an error; the drill goes on."""

    def handler_failed(handler: object, exc: BaseException) -> None:
        on_error(exc)

    return HandlerSet(on_error=handler_failed)


def _virtual(runner: DrillRunner) -> bool:
    return isinstance(runner.clock, VirtualClock)
