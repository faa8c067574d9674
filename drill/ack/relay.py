"""Callbacks for a drill another process runs: recorded in the store for its engine.

An ack server may run as several instances on one database (behind a load balancer, in
two buildings), none of them running the drill. A callback (link confirmed, key pressed,
reply, provider status) for a drill that is not local to the instance but is live in the
store is written to the store as an operator request of kind "callback" — durable when
`deliver` returns from writing it — and the drill's owning engine applies it through its
`OperatorDesk`, with the callback's own idempotency key (`link:<token id>`,
`gather:<CallSid>`, …): a callback replayed through another instance becomes a second
request, which the engine answers DUPLICATE and records nothing new for.

Which drills are live here: those whose lease row in the store is not released. A lease
that expired without being released is a crashed engine whose drill another engine will
take over (`resume --standby`): its callbacks are recorded all the same, and the engine
that takes it over applies them, once. A released lease is a drill that ended (or was
stopped): its callbacks get the "ended" page, as they always did.

The instance waits a little (`answer_wait`, 5 s by default) for the owner's answer to an
acknowledgement, so the person is told what became of it ("confirmed", "already
confirmed another way", "this link was already used") as with an in-process drill; the
wait is not what makes it safe — the row is durable before the wait begins — so when no
answer comes in time (the owner busy, or dead and not yet taken over) the person is told
it was recorded (`AckOutcome.RECORDED`), which is true. Five seconds keeps a keypress well
inside Twilio's 15-second webhook timeout. Statuses and failures are not waited for:
nobody reads their answer.
"""

from __future__ import annotations

import asyncio
import logging

from drill.engine.callback import Callback, CallbackKind
from drill.engine.lease import wall_now
from drill.engine.notifier import AckOutcome
from drill.store.consoles import (
    APPLIED,
    CALLBACK,
    ConsoleIdentity,
    OperatorRequest,
    new_request_id,
)
from drill.store.eventstore import EventStore

__all__ = ["ANSWER_WAIT", "StoreRelay"]

log = logging.getLogger(__name__)

ANSWER_WAIT = 5.0
"""Seconds an instance waits for the owning engine's answer to an acknowledgement."""
_POLL = 0.05
"""Seconds between looks for that answer (one primary-key read each)."""


class StoreRelay:
    """Writes callbacks for drills live in `store` (run by another process) to the store."""

    def __init__(
        self,
        store: EventStore,
        *,
        instance: ConsoleIdentity | None = None,
        answer_wait: float = ANSWER_WAIT,
    ) -> None:
        self.store = store
        self.instance = instance or ConsoleIdentity.here("ack-server", kind="ack-server")
        """This ack server instance, as the request rows name it (`host:pid:random`)."""
        self.answer_wait = answer_wait

    async def live_drills(self) -> list[str]:
        """The drills an engine runs (or ran and crashed): their lease is not released."""
        leases = await self.store.leases()
        return [drill_id for drill_id, lease in leases.items() if lease.released_at is None]

    async def serves(self, drill_id: str) -> bool:
        """True when `drill_id` is live in the store (see `live_drills`)."""
        lease = await self.store.lease_of(drill_id)
        return lease is not None and lease.released_at is None

    async def deliver(self, callback: Callback) -> AckOutcome | None:
        """Record `callback` durably for the owning engine; for an acknowledgement, wait
        up to `answer_wait` s for what the engine did with it (RECORDED when no answer
        came). StoreError when it could not be recorded (nothing was)."""
        request = OperatorRequest(
            request_id=new_request_id(),
            drill_id=callback.drill_id,
            kind=CALLBACK,
            payload=callback.to_payload(),
            operator=self.instance.operator or "ack-server",
            console_id=self.instance.id,
            host=self.instance.host,
            requested_at=wall_now(),
        )
        await self.store.ask(request)
        if callback.kind is not CallbackKind.ACK:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.answer_wait
        while True:
            answer = await self.store.answer_of(request.request_id)
            if answer is not None:
                return _outcome(answer.outcome, answer.message)
            if loop.time() >= deadline:
                log.info(
                    "callback %s for drill %s recorded; its engine has not answered yet",
                    request.request_id,
                    callback.drill_id,
                )
                return AckOutcome.RECORDED
            await asyncio.sleep(_POLL)


def _outcome(outcome: str, message: str | None) -> AckOutcome:
    """The acknowledgement's outcome from the engine's answer to its request."""
    try:
        return AckOutcome(message or "")
    except ValueError:
        # Refused for another reason (a request the engine could not read): it is on
        # record, and nothing was counted.
        return AckOutcome.RECORDED if outcome == APPLIED else AckOutcome.FINISHED
