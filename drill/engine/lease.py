"""One owner per drill: the lease an engine holds on a drill while it runs it.

A drill is driven by one engine at a time: two engines on one drill (a second `resume`
of a drill that is still running) would page everyone twice. So before a runner records
any event of a drill it acquires the drill's **lease**; it renews the lease with a
heartbeat while it runs and releases it when it closes. Another engine asking for the
lease meanwhile is refused with `LeaseHeld`, whose message names the holder and since
when. A lease that is no longer renewed (its holder crashed or was killed) expires after
its time to live; only then may another engine take it over, and the back-end records
who took it over from whom.

- `DrillLease` is the protocol a back-end implements for one owner's claim on one drill:
  `acquire`, `renew`, `release`. The event store implements it with a row per drill,
  claimed in one write transaction (`drill.store.leases`); `MemoryLeases` is the
  in-memory double for engine tests. A PostgreSQL advisory lock can back the same
  protocol later: `acquire` is `pg_try_advisory_lock(key)` on a session kept open for
  the run (plus the holder's row, so a refusal can still name who holds it), `renew`
  checks that the session is alive, `release` is `pg_advisory_unlock`; the server drops
  the lock when the holder's session dies, and `ttl` then only paces the heartbeat.
- `claim` is the rule every row-based back-end applies inside its transaction.
- `LeaseKeeper` is what the runner uses: it acquires (or raises `LeaseHeld`), renews in
  the background, fences the event sink (`guard`) so that an engine that lost its lease
  records nothing more (and so pages nobody: a page is recorded before it is sent), and
  releases.

Lease times are wall-clock UTC, never the drill's clock: a drill on a virtual or scaled
clock still holds its lease for real seconds, because the engine it keeps out lives in
real time. The keeper's heartbeat sleeps on the event loop's (real, monotonic) clock, and
it counts what is left of its lease on that clock too, from before each renewal was
sent: it never believes it holds a lease that the back-end has already let expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import platform
import secrets
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Protocol, TypeVar, runtime_checkable

from drill.engine.events import Event
from drill.engine.sink import (
    Appended,
    EventSink,
    StoredEvent,
    append_all,
    commits_apart,
    expect_appends,
)
from drill.errors import EngineError

__all__ = [
    "DEFAULT_TTL",
    "Claim",
    "ClaimAction",
    "DrillLease",
    "DrillLeases",
    "Lease",
    "LeaseHeld",
    "LeaseKeeper",
    "LeaseLost",
    "LeaseOwner",
    "MemoryLeases",
    "claim",
    "hold_lease",
    "leases_of",
    "wall_now",
    "when_holder_is_gone",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_TTL = 25.0
"""Seconds a lease lasts without a heartbeat: how long a crashed engine keeps its drill."""
HEARTBEATS_PER_TTL = 5
"""The keeper renews this many times per time to live (every 5 s for 25 s), so several
heartbeats can be late or fail before the lease runs out."""


def wall_now() -> dt.datetime:
    """The real wall clock, in UTC: what lease times are measured on."""
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class LeaseOwner:
    """Who holds, or asks for, a drill's lease: a readable id and where it runs."""

    id: str
    """`host:pid:random`: unique per engine, readable by a person."""
    host: str
    """The machine's host name."""
    pid: int
    """The process id on that machine."""
    operator: str | None = None
    """Who started or resumed the drill there (login name or --operator)."""

    @classmethod
    def here(cls, operator: str | None = None) -> LeaseOwner:
        """An owner for an engine of this process (a new random part each time)."""
        host = platform.node() or "localhost"
        pid = os.getpid()
        return cls(f"{host}:{pid}:{secrets.token_hex(3)}", host, pid, operator)


@dataclasses.dataclass(frozen=True, slots=True)
class Lease:
    """A drill's lease as a back-end has it: who holds it, since when, until when."""

    drill_id: str
    owner: LeaseOwner
    started_at: dt.datetime
    """When this owner acquired it (or took it over)."""
    heartbeat_at: dt.datetime
    """When this owner last renewed it."""
    expires_at: dt.datetime
    """When it lapses unless renewed; another engine may take it over from then on."""
    taken_over_from: str | None = None
    """The owner id whose expired lease this one took over, if it did."""
    released_at: dt.datetime | None = None
    """When its owner gave it up; a released lease is free."""

    def live(self, now: dt.datetime) -> bool:
        """True while it keeps other engines out: not released and not expired."""
        return self.released_at is None and now < self.expires_at


class ClaimAction(StrEnum):
    """What `claim` decided."""

    ACQUIRED = "acquired"
    """Nobody held it (or its holder released it): now this owner's."""
    TAKEN_OVER = "taken_over"
    """Its holder stopped renewing it and it expired: now this owner's."""
    KEPT = "kept"
    """It was already this owner's: renewed."""
    REFUSED = "refused"
    """Someone else holds it and it has not expired: unchanged."""


@dataclasses.dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of `claim`: the lease as it stands afterwards, and what happened."""

    lease: Lease
    action: ClaimAction

    @property
    def won(self) -> bool:
        return self.action is not ClaimAction.REFUSED


def claim(
    current: Lease | None, drill_id: str, owner: LeaseOwner, now: dt.datetime, ttl: float
) -> Claim:
    """The lease rule, for a back-end to apply atomically to the row it read.

    Free (no row, or released): acquired. This owner's: kept and renewed. Someone else's
    but expired: taken over, naming the previous holder. Someone else's and live:
    refused, nothing changes.
    """
    expires = now + dt.timedelta(seconds=ttl)
    if current is not None and current.owner.id == owner.id and current.released_at is None:
        renewed = dataclasses.replace(current, heartbeat_at=now, expires_at=expires)
        return Claim(renewed, ClaimAction.KEPT)
    if current is not None and current.live(now):
        return Claim(current, ClaimAction.REFUSED)
    taken = current is not None and current.released_at is None
    lease = Lease(
        drill_id=drill_id,
        owner=owner,
        started_at=now,
        heartbeat_at=now,
        expires_at=expires,
        taken_over_from=current.owner.id if taken and current is not None else None,
    )
    return Claim(lease, ClaimAction.TAKEN_OVER if taken else ClaimAction.ACQUIRED)


class DrillLease(Protocol):
    """One owner's claim on one drill, as a back-end keeps it."""

    @property
    def drill_id(self) -> str: ...

    @property
    def owner(self) -> LeaseOwner: ...

    @property
    def ttl(self) -> float:
        """Seconds the lease lasts after each acquire or renew."""
        ...

    async def acquire(self) -> Lease:
        """Take the lease, in one atomic step, if it is free, expired or already ours.

        Returns the lease as it stands afterwards: this owner's when taken, else the
        holder's (and nothing changed).
        """
        ...

    async def renew(self) -> Lease | None:
        """Extend this owner's lease by `ttl` from now.

        Returns the lease as it stands: someone else's if it was taken over after it
        expired (nothing changed), None if the back-end has no lease for the drill.
        """
        ...

    async def release(self) -> None:
        """Give the lease up now, if this owner still holds it."""
        ...


@runtime_checkable
class DrillLeases(Protocol):
    """Where leases come from: the event store, or `MemoryLeases`."""

    def lease(self, drill_id: str, owner: LeaseOwner) -> DrillLease:
        """`owner`'s (not yet acquired) lease on `drill_id`."""
        ...


def leases_of(sink: EventSink) -> DrillLeases | None:
    """The sink's own leases if it keeps them (the event store does), else None."""
    return sink if isinstance(sink, DrillLeases) else None


# == the in-memory back-end ===============================================================


class MemoryLeases:
    """Leases in memory, for engine tests and throwaway runs: same rule, one process.

    `clock` gives the wall time (UTC) the leases are measured on; a test may pass its
    own to make a lease expire without waiting. `history` lists every change as
    (action, drill id, owner id, previous owner id).
    """

    def __init__(self, *, ttl: float = DEFAULT_TTL, clock: Callable[[], dt.datetime] = wall_now):
        if not ttl > 0:
            raise ValueError("a lease's time to live must be positive")
        self.ttl = ttl
        self.clock = clock
        self._leases: dict[str, Lease] = {}
        self.history: list[tuple[str, str, str, str | None]] = []

    def lease(self, drill_id: str, owner: LeaseOwner) -> _MemoryLease:
        return _MemoryLease(self, drill_id, owner)

    def holder(self, drill_id: str) -> Lease | None:
        """The drill's lease as it stands (held, expired or released), if any."""
        return self._leases.get(drill_id)


class _MemoryLease:
    def __init__(self, leases: MemoryLeases, drill_id: str, owner: LeaseOwner) -> None:
        self._leases = leases
        self.drill_id = drill_id
        self.owner = owner

    @property
    def ttl(self) -> float:
        return self._leases.ttl

    async def acquire(self) -> Lease:
        store = self._leases
        outcome = claim(
            store.holder(self.drill_id), self.drill_id, self.owner, store.clock(), self.ttl
        )
        if outcome.won:
            store._leases[self.drill_id] = outcome.lease
        if outcome.action in (ClaimAction.ACQUIRED, ClaimAction.TAKEN_OVER):
            store.history.append(
                (outcome.action, self.drill_id, self.owner.id, outcome.lease.taken_over_from)
            )
        return outcome.lease

    async def renew(self) -> Lease | None:
        store = self._leases
        current = store.holder(self.drill_id)
        if current is None or current.owner.id != self.owner.id or current.released_at is not None:
            return current
        now = store.clock()
        renewed = dataclasses.replace(
            current, heartbeat_at=now, expires_at=now + dt.timedelta(seconds=self.ttl)
        )
        store._leases[self.drill_id] = renewed
        return renewed

    async def release(self) -> None:
        store = self._leases
        current = store.holder(self.drill_id)
        if current is None or current.owner.id != self.owner.id or current.released_at is not None:
            return
        now = store.clock()
        store._leases[self.drill_id] = dataclasses.replace(current, released_at=now, expires_at=now)
        store.history.append(("released", self.drill_id, self.owner.id, None))


# == refusals =============================================================================


def _when(at: dt.datetime, zone: dt.tzinfo | None) -> str:
    return at.astimezone(zone or dt.UTC).strftime("%Y-%m-%d %H:%M:%S %Z")


def _who(owner: LeaseOwner, ja: bool) -> str:
    if ja:
        by = f"{owner.operator}、" if owner.operator else ""
        return f"{owner.id}（{by}{owner.host} の PID {owner.pid}）"
    by = f"operator {owner.operator}, " if owner.operator else ""
    return f"{owner.id} ({by}PID {owner.pid} on {owner.host})"


class LeaseHeld(EngineError):
    """Another engine holds the drill's lease: this one must not run the drill."""

    title = "訓練は別のエンジンが実行中です / Drill already running"

    def __init__(self, lease: Lease, zone: dt.tzinfo | None = None) -> None:
        self.lease = lease
        since = _when(lease.started_at, zone)
        beat = _when(lease.heartbeat_at, zone)
        until = _when(lease.expires_at, zone)
        drill = lease.drill_id
        super().__init__(
            f"訓練 {drill} は、{_who(lease.owner, True)}が {since} から実行中です"
            f"（最終ハートビート {beat}）。同じ訓練を二つのエンジンで動かすと全員を二重に"
            "呼び出すため、ここでは開始しませんでした。そのプロセスが停止している場合は "
            f"{until} 以降に引き継げるので、その後でもう一度実行してください。\n\n"
            f"Drill {drill} is being run by {_who(lease.owner, False)} since {since} (last "
            f"heartbeat {beat}). It was not started here: two engines on one drill would "
            "page everyone twice. If that process has stopped, the drill can be taken over "
            f"from {until}; run the command again then."
        )


class LeaseLost(EngineError):
    """This engine's lease was taken over (it stopped renewing it): it must stop."""

    title = "訓練の実行権を失いました / Drill lease lost"

    def __init__(self, drill_id: str, holder: Lease | None, zone: dt.tzinfo | None = None):
        self.lease = holder
        if holder is None:
            ja_who, en_who = (
                "このエンジンはもう保持していないため",
                "this engine no longer holds it",
            )
        else:
            at = _when(holder.started_at, zone)
            ja_who = f"{_who(holder.owner, True)} が {at} に引き継いだため"
            en_who = f"{_who(holder.owner, False)} took it over at {at}"
        super().__init__(
            f"訓練 {drill_id} の実行権（リース）を更新できませんでした。{ja_who}、"
            "このエンジンは以後何も記録・送信しません。\n\n"
            f"This engine could not renew its lease on drill {drill_id}: {en_who}. It "
            "records and sends nothing more."
        )


# == the keeper ===========================================================================


class LeaseKeeper:
    """Holds one drill's lease for a runner: acquire, heartbeat, fence, release.

    `heartbeat` is the seconds between renewals (a fifth of the lease's time to live by
    default). `zone` is where the times in its messages are shown.
    """

    def __init__(
        self,
        lease: DrillLease,
        *,
        zone: dt.tzinfo | None = None,
        heartbeat: float | None = None,
    ) -> None:
        self._lease = lease
        self._zone = zone
        self._interval = heartbeat if heartbeat is not None else lease.ttl / HEARTBEATS_PER_TTL
        self._held: Lease | None = None
        self._valid_until = 0.0
        """Loop time until which the lease is surely still ours: measured from before the
        last successful acquire or renew was sent, so never later than the back-end's
        own expiry, whatever its wall clock says."""
        self._lost: LeaseLost | None = None
        self._beating: asyncio.Task[None] | None = None
        self._renewing: asyncio.Lock | None = None

    @property
    def drill_id(self) -> str:
        return self._lease.drill_id

    @property
    def owner(self) -> LeaseOwner:
        return self._lease.owner

    @property
    def held(self) -> Lease | None:
        """The lease as last acquired or renewed; None before `acquire` and after losing
        or releasing it."""
        return None if self._lost is not None else self._held

    async def acquire(self) -> Lease:
        """Take the lease and start the heartbeat; `LeaseHeld` if another engine has it."""
        loop = asyncio.get_running_loop()
        sent = loop.time()
        lease = await self._lease.acquire()
        if lease.owner.id != self.owner.id:
            raise LeaseHeld(lease, self._zone)
        if lease.taken_over_from is not None:
            log.warning(
                "drill %s: took over the expired lease of %s",
                self.drill_id,
                lease.taken_over_from,
            )
        self._held = lease
        self._valid_until = sent + self._lease.ttl
        self._renewing = asyncio.Lock()
        self._beating = loop.create_task(self._beat(), name=f"drillkit-lease-{self.drill_id}")
        return lease

    async def check(self) -> None:
        """Raise `LeaseLost` unless this engine still holds the lease.

        Cheap while heartbeats succeed. Once the last renewal is about to run out (the
        heartbeat is late or failing), it renews first, so an engine that was stopped
        or cut off for longer than the time to live learns that it was replaced before
        it records anything.
        """
        if self._lost is not None:
            raise self._lost
        if self._held is None:
            raise LeaseLost(self.drill_id, None, self._zone)
        margin = min(self._interval, self._lease.ttl / 2)
        if asyncio.get_running_loop().time() >= self._valid_until - margin:
            await self._renew()

    def guard(self, sink: EventSink) -> EventSink:
        """`sink`, refusing (`LeaseLost`) to store this drill's events without the lease."""
        return _GuardedSink(sink, self)

    async def release(self) -> None:
        """Stop the heartbeat and give the lease up (errors are logged, never raised)."""
        beating, self._beating = self._beating, None
        if beating is not None:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
        if self._held is None or self._lost is not None:
            self._held = None
            return
        self._held = None
        try:
            await self._lease.release()
        except Exception:
            log.exception("drill %s: could not release the lease (it expires)", self.drill_id)

    async def _renew(self) -> None:
        assert self._renewing is not None
        async with self._renewing:
            if self._lost is not None:
                raise self._lost
            sent = asyncio.get_running_loop().time()
            lease = await self._lease.renew()
            if lease is None or lease.owner.id != self.owner.id:
                self._lost = LeaseLost(self.drill_id, lease, self._zone)
                log.error("%s", self._lost.message)
                raise self._lost
            self._held = lease
            self._valid_until = sent + self._lease.ttl

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._renew()
            except LeaseLost:
                return
            except Exception as exc:  # the store is busy or away: try again next beat
                log.warning("drill %s: could not renew the lease: %s", self.drill_id, exc)


class _GuardedSink:
    """An `EventSink` that checks the keeper's lease before every write."""

    def __init__(self, inner: EventSink, keeper: LeaseKeeper) -> None:
        self._inner = inner
        self._keeper = keeper

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        await self._check(drill_id)
        return await self._inner.append(drill_id, event, key)

    async def append_many(
        self, drill_id: str, items: Sequence[tuple[Event, str | None]]
    ) -> Sequence[Appended]:
        await self._check(drill_id)
        return await append_all(self._inner, drill_id, items)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self._inner.read(drill_id)

    @property
    def commits_apart(self) -> bool:
        return commits_apart(self._inner)

    def expect_appends(self, appends: int) -> None:
        expect_appends(self._inner, appends)

    async def _check(self, drill_id: str) -> None:
        if drill_id == self._keeper.drill_id:
            await self._keeper.check()


async def hold_lease(
    leases: DrillLeases | None,
    drill_id: str,
    operator: str | None,
    zone: dt.tzinfo | None,
) -> LeaseKeeper | None:
    """Acquire `drill_id`'s lease for an engine of this process (None without leases).

    Raises `LeaseHeld` when another engine holds it.
    """
    if leases is None:
        return None
    keeper = LeaseKeeper(leases.lease(drill_id, LeaseOwner.here(operator)), zone=zone)
    await keeper.acquire()
    return keeper


async def when_holder_is_gone(attempt: Callable[[], Awaitable[_T]], *, tries: int = 3) -> _T:
    """`attempt()` (which takes a drill's lease); when refused, again once the holder's
    lease has expired, unless the holder renewed it meanwhile (it is alive: `LeaseHeld`).

    For unattended restarts, such as the calendar service coming back after a crash: the
    engine holding the drill was most likely the same service before it died, and its
    lease lapses within one time to live. A person at a terminal is better told at once.
    """
    seen: Lease | None = None
    for attempt_number in range(1, tries + 1):
        try:
            return await attempt()
        except LeaseHeld as held:
            lease = held.lease
            alive = seen is not None and (
                lease.owner.id != seen.owner.id or lease.heartbeat_at > seen.heartbeat_at
            )
            if alive or attempt_number == tries:
                raise
            seen = lease
            log.warning(
                "drill %s is held by %s without a heartbeat since %s; waiting for it to expire",
                lease.drill_id,
                lease.owner.id,
                lease.heartbeat_at.isoformat(),
            )
            await asyncio.sleep(max(0.0, (lease.expires_at - wall_now()).total_seconds()) + 0.05)
    raise AssertionError("unreachable")  # pragma: no cover
