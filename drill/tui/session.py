"""A run (drill or incident) as the console holds it: the engine inside the app's loop.

`LiveRun` owns one `DrillRunner` (built, new or resumed, by the engine's composition
root `drill.engine.assembly.assemble`, as the CLI's and the calendar's are), the task that
drives it, and the board's `Feed`. The console asks it to start, resume, acknowledge by hand, complete steps, write notes,
pause, abort, or be left to resume later; it tells the console when the run ends or
when something failed. In virtual time (tests) nothing runs by itself: `advance`
moves the drill forward. On the event store it also serves the other consoles: their
operator requests (`drill.store.follow.OperatorDesk`) and who is watching (`presence`).

`AttachedRun` is a drill another engine runs (another console, `drillkit run`, the
calendar, on this machine or another sharing the store): the board reads it the same
way, from the same fold, kept current by `drill.store.follow.DrillFollower`; the
operator's actions go to the owning engine as requests and are accepted only once that
engine has recorded them. A console never takes a drill over while its lease is held.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Literal, TypeAlias

from drill.engine.assembly import ClockRequest, DrillSpec, assemble, recorded_start
from drill.engine.clock import VirtualClock
from drill.engine.events import DrillMode, DrillStarted, Event, OperatorPaged, StepTiming
from drill.engine.notifier import AckOutcome, Notifier
from drill.engine.runner import DrillRunner
from drill.engine.sink import EventSink, HandlerSet
from drill.engine.state import DrillState, DrillStatus
from drill.errors import DrillError, EngineError
from drill.plan.models import Plan, Scenario
from drill.tui.board_model import BoardModel, Feed, RowKey

if TYPE_CHECKING:  # SQLAlchemy loads with the store, not with this module
    from drill.engine.sink import StoredEvent
    from drill.store import EventStore
    from drill.store.consoles import ConsoleIdentity
    from drill.store.follow import DrillFollower, OperatorDesk, Presence

__all__ = [
    "AttachedRun",
    "ClockKind",
    "LiveRun",
    "Run",
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
        sink: EventSink | None = None,
    ) -> None:
        """`sink`: the store the runner was given (its own may be wrapped by its lease)."""
        self.runner = runner
        self.plan: Plan = runner.plan
        self.scenario: Scenario = runner.scenario
        self.virtual = virtual
        self.feed = Feed(runner.state)
        self.model = BoardModel(runner.state, runner.plan, runner.scenario, runner.clock.now)
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
        self.console: ConsoleIdentity | None = None
        """This console, as the other consoles see it (set by the app before `begin`)."""
        self.presence: Presence | None = None
        """Who runs the drill (this console) and who else watches it; None off the store."""
        self._store: EventStore | None = _event_store(sink if sink is not None else runner.sink)
        self._serving: list[asyncio.Task[None]] = []
        self._desk: OperatorDesk | None = None
        runner.subscribe(self._event)

    attached = False
    """Driven by this console's own engine."""

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
        return cls(runner, virtual=_virtual(runner), on_end=on_end, on_error=on_error, sink=sink)

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
        run = cls(runner, virtual=_virtual(runner), on_end=on_end, on_error=on_error, sink=sink)
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
        self._serve_consoles()
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
            self._stop_serving()
            self._on_end(self)

    def _serve_consoles(self) -> None:
        """On the event store: apply the other consoles' requests, keep the presence."""
        store = self._store
        if store is None or self._desk is not None or self.over:
            return
        from drill.store.follow import DrillFollower, OperatorDesk

        loop = asyncio.get_running_loop()
        desk = OperatorDesk(store, self.runner)
        # The engine's own console is named as who runs the drill, not as a watcher.
        watcher = DrillFollower(store, self.drill_id)
        self._desk = desk
        self._serving = [
            loop.create_task(desk.serve(), name=f"drillkit-desk-{self.drill_id}"),
            loop.create_task(self._keep_presence(watcher), name="drillkit-presence"),
        ]

    async def _keep_presence(self, watcher: DrillFollower) -> None:
        from drill.store.follow import HEARTBEAT

        try:
            while True:
                try:
                    presence = await watcher.refresh_presence()
                except DrillError as exc:
                    log.warning("could not read who watches the drill: %s", exc)
                else:
                    if presence != self.presence:
                        self.presence = presence
                        self.feed.sections.add("status")  # the board's status line says it
                        for listener in list(self.listeners):
                            listener()
                await asyncio.sleep(HEARTBEAT)
        finally:
            await asyncio.shield(watcher.close())

    def _stop_serving(self) -> None:
        """Stop the presence now; the desk once the request in hand is answered (it
        refuses, saying why, what comes in after the drill ended)."""
        if self._desk is not None:
            self._desk.stop()  # its task stays referenced in `_serving` until done
        for task in self._serving[1:]:
            task.cancel()
        self._serving = self._serving[:1]

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

    async def acknowledge(
        self,
        key: RowKey,
        *,
        entered_by: str,
        when: dt.datetime,
        choice: str | None = None,
    ) -> AckOutcome:
        tree, level, member = key
        outcome = await self.runner.acknowledge_manually(
            member, entered_by=entered_by, reached_at=when, tree=tree, level=level, choice=choice
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

    async def hand_over(self, to: str, *, by: str, note: str | None = None) -> None:
        await self.runner.hand_over(to, by=by, note=note)

    async def toggle_pause(self, *, by: str) -> bool:
        """Pause or resume; True when now paused."""
        if self.runner.paused:
            await self.runner.unpause(by=by)
            return False
        await self.runner.pause(by=by)
        return True

    async def issue_update(self, text: str, *, kind: str, audience: str, by: str) -> int | None:
        """Send a status update (第N報); its number."""
        return await self.runner.issue_update(text, kind=kind or None, audience=audience, by=by)

    async def abort(self, *, by: str, reason: str) -> None:
        await self.runner.abort(by=by, reason=reason)
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=5)
        self._ended()

    async def page_now(
        self,
        asked: str,
        *,
        by: str,
        target: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> OperatorPaged:
        """Page now, outside the ladder (`DrillRunner.page_now`)."""
        return await self.runner.page_now(
            asked, by=by, target=target, name=name, phone=phone, email=email
        )

    async def mark_unavailable(
        self, person: str, *, reason: str, until: dt.datetime | None, by: str
    ) -> None:
        await self.runner.mark_unavailable(person, reason=reason, until=until, by=by)

    async def mark_available(self, person: str, *, by: str) -> None:
        await self.runner.mark_available(person, by=by)

    async def leave(self) -> None:
        """Stop driving without ending: the record stays open, to be resumed later."""
        self._left = True
        self._stop_serving()
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


class AttachedRun:
    """A drill another engine runs, followed from the store (see the module doc).

    It answers the board as `LiveRun` does; its state is the follower's fold of the
    stored events. Operator actions are requests to the owning engine (`ask`).
    """

    attached = True
    virtual = False

    def __init__(
        self,
        follower: DrillFollower,
        plan: Plan,
        scenario: Scenario,
        *,
        console: ConsoleIdentity,
        on_end: Callable[[AttachedRun], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.follower = follower
        self.plan = plan
        self.scenario = scenario
        self.console = console
        state = follower.state
        self.feed = Feed(state)
        self.model = BoardModel(state, plan, scenario, self._drill_now)
        self.events: list[Event] = []
        self.listeners: list[Callable[[], None]] = []
        self.begun = asyncio.Event()
        self.report_path: str | None = None
        self.report_error: str | None = None
        self._on_end = on_end
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None
        self._left = False
        self._told_end = False
        follower.listeners.append(self._new)

    @classmethod
    async def attach(
        cls,
        store: EventStore,
        drill_id: str,
        plan: Plan,
        *,
        console: ConsoleIdentity,
        on_end: Callable[[AttachedRun], None],
        on_error: Callable[[BaseException], None],
    ) -> AttachedRun:
        """Follow `drill_id` (its events so far are read first)."""
        from drill.store.follow import DrillFollower

        follower = DrillFollower(store, drill_id, console=console)
        stored = await follower.catch_up()
        started = follower.started
        if started is None:
            raise EngineError(f"no drill '{drill_id}' in the event store")
        if not plan.has("scenario", started.scenario_id):
            raise EngineError(f"the plan has no scenario '{started.scenario_id}' any more")
        run = cls(
            follower,
            plan,
            plan.scenario(started.scenario_id),
            console=console,
            on_end=on_end,
            on_error=on_error,
        )
        run.events = [item.event for item in stored if not item.duplicate]
        await follower.refresh_presence()
        return run

    # -- what the screens ask ----------------------------------------------------------

    @property
    def state(self) -> DrillState:
        return self.follower.state

    @property
    def drill_id(self) -> str:
        return self.follower.drill_id

    @property
    def presence(self) -> Presence:
        return self.follower.presence

    @property
    def incident(self) -> bool:
        return self.state.mode is DrillMode.INCIDENT

    @property
    def simulated(self) -> bool:
        started = self.state.started
        return bool(started and started.simulated)

    @property
    def status(self) -> str:
        """As the fold says; interrupted while nobody holds the drill's lease."""
        status = self.state.status
        if status in (DrillStatus.NOT_STARTED, DrillStatus.RUNNING, DrillStatus.PAUSED):
            if self.presence.owner is None:
                return "interrupted"
            return "running" if status is DrillStatus.NOT_STARTED else status.value
        return status.value

    @property
    def over(self) -> bool:
        return self.state.ended is not None

    @property
    def active(self) -> bool:
        """Still open and followed by this console."""
        return not self.over and not self._left

    def elapsed(self) -> float:
        return self.follower.elapsed()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def _drill_now(self) -> dt.datetime:
        """The drill's own time (its start plus drill seconds, virtual or scaled)."""
        started = self.follower.started
        if started is None:
            return self.now()
        return started.at + dt.timedelta(seconds=self.elapsed())

    def state_events(self, limit: int = 2000) -> list[Event]:
        return self.events[-limit:]

    # -- following -----------------------------------------------------------------------

    async def begin(self) -> None:
        """Follow the drill until it ends or the console leaves it."""
        self.begun.set()
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        try:
            await self.follower.follow(until_ended=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("following the drill stopped")
            self._on_error(exc)
            return
        self._ended()

    def _new(self, stored: Sequence[StoredEvent]) -> None:
        if not stored:  # the presence was read again
            self.feed.sections.add("status")
        for item in stored:
            if item.duplicate:
                continue
            self.events.append(item.event)
            self.feed.note(item.event)
        for listener in list(self.listeners):
            listener()

    def _ended(self) -> None:
        if self.over and not self._told_end:
            self._told_end = True
            self._on_end(self)

    async def leave(self) -> None:
        """Stop following (the drill goes on with its engine)."""
        self._left = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)
        await self.follower.close()

    # -- the operator's actions: requests to the owning engine ---------------------------

    async def _ask(self, kind: str, payload: dict[str, object], by: str) -> int | None:
        from drill.store.follow import ask

        answer = await ask(
            self.follower.store,
            self.drill_id,
            kind,
            payload,
            operator=by,
            console=self.console,
        )
        await self.follower.catch_up()  # the board shows it as soon as it is accepted
        self._ended()
        return answer.seq

    async def acknowledge(
        self,
        key: RowKey,
        *,
        entered_by: str,
        when: dt.datetime,
        choice: str | None = None,
    ) -> AckOutcome:
        tree, level, member = key
        payload = {"ref": member, "tree": tree, "level": level, "reached_at": when.isoformat()}
        if choice is not None:
            payload["choice"] = choice
        await self._ask("ack", dict(payload), entered_by)
        return AckOutcome.ACCEPTED

    async def complete_step(self, step: str, *, by: str) -> StepTiming:
        await self._ask("step", {"step": step}, by)
        found = self.state.steps.get(step)
        timing = found.timing if found is not None else None
        return timing if timing is not None else StepTiming.ON_TIME

    async def add_note(self, text: str, *, by: str) -> None:
        await self._ask("note", {"text": text}, by)

    async def toggle_pause(self, *, by: str) -> bool:
        """Ask to pause or resume; True when now paused."""
        if self.state.status is DrillStatus.PAUSED:
            await self._ask("unpause", {}, by)
            return False
        await self._ask("pause", {}, by)
        return True

    async def abort(self, *, by: str, reason: str) -> None:
        await self._ask("abort", {"reason": reason}, by)

    async def issue_update(self, text: str, *, kind: str, audience: str, by: str) -> int | None:
        """Ask the owning engine to send a status update (第N報); its number."""
        payload: dict[str, object] = {"text": text, "kind": kind or None, "audience": audience}
        seq = await self._ask("update", payload, by)
        return next((u.number for u in self.state.updates if u.seq == seq), None)

    async def page_now(
        self,
        asked: str,
        *,
        by: str,
        target: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> OperatorPaged:
        """Ask the engine running the drill to page now; the order it recorded."""
        payload = {"asked": asked, "target": target, "name": name, "phone": phone, "email": email}
        seq = await self._ask("page", {k: v for k, v in payload.items() if v}, by)
        found = next((o.order for o in self.state.orders.values() if o.seq == seq), None)
        if found is None:
            raise EngineError("the engine accepted the page, but its record is not here yet")
        return found

    async def mark_unavailable(
        self, person: str, *, reason: str, until: dt.datetime | None, by: str
    ) -> None:
        payload: dict[str, object] = {"person": person, "reason": reason}
        if until is not None:
            payload["until"] = until.isoformat()
        await self._ask("unavailable", payload, by)

    async def mark_available(self, person: str, *, by: str) -> None:
        await self._ask("available", {"person": person}, by)

    async def hand_over(self, to: str, *, by: str, note: str | None = None) -> None:
        await self._ask("handover", {"to": to, "note": note}, by)


Run: TypeAlias = LiveRun | AttachedRun
"""A run the board shows: driven here, or followed from the store."""


def _event_store(sink: EventSink) -> EventStore | None:
    """The event store behind `sink`, if it is one (a memory sink has no other consoles).

    Without importing the store (and SQLAlchemy) for a run kept in memory: if its module
    was never loaded, `sink` cannot be an event store."""
    module = sys.modules.get("drill.store.eventstore")
    store_class: type[EventStore] | None = getattr(module, "EventStore", None)
    return sink if store_class is not None and isinstance(sink, store_class) else None
