"""An in-memory `Inbox` for tests, benchmarks and the sandbox: same answers as the engine's.

It keeps what it was told (acknowledgements, delivery statuses, failures) and answers like
the engine: a repeated idempotency key is a DUPLICATE and records nothing, a second
acknowledgement of the same page is ALREADY_ACKNOWLEDGED, a finished drill records nothing.
An optional `durable` coroutine runs before `acknowledge` returns, standing in for the
store's durable append.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable

from drill.engine.notifier import AckOutcome, DeliveryStatus, FailureReason
from drill.plan.models import ChannelKind, Question

__all__ = ["MemoryInbox", "RecordedAck"]

_RECORDED = (AckOutcome.ACCEPTED, AckOutcome.ALREADY_ACKNOWLEDGED, AckOutcome.DUPLICATE)


@dataclasses.dataclass(frozen=True, slots=True)
class RecordedAck:
    page_id: str
    source: str
    key: str | None
    received_at: dt.datetime
    entered_by: str | None = None
    choice: str | None = None


class MemoryInbox:
    """Records everything; `pages` (when given) are the only page ids it knows."""

    def __init__(
        self,
        pages: Iterable[str] | None = None,
        *,
        durable: Callable[[RecordedAck], Awaitable[None]] | None = None,
        question: Question | None = None,
        channels: dict[str, ChannelKind] | None = None,
    ) -> None:
        self.channels = dict(channels or {})
        """The channel of each page it knows (`channel_of`); unknown pages have none."""
        self.pages = set(pages) if pages is not None else None
        self.question = question
        """The question every page asked (None: a plain 了解), as the engine's scenario."""
        self.finished = False
        self.acks: list[RecordedAck] = []
        self.outcomes: list[AckOutcome] = []
        self.statuses: list[tuple[str, DeliveryStatus, str | None]] = []
        self.failures: list[tuple[str, FailureReason, str | None, str | None]] = []
        self._keys: set[str] = set()
        self._status_keys: set[str] = set()
        self._acknowledged: set[str] = set()
        self._durable = durable
        self._changed = asyncio.Event()

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
        outcome = self._decide(page_id, key)
        offered = self.question is not None and self.question.choice(choice or "") is not None
        if choice is not None and not offered and outcome in _RECORDED:
            outcome = AckOutcome.INVALID_CHOICE
        if outcome in (AckOutcome.ACCEPTED, AckOutcome.ALREADY_ACKNOWLEDGED):
            if key is not None:
                self._keys.add(key)
            record = RecordedAck(
                page_id, source, key, received_at or dt.datetime.now(dt.UTC), entered_by, choice
            )
            if self._durable is not None:
                await self._durable(record)
            self.acks.append(record)
            self._acknowledged.add(page_id)
        self.outcomes.append(outcome)
        self._notify()
        return outcome

    def _decide(self, page_id: str, key: str | None) -> AckOutcome:
        if self.finished:
            return AckOutcome.FINISHED
        if self.pages is not None and page_id not in self.pages:
            return AckOutcome.UNKNOWN_PAGE
        if key is not None and key in self._keys:
            return AckOutcome.DUPLICATE
        if page_id in self._acknowledged:
            return AckOutcome.ALREADY_ACKNOWLEDGED
        return AckOutcome.ACCEPTED

    async def delivery_failed(
        self,
        page_id: str,
        reason: FailureReason,
        *,
        detail: str | None = None,
        key: str | None = None,
    ) -> None:
        if self.finished or (key is not None and key in self._status_keys):
            return
        if key is not None:
            self._status_keys.add(key)
        self.failures.append((page_id, reason, detail, key))
        self._notify()

    async def delivery_status(
        self, page_id: str, status: DeliveryStatus, *, key: str | None = None
    ) -> None:
        if self.finished or (key is not None and key in self._status_keys):
            return
        if key is not None:
            self._status_keys.add(key)
        self.statuses.append((page_id, status, key))
        self._notify()

    def question_for(self, page_id: str) -> Question | None:
        """The question `page_id` asked (`PageFacts`): the same for every page here."""
        if self.pages is not None and page_id not in self.pages:
            return None
        return self.question

    def channel_of(self, page_id: str) -> ChannelKind | None:
        return self.channels.get(page_id)

    def acknowledged(self, page_id: str) -> bool:
        return page_id in self._acknowledged

    async def wait_for(self, predicate: Callable[[MemoryInbox], bool], seconds: float) -> None:
        """Wait until `predicate(self)` holds; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
