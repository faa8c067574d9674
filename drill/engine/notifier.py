"""The contract between the engine and the channels.

The engine hands a `Page` (one attempt to reach one person on one channel) to the
`Notifier` for that channel kind and gets a `SendResult`: accepted by the provider, or
failed before acceptance with a reason. What happens afterwards (an answer, a keypress,
a confirmed link, busy, no answer, a bounce) comes back asynchronously through the
engine's `Inbox`, from any source: webhook, reply poller, simulated person, operator.

The drill marker (【訓練】 / [DRILL]) is **not** in `Page.message`: the channel adds it
when `Page.mode == "drill"`, so no template can remove it.

A notifier reaches real people unless it says otherwise (`LocalNotifier.local`): only
simulated people and the local sandbox may run on a clock faster than real time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from drill.plan.models import ChannelKind, Question

__all__ = [
    "AckOutcome",
    "DeliveryStatus",
    "FailureReason",
    "Inbox",
    "LocalNotifier",
    "Notifier",
    "Page",
    "PageFacts",
    "PageTimers",
    "RecoverableNotifier",
    "RenderedMessage",
    "SendResult",
    "reaches_real_people",
    "send_page",
]

Mode = Literal["drill", "incident"]


class FailureReason(StrEnum):
    """Why a page did not reach its person; shown in reports with a fix."""

    INVALID_NUMBER = "invalid_number"
    WRONG_NUMBER = "wrong_number"
    UNREACHABLE = "unreachable"
    LANDLINE = "landline"  # SMS to a landline
    BLOCKED = "blocked"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    NOT_ACKNOWLEDGED = "not_acknowledged"  # answered / delivered, but no keypress or link
    BOUNCED = "bounced"
    REFUSED = "refused"  # recipient refused by the mail server
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    PROVIDER_ERROR = "provider_error"
    CONFIG = "config"  # the channel is not configured


class DeliveryStatus(StrEnum):
    """Progress of an accepted page, as the provider reports it."""

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    OPENED = "opened"  # an acknowledgement link was opened (GET), not yet confirmed
    COMPLETED = "completed"


class AckOutcome(StrEnum):
    """What the engine did with an acknowledgement."""

    ACCEPTED = "accepted"  # recorded durably; this contact is now acknowledged
    DUPLICATE = "duplicate"  # same idempotency key seen before; nothing new recorded
    ALREADY_ACKNOWLEDGED = "already_acknowledged"  # recorded, but the contact was already
    UNKNOWN_PAGE = "unknown_page"
    FINISHED = "finished"  # the drill is over; nothing recorded
    INVALID_CHOICE = (
        "invalid_choice"  # an answer the page's question does not offer; nothing recorded
    )
    RECORDED = "recorded"  # durable in the store for the engine that runs the drill, which
    # has not said yet what it did with it (an ack server instance that runs no drill)


@dataclasses.dataclass(frozen=True, slots=True)
class RenderedMessage:
    """The scenario's messages rendered for one person, without the drill marker."""

    voice: str
    sms: str
    email_subject: str
    email_body: str


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """One attempt to reach one person on one channel."""

    page_id: str
    """Unique and stable for this attempt (the same after a resume)."""
    drill_id: str
    mode: Mode
    """"drill" adds the marker; "incident" (confirmed real incident) does not."""
    person_id: str
    person_name: str
    language: str
    role_name: str | None
    channel: ChannelKind
    address: str
    """E.164 number or e-mail address."""
    attempt: int
    """1 for the first page of this person on this channel, then 2, 3, …"""
    message: RenderedMessage
    deadline: dt.datetime | None = None
    """When the engine stops waiting for an acknowledgement of this page (UTC)."""
    role_id: str | None = None
    """The role paged for (None when a person is named directly); for per-role behaviour."""
    update: int | None = None
    """The number of the status update (第N報) this page carries; None for a page of a
    level. Acknowledging it acknowledges that update only."""
    question: Question | None = None
    """The scenario's question (出社可否, 安否): the channel lists its choices and takes
    the answer (a key per choice, a button per choice, a numbered reply)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SendResult:
    """The provider's answer to a send."""

    accepted: bool
    provider_id: str | None = None
    failure: FailureReason | None = None
    detail: str | None = None

    @classmethod
    def ok(cls, provider_id: str | None = None) -> SendResult:
        return cls(True, provider_id)

    @classmethod
    def failed(cls, reason: FailureReason, detail: str | None = None) -> SendResult:
        return cls(False, None, reason, detail)


class Inbox(Protocol):
    """How channels, webhooks, pollers and the operator report back to the engine."""

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
        """Record an acknowledgement durably, then return what was done with it.

        `choice`: the key of the answer chosen, when the page asked a question
        (INVALID_CHOICE, nothing recorded, for a key the question does not offer)."""
        ...

    async def delivery_failed(
        self,
        page_id: str,
        reason: FailureReason,
        *,
        detail: str | None = None,
        key: str | None = None,
    ) -> None:
        """An accepted page failed later (busy, no answer, bounce, …)."""
        ...

    async def delivery_status(
        self, page_id: str, status: DeliveryStatus, *, key: str | None = None
    ) -> None:
        """Progress of an accepted page (ringing, delivered, link opened, …)."""
        ...


@runtime_checkable
class PageFacts(Protocol):
    """An inbox that can say what a page was: the question it asked (so that the link
    page shows one button per choice and a reply or a keypress is read as one of them)
    and its channel (so that a keypress is taken only for a call)."""

    def question_for(self, page_id: str) -> Question | None:
        """The question `page_id` asked; None for a plain 了解 (or an unknown page)."""
        ...

    def channel_of(self, page_id: str) -> ChannelKind | None:
        """The channel `page_id` was sent on; None for a page it does not know."""
        ...


class Notifier(Protocol):
    """One channel back-end: voice, SMS, e-mail, or simulated people."""

    kinds: frozenset[ChannelKind]
    """The channel kinds this notifier delivers."""

    async def start(self, inbox: Inbox) -> None:
        """Connect to the inbox (and the provider) before the first page."""
        ...

    async def send(self, page: Page) -> SendResult:
        """Deliver one page; never raises for a provider problem (returns failed)."""
        ...

    async def close(self) -> None:
        """Release connections; pending callbacks may still arrive through the inbox."""
        ...


async def send_page(notifier: Notifier, page: Page, log: logging.Logger) -> SendResult:
    """`notifier.send(page)`, with a notifier that raises taken as a failed send.

    A notifier must not raise; if one does, the page failed (its error kept as the
    detail) and the drill goes on with the next person."""
    try:
        return await notifier.send(page)
    except Exception as exc:
        log.exception("notifier %r raised on send", notifier)
        return SendResult.failed(FailureReason.PROVIDER_ERROR, f"{type(exc).__name__}: {exc}")


@runtime_checkable
class PageTimers(Protocol):
    """An inbox that can also run a callback at a time counted from a page's send.

    The drill runner offers this so that simulated people act on the drill's own clock:
    in virtual time their answers are timers in the runner's single loop, which keeps a
    seeded simulation reproducible even when the store awaits real I/O.
    """

    def after_page(
        self, page_id: str, seconds: float, key: str, action: Callable[[], Awaitable[object]]
    ) -> None:
        """Run `action` `seconds` after `page_id` was sent, once; `key` names it for resume.

        After a resume the same call is made again for every page; a callback whose `key`
        is already recorded (its event exists) is dropped.
        """
        ...


@runtime_checkable
class RecoverableNotifier(Protocol):
    """A notifier that can tell, after a crash, what became of a page it was given."""

    async def recover(self, page: Page) -> SendResult | None:
        """Re-arm whatever is still to come for `page` and return what the send did.

        None when it cannot be known (the engine then assumes the page went out and waits
        for its timeout; it never sends the same attempt again).
        """
        ...


@runtime_checkable
class LocalNotifier(Protocol):
    """A notifier that can say that its pages reach no real person."""

    local: bool
    """True for simulated people and for the local sandbox (the loopback world of
    `drillkit demo`); False (or absent) for anything that could reach a real person."""


def reaches_real_people(notifier: object) -> bool:
    """True unless `notifier` declares itself local: when in doubt, a person is paged.

    A drill with such a notifier runs on the real clock only, so a page, a deputy's
    escalation and every recorded time happen when the plan says they do.
    """
    return not (isinstance(notifier, LocalNotifier) and notifier.local is True)
