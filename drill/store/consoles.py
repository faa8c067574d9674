"""Consoles in the event store: who watches a drill, and what they ask its engine to do.

Several consoles (the Textual console, `drillkit watch`) may follow one drill; one engine
runs it (the drill's lease). This module keeps the two things they share besides the
events:

- **Watchers** (`console_watchers`): each console following a drill renews a row with a
  heartbeat, so every board can say who is watching. A row whose heartbeat is older
  than a few beats is someone who left without saying so (a closed laptop).
- **Operator requests** (`operator_requests`, `operator_answers`): an operator action
  entered at a console that does not hold the drill's lease is written here as a
  request (who, from which console, what). The owning engine takes it, applies it
  through the runner (which records the event with the request's key, so a request is
  never applied twice, even across a takeover), and writes the answer: applied with the
  event's seq, or refused and why. Both tables are append-only.

The SQL lives here; `EventStore` exposes it (`watch`, `watchers`, `ask`, `pending`,
`answer`, `answer_of`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import secrets
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from drill.store.schema import console_watchers, operator_answers, operator_requests

__all__ = [
    "APPLIED",
    "CALLBACK",
    "REFUSED",
    "REQUEST_KINDS",
    "ConsoleIdentity",
    "OperatorRequest",
    "RequestAnswer",
    "Watcher",
    "request_key",
]

APPLIED = "applied"
REFUSED = "refused"
CALLBACK = "callback"
"""A request written by an ack server instance that does not run the drill: a link,
keypress, reply or provider status for the owning engine (`drill.ack.relay`). Its payload
is the `drill.engine.callback.Callback`; its answer's `message` is the `AckOutcome`."""
REQUEST_KINDS = (
    "ack",
    "step",
    "note",
    "pause",
    "unpause",
    "abort",
    "update",
    "page",
    "unavailable",
    "handover",
    CALLBACK,
    "available",
)
"""What a console (or an ack server instance) may ask the owning engine to do."""
_KEY_PREFIX = "console-request:"


def request_key(request_id: str) -> str:
    """The idempotency key of the event a request becomes (one event per request)."""
    return f"{_KEY_PREFIX}{request_id}"


@dataclasses.dataclass(frozen=True, slots=True)
class ConsoleIdentity:
    """One console (or `drillkit watch` board) of one process: where a person sits."""

    id: str
    """`host:pid:random`: unique per console, readable by a person."""
    host: str
    pid: int
    operator: str | None
    kind: str
    """"console" (the Textual console) or "watch" (a read-only board)."""

    @classmethod
    def here(cls, operator: str | None, kind: str = "console") -> ConsoleIdentity:
        host = platform.node() or "localhost"
        pid = os.getpid()
        return cls(f"{host}:{pid}:{secrets.token_hex(3)}", host, pid, operator, kind)


@dataclasses.dataclass(frozen=True, slots=True)
class Watcher:
    """A console following a drill, as its last heartbeat left it."""

    console_id: str
    drill_id: str
    kind: str
    operator: str | None
    host: str
    pid: int
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    left_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class OperatorRequest:
    """An operator action asked for at a console that does not run the drill."""

    request_id: str
    drill_id: str
    kind: str
    """One of `REQUEST_KINDS`."""
    payload: dict[str, Any]
    """The action's arguments (JSON): for "ack" `ref`, `tree`, `level`, `reached_at`
    (ISO), `note`; for "step" `step`, `note`; for "note" `text`; for "pause" `reason`;
    for "abort" `reason`; for "update" (a status update, 第N報) `text`, `kind` (first,
    followup, final or none) and `audience` (reached, tree:<tree>, level:<tree>/<level>,
    agency); for "page" `asked` (person, role, ad_hoc, unanswered) and `target` or
    `name`, `phone`, `email`; for "unavailable" `person`, `reason`, `until` (ISO or
    absent); for "available" (a mark taken back, 復帰) `person`; for "handover" `to`,
    `note`."""
    operator: str
    """Who asked (the name typed at the console)."""
    console_id: str
    """From which console (`ConsoleIdentity.id`)."""
    host: str
    requested_at: dt.datetime

    @property
    def origin(self) -> str:
        """Where it came from, as the resulting event records it."""
        return self.console_id

    @property
    def key(self) -> str:
        return request_key(self.request_id)


@dataclasses.dataclass(frozen=True, slots=True)
class RequestAnswer:
    """The owning engine's answer to a request."""

    request_id: str
    drill_id: str
    outcome: str
    """`APPLIED` or `REFUSED`."""
    seq: int | None
    """The seq of the event recorded for it (applied)."""
    message: str | None
    """Why it was refused (the engine's words)."""
    holder: str
    """The engine (lease owner id) that answered."""
    answered_at: dt.datetime

    @property
    def applied(self) -> bool:
        return self.outcome == APPLIED


def new_request_id() -> str:
    return secrets.token_hex(12)


# -- watchers ---------------------------------------------------------------------------


def beat(conn: Connection, drill_id: str, me: ConsoleIdentity, now: dt.datetime) -> None:
    """Insert or renew `me`'s watcher row (one write transaction)."""
    with conn.begin():
        found = conn.execute(
            update(console_watchers)
            .where(console_watchers.c.console_id == me.id)
            .values(drill_id=drill_id, heartbeat_at=now, left_at=None)
        )
        if found.rowcount:
            return
        conn.execute(
            insert(console_watchers),
            {
                "console_id": me.id,
                "drill_id": drill_id,
                "kind": me.kind,
                "operator": me.operator,
                "host": me.host,
                "pid": me.pid,
                "started_at": now,
                "heartbeat_at": now,
                "left_at": None,
            },
        )


def leave(conn: Connection, me: ConsoleIdentity, now: dt.datetime) -> None:
    with conn.begin():
        conn.execute(
            update(console_watchers)
            .where(console_watchers.c.console_id == me.id, console_watchers.c.left_at.is_(None))
            .values(left_at=now)
        )


def watchers_query(drill_id: str, since: dt.datetime) -> Any:
    return (
        select(console_watchers)
        .where(
            console_watchers.c.drill_id == drill_id,
            console_watchers.c.left_at.is_(None),
            console_watchers.c.heartbeat_at >= since,
        )
        .order_by(console_watchers.c.started_at, console_watchers.c.console_id)
    )


def watcher_from_row(row: Row[Any]) -> Watcher:
    return Watcher(
        console_id=row.console_id,
        drill_id=row.drill_id,
        kind=row.kind,
        operator=row.operator,
        host=row.host,
        pid=row.pid,
        started_at=row.started_at,
        heartbeat_at=row.heartbeat_at,
        left_at=row.left_at,
    )


# -- requests and answers ---------------------------------------------------------------


def insert_request(conn: Connection, request: OperatorRequest) -> None:
    with conn.begin():
        conn.execute(
            insert(operator_requests),
            {
                "request_id": request.request_id,
                "drill_id": request.drill_id,
                "kind": request.kind,
                "payload": json.dumps(request.payload, ensure_ascii=False, sort_keys=True),
                "operator": request.operator,
                "console_id": request.console_id,
                "host": request.host,
                "requested_at": request.requested_at,
            },
        )


def pending_query(drill_id: str) -> Any:
    """The drill's requests without an answer, oldest first."""
    return (
        select(operator_requests)
        .outerjoin(
            operator_answers, operator_answers.c.request_id == operator_requests.c.request_id
        )
        .where(operator_requests.c.drill_id == drill_id, operator_answers.c.request_id.is_(None))
        .order_by(operator_requests.c.requested_at, operator_requests.c.request_id)
    )


def request_from_row(row: Row[Any]) -> OperatorRequest:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        payload = {}
    return OperatorRequest(
        request_id=row.request_id,
        drill_id=row.drill_id,
        kind=row.kind,
        payload=payload if isinstance(payload, dict) else {},
        operator=row.operator,
        console_id=row.console_id,
        host=row.host,
        requested_at=row.requested_at,
    )


def answer_query(request_id: str) -> Any:
    return select(operator_answers).where(operator_answers.c.request_id == request_id)


def answer_from_row(row: Row[Any]) -> RequestAnswer:
    return RequestAnswer(
        request_id=row.request_id,
        drill_id=row.drill_id,
        outcome=row.outcome,
        seq=row.seq,
        message=row.message,
        holder=row.holder,
        answered_at=row.answered_at,
    )


def insert_answer(conn: Connection, answer: RequestAnswer) -> RequestAnswer:
    """Record `answer`; if the request was already answered (a takeover raced), the
    first answer stands and is returned."""
    try:
        with conn.begin():
            conn.execute(
                insert(operator_answers),
                {
                    "request_id": answer.request_id,
                    "drill_id": answer.drill_id,
                    "answered_at": answer.answered_at,
                    "outcome": answer.outcome,
                    "seq": answer.seq,
                    "message": answer.message,
                    "holder": answer.holder,
                },
            )
        return answer
    except IntegrityError:
        row = conn.execute(answer_query(answer.request_id)).first()
        conn.rollback()
        if row is None:
            raise
        return answer_from_row(row)
