"""The drill runner: the loop that ties a running drill together, and its public API.

One `DrillRunner` runs one drill (訓練) or incident. It is a single discrete-event loop:
timers (`drill.engine.timers`) and a queue of inputs (acknowledgements, delivery
reports, operator actions). Inputs are handled first; a timer fires when it is due; with
a `VirtualClock` time jumps to the next timer only when the loop is idle, so awaiting
the event store, even real I/O in a thread, never lets virtual time move. Every change
runs one at a time, under one lock, and starts by recording an event: appended to the
sink and awaited, then applied to the runner's state, then told to the handlers (a drill
of simulated people only keeps its events back and commits them in batches: see
`DrillRunner._emit`). The same appliers rebuild that state on resume.

The rules of a drill live with the part that applies them:

- `drill.engine.levels`: trees and levels in order, quorums, when a level is over;
- `drill.engine.paging`: each member's candidates and channel ladder, page by page;
- `drill.engine.inputs`: acknowledgements and delivery reports, stored in batches;
- `drill.engine.script`: injects and playbook steps against their targets;
- `drill.engine.timers`: the timer heaps, pauses (active time), ranks, overdue timers;
- `drill.engine.recovery`: resuming after a crash (state, clock, timers, pages in flight);
- `drill.engine.roster`: what the runner keeps of each tree, level, member and page.

Who counts as reached, and which level is satisfied, is never decided here: the runner
asks the fold (`drill.engine.state`), the one truth every view reads too.

**When a drill completes** (by itself): every tree has finished, every inject has fired,
and every playbook step is completed or past its target time (`StepDue` recorded). A
step without a target keeps the drill open until it is completed, or until the operator
calls `finish()`; in virtual time, `run()` finishes a drill that has nothing left to
wait for (`DrillCompleted.reason == "idle"`, outstanding steps listed). An ended drill
cancels the paging still running.

**One engine per drill**: nothing is recorded for a drill before this runner holds its
lease (`drill.engine.lease`), and real channels run on the real clock only
(`RealClockRequired`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import functools
import hashlib
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
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
from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    CancelReason,
    DeliveryFailed,
    DrillAborted,
    DrillCompleted,
    DrillMode,
    DrillPaused,
    DrillResumed,
    DrillStarted,
    Escalated,
    Event,
    HandedOver,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    NoteAdded,
    OperatorPaged,
    OutsideAcknowledged,
    OutsidePageQueued,
    PageQueued,
    PageSent,
    PagingCancelled,
    PersonMarkedAvailable,
    PersonMarkedUnavailable,
    RepeatScheduled,
    RoundStarted,
    StepCompleted,
    StepDue,
    StepTiming,
    TreeCompleted,
    TreeStarted,
    UpdateIssued,
    UpdateQueued,
    UpdateSent,
)
from drill.engine.inputs import Entry, Inputs, Work, fail
from drill.engine.lease import DrillLeases, LeaseKeeper, hold_lease, leases_of
from drill.engine.levels import Levels
from drill.engine.messages import MessageRenderer
from drill.engine.notifier import (
    AckOutcome,
    DeliveryStatus,
    FailureReason,
    Notifier,
    reaches_real_people,
)
from drill.engine.outside import AdHocBook, Outside
from drill.engine.paging import Paging
from drill.engine.recovery import recover
from drill.engine.roster import LivePage, LiveStatus
from drill.engine.script import Script
from drill.engine.simulation import SimulatedNotifier, SimulatedOperator
from drill.engine.sink import (
    Appended,
    EventSink,
    Handler,
    HandlerSet,
    StoredEvent,
    append_all,
    commits_apart,
    expect_appends,
)
from drill.engine.state import DrillState
from drill.engine.timers import (
    CALLBACK,
    EPS,
    INJECT,
    OPERATOR,
    REPEAT,
    STEP_DUE,
    TIMEOUT,
    Timers,
)
from drill.engine.updates import Updates
from drill.errors import EngineError
from drill.plan.models import ChannelKind, Plan, Question, Scenario, UpdateKind

__all__ = ["DrillRunner", "new_drill_id", "plan_digest"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_KEPT_BACK_MAX = 4096
"""Most events a simulated drill keeps back before committing them (see `_emit`)."""
_EVENTS_PER_CONTACT = 5
"""About how many events a simulated drill records for each contact (a page, its delivery,
an answer or a timeout, a level's share): 87,752 for 17,452 contacts."""
_TURN_EVERY = 256
"""Events a simulated drill keeps back between turns of the event loop while a batch is
in flight (`_hand_over`): its hand-off to the store's writer goes on in those turns."""


def new_drill_id(now: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """A fresh drill id: local start time and a random suffix (20260131-1000-7f3a)."""
    local = now.astimezone(zone) if zone is not None else now
    return f"{local:%Y%m%d-%H%M}-{secrets.token_hex(2)}"


def plan_digest(plan: Plan) -> str:
    """SHA-256 of the plan's content (not where it lives), to notice a changed plan."""
    # Plans are frozen: the digest of the one last asked for is kept, so the report at the
    # end of a run does not serialise a large plan again (0.2 s and some 70 MiB at once
    # for a nationwide plan, on top of the drill's fold).
    for kept, digest in _DIGESTS:
        if kept() is plan:
            return digest
    # `model_dump_json`'s UTF-8, as its serialiser writes it (it decodes those bytes to a
    # str, which was encoded again here: 17 MB each way for a nationwide plan).
    dumped = plan.__pydantic_serializer__.to_json(plan, exclude={"root"})
    digest = hashlib.sha256(dumped).hexdigest()
    _DIGESTS[:] = [(weakref.ref(plan), digest)]
    return digest


_DIGESTS: list[tuple[weakref.ref[Plan], str]] = []
"""The plan `plan_digest` saw last (held weakly) and its digest."""


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
        commit_in_batches: bool = False,
    ) -> None:
        """`leases`: where the drill's lease is held while this runner drives it (one
        engine per drill; see `drill.engine.lease`); by default the sink's own, if it
        keeps leases (the event store does), else none. `commit_in_batches`: for a
        drill of simulated people only, store events in batches (see `_emit`)."""
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
        # Simulated people only: nothing outside this process sees a page, so events may
        # be committed in batches (see `_emit`). Any other channel: one by one, durable
        # before anything follows (a `PageQueued` before its provider call).
        self._batched = commit_in_batches and bool(sims) and len(sims) == len(notifier_list)
        self._kept_back: list[tuple[Event, str | None, Appended]] = []
        self._in_flight: (
            tuple[asyncio.Future[Sequence[Appended]], list[tuple[Event, str | None, Appended]]]
            | None
        ) = None
        """A batch the store commits while the drill goes on (`_hand_over`)."""
        self._flushing = False
        self._last_seq: int | None = None
        self._head: str | None = None

        # The parts of a running drill, each owning its piece of the state; they record
        # events through this runner and reach one another through it. They hold it
        # weakly, as the notifiers do (`_start_notifiers`), and the table of appliers
        # is the class's (`_APPLY`): a runner is then referenced only from outside, and
        # freed with all it holds as soon as its caller drops it. Cycles through it
        # would leave a finished nationwide drill (10^5 objects) to the cycle collector,
        # whose next full collection, a second or so in the middle of whatever runs
        # next (the acknowledgements of another drill), walks them all.
        me: DrillRunner = weakref.proxy(self)
        self._levels = Levels(me, plan, self.scenario)
        self._members = self._levels.members
        self._script = Script(me, plan, self.scenario, simulated_operator)
        self._paging = Paging(me, self._members)
        self._inputs = Inputs(me)
        self._updates = Updates(me)
        self._outside = Outside(me)
        self._ad_hoc_book = sink if isinstance(sink, AdHocBook) else None
        """Where ad hoc people's full contact methods are kept, beside the journal."""
        self._timers = Timers(functools.partial(_timer_is_live, self._script))
        self._seen_keys: set[str] = set()
        self._renderer: MessageRenderer | None = None

        self._started: DrillStarted | None = None
        self._over = False
        self._origin = 0.0  # clock.monotonic() at elapsed 0
        self._at_floor: dt.datetime | None = None  # after a resume: the last recorded `at`

        self._queue: collections.deque[Work] = collections.deque()
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
        return self._timers.paused

    @property
    def lease_holder(self) -> str | None:
        """The owner id of this engine's lease on its drill, while it holds one."""
        return self._lease.owner.id if self._lease is not None else None

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
            if self._batched:  # a large drill's store may get ready for its batches
                expect_appends(self.sink, _EVENTS_PER_CONTACT * len(self._members))

            async def begin() -> None:
                self._origin = self.clock.monotonic()
                await self._emit(self._drill_started())
                await self._levels.settle_all()
                await self._flush()

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

    @property
    def written(self) -> tuple[int, str] | None:
        """The seq and hash of the last event this runner has had committed: the head of
        the chain it wrote (None before its first commit, while events are kept back, or
        for a sink without hashes). A report of the drill may take `state` as the fold of
        the stored events only if the store's verified chain ends exactly there."""
        if (
            self._kept_back
            or self._flushing
            or self._in_flight is not None
            or self._last_seq is None
            or self._head is None
        ):
            return None
        return self._last_seq, self._head

    async def close(self) -> None:
        """Close the notifiers (once), then release the drill's lease; pending callbacks
        are dropped."""
        if self._closed:
            return
        self._closed = True
        if self._batched:  # no more large batches: the store's writer process may go
            expect_appends(self.sink, 0)
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
        choice: str | None = None,
    ) -> AckOutcome:
        """Record an acknowledgement of `page_id` durably, then say what was done with it."""
        outcome: AckOutcome = await self._submit_entry(
            lambda: self._inputs.acknowledge_page(
                page_id, source, key, received_at, entered_by, choice
            )
        )
        return outcome

    def question_for(self, page_id: str) -> Question | None:
        """The scenario's question, for a page of this drill (`PageFacts`)."""
        if page_id not in self._paging.pages:
            return None
        return self.scenario.question

    def channel_of(self, page_id: str) -> ChannelKind | None:
        """The channel of a page of this drill (`PageFacts`)."""
        page = self._paging.pages.get(page_id)
        return page.channel if page is not None else None

    async def delivery_failed(
        self,
        page_id: str,
        reason: FailureReason,
        *,
        detail: str | None = None,
        key: str | None = None,
    ) -> None:
        await self._submit_entry(lambda: self._inputs.delivery_failed(page_id, reason, detail, key))

    async def delivery_status(
        self, page_id: str, status: DeliveryStatus, *, key: str | None = None
    ) -> None:
        await self._submit_entry(lambda: self._inputs.delivery_status(page_id, status, key))

    def after_page(
        self, page_id: str, seconds: float, key: str, action: Callable[[], Awaitable[object]]
    ) -> None:
        """Run `action` `seconds` after `page_id` was queued, on the drill's clock (PageTimers)."""
        page = (
            self._paging.pages.get(page_id)
            or self._updates.pages.get(page_id)
            or self._outside.pages.get(page_id)
        )
        if page is None or key in self._seen_keys:
            return
        self._timers.arm_person(page.queued_elapsed + max(0.0, seconds), page.n, key, action)
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
        key: str | None = None,
        origin: str | None = None,
        choice: str | None = None,
    ) -> AckOutcome:
        """Record that a contact was reached another way ("reached by phone at 10:12").

        `ref` is a member (role or person id of a level) or a person being paged;
        `tree`/`level` choose among several matches. A relayed call counts.

        Every operator action takes `key` and `origin`: an action asked for at another
        console is recorded with that request's key (so it is applied once, even by an
        engine that took the drill over) and the console it came from.
        """
        if reached_at is not None and reached_at.tzinfo is None:
            raise EngineError("give the time the contact was reached with its time zone")
        return await self._submit(
            lambda: self._inputs.acknowledge_manually(
                ref, entered_by, reached_at, note, tree, level, key, origin, choice
            )
        )

    async def complete_step(
        self,
        step_id: str,
        *,
        by: str,
        note: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> StepTiming:
        """Mark a playbook step done; returns whether it was on time."""
        return await self._submit(
            lambda: self._script.complete_step(step_id, by, note, key, origin)
        )

    async def add_note(
        self, text: str, *, by: str, key: str | None = None, origin: str | None = None
    ) -> None:
        if not text.strip():
            raise EngineError("the note is empty")
        await self._submit(
            lambda: self._operator_event(
                NoteAdded(**self._stamp(), by=by, text=text, origin=origin), key
            )
        )

    async def pause(
        self,
        *,
        by: str,
        reason: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> None:
        """Stop all timers: no page goes out and no timeout runs until `unpause`."""
        await self._submit(lambda: self._pause(by, reason, key, origin))

    async def unpause(self, *, by: str, key: str | None = None, origin: str | None = None) -> None:
        """Let the timers run again, shifted by the time spent paused (`DrillResumed`)."""
        await self._submit(lambda: self._unpause(by, key, origin))

    async def abort(
        self, *, by: str, reason: str, key: str | None = None, origin: str | None = None
    ) -> None:
        """Stop the drill now; paging still running is cancelled."""
        if not reason.strip():
            raise EngineError("say why the drill is aborted")
        await self._submit(
            lambda: self._end(
                DrillAborted(**self._stamp(), by=by, reason=reason, origin=origin), key
            )
        )

    async def issue_update(
        self,
        text: str,
        *,
        kind: UpdateKind | str | None = None,
        audience: str = "reached",
        by: str,
        key: str | None = None,
        origin: str | None = None,
    ) -> int | None:
        """Send a numbered status update (第N報) and return its number (None: `key` was
        applied before). `kind`: first, followup or final (by default the first, then
        follow-ups); `audience`: reached (everyone who acknowledged so far),
        tree:<tree>, level:<tree>/<level> or agency (see `drill.engine.updates`).
        Its acknowledgements count for the update alone, never for a level or tree."""
        number: int | None = await self._submit(
            lambda: self._updates.issue(text, kind, audience, by, key, origin)
        )
        return number

    async def page_now(
        self,
        asked: str,
        *,
        by: str,
        target: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> OperatorPaged:
        """Page now, outside the ladder of the running trees (今すぐ呼出).

        `asked`: "person" (`target` a person id), "role" (`target` a role id: every
        holder now), "ad_hoc" (a person not in the plan: `name`, and `phone` and/or
        `email`, checked) or "unanswered" (every contact not answered yet, once more).
        Recorded as `OperatorPaged`, then each page is sent (`OutsidePageQueued`);
        answers come back through the usual acknowledgement path. Idempotent by `key`:
        asked again with the same key, nothing more is paged and the first order is
        returned. See `drill.engine.outside` for what an answer counts for.
        """
        return await self._submit(
            lambda: self._outside.order(
                asked,
                by=by,
                target=target,
                name=name,
                phone=phone,
                email=email,
                key=key,
                origin=origin,
            )
        )

    async def mark_unavailable(
        self,
        person_id: str,
        *,
        reason: str,
        by: str,
        until: dt.datetime | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> PersonMarkedUnavailable:
        """Mark a person away (休暇, 出張, 異動, その他) from now until `until` (None: the
        rest of the drill): the ladder passes them over as for a plan absence."""
        return await self._submit(
            lambda: self._outside.mark_unavailable(person_id, reason, until, by, key, origin)
        )

    async def mark_available(
        self,
        person_id: str,
        *,
        by: str,
        key: str | None = None,
        origin: str | None = None,
    ) -> PersonMarkedAvailable:
        """Take back a console mark (復帰): the ladder pages the person again from now."""
        return await self._submit(lambda: self._outside.mark_available(person_id, by, key, origin))

    async def hand_over(
        self,
        to: str,
        *,
        by: str,
        note: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> None:
        """Pass the charge of the drill (責任者) to `to` (`HandedOver`, from whom to whom).

        Anyone at a console may enter it, not only the officer in charge (who may be the
        one who cannot): `by` records who did. The drill's lease (which engine runs it)
        does not move. Refused when `to` is empty or already in charge; with the `key`
        of one already recorded, nothing happens (a repeated request is applied once).
        """
        to = to.strip()
        if not to:
            raise EngineError("name the person who takes charge of the drill")

        async def work() -> None:
            if key is not None and key in self._seen_keys:
                return
            current = self.state.officer
            if current is not None and current.name == to:
                raise EngineError(f"{to} is already in charge of drill '{self.drill_id}'")
            event = HandedOver(
                **self._stamp(),
                from_officer=current.name if current is not None else None,
                to_officer=to,
                by=by,
                note=(note or "").strip() or None,
                origin=origin,
            )
            await self._operator_event(event, key)

        await self._submit(work)

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
        commit_in_batches: bool = False,
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
            commit_in_batches=commit_in_batches,
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
            await recover(self, stored, by)
        except BaseException:
            await self._let_go()
            raise

    # == the loop ======================================================================

    async def _submit(
        self, work: Callable[[], Awaitable[_T]], prepare: Callable[[], Entry] | None = None
    ) -> _T:
        """Run `work` one at a time with all other changes.

        From the task already making a change (the loop firing a timer whose simulated
        person answers, a handler reacting to an event) it runs at once; from other tasks
        it is queued for the loop, or, when no loop runs (between `run_until` calls), it
        runs under the lock. Queued with `prepare`, it may share a commit with the inputs
        queued beside it (`Inputs.run_batch`).
        """
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            return await work()
        if self._driver is None:
            return await self._locked(lambda: self._durably(work))
        done: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._queue.append(Work(work, done, prepare))
        self._wakeup.set()
        return await done

    async def _submit_entry(self, prepare: Callable[[], Entry]) -> Any:
        """`_submit` for an input that starts by recording one event (`Entry`)."""

        async def run() -> Any:
            entry = prepare()
            if entry.event is None:
                return entry.answer
            return await entry.follow(await self._emit(entry.event, entry.key))

        return await self._submit(run, prepare)

    async def _durably(self, work: Callable[[], Awaitable[_T]]) -> _T:
        """`work`, then commit what it kept back: its caller's answer means durable."""
        result = await work()
        await self._flush()
        return result

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
                due = self._timers.next_due()
                now = self.elapsed()
                if due is not None and due <= now + EPS:
                    await self._locked(self._fire_next)
                    continue
                if until is not None and now >= until - EPS:
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
                if self._kept_back:
                    await self._locked(self._flush)  # before waiting on the real clock
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
                if failed is None:
                    await self._locked(self._flush)
                while self._queue and failed is None:
                    await self._run_queued()
            except BaseException as exc:
                failed = exc
                raise
            finally:
                while self._queue and failed is not None:
                    fail(self._queue.popleft().done, failed)
                if self._in_flight is not None and failed is not None:
                    # Committed or not, it is a prefix of the drill; nobody waits for it.
                    task, self._in_flight = self._in_flight[0], None
                    if not task.cancel() and not task.cancelled():
                        task.exception()  # taken: the drill failed of its own error

    async def _run_queued(self) -> None:
        if self._queue[0].prepare is not None:
            await self._locked(lambda: self._inputs.run_batch(self._queue))
            return
        work = self._queue.popleft()
        try:
            result = await self._locked(lambda: self._durably(work.run))
        except BaseException as exc:
            fail(work.done, exc)
            if not isinstance(exc, EngineError):
                raise
        else:
            if not work.done.done():
                work.done.set_result(result)

    async def _fire_next(self) -> None:
        (due, rank, _, _, payload), overdue = self._timers.pop_next()
        if rank == TIMEOUT:
            page: LivePage = payload
            await self._emit(
                AttemptTimedOut(**self._stamp(), page_id=page.page_id, overdue=overdue)
            )
            await self._levels.member_changed(page.member)
        elif rank == REPEAT:
            await self._paging.start_round(payload)
            await self._levels.member_changed(payload)
        elif rank == CALLBACK:
            await payload()
        elif rank == INJECT:
            await self._script.fire_inject(payload, overdue=overdue)
            await self._levels.settle_all()  # a level may have waited for this inject
            await self._check_complete()
        elif rank == STEP_DUE:
            await self._script.step_due(payload, overdue=overdue)
            await self._check_complete()
        elif rank == OPERATOR:
            await self._script.operator_step(payload, due, self._timers)

    # == emitting and applying events ==================================================

    def _stamp(self) -> dict[str, Any]:
        at = self.clock.now()
        if self._at_floor is not None and at < self._at_floor:
            at = self._at_floor  # the machine's clock was set back while the drill was down
        return {"at": at, "elapsed": self.elapsed()}

    async def _emit(self, event: Event, key: str | None = None) -> bool:
        """Append durably, then apply, then tell the handlers; False for a duplicate.

        A drill of simulated people only keeps its events back instead, applied at once
        and committed in batches (`_flush`): one commit per event would make the disk
        the whole cost of a simulation. The handlers still hear of an event only once
        it is committed; a batch is committed before the loop waits on a real clock,
        before the drill ends, before `run`/`run_until` return and before a caller from
        outside (the operator, a webhook) gets its answer. Batches grow with the drill
        (a quarter of what is stored, up to `_KEPT_BACK_MAX`), so a crash early on loses
        little, and a crash at any point leaves a prefix of the events to resume from.
        """
        if self._batched and self._last_seq is not None:
            return await self._keep_back(event, key)
        appended = await self.sink.append(self.drill_id, event, key)
        self._last_seq = appended.seq
        self._head = appended.hash
        if key is not None:
            self._seen_keys.add(key)
        if appended.duplicate:
            self.state.take(StoredEvent(appended.seq, event, key, duplicate=True))
            return False
        self.state.apply(event, appended.seq)
        self._apply(event)
        await self.handlers.publish(self.drill_id, event)
        return True

    async def _keep_back(self, event: Event, key: str | None) -> bool:
        """`_emit` for a simulated drill: numbered and applied now, committed by `_flush`.

        This runner is the drill's only writer (it holds the lease), so it knows the
        seq the store will give and which keys it has seen; `_flush` checks both.
        """
        assert self._last_seq is not None
        self._last_seq += 1
        duplicate = key is not None and key in self._seen_keys
        self._kept_back.append((event, key, Appended(self._last_seq, duplicate)))
        if key is not None:
            self._seen_keys.add(key)
        if duplicate:
            self.state.take(StoredEvent(self._last_seq, event, key, duplicate=True))
        else:
            self.state.apply(event, self._last_seq)
            self._apply(event)
        limit = min(_KEPT_BACK_MAX, max(1, self._last_seq // 4))
        if self._in_flight is not None and len(self._kept_back) % _TURN_EVERY == 0:
            # The batch in flight goes on its way to the store's writer in the loop's
            # turns: given one now and then, even within one timer that pages thousands.
            await asyncio.sleep(0)
        if len(self._kept_back) >= limit and not self._flushing:
            if commits_apart(self.sink):
                await self._hand_over()
            else:
                await self._flush()
        return not duplicate

    async def _flush(self) -> None:
        """Commit the events kept back (one `append_many`), then tell the handlers."""
        if self._flushing:
            return  # a handler's change during a flush: the flush under way takes it
        self._flushing = True
        try:
            await self._settle()
            while self._kept_back:
                batch, self._kept_back = self._kept_back, []
                items = [(event, key) for event, key, _ in batch]
                await self._committed(batch, await append_all(self.sink, self.drill_id, items))
        finally:
            self._flushing = False

    async def _hand_over(self) -> None:
        """`_flush` without waiting: the events kept back are handed to the store, which
        commits them on another core (`commits_apart`), and the drill goes on meanwhile.

        One batch is in flight at a time: the one before is settled first (its commit
        checked, its handlers told), so batches are committed and heard of in order, and
        a crash still leaves a prefix. A full `_flush` settles the last one.
        """
        if self._flushing:
            return
        self._flushing = True
        try:
            await self._settle()
            batch, self._kept_back = self._kept_back, []
            items = [(event, key) for event, key, _ in batch]
            self._in_flight = (
                asyncio.ensure_future(append_all(self.sink, self.drill_id, items)),
                batch,
            )
        finally:
            self._flushing = False
        await asyncio.sleep(0)  # on its way now: the batch is prepared and handed to the store

    async def _settle(self) -> None:
        """Wait for the batch in flight (`_hand_over`), if any, and take its commit."""
        if self._in_flight is None:
            return
        task, batch = self._in_flight
        try:
            stored = await task
        finally:
            self._in_flight = None
        await self._committed(batch, stored)

    async def _committed(
        self, batch: Sequence[tuple[Event, str | None, Appended]], stored: Sequence[Appended]
    ) -> None:
        """`batch` is committed as `stored`: check it was numbered as this runner
        numbered it, then tell the handlers."""
        for (event, _, expected), got in zip(batch, stored, strict=True):
            if (got.seq, got.duplicate) != (expected.seq, expected.duplicate):
                raise EngineError(
                    f"the event store recorded {event.type_name} of drill "
                    f"'{self.drill_id}' as event {got.seq}, not {expected.seq}: "
                    "another engine is writing to this drill"
                )
        self._head = stored[-1].hash
        for event, _, expected in batch:
            if not expected.duplicate:
                await self.handlers.publish(self.drill_id, event)

    def _apply(self, e: Event) -> None:
        """Change the runner's state for one event: the same live and on resume."""
        apply = _APPLY.get(type(e))
        if apply is not None:
            apply(self, e)

    def _apply_started(self, e: DrillStarted) -> None:
        self._started = e
        self._levels.parallel = e.activation == "parallel"
        self._renderer = MessageRenderer(self.plan, self.scenario, e.at)
        self._script.arm(self._timers)

    def _on_ended(self, e: Event) -> None:
        self._over = True

    # == building events ===============================================================

    def _drill_started(self) -> DrillStarted:
        clock = self.clock
        kind = clock_kind(clock)
        local = not any(reaches_real_people(n) for n in self._unique_notifiers())
        channels = "real" if not local else "simulated" if self.simulated else "sandbox"
        info = self.plan.info
        trees, script = self._levels.trees, self._script
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
            tree_contacts=tuple(sum(len(lv.members) for lv in t.levels) for t in trees),
            tree_sites=tuple(
                tuple(dict.fromkeys(m.site for lv in t.levels for m in lv.members if m.site))
                for t in trees
            ),
            playbook=script.playbook.id if script.playbook else None,
            steps=tuple(step.id for step in script.steps),
            injects=len(self.scenario.injects),
            **_question_fields(self.scenario.question),
        )

    def _completed(self, reason: str, by: str | None) -> DrillCompleted:
        outstanding = self._script.outstanding()
        return DrillCompleted(
            **self._stamp(),
            reason=reason,
            by=by,
            contacts=len(self._members),
            acknowledged=sum(1 for m in self._members.values() if m.status is LiveStatus.ACKED),
            outstanding_steps=outstanding,
        )

    async def _check_complete(self) -> None:
        if self._over or self.paused:
            return
        if not self._levels.done or not self._script.settled:
            return
        await self._end(self._completed("completed", None))

    async def _end(self, event: DrillCompleted | DrillAborted, key: str | None = None) -> None:
        if self._over:
            raise EngineError(f"drill '{self.drill_id}' has already ended")
        for counted in self._inputs.uncounted_repeats(event.at, event.elapsed):
            await self._emit(counted)  # repeats counted since the last checkpoint
        await self._flush()  # what led to the end is stored apart from the end itself
        await self._emit(event, key)
        why = (
            CancelReason.DRILL_ABORTED
            if isinstance(event, DrillAborted)
            else CancelReason.DRILL_FINISHED
        )
        for member in self._members.values():
            if member.status is LiveStatus.PAGING:
                await self._paging.cancel(member, why)
        self._wakeup.set()

    # == the operator's changes ========================================================

    async def _operator_event(self, event: Event, key: str | None = None) -> None:
        if self._over:
            raise EngineError(f"drill '{self.drill_id}' has already ended")
        await self._emit(event, key)

    async def _pause(
        self, by: str, reason: str | None, key: str | None, origin: str | None
    ) -> None:
        if self.paused:
            raise EngineError("the drill is already paused")
        await self._operator_event(
            DrillPaused(**self._stamp(), by=by, reason=reason, origin=origin), key
        )

    async def _unpause(self, by: str, key: str | None, origin: str | None) -> None:
        paused_at = self._timers.paused_at
        if paused_at is None:
            raise EngineError("the drill is not paused")
        stamp = self._stamp()
        paused = stamp["elapsed"] - paused_at
        await self._operator_event(
            DrillResumed(**stamp, by=by, paused_seconds=paused, origin=origin), key
        )
        self._wakeup.set()
        await self._levels.settle_all()

    # == notifiers =====================================================================

    def _unique_notifiers(self) -> list[Notifier]:
        out: list[Notifier] = []
        for notifier in self._notifiers.values():
            if all(notifier is not seen for seen in out):
                out.append(notifier)
        return out

    def _check_notifiers(self) -> None:
        needed = {
            kind
            for tree in self._levels.trees
            for level in tree.levels
            for kind in level.level.channels
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
            await notifier.start(weakref.proxy(self))


_APPLY: dict[type[Event], Callable[[DrillRunner, Any], None]] = {
    DrillStarted: DrillRunner._apply_started,
    PageQueued: lambda d, e: d._paging.on_page_queued(e),
    PageSent: lambda d, e: d._paging.on_page_sent(e),
    DeliveryFailed: lambda d, e: d._paging.on_delivery_failed(e),
    AttemptTimedOut: lambda d, e: d._paging.on_timed_out(e),
    Acknowledged: lambda d, e: d._paging.on_acknowledged(e),
    Escalated: lambda d, e: d._paging.on_escalated(e),
    MemberUnreached: lambda d, e: d._paging.on_unreached(e),
    PagingCancelled: lambda d, e: d._paging.on_cancelled(e),
    RepeatScheduled: lambda d, e: d._paging.on_repeat_scheduled(e),
    RoundStarted: lambda d, e: d._paging.on_round_started(e),
    LevelStarted: lambda d, e: d._levels.on_level_started(e),
    LevelCompleted: lambda d, e: d._levels.set_level(e.tree, e.level, LiveStatus.DONE),
    TreeStarted: lambda d, e: d._levels.set_tree(e.tree, LiveStatus.RUNNING),
    TreeCompleted: lambda d, e: d._levels.set_tree(e.tree, LiveStatus.DONE),
    InjectFired: lambda d, e: d._script.on_inject_fired(e),
    StepDue: lambda d, e: d._script.on_step_due(e),
    StepCompleted: lambda d, e: d._script.on_step_completed(e),
    DrillPaused: lambda d, e: d._timers.pause(e.elapsed),
    DrillResumed: lambda d, e: d._timers.resume(e.paused_seconds),
    DrillCompleted: DrillRunner._on_ended,
    DrillAborted: DrillRunner._on_ended,
    UpdateIssued: lambda d, e: d._updates.on_issued(e),
    UpdateQueued: lambda d, e: d._updates.on_queued(e),
    UpdateSent: lambda d, e: d._updates.on_sent(e),
    OperatorPaged: lambda d, e: d._outside.on_ordered(e),
    OutsidePageQueued: lambda d, e: d._outside.on_queued(e),
    OutsideAcknowledged: lambda d, e: d._outside.on_acknowledged(e.page_id, e.person_id),
    PersonMarkedUnavailable: lambda d, e: d._outside.on_marked(e),
    PersonMarkedAvailable: lambda d, e: d._outside.on_back(e),
}
"""How the runner's parts change for each kind of event (`DrillRunner._apply`); the
class's, not each runner's, so that no runner refers to itself (see `DrillRunner.__init__`)."""


def _timer_is_live(script: Script, rank: int, payload: Any) -> bool:
    """Whether a timer still has a reason to fire (see `drill.engine.timers`)."""
    if rank == TIMEOUT:
        page: LivePage = payload
        return Paging.waiting(page)
    if rank == REPEAT:
        return Paging.resting(payload)
    return script.is_live(rank, payload)


def _question_fields(question: Question | None) -> dict[str, Any]:
    """`DrillStarted`'s question fields: the fold tallies answers from these alone."""
    if question is None:
        return {}
    return {
        "question_ja": question.text.ja,
        "question_en": question.text.en,
        "choices": tuple(
            (c.key, c.label.ja, c.label.en or "", c.means or "") for c in question.choices
        ),
    }
