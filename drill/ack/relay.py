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

What a page asked and on which channel it went (`PageFacts`: the link page's buttons, the
keypad's choices, a reply's answer, a keypress only for a call) an instance reads from the
drill's own events (`RecordedPages`): the question its start recorded, and each page as it
was queued — a tree page asks the question, a status update or a page ordered now does
not, as in the engine. A page not seen yet is looked for among the events recorded since
the last look (one range scan), so the drill's pages are read once per instance.

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
import collections
import logging
from collections.abc import Mapping
from typing import Any

from drill.engine.callback import Callback, CallbackKind
from drill.engine.lease import wall_now
from drill.engine.notifier import AckOutcome
from drill.plan.models import ChannelKind, Question
from drill.store.consoles import (
    APPLIED,
    CALLBACK,
    ConsoleIdentity,
    OperatorRequest,
    new_request_id,
)
from drill.store.eventstore import EventStore

__all__ = ["ANSWER_WAIT", "RecordedPages", "StoreRelay"]

log = logging.getLogger(__name__)

ANSWER_WAIT = 5.0
"""Seconds an instance waits for the owning engine's answer to an acknowledgement."""
_POLL = 0.05
"""Seconds between looks for that answer (one primary-key read each)."""


_FACTS_KEPT = 16
"""Drills whose pages an instance keeps in memory (the most recently asked about)."""
_CHANNELS = frozenset(kind.value for kind in ChannelKind)


class RecordedPages:
    """One drill's pages as its events recorded them: the `PageFacts` of a drill another
    process runs (the engine's own answers, read from the store)."""

    def __init__(self) -> None:
        self.after_seq = 0
        """The last event read."""
        self.question: Question | None = None
        self.channels: dict[str, ChannelKind] = {}
        self.asking: set[str] = set()
        """The tree's pages (they ask the scenario's question)."""
        self.lock = asyncio.Lock()

    def question_for(self, page_id: str) -> Question | None:
        return self.question if page_id in self.asking else None

    def channel_of(self, page_id: str) -> ChannelKind | None:
        return self.channels.get(page_id)

    def take(self, seq: int, type_name: str, payload: Mapping[str, Any]) -> None:
        """Note one stored event (in seq order)."""
        self.after_seq = max(self.after_seq, seq)
        if type_name in ("PageQueued", "UpdateQueued", "OutsidePageQueued"):
            page_id, channel = payload.get("page_id"), payload.get("channel")
            if isinstance(page_id, str) and channel in _CHANNELS:
                self.channels[page_id] = ChannelKind(channel)
                if type_name == "PageQueued":
                    self.asking.add(page_id)
        elif type_name == "DrillStarted":
            self.question = _question(payload)


def _question(started: Mapping[str, Any]) -> Question | None:
    """The question a `DrillStarted` recorded (None: a plain 了解)."""
    text = started.get("question_ja")
    if not text:
        return None
    return Question.model_validate(
        {
            "text": {"ja": text, "en": started.get("question_en") or None},
            "choices": [
                {"key": key, "label": {"ja": ja, "en": en or None}, "means": means or None}
                for key, ja, en, means in started.get("choices") or ()
            ],
        }
    )


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
        self._pages: collections.OrderedDict[str, RecordedPages] = collections.OrderedDict()

    async def pages(self, drill_id: str, page_id: str) -> RecordedPages:
        """What `drill_id`'s events say of its pages, up to date for `page_id` (the events
        recorded since the last look are read when it is not known yet)."""
        pages = self._pages.get(drill_id)
        if pages is None:
            pages = self._pages[drill_id] = RecordedPages()
            while len(self._pages) > _FACTS_KEPT:
                self._pages.popitem(last=False)
        self._pages.move_to_end(drill_id)
        if page_id not in pages.channels:
            async with pages.lock:
                if page_id not in pages.channels:
                    for record in await self.store.records(drill_id, after_seq=pages.after_seq):
                        pages.take(record.seq, record.type, record.payload)
        return pages

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
