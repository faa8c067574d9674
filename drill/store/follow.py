"""Following a drill that another process runs, and acting on it through the store.

Any number of consoles follow one drill; one engine runs it (the drill's lease). This
is the one place both sides of that meet, used by the Textual console and by
`drillkit watch` alike:

- `DrillFollower` reads the drill's new events by sequence number (one range scan of the
  events' primary key) and folds them into a `DrillState`, the same fold the engine,
  the reports and the board read: a follower never judges anything itself. Between
  reads it waits on `EventStore.wait_for_events` (a short poll on SQLite, a NOTIFY on
  PostgreSQL). It also keeps the console's watcher heartbeat and reads who runs the
  drill and who else watches it (`Presence`).
- `ask` is a console's operator action on a drill it does not run: the request is
  written to the store, then the console waits for the owning engine's answer, which
  comes only after the resulting event is committed (so "accepted" is never said of an
  acknowledgement that could still be lost).
- `OperatorDesk` is the owning engine's side: it takes the pending requests of its
  drill, applies each through the runner's operator API with the request's key (an
  engine that took the drill over never applies one twice) and the console it came
  from, and records the answer. A "callback" request, written by an ack server instance
  that does not run the drill (`drill.ack.relay`), is applied through the runner's
  `Inbox` by `drill.engine.callback.apply_callback` with the callback's own key, and
  answered with the acknowledgement's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol

from drill.engine.callback import Callback, apply_callback
from drill.engine.events import DrillStarted
from drill.engine.lease import Lease, LeaseLost, wall_now
from drill.engine.notifier import AckOutcome, Inbox
from drill.engine.sink import StoredEvent
from drill.engine.state import DrillState
from drill.errors import DrillError, EngineError, StoreError
from drill.store.consoles import (
    APPLIED,
    CALLBACK,
    REFUSED,
    ConsoleIdentity,
    OperatorRequest,
    RequestAnswer,
    Watcher,
    new_request_id,
)
from drill.store.eventstore import EventStore

__all__ = [
    "HEARTBEAT",
    "DrillFollower",
    "Operations",
    "OperatorDesk",
    "Presence",
    "RequestRefused",
    "ask",
    "operator_desk",
]

log = logging.getLogger(__name__)

HEARTBEAT = 2.0
"""Seconds between a console's watcher heartbeats (and reads of who owns the drill)."""
_GONE_AFTER = 5 * HEARTBEAT
"""A watcher whose heartbeat is older than this has left (closed without saying so)."""
_DESK_POLL = 0.2
"""Seconds between the owning engine's looks for operator requests."""
_ANSWER_WAIT = 30.0
"""Seconds a console waits for the owning engine's answer before saying it got none."""


@dataclasses.dataclass(frozen=True, slots=True)
class Presence:
    """Who runs the drill and who is watching it, as a board shows it."""

    owner: Lease | None
    """The drill's lease while it is live (its holder runs the drill); else None."""
    watchers: tuple[Watcher, ...]
    """Consoles that follow it (their heartbeat is recent), this one included."""

    @staticmethod
    def name(operator: str | None, host: str) -> str:
        """`operator@host`, or the host alone."""
        return f"{operator}@{host}" if operator else host

    @property
    def owner_name(self) -> str | None:
        if self.owner is None:
            return None
        return self.name(self.owner.owner.operator, self.owner.owner.host)

    @property
    def watcher_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.name(w.operator, w.host) for w in self.watchers))


class DrillFollower:
    """One drill as a console follows it: its events folded, live, from the store.

    `catch_up()` reads what is new; `follow()` keeps doing so until `stop()`; each batch
    of new events goes to `listeners` after it is folded into `state`.
    """

    def __init__(
        self,
        store: EventStore,
        drill_id: str,
        *,
        console: ConsoleIdentity | None = None,
    ) -> None:
        self.store = store
        self.drill_id = drill_id
        self.console = console
        """This console, registered as a watcher while it follows (None: not announced)."""
        self.state = DrillState()
        self.seq = 0
        """The last seq read."""
        self.presence = Presence(None, ())
        self.listeners: list[Callable[[Sequence[StoredEvent]], None]] = []
        self._stopped = asyncio.Event()
        self._closed = False
        self._presence_at = -HEARTBEAT

    @property
    def started(self) -> DrillStarted | None:
        return self.state.started

    @property
    def ended(self) -> bool:
        return self.state.ended is not None

    async def catch_up(self) -> list[StoredEvent]:
        """Read and fold the events recorded since the last read; tell the listeners."""
        new = await self.store.read(self.drill_id, after_seq=self.seq)
        if not new:
            return []
        for item in new:
            self.state.take(item)
        self.seq = new[-1].seq
        for listener in list(self.listeners):
            try:
                listener(new)
            except Exception:  # one view failing does not stop the others following
                log.exception("a follower's listener failed")
        return new

    async def refresh_presence(self) -> Presence:
        """Renew this console's heartbeat; read the drill's lease and its watchers."""
        now = wall_now()
        if self.console is not None and not self._closed:
            await self.store.watch(self.drill_id, self.console)
        lease = await self.store.lease_of(self.drill_id)
        since = now - dt.timedelta(seconds=_GONE_AFTER)
        watchers = await self.store.watchers(self.drill_id, since=since)
        owner = lease if lease is not None and lease.live(now) else None
        self.presence = Presence(owner, tuple(watchers))
        return self.presence

    async def follow(self, *, until_ended: bool = False) -> None:
        """Keep reading new events (and the presence, every `HEARTBEAT`) until `stop()`,
        or, with `until_ended`, until the drill has ended."""
        loop = asyncio.get_running_loop()
        while not self._stopped.is_set():
            await self.catch_up()
            if loop.time() - self._presence_at >= HEARTBEAT:
                self._presence_at = loop.time()
                try:
                    await self.refresh_presence()
                except StoreError as exc:  # busy for a moment: the events matter more
                    log.warning("could not read who watches drill %s: %s", self.drill_id, exc)
                for listener in list(self.listeners):
                    with contextlib.suppress(Exception):
                        listener(())
            if until_ended and self.ended:
                return
            await self.store.wait_for_events(self.drill_id, self.seq, timeout=1.0)

    def stop(self) -> None:
        self._stopped.set()

    async def close(self) -> None:
        """Stop following and say so (the watcher row is marked as left)."""
        self.stop()
        self._closed = True
        if self.console is not None:
            with contextlib.suppress(DrillError):
                await self.store.unwatch(self.console)

    def elapsed(self, now: dt.datetime | None = None) -> float:
        """Drill seconds now: from the start on the drill's clock (real or scaled), as
        the engine counts them; the last event's for a virtual clock or an ended drill."""
        state = self.state
        started = state.started
        if state.ended is not None or started is None:
            return state.ended.elapsed if state.ended is not None else state.elapsed
        if started.clock == "virtual":
            return state.elapsed
        speed = started.speed or 1.0
        origin = started.real_at or started.at
        seconds = ((now or wall_now()) - origin).total_seconds() * speed
        return max(state.elapsed, seconds)


# == a console's request to the owning engine ============================================


class RequestRefused(EngineError):
    """The owning engine refused an operator's request, or no engine answered."""

    title = "操作は実行されませんでした / Not done"


async def ask(
    store: EventStore,
    drill_id: str,
    kind: str,
    payload: dict[str, Any],
    *,
    operator: str,
    console: ConsoleIdentity,
    wait: float = _ANSWER_WAIT,
) -> RequestAnswer:
    """Ask the engine running `drill_id` to do `kind`; return its answer once applied.

    Raises `RequestRefused` when it refused (with its reason) or when nobody answered in
    `wait` seconds (the request stays on record; an engine that takes the drill over
    later still applies it, once).
    """
    request = OperatorRequest(
        request_id=new_request_id(),
        drill_id=drill_id,
        kind=kind,
        payload=payload,
        operator=operator,
        console_id=console.id,
        host=console.host,
        requested_at=wall_now(),
    )
    await store.ask(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        answer = await store.answer_of(request.request_id)
        if answer is not None:
            if not answer.applied:
                raise RequestRefused(
                    f"{answer.message or ''}\n\n"
                    f"訓練 {drill_id} を実行しているエンジンが操作を受け付けませんでした。"
                    f"\nThe engine running drill {drill_id} refused it."
                )
            return answer
        if loop.time() >= deadline:
            lease = await store.lease_of(drill_id)
            live = lease is not None and lease.live(wall_now())
            raise RequestRefused(
                f"訓練 {drill_id} を実行しているエンジンから {wait:g} 秒以内に応答がありませんでした"
                f"{'' if live else '（実行中のエンジンがありません）'}。依頼は記録されており、"
                "訓練を引き継いだエンジンが一度だけ適用します。\n\n"
                f"The engine running drill {drill_id} did not answer within {wait:g} s"
                f"{'' if live else ' (no engine is running it)'}. The request is on record: "
                "an engine that takes the drill over applies it, once."
            )
        await asyncio.sleep(_DESK_POLL)


# == the owning engine's desk ===========================================================


class Operations(Protocol):
    """The runner's operator API, as the desk drives it (`DrillRunner` is one)."""

    drill_id: str

    @property
    def started(self) -> bool: ...

    @property
    def over(self) -> bool: ...

    @property
    def paused(self) -> bool: ...

    @property
    def lease_holder(self) -> str | None: ...

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
    ) -> AckOutcome: ...

    async def complete_step(
        self,
        step_id: str,
        *,
        by: str,
        note: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> Any: ...

    async def add_note(
        self, text: str, *, by: str, key: str | None = None, origin: str | None = None
    ) -> None: ...

    async def pause(
        self,
        *,
        by: str,
        reason: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> None: ...

    async def unpause(
        self, *, by: str, key: str | None = None, origin: str | None = None
    ) -> None: ...

    async def abort(
        self, *, by: str, reason: str, key: str | None = None, origin: str | None = None
    ) -> None: ...

    async def issue_update(
        self,
        text: str,
        *,
        kind: Any = None,
        audience: str = "reached",
        by: str,
        key: str | None = None,
        origin: str | None = None,
    ) -> int | None: ...
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
    ) -> Any: ...

    async def mark_unavailable(
        self,
        person_id: str,
        *,
        reason: str,
        by: str,
        until: dt.datetime | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> Any: ...

    async def mark_available(
        self, person_id: str, *, by: str, key: str | None = None, origin: str | None = None
    ) -> Any: ...

    async def hand_over(
        self,
        to: str,
        *,
        by: str,
        note: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> None: ...


class OperatorDesk:
    """The owning engine's side of the consoles: takes requests, applies, answers."""

    def __init__(self, store: EventStore, runner: Operations, inbox: Inbox | None = None) -> None:
        self.store = store
        self.runner = runner
        self.inbox = inbox if inbox is not None else _inbox_of(runner)
        """Where relayed callbacks go (the runner itself: it is the drill's `Inbox`)."""
        self.answered: list[RequestAnswer] = []
        self._stopping = asyncio.Event()

    async def take_pending(self) -> list[RequestAnswer]:
        """Apply and answer every pending request of the drill, oldest first."""
        if not self.runner.started:
            return []
        answers: list[RequestAnswer] = []
        for request in await self.store.pending(self.runner.drill_id):
            answers.append(await self._handle(request))
        self.answered.extend(answers)
        return answers

    async def serve(self) -> None:
        """Take requests until the drill is over (then refuse what is left, saying why)
        or `stop()`. A request being applied is always answered before it returns."""
        while not self.runner.over and not self._stopping.is_set():
            try:
                await self.take_pending()
            except LeaseLost:  # another engine took the drill over: its desk answers now
                return
            except DrillError as exc:  # the store busy for a moment: try again
                log.warning("operator requests of %s: %s", self.runner.drill_id, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), _DESK_POLL)
        if self.runner.over:
            with contextlib.suppress(DrillError):  # LeaseLost included: nothing more to do
                await self.take_pending()  # refuse what came in as it ended, with a reason

    def stop(self) -> None:
        """Finish the request in hand (and answer it), then stop taking requests."""
        self._stopping.set()

    async def close(self, serving: asyncio.Task[None]) -> None:
        """Stop `serving` (this desk's `serve`) once the request in hand is answered: the
        abort that ended the drill still gets its answer."""
        self.stop()
        try:
            await asyncio.wait_for(asyncio.shield(serving), _ANSWER_WAIT)
        except TimeoutError:
            serving.cancel()
        except Exception:
            log.exception("serving the operator requests of %s failed", self.runner.drill_id)

    async def _handle(self, request: OperatorRequest) -> RequestAnswer:
        if request.kind == CALLBACK:
            return await self._take_callback(request)
        drill_id = self.runner.drill_id
        done = await self.store.seq_of_key(drill_id, request.key)
        if done is not None:  # applied before a crash, not yet answered: answer it now
            return await self._answer(request, APPLIED, done, None)
        try:
            await self._apply(request)
        except LeaseLost:
            raise
        except (EngineError, ValueError, TypeError, KeyError) as exc:
            message = exc.message if isinstance(exc, DrillError) else f"bad request: {exc!r}"
            return await self._answer(request, REFUSED, None, message)
        seq = await self.store.seq_of_key(drill_id, request.key)
        return await self._answer(request, APPLIED, seq, None)

    async def _apply(self, request: OperatorRequest) -> None:
        p = request.payload
        runner = self.runner
        common: dict[str, Any] = {"key": request.key, "origin": request.origin}
        by = request.operator
        kind = request.kind
        if self.runner.over:
            raise EngineError(f"drill '{runner.drill_id}' has already ended")
        if kind == "ack":
            raw = p.get("reached_at")
            reached = dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
            await runner.acknowledge_manually(
                str(p["ref"]),
                entered_by=by,
                reached_at=reached,
                note=p.get("note"),
                tree=p.get("tree"),
                level=p.get("level"),
                **common,
                # the answer to the scenario's question, when the operator entered one
                **({"choice": str(p["choice"])} if p.get("choice") else {}),
            )
        elif kind == "step":
            await runner.complete_step(str(p["step"]), by=by, note=p.get("note"), **common)
        elif kind == "note":
            await runner.add_note(str(p["text"]), by=by, **common)
        elif kind == "pause":
            await runner.pause(by=by, reason=p.get("reason"), **common)
        elif kind == "unpause":
            await runner.unpause(by=by, **common)
        elif kind == "abort":
            await runner.abort(by=by, reason=str(p["reason"]), **common)
        elif kind == "update":
            await runner.issue_update(
                str(p["text"]),
                kind=p.get("kind") or None,
                audience=str(p.get("audience") or "reached"),
                by=by,
                **common,
            )
        elif kind == "page":
            await runner.page_now(
                str(p["asked"]),
                by=by,
                target=_text(p.get("target")),
                name=_text(p.get("name")),
                phone=_text(p.get("phone")),
                email=_text(p.get("email")),
                **common,
            )
        elif kind == "unavailable":
            raw = p.get("until")
            until = dt.datetime.fromisoformat(raw) if isinstance(raw, str) and raw else None
            await runner.mark_unavailable(
                str(p["person"]), reason=str(p["reason"]), by=by, until=until, **common
            )
        elif kind == "available":
            await runner.mark_available(str(p["person"]), by=by, **common)
        elif kind == "handover":
            await runner.hand_over(str(p["to"]), by=by, note=p.get("note"), **common)
        else:
            raise EngineError(f"unknown operator request {kind!r}")

    async def _take_callback(self, request: OperatorRequest) -> RequestAnswer:
        """Apply a relayed callback with its own key (a replay is DUPLICATE, recorded once);
        the answer's message is the acknowledgement's outcome."""
        try:
            callback = Callback.from_payload(request.payload)
        except (ValueError, TypeError, KeyError) as exc:
            return await self._answer(request, REFUSED, None, f"bad callback: {exc!r}")
        if self.runner.over or self.inbox is None:
            return await self._answer(request, REFUSED, None, AckOutcome.FINISHED.value)
        try:
            outcome = await apply_callback(self.inbox, callback)
        except LeaseLost:
            raise
        except (EngineError, ValueError) as exc:
            message = exc.message if isinstance(exc, DrillError) else f"bad callback: {exc!r}"
            return await self._answer(request, REFUSED, None, message)
        seq = (
            await self.store.seq_of_key(callback.drill_id, callback.key)
            if callback.key is not None
            else None
        )
        return await self._answer(
            request, APPLIED, seq, outcome.value if outcome is not None else None
        )

    async def _answer(
        self, request: OperatorRequest, outcome: str, seq: int | None, message: str | None
    ) -> RequestAnswer:
        return await self.store.answer(
            RequestAnswer(
                request_id=request.request_id,
                drill_id=request.drill_id,
                outcome=outcome,
                seq=seq,
                message=message,
                holder=self.runner.lease_holder or "engine",
                answered_at=wall_now(),
            )
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _inbox_of(runner: object) -> Inbox | None:
    """The runner as an `Inbox`, when it is one (a `DrillRunner` is)."""
    needed = ("acknowledge", "delivery_status", "delivery_failed")
    if all(callable(getattr(runner, name, None)) for name in needed):
        return runner  # type: ignore[return-value]
    return None


@contextlib.asynccontextmanager
async def operator_desk(store: object, runner: Operations) -> AsyncIterator[OperatorDesk | None]:
    """Serve the consoles' requests for `runner`'s drill while the block runs (None when
    `store` is not an event store: a drill kept in memory has no other consoles)."""
    if not isinstance(store, EventStore):
        yield None
        return
    desk = OperatorDesk(store, runner)
    task = asyncio.get_running_loop().create_task(
        desk.serve(), name=f"drillkit-desk-{runner.drill_id}"
    )
    try:
        yield desk
    finally:
        await desk.close(task)
