"""The drill runner: turns a scenario into pages, timers and events, and takes answers back.

One `DrillRunner` runs one drill (訓練) or incident. It is a single discrete-event loop:
a heap of timers (acknowledgement timeouts, injects, step targets, and the answers of
simulated people) and a queue of inputs (acknowledgements, delivery reports, operator
actions). Inputs are handled first; a timer fires when it is due; with a `VirtualClock`
time jumps to the next timer only when the loop is idle, so awaiting the event store,
even real I/O in a thread, never lets virtual time move. Timers at the same instant run
in an order derived from what they are (never from when they were armed), which is what
lets a resumed drill continue exactly as an uninterrupted one would.

Semantics (from the plan):

- Trees run in the scenario's order, each starting when the one before it has finished;
  with `activation: parallel` they all start at T+0 (tree by tree, in that order) and
  run side by side. Within a tree, levels run in order, a level starting when the one
  before it finished: satisfied (its quorum acknowledged), or exhausted (everyone tried;
  `LevelCompleted` says why) — the drill goes on either way.
- Members of a level are paged in parallel or one after another; `required` is all,
  any, or a number. When the quorum is met, the remaining paging of that level stops
  (`PagingCancelled`).
- Each member is paged holder first, then deputies (`Plan.candidates`); each person
  through the level's channel ladder (see `drill.engine.escalation`), waiting
  `ack_timeout_minutes` after each accepted page. A failed send, or busy, no answer, a
  bounce, moves to the next page at once. A person with no rung left → `Escalated` to
  the next candidate; nobody left → `MemberUnreached`.
- An acknowledgement of any page of a member, from any source, even after escalation,
  acknowledges that member and stops exactly its paging. A second acknowledgement is
  recorded (`first=False`) and answered `ALREADY_ACKNOWLEDGED`; one whose idempotency key
  the store has seen is not applied (`DUPLICATE`).
- Every event is appended to the sink and awaited before it is applied and before any
  handler sees it; `acknowledge` returns only once its event is durable. Inputs that
  queue up while the loop is busy (a burst of acknowledgements, delivery reports) are
  taken together: their first events are built in arrival order and stored by one
  `append_many`, one commit, before any of them is applied; what follows from them
  comes after all of them (see `_run_batch`).
- Engine timers (acknowledgement timeouts, injects, step targets) run on *active* time:
  the drill's elapsed time minus the time spent paused. People do not pause: their
  answers are recorded during a pause, and paging reacts to them on resume.

**When a drill completes** (by itself): every tree has finished, every inject has fired,
and every playbook step is completed or past its target time (`StepDue` recorded). A
step without a target keeps the drill open until it is completed, or until the operator
calls `finish()`; in virtual time, `run()` finishes a drill that has nothing left to
wait for (`DrillCompleted.reason == "idle"`, outstanding steps listed).

**Resume** (`DrillRunner.resume`): state is rebuilt from the stored events alone, by the
same code that applies them live; timers are re-armed from when they were due (one that
came due while the process was down fires once, marked `overdue`); an attempt with a
`PageQueued` event is never sent again (without a recorded outcome it is assumed sent and
waits for its timeout, unless its notifier can `recover` what happened); every
acknowledgement is kept.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import difflib
import hashlib
import heapq
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import Enum
from typing import Any, TypeVar

from drill.engine.clock import (
    Clock,
    RealClock,
    RealClockRequired,
    ScaledClock,
    VirtualClock,
    clock_kind,
    resumed_clock,
)
from drill.engine.escalation import BAD_POINT_REASONS, Rung, next_rung
from drill.engine.events import (
    Acknowledged,
    AckSource,
    AttemptTimedOut,
    CancelReason,
    DeliveryFailed,
    DeliveryUpdated,
    DrillAborted,
    DrillCompleted,
    DrillInterrupted,
    DrillMode,
    DrillPaused,
    DrillRecovered,
    DrillResumed,
    DrillStarted,
    Escalated,
    EscalationReason,
    Event,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    NoteAdded,
    PageQueued,
    PageSent,
    PagingCancelled,
    StepCompleted,
    StepDue,
    StepTiming,
    TreeCompleted,
    TreeStarted,
)
from drill.engine.lease import DrillLeases, LeaseKeeper, hold_lease, leases_of
from drill.engine.messages import MessageRenderer
from drill.engine.notifier import (
    AckOutcome,
    DeliveryStatus,
    FailureReason,
    Notifier,
    Page,
    RecoverableNotifier,
    SendResult,
    reaches_real_people,
)
from drill.engine.simulation import SimulatedNotifier, SimulatedOperator
from drill.engine.sink import EventSink, Handler, HandlerSet, StoredEvent, append_all
from drill.engine.state import DrillState
from drill.errors import EngineError
from drill.plan.models import ChannelKind, ContactTree, Level, Member, Person, Plan, Scenario, Step

__all__ = ["DrillRunner", "new_drill_id", "plan_digest"]

log = logging.getLogger(__name__)

_EPS = 1e-6  # seconds; absorbs float rounding between elapsed and active time
_BATCH = 256
"""Most inputs whose first events are stored by one `append_many` (one commit)."""
_T = TypeVar("_T")


def new_drill_id(now: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """A fresh drill id: local start time and a random suffix (20260131-1000-7f3a)."""
    local = now.astimezone(zone) if zone is not None else now
    return f"{local:%Y%m%d-%H%M}-{secrets.token_hex(2)}"


def plan_digest(plan: Plan) -> str:
    """SHA-256 of the plan's content (not where it lives), to notice a changed plan."""
    return hashlib.sha256(plan.model_dump_json(exclude={"root"}).encode()).hexdigest()


class _Status(Enum):
    WAITING = 0
    PAGING = 1
    ACKED = 2
    UNREACHED = 3
    CANCELLED = 4
    RUNNING = 5  # levels and trees
    DONE = 6  # levels and trees


class _Outcome(Enum):
    FAILED = 1
    TIMED_OUT = 2


# Timer ranks: at one instant, injects first, then step targets, the operator, people's
# answers, and acknowledgement timeouts last (an answer exactly at the deadline counts).
_INJECT, _STEP_DUE, _OPERATOR, _CALLBACK, _TIMEOUT = range(5)


class _Page:
    __slots__ = (
        "address",
        "attempt",
        "candidate",
        "channel",
        "deadline_at",
        "kind_index",
        "member",
        "n",
        "outcome",
        "page_id",
        "person",
        "queued_active",
        "queued_elapsed",
        "sent",
        "timeout",
    )

    def __init__(self, n: int, e: PageQueued, member: _Member, person: Person, active: float):
        self.n = n
        self.page_id = e.page_id
        self.member = member
        self.person = person
        self.candidate = e.candidate_index
        self.channel = e.channel
        self.address = e.address
        self.attempt = e.attempt
        self.kind_index = member.level.level.channels.index(e.channel)
        self.timeout = e.timeout_seconds
        self.queued_active = active
        self.queued_elapsed = e.elapsed
        self.deadline_at = e.at + dt.timedelta(seconds=e.timeout_seconds)
        self.sent: bool | None = None
        self.outcome: _Outcome | None = None


class _Member:
    __slots__ = (
        "cand",
        "candidates",
        "current",
        "cursor",
        "level",
        "member",
        "ref",
        "role_id",
        "site",
        "status",
    )

    def __init__(self, level: _Level, member: Member, plan: Plan) -> None:
        self.level = level
        self.member = member
        self.ref = member.ref
        self.role_id = member.ref if plan.is_role(member.ref) else None
        self.site = plan.site_of(member)
        self.candidates = plan.candidates(member.ref)
        self.status = _Status.WAITING
        self.cand = 0
        self.cursor: tuple[int, int] | None = None
        self.current: _Page | None = None

    def set(self, status: _Status) -> None:
        count = self.level.count
        count[self.status] -= 1
        count[status] += 1
        self.status = status

    @property
    def needs_page(self) -> bool:
        """Being paged, and the last page is over (failed, timed out) or there is none."""
        if self.status is not _Status.PAGING:
            return False
        return self.current is None or self.current.outcome is not None


class _Level:
    __slots__ = ("count", "index", "level", "members", "required", "status", "tree")

    def __init__(self, tree: _Tree, index: int, level: Level, plan: Plan) -> None:
        self.tree = tree
        self.index = index
        self.level = level
        self.members = [_Member(self, member, plan) for member in level.members]
        refs = [m.ref for m in self.members]
        if len(set(refs)) != len(refs):
            raise EngineError(
                f"level '{level.id}' of tree '{tree.tree.id}' names a member twice; "
                "list each role or person once"
            )
        count = len(self.members)
        if level.required == "all":
            self.required = count
        elif level.required == "any":
            self.required = 1
        else:
            self.required = min(int(level.required), count)
        self.status = _Status.WAITING
        self.count = dict.fromkeys(_Status, 0)
        """Members by status, kept by `_Member.set` so that no check walks the level."""
        self.count[_Status.WAITING] = count

    @property
    def finished_members(self) -> int:
        return self.count[_Status.ACKED] + self.count[_Status.UNREACHED]


class _Tree:
    __slots__ = ("index", "levels", "status", "tree")

    def __init__(self, index: int, tree: ContactTree, plan: Plan) -> None:
        self.index = index
        self.tree = tree
        self.status = _Status.WAITING
        self.levels = [_Level(self, i, level, plan) for i, level in enumerate(tree.levels)]


@dataclasses.dataclass(slots=True)
class _Entry:
    """What an input records first, built from the state as it is, nothing applied yet.

    Once `event` is stored, `then(applied)` does what follows from it (applied is False
    when the store found its key already recorded) and gives the caller's answer (None
    without `then`). With no event (an unknown page, a drill that has ended) `answer` is
    the answer and nothing is recorded.
    """

    event: Event | None
    key: str | None = None
    then: Callable[[bool], Awaitable[Any]] | None = None
    answer: Any = None
    reads: _Member | None = None
    """The member whose state `event` was built from (whether it is acknowledged)."""
    writes: _Member | None = None
    """The member whose state applying `event` changes (a first acknowledgement)."""
    applied: bool = False
    """Stored and not a duplicate: applied (set by `DrillRunner._run_batch`)."""

    async def follow(self, applied: bool) -> Any:
        """What follows once `event` is stored; the caller's answer."""
        if self.event is None:
            return self.answer
        return await self.then(applied) if self.then is not None else None


@dataclasses.dataclass(slots=True)
class _Work:
    run: Callable[[], Awaitable[Any]]
    done: asyncio.Future[Any]
    prepare: Callable[[], _Entry] | None = None
    """For inputs that may share a commit with others (see `DrillRunner._run_batch`)."""


def _fail(done: asyncio.Future[Any], exc: BaseException) -> None:
    """Give an input's caller `exc` (or cancel it), unless it has its answer already."""
    if done.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        done.cancel()
    else:
        done.set_exception(exc)


class DrillRunner:
    """Runs one scenario of a plan as a drill or incident; also the channels' `Inbox`.

    Create it, then `await run()` (or `run_until(minutes)` in steps, acting as the operator
    in between). Inputs may come from any task: webhooks, pollers, the TUI.
    """

    def __init__(
        self,
        plan: Plan,
        scenario: str | Scenario,
        *,
        sink: EventSink,
        notifiers: Iterable[Notifier],
        clock: Clock | None = None,
        handlers: HandlerSet | None = None,
        mode: DrillMode | str = DrillMode.DRILL,
        drill_id: str | None = None,
        seed: int | None = None,
        operator: str | None = None,
        simulated: bool | None = None,
        simulated_operator: SimulatedOperator | None = None,
        leases: DrillLeases | None = None,
    ) -> None:
        """`leases`: where the drill's lease is held while this runner drives it (one
        engine per drill; see `drill.engine.lease`); by default the sink's own, if it
        keeps leases (the event store does), else none."""
        self.plan = plan
        self.scenario = plan.scenario(scenario) if isinstance(scenario, str) else scenario
        self.sink = sink
        self.clock: Clock = clock or RealClock()
        self.handlers = handlers or HandlerSet()
        self.mode = DrillMode(mode)
        self.drill_id = drill_id or new_drill_id(self.clock.now(), plan.info.zone)
        self.operator = operator
        self.simulated_operator = simulated_operator
        self.state = DrillState()
        """The live projection of this drill's events (what a screen shows)."""

        self._notifiers: dict[ChannelKind, Notifier] = {}
        notifier_list = list(notifiers)
        for notifier in notifier_list:
            for kind in notifier.kinds:
                self._notifiers.setdefault(kind, notifier)
        sims = [n for n in notifier_list if isinstance(n, SimulatedNotifier)]
        self.simulated = (
            simulated if simulated is not None else bool(sims) and len(sims) == len(notifier_list)
        )
        self.seed = seed if seed is not None else (sims[0].seed if sims else None)

        self._trees = [_Tree(i, self.plan.tree(t), plan) for i, t in enumerate(self.scenario.trees)]
        self._parallel_trees = self.scenario.activation == "parallel"
        """All trees start at T+0; else each when the one before it has finished. What
        `DrillStarted` recorded wins on resume."""
        self._members: dict[tuple[str, str, str], _Member] = {
            (tree.tree.id, level.level.id, member.ref): member
            for tree in self._trees
            for level in tree.levels
            for member in level.members
        }
        self._playbook = (
            plan.playbook(self.scenario.playbook) if self.scenario.playbook is not None else None
        )
        self._steps: list[Step] = list(self._playbook.steps) if self._playbook else []
        self._step_index = {step.id: i for i, step in enumerate(self._steps)}
        self._completed_steps: set[str] = set()
        self._due_steps: set[str] = set()
        self._fired_injects: set[int] = set()

        self._pages: dict[str, _Page] = {}
        self._page_count = 0
        self._bad_points: set[tuple[ChannelKind, str]] = set()
        self._seen_keys: set[str] = set()
        self._renderer: MessageRenderer | None = None

        self._started: DrillStarted | None = None
        self._over = False
        self._origin = 0.0  # clock.monotonic() at elapsed 0
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self._recovered_active: float | None = None  # timers due before this are overdue
        self._at_floor: dt.datetime | None = None  # after a resume: the last recorded `at`

        # Engine timers run on active time (frozen while paused); what people do runs on
        # elapsed time, so simulated answers keep coming in during a pause, as real ones do.
        self._timers: list[tuple[float, int, int, str, Any]] = []
        self._people: list[tuple[float, int, int, str, Any]] = []
        self._appliers: dict[type[Event], Callable[[Any], None]] = {
            DrillStarted: self._apply_started,
            PageQueued: self._on_page_queued,
            PageSent: self._on_page_sent,
            DeliveryFailed: self._on_delivery_failed,
            AttemptTimedOut: self._on_timed_out,
            Acknowledged: self._on_acknowledged,
            Escalated: self._on_escalated,
            MemberUnreached: self._on_unreached,
            PagingCancelled: self._on_cancelled,
            LevelStarted: lambda e: self._set_status(self._level(e.tree, e.level), _Status.RUNNING),
            LevelCompleted: lambda e: self._set_status(self._level(e.tree, e.level), _Status.DONE),
            TreeStarted: lambda e: self._set_status(self._tree(e.tree), _Status.RUNNING),
            TreeCompleted: lambda e: self._set_status(self._tree(e.tree), _Status.DONE),
            InjectFired: lambda e: self._fired_injects.add(e.index),
            StepDue: lambda e: self._due_steps.add(e.step),
            StepCompleted: lambda e: self._completed_steps.add(e.step),
            DrillPaused: self._on_paused,
            DrillResumed: self._on_resumed,
            DrillCompleted: self._on_ended,
            DrillAborted: self._on_ended,
        }
        self._queue: collections.deque[_Work] = collections.deque()
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None  # the task holding the lock
        self._driver: asyncio.Task[Any] | None = None
        self._notifiers_started = False
        self._closed = False
        self._leases = leases if leases is not None else leases_of(sink)
        self._lease: LeaseKeeper | None = None

    # == public: running ===============================================================

    @property
    def started(self) -> bool:
        return self._started is not None

    @property
    def over(self) -> bool:
        """Completed or aborted."""
        return self._over

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def elapsed(self) -> float:
        """Seconds since the drill started, on the drill's clock (paused time included)."""
        return self.clock.monotonic() - self._origin

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Call `handler(drill_id, event)` after each event is stored; returns unsubscribe."""
        return self.handlers.subscribe(handler)

    async def start(self) -> None:
        """Record `DrillStarted` and send the first pages (run() calls it if needed)."""
        if self._started is not None:
            return
        self._check_notifiers()
        # Nothing is recorded for the drill before this engine holds its lease.
        await self._hold_lease(self.operator)
        try:
            await self._start_notifiers()

            async def begin() -> None:
                self._origin = self.clock.monotonic()
                await self._emit(self._drill_started())
                await self._settle_all()

            await self._locked(begin)
        except BaseException:
            await self._let_go()
            raise

    async def run(self, *, finish_when_idle: bool = True) -> DrillState:
        """Run until the drill completes or is aborted; returns the final state.

        In virtual time, when nothing can happen any more (no timer left, not paused) and
        the drill is still open, it is finished as "idle" (or, with
        `finish_when_idle=False`, run() just returns).
        """
        await self.start()
        await self._drive(None, finish_when_idle)
        if self._over:
            await self.close()
        return self.state

    async def run_until(self, minutes: float) -> DrillState:
        """Run until `minutes` after the start (drill time, pauses included), then return.

        In virtual time the clock is left exactly at that moment, so a test can act as
        the operator (acknowledge, complete a step, pause) and then continue.
        """
        await self.start()
        await self._drive(minutes * 60.0, False)
        if self._over:
            await self.close()
        return self.state

    async def close(self) -> None:
        """Close the notifiers (once), then release the drill's lease; pending callbacks
        are dropped."""
        if self._closed:
            return
        self._closed = True
        for notifier in self._unique_notifiers():
            try:
                await notifier.close()
            except Exception:
                log.exception("closing notifier %r failed", notifier)
        await self._let_go()

    async def _hold_lease(self, operator: str | None) -> None:
        """Take the drill's lease (`LeaseHeld` if another engine has it); from then on
        every event is stored only while this engine still holds it."""
        lease = await hold_lease(self._leases, self.drill_id, operator, self.plan.info.zone)
        self._lease = lease
        if lease is not None:
            self.sink = lease.guard(self.sink)

    async def _let_go(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            await lease.release()

    # == public: the Inbox (channels, webhooks, pollers) ===============================

    async def acknowledge(
        self,
        page_id: str,
        *,
        source: str,
        key: str | None = None,
        received_at: dt.datetime | None = None,
        entered_by: str | None = None,
    ) -> AckOutcome:
        """Record an acknowledgement of `page_id` durably, then say what was done with it."""
        outcome: AckOutcome = await self._submit_entry(
            lambda: self._acknowledge_page(page_id, source, key, received_at, entered_by)
        )
        return outcome

    async def delivery_failed(
        self,
        page_id: str,
        reason: FailureReason,
        *,
        detail: str | None = None,
        key: str | None = None,
    ) -> None:
        await self._submit_entry(lambda: self._delivery_failed(page_id, reason, detail, key))

    async def delivery_status(
        self, page_id: str, status: DeliveryStatus, *, key: str | None = None
    ) -> None:
        await self._submit_entry(lambda: self._delivery_status(page_id, status, key))

    def after_page(
        self, page_id: str, seconds: float, key: str, action: Callable[[], Awaitable[object]]
    ) -> None:
        """Run `action` `seconds` after `page_id` was queued, on the drill's clock (PageTimers)."""
        page = self._pages.get(page_id)
        if page is None or key in self._seen_keys:
            return
        due = page.queued_elapsed + max(0.0, seconds)
        heapq.heappush(self._people, (due, _CALLBACK, page.n, key, action))
        self._wakeup.set()

    # == public: the operator ==========================================================

    async def acknowledge_manually(
        self,
        ref: str,
        *,
        entered_by: str,
        reached_at: dt.datetime | None = None,
        note: str | None = None,
        tree: str | None = None,
        level: str | None = None,
    ) -> AckOutcome:
        """Record that a contact was reached another way ("reached by phone at 10:12").

        `ref` is a member (role or person id of a level) or a person being paged;
        `tree`/`level` choose among several matches. A relayed call counts.
        """
        if reached_at is not None and reached_at.tzinfo is None:
            raise EngineError("give the time the contact was reached with its time zone")
        return await self._submit(
            lambda: self._acknowledge_manually(ref, entered_by, reached_at, note, tree, level)
        )

    async def complete_step(self, step_id: str, *, by: str, note: str | None = None) -> StepTiming:
        """Mark a playbook step done; returns whether it was on time."""
        return await self._submit(lambda: self._complete_step(step_id, by, note))

    async def add_note(self, text: str, *, by: str) -> None:
        if not text.strip():
            raise EngineError("the note is empty")
        await self._submit(
            lambda: self._operator_event(NoteAdded(**self._stamp(), by=by, text=text))
        )

    async def pause(self, *, by: str, reason: str | None = None) -> None:
        """Stop all timers: no page goes out and no timeout runs until `unpause`."""
        await self._submit(lambda: self._pause(by, reason))

    async def unpause(self, *, by: str) -> None:
        """Let the timers run again, shifted by the time spent paused (`DrillResumed`)."""
        await self._submit(lambda: self._unpause(by))

    async def abort(self, *, by: str, reason: str) -> None:
        """Stop the drill now; paging still running is cancelled."""
        if not reason.strip():
            raise EngineError("say why the drill is aborted")
        await self._submit(lambda: self._end(DrillAborted(**self._stamp(), by=by, reason=reason)))

    async def finish(self, *, by: str | None = None) -> None:
        """End the drill now as completed; paging still running is cancelled."""
        await self._submit(lambda: self._end(self._completed("finished", by)))

    # == public: resume after a crash ==================================================

    @classmethod
    async def resume(
        cls,
        drill_id: str,
        plan: Plan,
        *,
        sink: EventSink,
        notifiers: Iterable[Notifier],
        clock: Clock | None = None,
        handlers: HandlerSet | None = None,
        simulated_operator: SimulatedOperator | None = None,
        by: str | None = None,
        allow_plan_change: bool = False,
        leases: DrillLeases | None = None,
    ) -> DrillRunner:
        """Rebuild an interrupted drill from its stored events; then `await runner.run()`.

        Records `DrillInterrupted` (what was found) and `DrillRecovered` (what was
        re-armed). Raises EngineError for an unknown or finished drill, or when the plan
        changed since it started (unless `allow_plan_change`); `LeaseHeld` when another
        engine is running it (its lease is live).

        The drill goes on on the clock it started on: without `clock`, the one
        `DrillStarted` records (kind and speed) is rebuilt; a `clock` of another kind or
        speed is refused. A scaled clock is put where real time × speed since the start
        says, so time never goes backwards and downtime is counted.
        """
        stored = list(await sink.read(drill_id))
        events = [item for item in stored if not item.duplicate]
        if not events or not isinstance(events[0].event, DrillStarted):
            raise EngineError(f"no drill '{drill_id}' in the event store")
        started = events[0].event
        if any(isinstance(item.event, DrillCompleted | DrillAborted) for item in events):
            raise EngineError(f"drill '{drill_id}' has already ended; nothing to resume")
        if not plan.has("scenario", started.scenario_id):
            raise EngineError(f"the plan has no scenario '{started.scenario_id}' any more")
        if not allow_plan_change and plan_digest(plan) != started.plan_digest:
            raise EngineError(
                f"the plan changed since drill '{drill_id}' started (version "
                f"{started.plan_version}); resuming could page other people"
            )
        clock = resumed_clock(started.clock, started.speed, started.at, clock, drill_id)
        runner = cls(
            plan,
            started.scenario_id,
            sink=sink,
            notifiers=notifiers,
            clock=clock,
            handlers=handlers,
            mode=started.mode,
            drill_id=drill_id,
            seed=started.seed,
            operator=started.operator,
            simulated=started.simulated,
            simulated_operator=simulated_operator,
            leases=leases,
        )
        await runner._take_over(by)
        return runner

    async def _take_over(self, by: str | None) -> None:
        """Hold the lease, then recover from the events as they stand under it.

        They are read again: the checks above ran before the lease was held, and the
        engine that held it until now may have recorded more, even ended the drill.
        """
        await self._hold_lease(by)
        try:
            stored = list(await self.sink.read(self.drill_id))
            if any(
                isinstance(item.event, DrillCompleted | DrillAborted) and not item.duplicate
                for item in stored
            ):
                raise EngineError(f"drill '{self.drill_id}' has already ended; nothing to resume")
            await self._recover(stored, by)
        except BaseException:
            await self._let_go()
            raise

    # == the loop ======================================================================

    async def _submit(
        self, work: Callable[[], Awaitable[_T]], prepare: Callable[[], _Entry] | None = None
    ) -> _T:
        """Run `work` one at a time with all other changes.

        From the task already making a change (the loop firing a timer whose simulated
        person answers, a handler reacting to an event) it runs at once; from other tasks
        it is queued for the loop, or, when no loop runs (between `run_until` calls), it
        runs under the lock. Queued with `prepare`, it may share a commit with the inputs
        queued beside it (`_run_batch`).
        """
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            return await work()
        if self._driver is None:
            return await self._locked(work)
        done: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Work(work, done, prepare))
        self._wakeup.set()
        return await done

    async def _submit_entry(self, prepare: Callable[[], _Entry]) -> Any:
        """`_submit` for an input that starts by recording one event (`_Entry`)."""

        async def run() -> Any:
            entry = prepare()
            if entry.event is None:
                return entry.answer
            return await entry.follow(await self._emit(entry.event, entry.key))

        return await self._submit(run, prepare)

    async def _locked(self, work: Callable[[], Awaitable[_T]]) -> _T:
        async with self._lock:
            previous, self._owner = self._owner, asyncio.current_task()
            try:
                return await work()
            finally:
                self._owner = previous

    async def _drive(self, until: float | None, finish_when_idle: bool) -> None:
        if self._driver is not None:
            raise EngineError("the drill is already running")
        self._driver = asyncio.current_task()
        virtual = isinstance(self.clock, VirtualClock)
        failed: BaseException | None = None
        try:
            while not self._over:
                if self._queue:
                    await self._run_queued()
                    continue
                due = self._next_due()
                now = self.elapsed()
                if due is not None and due <= now + _EPS:
                    await self._locked(self._fire_next)
                    continue
                if until is not None and now >= until - _EPS:
                    return
                horizon = due if until is None else min(until, due if due is not None else until)
                if virtual:
                    assert isinstance(self.clock, VirtualClock)
                    if horizon is None:
                        if finish_when_idle and not self.paused:
                            await self._locked(lambda: self._end(self._completed("idle", None)))
                        return
                    self.clock.advance_to(self._origin + horizon)
                    continue
                self._wakeup.clear()
                timeout = None if horizon is None else max(0.0, horizon - now) / self.clock.speed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout)
        except BaseException as exc:
            failed = exc
            raise
        finally:
            self._driver = None
            # Inputs that arrived as the drill ended still get their answer. If the loop
            # failed or was cancelled (or answering them fails), every input still
            # waiting gets that instead: none is left hanging.
            try:
                while self._queue and failed is None:
                    await self._run_queued()
            except BaseException as exc:
                failed = exc
                raise
            finally:
                while self._queue and failed is not None:
                    _fail(self._queue.popleft().done, failed)

    async def _run_queued(self) -> None:
        if self._queue[0].prepare is not None:
            await self._locked(self._run_batch)
            return
        work = self._queue.popleft()
        try:
            result = await self._locked(work.run)
        except BaseException as exc:
            _fail(work.done, exc)
            if not isinstance(exc, EngineError):
                raise
        else:
            if not work.done.done():
                work.done.set_result(result)

    async def _run_batch(self) -> None:
        """The inputs at the head of the queue that start by recording one event, together.

        Their first events are built in arrival order from the state as it is and stored
        by one `append_many` (one commit); then applied in that order, except those the
        store reports as duplicates, and the handlers told; then each input does what
        follows (`_Entry.then`: paging on, a level completing) one after another, event
        by event as always, and its caller gets the answer. Nothing is applied before it
        is stored, and no page goes out before its `PageQueued` is.

        Each first event is the one its input would have recorded after the ones before
        it: the batch ends before an input whose event depends on what an earlier one
        changes (a second acknowledgement of a contact acknowledged earlier in the
        batch). What follows from them comes after all of them, as if they had arrived
        at the same instant: acknowledgements that arrive together all count before
        their level reacts.
        """
        batch: list[tuple[_Work, _Entry]] = []
        written: set[_Member] = set()
        while self._queue and len(batch) < _BATCH:
            work = self._queue[0]
            if work.prepare is None:
                break
            try:
                entry = work.prepare()
            except Exception as exc:  # not expected of these inputs; answered alone
                if batch:
                    break
                self._queue.popleft()
                _fail(work.done, exc)
                if isinstance(exc, EngineError):
                    return
                raise
            if entry.reads is not None and entry.reads in written:
                break
            self._queue.popleft()
            if entry.writes is not None:
                written.add(entry.writes)
            batch.append((work, entry))
        try:
            await self._record_batch(batch)
        except BaseException as exc:  # the store failed, or the loop is being cancelled
            for work, _ in batch:
                _fail(work.done, exc)
            raise

    async def _record_batch(self, batch: Sequence[tuple[_Work, _Entry]]) -> None:
        recorded = [(entry, entry.event) for _, entry in batch if entry.event is not None]
        items = [(event, entry.key) for entry, event in recorded]
        appended = await append_all(self.sink, self.drill_id, items) if items else []
        for (entry, event), stored in zip(recorded, appended, strict=True):
            if entry.key is not None:
                self._seen_keys.add(entry.key)
            if not stored.duplicate:
                entry.applied = True
                self.state.apply(event, stored.seq)
                self._apply(event)
        for entry, event in recorded:
            if entry.applied:
                await self.handlers.publish(self.drill_id, event)
        failure: BaseException | None = None
        for work, entry in batch:
            try:
                result = await entry.follow(entry.applied)
            except Exception as exc:
                _fail(work.done, exc)
                if not isinstance(exc, EngineError) and failure is None:
                    failure = exc
            else:
                if not work.done.done():
                    work.done.set_result(result)
        if failure is not None:
            raise failure

    def _next_timer(self) -> tuple[tuple[float, int, int, str], list[Any]] | None:
        """The next live timer as (elapsed, rank, n, key) and its heap; stale ones dropped."""
        best: tuple[tuple[float, int, int, str], list[Any]] | None = None
        while not self.paused and self._timers:
            due, rank, n, key, payload = self._timers[0]
            if self._is_live(rank, payload):
                best = ((due + self._paused_total, rank, n, key), self._timers)
                break
            heapq.heappop(self._timers)
        if self._people:
            due, rank, n, key, _ = self._people[0]
            if best is None or (due, rank, n, key) < best[0]:
                best = ((due, rank, n, key), self._people)
        return best

    def _next_due(self) -> float | None:
        """Elapsed time of the next live timer; None if there is none."""
        found = self._next_timer()
        return found[0][0] if found is not None else None

    def _is_live(self, rank: int, payload: Any) -> bool:
        if rank == _TIMEOUT:
            page: _Page = payload
            member = page.member
            return (
                page.outcome is None and member.current is page and member.status is _Status.PAGING
            )
        if rank == _INJECT:
            return payload not in self._fired_injects
        if rank == _STEP_DUE:
            step_id = self._steps[payload].id
            return step_id not in self._completed_steps and step_id not in self._due_steps
        if rank == _OPERATOR:
            return self._steps[payload].id not in self._completed_steps
        return True

    async def _fire_next(self) -> None:
        found = self._next_timer()
        assert found is not None
        due, rank, _, _, payload = heapq.heappop(found[1])
        overdue = self._recovered_active is not None and due < self._recovered_active - _EPS
        if rank == _TIMEOUT:
            page: _Page = payload
            await self._emit(
                AttemptTimedOut(**self._stamp(), page_id=page.page_id, overdue=overdue)
            )
            await self._member_changed(page.member)
        elif rank == _CALLBACK:
            await payload()
        elif rank == _INJECT:
            await self._fire_inject(payload, overdue=overdue)
            await self._check_complete()
        elif rank == _STEP_DUE:
            step = self._steps[payload]
            assert step.target_minutes is not None
            await self._emit(
                StepDue(
                    **self._stamp(),
                    step=step.id,
                    owner=step.owner,
                    target_minutes=step.target_minutes,
                    overdue=overdue,
                )
            )
            await self._check_complete()
        elif rank == _OPERATOR:
            step = self._steps[payload]
            missing = [d for d in step.depends_on if d not in self._completed_steps]
            if missing:  # wait for what it depends on, as a person would
                heapq.heappush(self._timers, (due + 30.0, _OPERATOR, payload, "", payload))
                return
            assert self.simulated_operator is not None
            await self._complete_step(step.id, self.simulated_operator.name, None)

    async def _fire_inject(self, index: int, *, overdue: bool) -> None:
        inject = self.scenario.injects[index]
        await self._emit(
            InjectFired(
                **self._stamp(),
                index=index,
                at_minutes=inject.at_minutes,
                text_ja=inject.text.ja,
                text_en=inject.text.en,
                overdue=overdue,
            )
        )

    # == emitting and applying events ==================================================

    def _stamp(self) -> dict[str, Any]:
        at = self.clock.now()
        if self._at_floor is not None and at < self._at_floor:
            at = self._at_floor  # the machine's clock was set back while the drill was down
        return {"at": at, "elapsed": self.elapsed()}

    def _active(self, elapsed: float) -> float:
        """Active time at `elapsed`: paused time does not count for timers."""
        if self._paused_at is not None:
            elapsed = self._paused_at
        return elapsed - self._paused_total

    async def _emit(self, event: Event, key: str | None = None) -> bool:
        """Append durably, then apply, then tell the handlers; False for a duplicate."""
        appended = await self.sink.append(self.drill_id, event, key)
        if key is not None:
            self._seen_keys.add(key)
        if appended.duplicate:
            return False
        self.state.apply(event, appended.seq)
        self._apply(event)
        await self.handlers.publish(self.drill_id, event)
        return True

    def _apply(self, e: Event) -> None:
        """Change the runner's state for one event: the same live and on resume."""
        apply = self._appliers.get(type(e))
        if apply is not None:
            apply(e)

    def _on_page_queued(self, e: PageQueued) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        person = self.plan.person(e.person_id)
        n = int(e.page_id.rsplit("-p", 1)[1])
        page = _Page(n, e, member, person, self._active(e.elapsed))
        self._pages[e.page_id] = page
        self._page_count = max(self._page_count, n)
        if member.status is _Status.WAITING:
            member.set(_Status.PAGING)
        member.cand = e.candidate_index
        member.cursor = (page.kind_index, e.attempt)
        member.current = page

    def _on_page_sent(self, e: PageSent) -> None:
        page = self._pages[e.page_id]
        page.sent = e.accepted
        if e.accepted:
            due = page.queued_active + page.timeout
            heapq.heappush(self._timers, (due, _TIMEOUT, page.n, "", page))
        else:
            self._page_failed(page, e.failure)

    def _on_delivery_failed(self, e: DeliveryFailed) -> None:
        self._page_failed(self._pages[e.page_id], e.reason)

    def _on_timed_out(self, e: AttemptTimedOut) -> None:
        page = self._pages[e.page_id]
        if page.outcome is None:
            page.outcome = _Outcome.TIMED_OUT

    def _on_acknowledged(self, e: Acknowledged) -> None:
        # Only an acknowledgement the fold counted stops paging and counts for the level;
        # a late one (after the contact's paging ended) is recorded and changes nothing.
        member = self._members[(e.tree, e.level, e.member)]
        counted = self.state.contacts[(e.tree, e.level, e.member)].acknowledged
        if counted and member.status is not _Status.ACKED:
            member.set(_Status.ACKED)

    def _on_escalated(self, e: Escalated) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        if member.status is _Status.WAITING:
            member.set(_Status.PAGING)
        member.cand = e.candidate_index
        member.cursor = None
        member.current = None

    def _on_unreached(self, e: MemberUnreached) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        if member.status is not _Status.ACKED:
            member.set(_Status.UNREACHED)

    def _on_cancelled(self, e: PagingCancelled) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        if member.status is _Status.PAGING:
            member.set(_Status.CANCELLED)

    def _on_paused(self, e: DrillPaused) -> None:
        self._paused_at = e.elapsed

    def _on_resumed(self, e: DrillResumed) -> None:
        self._paused_total += e.paused_seconds
        self._paused_at = None

    def _on_ended(self, e: Event) -> None:
        self._over = True

    def _set_status(self, unit: _Level | _Tree, status: _Status) -> None:
        unit.status = status

    def _apply_started(self, e: DrillStarted) -> None:
        self._started = e
        self._parallel_trees = e.activation == "parallel"
        self._renderer = MessageRenderer(self.plan, self.scenario, e.at)
        for i, inject in enumerate(self.scenario.injects):
            heapq.heappush(self._timers, (inject.at_minutes * 60.0, _INJECT, i, "", i))
        for i, step in enumerate(self._steps):
            if step.target_minutes is not None:
                due = step.target_minutes * 60.0
                heapq.heappush(self._timers, (due, _STEP_DUE, i, "", i))
        if self.simulated_operator is not None and self._playbook is not None:
            for at, step in self.simulated_operator.schedule(self._playbook):
                i = self._step_index[step.id]
                heapq.heappush(self._timers, (at, _OPERATOR, i, "", i))

    def _page_failed(self, page: _Page, reason: FailureReason | None) -> None:
        if reason in BAD_POINT_REASONS:
            self._bad_points.add((page.channel, page.address))
        if page.outcome is None:
            page.outcome = _Outcome.FAILED

    def _level(self, tree: str, level: str) -> _Level:
        return next(lv for lv in self._tree(tree).levels if lv.level.id == level)

    def _tree(self, tree: str) -> _Tree:
        return next(t for t in self._trees if t.tree.id == tree)

    # == building events ===============================================================

    def _drill_started(self) -> DrillStarted:
        clock = self.clock
        kind = clock_kind(clock)
        local = not any(reaches_real_people(n) for n in self._unique_notifiers())
        channels = "real" if not local else "simulated" if self.simulated else "sandbox"
        info = self.plan.info
        return DrillStarted(
            **self._stamp(),
            drill_id=self.drill_id,
            scenario_id=self.scenario.id,
            scenario_title_ja=self.scenario.title.ja,
            scenario_title_en=self.scenario.title.en,
            mode=self.mode,
            simulated=self.simulated,
            seed=self.seed,
            operator=self.operator,
            organisation=info.organisation.ja,
            plan_root=str(self.plan.root) if self.plan.root is not None else None,
            plan_version=info.version,
            plan_digest=plan_digest(self.plan),
            clock=kind,
            speed=clock.speed if kind == "scaled" else None,
            real_at=clock.real_time(self._origin) if isinstance(clock, ScaledClock) else None,
            channels=channels,
            timezone=info.timezone,
            trees=tuple(self.scenario.trees),
            activation=self.scenario.activation,
            contacts=len(self._members),
            tree_contacts=tuple(sum(len(lv.members) for lv in t.levels) for t in self._trees),
            tree_sites=tuple(
                tuple(dict.fromkeys(m.site for lv in t.levels for m in lv.members if m.site))
                for t in self._trees
            ),
            playbook=self._playbook.id if self._playbook else None,
            steps=tuple(step.id for step in self._steps),
            injects=len(self.scenario.injects),
        )

    def _completed(self, reason: str, by: str | None) -> DrillCompleted:
        outstanding = tuple(
            step.id
            for step in self._steps
            if step.id not in self._completed_steps and step.id not in self._due_steps
        )
        return DrillCompleted(
            **self._stamp(),
            reason=reason,
            by=by,
            contacts=len(self._members),
            acknowledged=sum(1 for m in self._members.values() if m.status is _Status.ACKED),
            outstanding_steps=outstanding,
        )

    # == escalation ====================================================================

    async def _settle_all(self) -> None:
        """Do whatever is due now, from the state alone: after start, resume and unpause."""
        if self._over or self.paused:
            return
        if self._trees[0].status is _Status.WAITING:
            # What the scenario says at T+0 is told before the first page goes out.
            for index, inject in enumerate(self.scenario.injects):
                if inject.at_minutes == 0 and index not in self._fired_injects:
                    await self._fire_inject(index, overdue=False)
        for tree in self._trees:
            if self._over or self.paused:
                return
            if tree.status is _Status.DONE:
                continue
            if tree.status is _Status.WAITING:
                await self._start_tree(tree)
            for level in tree.levels:
                if level.status is _Status.DONE:
                    continue
                if level.status is _Status.WAITING:
                    await self._start_level(level)
                for member in level.members:
                    if member.needs_page:
                        await self._advance(member)
                await self._cascade(level)
                break
            else:
                await self._complete_tree(tree)
                continue
            if not self._parallel_trees:
                break  # the trees after it start when it has finished
        await self._check_complete()

    async def _member_changed(self, member: _Member) -> None:
        """After an input or timer touched `member`: page on, and let its level react."""
        if self._over or self.paused:
            return
        if member.needs_page:
            await self._advance(member)
        level = member.level
        if level.status is _Status.RUNNING:
            await self._cascade(level)
        await self._check_complete()

    async def _cascade(self, level: _Level) -> None:
        """Settle `level`; when it finishes, start the next level, or tree, and so on."""
        current: _Level | None = level
        while current is not None and not self._over and not self.paused:
            await self._settle_level(current)
            if current.status is not _Status.DONE:
                return
            current = await self._next_level(current)

    async def _next_level(self, level: _Level) -> _Level | None:
        tree = level.tree
        if level.index + 1 < len(tree.levels):
            following = tree.levels[level.index + 1]
            await self._start_level(following)
            return following
        await self._complete_tree(tree)
        if not self._parallel_trees and tree.index + 1 < len(self._trees):
            next_tree = self._trees[tree.index + 1]
            await self._start_tree(next_tree)
            first = next_tree.levels[0]
            await self._start_level(first)
            return first
        return None

    async def _start_tree(self, tree: _Tree) -> None:
        t = tree.tree
        name = t.name
        await self._emit(
            TreeStarted(**self._stamp(), tree=t.id, name_ja=name.ja, name_en=name.en, scope=t.scope)
        )

    async def _complete_tree(self, tree: _Tree) -> None:
        members = [m for level in tree.levels for m in level.members]
        await self._emit(
            TreeCompleted(
                **self._stamp(),
                tree=tree.tree.id,
                satisfied=self.state.levels_satisfied(tree.tree.id),
                contacts=len(members),
                acknowledged=sum(1 for m in members if m.status is _Status.ACKED),
            )
        )

    async def _start_level(self, level: _Level) -> None:
        lv = level.level
        await self._emit(
            LevelStarted(
                **self._stamp(),
                tree=level.tree.tree.id,
                level=lv.id,
                name_ja=lv.name.ja,
                name_en=lv.name.en,
                mode=lv.mode,
                required=level.required,
                members=tuple(m.ref for m in level.members),
                member_sites=tuple(m.site for m in level.members),
                ack_timeout_minutes=lv.ack_timeout_minutes,
                retries=lv.retries,
                channels=lv.channels,
            )
        )

    async def _settle_level(self, level: _Level) -> None:
        tree_id, level_id = level.tree.tree.id, level.level.id
        counted = self.state.levels[(tree_id, level_id)].acknowledged
        if counted >= level.required:
            for member in level.members:
                if member.status is _Status.PAGING:
                    await self._cancel(member, CancelReason.LEVEL_SATISFIED)
            await self._emit(
                LevelCompleted(
                    **self._stamp(),
                    tree=tree_id,
                    level=level_id,
                    acknowledged=counted,
                    required=level.required,
                    satisfied=True,
                    unreached=self._unreached(level),
                    reason=None,
                )
            )
            return
        count = level.count
        if level.level.mode == "parallel":
            if count[_Status.WAITING]:
                for member in level.members:
                    if member.status is _Status.WAITING:
                        member.set(_Status.PAGING)
                        await self._advance(member)
        else:
            while not count[_Status.PAGING] and count[_Status.WAITING]:
                waiting = next(m for m in level.members if m.status is _Status.WAITING)
                waiting.set(_Status.PAGING)
                await self._advance(waiting)
        if level.finished_members == len(level.members):
            counted = self.state.levels[(tree_id, level_id)].acknowledged
            unreached = self._unreached(level)
            await self._emit(
                LevelCompleted(
                    **self._stamp(),
                    tree=tree_id,
                    level=level_id,
                    acknowledged=counted,
                    required=level.required,
                    satisfied=False,
                    unreached=unreached,
                    reason=(
                        f"{counted} of {level.required} required acknowledged; "
                        f"not reached: {', '.join(unreached)}"
                    ),
                )
            )

    @staticmethod
    def _unreached(level: _Level) -> tuple[str, ...]:
        return tuple(m.ref for m in level.members if m.status is _Status.UNREACHED)

    async def _cancel(self, member: _Member, why: CancelReason) -> None:
        page = member.current
        waiting = page.page_id if page is not None and page.outcome is None else None
        level = member.level
        await self._emit(
            PagingCancelled(
                **self._stamp(),
                tree=level.tree.tree.id,
                level=level.level.id,
                member=member.ref,
                why=why,
                page_id=waiting,
            )
        )

    async def _advance(self, member: _Member) -> None:
        """Send the member's next page, escalating to the next candidate when needed."""
        level = member.level
        tree_id, level_id = level.tree.tree.id, level.level.id
        while member.needs_page and not self._over:
            candidates = member.candidates
            if not candidates:
                await self._emit(
                    MemberUnreached(
                        **self._stamp(),
                        tree=tree_id,
                        level=level_id,
                        member=member.ref,
                        reason=EscalationReason.NO_CANDIDATES,
                        people_tried=(),
                    )
                )
                return
            person = candidates[member.cand]
            rung = next_rung(level.level, person, member.cursor, self._bad_points)
            if rung is not None:
                await self._send(member, person, rung)
                continue  # a failed send leaves the member needing its next page
            reason = (
                EscalationReason.LADDER_EXHAUSTED
                if member.cursor is not None
                else EscalationReason.NO_CONTACT_POINT
            )
            if member.cand + 1 < len(candidates):
                await self._emit(
                    Escalated(
                        **self._stamp(),
                        tree=tree_id,
                        level=level_id,
                        member=member.ref,
                        from_person=person.id,
                        to_person=candidates[member.cand + 1].id,
                        candidate_index=member.cand + 1,
                        reason=reason,
                    )
                )
                continue
            await self._emit(
                MemberUnreached(
                    **self._stamp(),
                    tree=tree_id,
                    level=level_id,
                    member=member.ref,
                    reason=reason,
                    people_tried=tuple(p.id for p in candidates),
                )
            )
            return

    async def _send(self, member: _Member, person: Person, rung: Rung) -> None:
        level = member.level
        n = self._page_count + 1
        stamp = self._stamp()
        timeout = level.level.ack_timeout_minutes * 60.0
        queued = PageQueued(
            **stamp,
            page_id=f"{self.drill_id}-p{n}",
            tree=level.tree.tree.id,
            level=level.level.id,
            member=member.ref,
            role_id=member.role_id,
            site=member.site,
            person_id=person.id,
            person_name=person.name,
            channel=rung.channel,
            address=rung.point.address,
            attempt=rung.attempt,
            candidate_index=member.cand,
            timeout_seconds=timeout,
        )
        await self._emit(queued)
        page = self._pages[queued.page_id]
        notifier = self._notifiers[page.channel]
        try:
            result = await notifier.send(self._page_for(page))
        except Exception as exc:  # a notifier must not raise; if one does, the page failed
            log.exception("notifier %r raised on send", notifier)
            result = SendResult.failed(FailureReason.PROVIDER_ERROR, f"{type(exc).__name__}: {exc}")
        await self._record_send(page, result)

    async def _record_send(self, page: _Page, result: SendResult) -> None:
        failure = None if result.accepted else (result.failure or FailureReason.PROVIDER_ERROR)
        await self._emit(
            PageSent(
                **self._stamp(),
                page_id=page.page_id,
                accepted=result.accepted,
                provider_id=result.provider_id,
                failure=failure,
                detail=result.detail,
                deadline=page.deadline_at if result.accepted else None,
            )
        )

    def _page_for(self, page: _Page) -> Page:
        member = page.member
        person = page.person
        language = person.language
        if member.role_id is not None:
            role = self.plan.role(member.role_id).name.get(language)
        else:
            role = member.level.level.name.get(language)
        site = self.plan.site(member.site).name.get(language) if member.site else ""
        assert self._renderer is not None
        message = self._renderer.render(
            language=language, person=person.name, role=role, site=site, deadline=page.deadline_at
        )
        return Page(
            page_id=page.page_id,
            drill_id=self.drill_id,
            mode="incident" if self.mode is DrillMode.INCIDENT else "drill",
            person_id=person.id,
            person_name=person.name,
            language=language,
            role_name=role if member.role_id is not None else None,
            channel=page.channel,
            address=page.address,
            attempt=page.attempt,
            message=message,
            deadline=page.deadline_at,
            role_id=member.role_id,
        )

    async def _check_complete(self) -> None:
        if self._over or self.paused:
            return
        if any(tree.status is not _Status.DONE for tree in self._trees):
            return
        if len(self._fired_injects) < len(self.scenario.injects):
            return
        settled = self._completed_steps | self._due_steps
        if any(step.id not in settled for step in self._steps):
            return
        await self._end(self._completed("completed", None))

    async def _end(self, event: DrillCompleted | DrillAborted) -> None:
        if self._over:
            raise EngineError(f"drill '{self.drill_id}' has already ended")
        await self._emit(event)
        why = (
            CancelReason.DRILL_ABORTED
            if isinstance(event, DrillAborted)
            else CancelReason.DRILL_FINISHED
        )
        for member in self._members.values():
            if member.status is _Status.PAGING:
                await self._cancel(member, why)
        self._wakeup.set()

    # == inputs ========================================================================

    def _acknowledge_page(
        self,
        page_id: str,
        source: str,
        key: str | None,
        received_at: dt.datetime | None,
        entered_by: str | None,
    ) -> _Entry:
        if self._over:
            return _Entry(None, answer=AckOutcome.FINISHED)
        page = self._pages.get(page_id)
        if page is None:
            return _Entry(None, answer=AckOutcome.UNKNOWN_PAGE)
        return self._ack_entry(
            page.member, page.person, page, source, key, received_at, entered_by, None
        )

    def _ack_entry(
        self,
        member: _Member,
        person: Person,
        page: _Page | None,
        source: str,
        key: str | None,
        received_at: dt.datetime | None,
        entered_by: str | None,
        note: str | None,
    ) -> _Entry:
        stamp = self._stamp()
        if received_at is not None and received_at.tzinfo is None:
            # An acknowledgement is never dropped for a sloppy timestamp; UTC is the contract.
            log.warning("acknowledgement time without a time zone taken as UTC: %s", received_at)
            received_at = received_at.replace(tzinfo=dt.UTC)
        received = (received_at or stamp["at"]).astimezone(dt.UTC)
        contact = self.state.contacts.get(
            (member.level.tree.tree.id, member.level.level.id, member.ref)
        )
        first = contact is None or contact.ack is None
        level = member.level
        deadline_page = page or member.current
        event = Acknowledged(
            **stamp,
            page_id=page.page_id if page is not None else None,
            tree=level.tree.tree.id,
            level=level.level.id,
            member=member.ref,
            person_id=person.id,
            person_name=person.name,
            channel=page.channel if page is not None else None,
            source=source,
            entered_by=entered_by,
            received_at=received,
            late=deadline_page is not None and received > deadline_page.deadline_at,
            first=first,
            note=note,
            site=member.site,
        )

        async def then(applied: bool) -> AckOutcome:
            if not applied:
                return AckOutcome.DUPLICATE
            if first:
                await self._member_changed(member)
            return AckOutcome.ACCEPTED if first else AckOutcome.ALREADY_ACKNOWLEDGED

        return _Entry(event, key, then, reads=member, writes=member if first else None)

    def _delivery_failed(
        self, page_id: str, reason: FailureReason, detail: str | None, key: str | None
    ) -> _Entry:
        page = self._pages.get(page_id)
        if self._over or page is None:
            return _Entry(None)
        event = DeliveryFailed(**self._stamp(), page_id=page_id, reason=reason, detail=detail)
        member = page.member

        async def then(applied: bool) -> None:
            if applied:
                await self._member_changed(member)

        return _Entry(event, key, then)

    def _delivery_status(self, page_id: str, status: DeliveryStatus, key: str | None) -> _Entry:
        if self._over or page_id not in self._pages:
            return _Entry(None)
        return _Entry(DeliveryUpdated(**self._stamp(), page_id=page_id, status=status), key)

    async def _acknowledge_manually(
        self,
        ref: str,
        entered_by: str,
        reached_at: dt.datetime | None,
        note: str | None,
        tree: str | None,
        level: str | None,
    ) -> AckOutcome:
        if self._over:
            raise EngineError(f"drill '{self.drill_id}' has already ended")
        member, person = self._find_contact(ref, tree, level)
        entry = self._ack_entry(
            member, person, None, AckSource.MANUAL.value, None, reached_at, entered_by, note
        )
        assert entry.event is not None
        outcome: AckOutcome = await entry.follow(await self._emit(entry.event))
        return outcome

    def _find_contact(
        self, ref: str, tree: str | None, level: str | None
    ) -> tuple[_Member, Person]:
        members = [
            m
            for m in self._members.values()
            if (tree is None or m.level.tree.tree.id == tree)
            and (level is None or m.level.level.id == level)
        ]
        order = (
            _Status.PAGING,
            _Status.UNREACHED,
            _Status.CANCELLED,
            _Status.WAITING,
            _Status.ACKED,
        )

        def best(found: list[_Member]) -> _Member | None:
            for status in order:
                for member in found:
                    if member.status is status:
                        return member
            return None

        by_ref = best([m for m in members if m.ref == ref])
        if by_ref is not None:
            person = by_ref.candidates[by_ref.cand] if by_ref.candidates else None
            if person is None:
                raise EngineError(f"'{ref}' has nobody to acknowledge (vacant, no deputies)")
            return by_ref, person
        if self.plan.has("person", ref):
            paged_now = [
                m
                for m in members
                if m.status is _Status.PAGING
                and m.current is not None
                and m.current.person.id == ref
            ]
            holding = [m for m in members if any(p.id == ref for p in m.candidates)]
            chosen = best(paged_now) or best(holding)
            if chosen is not None:
                return chosen, self.plan.person(ref)
        known = sorted({m.ref for m in members})
        hint = difflib.get_close_matches(ref, known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise EngineError(f"'{ref}' is not a contact or a person paged in this drill{suggestion}")

    async def _complete_step(self, step_id: str, by: str, note: str | None) -> StepTiming:
        if self._over:
            raise EngineError(f"drill '{self.drill_id}' has already ended")
        if step_id not in self._step_index:
            hint = difflib.get_close_matches(step_id, list(self._step_index), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise EngineError(f"the playbook has no step '{step_id}'{suggestion}")
        if step_id in self._completed_steps:
            raise EngineError(f"step '{step_id}' is already completed")
        step = self._steps[self._step_index[step_id]]
        missing = [d for d in step.depends_on if d not in self._completed_steps]
        if missing:
            raise EngineError(f"complete {', '.join(missing)} before '{step_id}'")
        stamp = self._stamp()
        timing = StepTiming.ON_TIME
        if step.target_minutes is not None:
            late = self._active(stamp["elapsed"]) > step.target_minutes * 60.0 + _EPS
            timing = StepTiming.LATE if late else StepTiming.ON_TIME
        await self._emit(
            StepCompleted(
                **stamp,
                step=step_id,
                by=by,
                timing=timing,
                target_minutes=step.target_minutes,
                note=note,
            )
        )
        await self._check_complete()
        return timing

    async def _operator_event(self, event: Event) -> None:
        if self._over:
            raise EngineError(f"drill '{self.drill_id}' has already ended")
        await self._emit(event)

    async def _pause(self, by: str, reason: str | None) -> None:
        if self.paused:
            raise EngineError("the drill is already paused")
        await self._operator_event(DrillPaused(**self._stamp(), by=by, reason=reason))

    async def _unpause(self, by: str) -> None:
        if self._paused_at is None:
            raise EngineError("the drill is not paused")
        stamp = self._stamp()
        paused = stamp["elapsed"] - self._paused_at
        await self._operator_event(DrillResumed(**stamp, by=by, paused_seconds=paused))
        self._wakeup.set()
        await self._settle_all()

    # == resume ========================================================================

    async def _recover(self, stored: Sequence[StoredEvent], by: str | None) -> None:
        for item in stored:
            if item.key is not None:
                self._seen_keys.add(item.key)
            if item.duplicate:
                continue
            self.state.apply(item.event, item.seq)
            self._apply(item.event)
        started = self._started
        assert started is not None
        last_elapsed = max(item.event.elapsed for item in stored)
        self._at_floor = max(item.event.at for item in stored)
        zero = started.at - dt.timedelta(seconds=started.elapsed)  # wall time at elapsed 0
        clock = self.clock
        # The clock says what time it is now; the drill was down since its last event.
        if isinstance(clock, ScaledClock) and started.real_at is not None:
            # Scaled drill time is real time × speed since the start, downtime included.
            since = (clock.real_now() - started.real_at).total_seconds() * clock.speed
        else:
            since = (clock.now() - zero).total_seconds()
        now_elapsed = max(last_elapsed, since)
        if isinstance(clock, VirtualClock | ScaledClock):
            # Read the times an uninterrupted run would have read from here on; in virtual
            # time exactly those. The restored clock reads drill time: elapsed 0 is 0.
            clock.restore(zero, now_elapsed)
            self._origin = 0.0
        else:
            self._origin = clock.monotonic() - now_elapsed
        self._check_notifiers()
        await self._start_notifiers()

        await self._locked(lambda: self._rearm(stored[-1], last_elapsed, now_elapsed, by))

    async def _rearm(
        self, last: StoredEvent, last_elapsed: float, now_elapsed: float, by: str | None
    ) -> None:
        in_flight = [p for p in self._pages.values() if p.sent is None and p.outcome is None]
        kind = clock_kind(self.clock)
        drill_gap = now_elapsed - last_elapsed
        await self._emit(
            DrillInterrupted(
                **self._stamp(),
                last_seq=last.seq,
                last_event=last.event.type_name,
                last_elapsed=last_elapsed,
                downtime_seconds=drill_gap / self.clock.speed if kind == "scaled" else drill_gap,
                drill_downtime_seconds=drill_gap,
                pages_in_flight=tuple(page.page_id for page in in_flight),
                clock=kind,
                speed=self.clock.speed if kind == "scaled" else None,
            )
        )
        self._recovered_active = self._active(now_elapsed)
        # Pages in flight are never sent again. A notifier that knows what became of one
        # says so (and re-arms its callbacks); otherwise it is taken as sent and waits for
        # its timeout. Every other page is offered too, for callbacks still to come.
        for page in sorted(self._pages.values(), key=lambda p: p.n):
            if page.sent is False:
                continue
            notifier = self._notifiers.get(page.channel)
            result = None
            if isinstance(notifier, RecoverableNotifier):
                result = await notifier.recover(self._page_for(page))
            if page.sent is None and page.outcome is None:
                if result is not None:
                    await self._record_send(page, result)
                else:
                    due = page.queued_active + page.timeout
                    heapq.heappush(self._timers, (due, _TIMEOUT, page.n, "", page))
        overdue = sum(
            1
            for due, rank, _, _, payload in self._timers
            if due < self._recovered_active - _EPS and self._is_live(rank, payload)
        )
        members = self._members.values()
        await self._emit(
            DrillRecovered(
                **self._stamp(),
                by=by,
                acknowledged=sum(1 for m in members if m.status is _Status.ACKED),
                pages_waiting=sum(
                    1
                    for m in members
                    if m.status is _Status.PAGING
                    and m.current is not None
                    and m.current.outcome is None
                ),
                overdue_timers=overdue,
                paused=self.paused,
            )
        )
        await self._settle_all()

    # == notifiers =====================================================================

    def _unique_notifiers(self) -> list[Notifier]:
        out: list[Notifier] = []
        for notifier in self._notifiers.values():
            if all(notifier is not seen for seen in out):
                out.append(notifier)
        return out

    def _check_notifiers(self) -> None:
        needed = {
            kind for tree in self._trees for level in tree.levels for kind in level.level.channels
        }
        missing = sorted(kind.value for kind in needed - set(self._notifiers))
        if missing:
            raise EngineError(
                f"no channel is configured for {', '.join(missing)}, which the scenario's "
                "trees use; configure it or run with --simulate"
            )
        self._check_clock()

    def _check_clock(self) -> None:
        """Real channels run on the real clock: only simulated people and the local
        sandbox may run faster (a 10× clock pages deputies after 6 s instead of 60 s and
        records invented times)."""
        kind = clock_kind(self.clock)
        real = sorted(k.value for k, n in self._notifiers.items() if reaches_real_people(n))
        if real and kind != "real":
            raise RealClockRequired(", ".join(real), self.clock.speed)

    async def _start_notifiers(self) -> None:
        if self._notifiers_started:
            return
        self._notifiers_started = True
        for notifier in self._unique_notifiers():
            await notifier.start(self)
