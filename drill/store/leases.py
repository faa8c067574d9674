"""Drill leases in the event store: the row-backed `DrillLease` (one engine per drill).

The rule is the core's (`drill.engine.lease.claim`); this module applies it atomically.
Each acquire, renew and release is one write transaction on the store's writing
connection: on SQLite `BEGIN IMMEDIATE` holds the database's write lock from the first
read of the lease row to the commit, so two processes acquiring at once take turns and
the second sees the first one's lease; on PostgreSQL `SELECT … FOR UPDATE` locks the
row, and two first claims of a new drill collide on its primary key and are retried. A
row with a heartbeat rather than a session-held advisory lock: the lease outlives a
dropped connection for its time to live (a network blip does not hand the drill over),
and `drillkit drills` and `LeaseHeld` can name the holder from the row.

Lease times are the real wall clock of the process (UTC), whatever clock the drill runs
on. Every acquisition, takeover and release is also appended to `drill_lease_log`, so a
takeover after a crash stays on record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from drill.engine.lease import (
    DEFAULT_TTL,
    ClaimAction,
    Lease,
    LeaseOwner,
    claim,
    wall_now,
)
from drill.errors import StoreError
from drill.store.schema import drill_lease_log, drill_leases

__all__ = [
    "TTL_ENV_VAR",
    "LeaseEntry",
    "StoreLease",
    "Writer",
    "entry_from_row",
    "lease_from_row",
    "resolve_ttl",
]

log = logging.getLogger(__name__)

TTL_ENV_VAR = "DRILLKIT_LEASE_TTL"
"""Seconds a drill's lease lasts without a heartbeat, when `EventStore.open` is not told."""
_RACE_RETRIES = 5

_T = TypeVar("_T")


class Writer(Protocol):
    """Runs `work` on the store's writing connection (it begins its own transaction)."""

    def __call__(self, work: Callable[[Connection], _T]) -> Awaitable[_T]: ...


def resolve_ttl(ttl: float | None) -> float:
    """`ttl`, else `DRILLKIT_LEASE_TTL`, else the default (25 s); refuses nonsense."""
    if ttl is None:
        raw = os.environ.get(TTL_ENV_VAR, "").strip()
        if not raw:
            return DEFAULT_TTL
        try:
            ttl = float(raw)
        except ValueError:
            ttl = -1.0
        if not 0 < ttl < float("inf"):
            raise StoreError(
                f"{TTL_ENV_VAR}={raw!r} is not a number of seconds greater than 0. Set it to "
                f"how long a crashed drill stays locked (e.g. {DEFAULT_TTL:g}), or unset it."
            )
    if not 0 < ttl < float("inf"):
        raise StoreError(f"A drill lease must last a positive number of seconds, not {ttl!r}.")
    return float(ttl)


@dataclasses.dataclass(frozen=True, slots=True)
class LeaseEntry:
    """One line of a drill's lease history (`drill_lease_log`)."""

    drill_id: str
    at: dt.datetime
    action: str
    """"acquired", "taken_over" (after the previous holder's lease expired) or "released"."""
    owner: LeaseOwner
    previous_holder: str | None
    """For "taken_over": the owner id whose lease had expired."""


def lease_from_row(row: Row[Any]) -> Lease:
    return Lease(
        drill_id=row.drill_id,
        owner=LeaseOwner(row.holder, row.host, row.pid, row.operator),
        started_at=row.started_at,
        heartbeat_at=row.heartbeat_at,
        expires_at=row.expires_at,
        taken_over_from=row.taken_over_from,
        released_at=row.released_at,
    )


def entry_from_row(row: Row[Any]) -> LeaseEntry:
    return LeaseEntry(
        drill_id=row.drill_id,
        at=row.at,
        action=row.action,
        owner=LeaseOwner(row.holder, row.host, row.pid, row.operator),
        previous_holder=row.previous_holder,
    )


def _columns(lease: Lease) -> dict[str, Any]:
    return {
        "holder": lease.owner.id,
        "host": lease.owner.host,
        "pid": lease.owner.pid,
        "operator": lease.owner.operator,
        "started_at": lease.started_at,
        "heartbeat_at": lease.heartbeat_at,
        "expires_at": lease.expires_at,
        "released_at": lease.released_at,
        "taken_over_from": lease.taken_over_from,
    }


def _log(conn: Connection, lease: Lease, action: str, at: dt.datetime) -> None:
    conn.execute(
        insert(drill_lease_log),
        {
            "drill_id": lease.drill_id,
            "at": at,
            "action": action,
            "holder": lease.owner.id,
            "host": lease.owner.host,
            "pid": lease.owner.pid,
            "operator": lease.owner.operator,
            "previous_holder": lease.taken_over_from if action == "taken_over" else None,
        },
    )


def _current(conn: Connection, drill_id: str) -> Lease | None:
    row = conn.execute(
        select(drill_leases).where(drill_leases.c.drill_id == drill_id).with_for_update()
    ).first()
    return lease_from_row(row) if row is not None else None


class StoreLease:
    """`owner`'s lease on one drill, kept in the event store (a `DrillLease`)."""

    def __init__(self, write: Writer, drill_id: str, owner: LeaseOwner, ttl: float) -> None:
        """Use `EventStore.lease`. `write` runs a function in a write transaction's
        connection (the store's writer)."""
        self._write = write
        self.drill_id = drill_id
        self.owner = owner
        self.ttl = ttl

    async def acquire(self) -> Lease:
        return await self._write(self._acquire)

    async def renew(self) -> Lease | None:
        return await self._write(self._renew)

    async def release(self) -> None:
        await self._write(self._release)

    def _acquire(self, conn: Connection) -> Lease:
        for attempt in range(1, _RACE_RETRIES + 1):
            try:
                with conn.begin():
                    current = _current(conn, self.drill_id)
                    now = wall_now()  # read under the lock: the decision is made at this time
                    outcome = claim(current, self.drill_id, self.owner, now, self.ttl)
                    if not outcome.won:
                        return outcome.lease
                    values = _columns(outcome.lease)
                    if current is None:
                        conn.execute(insert(drill_leases), {"drill_id": self.drill_id, **values})
                    else:
                        conn.execute(
                            update(drill_leases)
                            .where(drill_leases.c.drill_id == self.drill_id)
                            .values(**values)
                        )
                    if outcome.action is not ClaimAction.KEPT:
                        _log(conn, outcome.lease, outcome.action.value, now)
                    return outcome.lease
            except IntegrityError:  # PostgreSQL: another process created the row first
                if attempt == _RACE_RETRIES:
                    raise
                log.debug(
                    "lease of %s: lost a race to create it (attempt %d)", self.drill_id, attempt
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _renew(self, conn: Connection) -> Lease | None:
        with conn.begin():
            current = _current(conn, self.drill_id)
            if (
                current is None
                or current.owner.id != self.owner.id
                or current.released_at is not None
            ):
                return current
            now = wall_now()
            renewed = dataclasses.replace(
                current, heartbeat_at=now, expires_at=now + dt.timedelta(seconds=self.ttl)
            )
            conn.execute(
                update(drill_leases)
                .where(drill_leases.c.drill_id == self.drill_id)
                .values(heartbeat_at=renewed.heartbeat_at, expires_at=renewed.expires_at)
            )
            return renewed

    def _release(self, conn: Connection) -> None:
        with conn.begin():
            current = _current(conn, self.drill_id)
            if (
                current is None
                or current.owner.id != self.owner.id
                or current.released_at is not None
            ):
                return
            now = wall_now()
            conn.execute(
                update(drill_leases)
                .where(drill_leases.c.drill_id == self.drill_id)
                .values(released_at=now, expires_at=now)
            )
            _log(conn, current, "released", now)
