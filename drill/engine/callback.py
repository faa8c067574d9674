"""A report about one page from the outside world, and the one way it becomes an engine input.

A link confirmed, a key pressed, a reply e-mail, a provider's progress report: every
acknowledgement path builds a `Callback` and hands it to `apply_callback`, which makes
the one `Inbox` call it stands for. The ack server does this for a drill its own process
runs; for a drill another engine runs (several ack-server instances on one database) the
callback is written to the store as it is (`to_payload`), and the owning engine rebuilds
it (`from_payload`) and applies it through the same function. So a field added here (at
the END, with a default) and passed on in `apply_callback` reaches the engine on both
paths, unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum
from typing import Any

from drill.engine.notifier import AckOutcome, DeliveryStatus, FailureReason, Inbox

__all__ = ["Callback", "CallbackKind", "apply_callback"]


class CallbackKind(StrEnum):
    """What a callback reports."""

    ACK = "ack"
    """The person acknowledged the page (link confirmed, key 1, reply)."""
    STATUS = "status"
    """Progress of the page (ringing, delivered, link opened, …)."""
    FAILED = "failed"
    """The page failed after it was accepted (busy, no answer, bounced, …)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Callback:
    """One report about one page of one drill, as an acknowledgement path received it."""

    kind: CallbackKind
    drill_id: str
    page_id: str
    key: str | None
    """The idempotency key, derived from what arrived (`link:<token id>`,
    `gather:<CallSid>`, `status:<sid>:<status>`, `reply:<Message-ID>`): the same
    callback, replayed through any instance, is recorded once."""
    source: str | None = None
    """ACK: voice, sms, email or reply."""
    status: DeliveryStatus | None = None
    """STATUS: the progress reported."""
    reason: FailureReason | None = None
    """FAILED: why the page failed."""
    detail: str | None = None
    """FAILED: the provider's words, for the report."""
    received_at: dt.datetime | None = None
    """ACK: when it arrived (None: when the engine takes it)."""
    choice: str | None = None
    """ACK: the answer to the scenario's question it carries (a key of a choice), if any."""

    def to_payload(self) -> dict[str, Any]:
        """The callback as JSON-ready fields (for a request row in the store)."""
        payload: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, dt.datetime):
                value = value.isoformat()
            elif isinstance(value, StrEnum):
                value = value.value
            payload[field.name] = value
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Callback:
        """The callback `to_payload` wrote; ValueError/KeyError/TypeError when it is not one.
        Fields this version does not know are ignored (a newer instance wrote them)."""
        known = {field.name for field in dataclasses.fields(cls)}
        values = {name: value for name, value in payload.items() if name in known}
        values["kind"] = CallbackKind(values["kind"])
        for name, enum in (("status", DeliveryStatus), ("reason", FailureReason)):
            if values.get(name) is not None:
                values[name] = enum(values[name])
        raw = values.get("received_at")
        if raw is not None:
            values["received_at"] = dt.datetime.fromisoformat(str(raw))
        for name in ("drill_id", "page_id"):
            if not isinstance(values.get(name), str):
                raise TypeError(f"callback field {name!r} is not text")
        return cls(**values)


async def apply_callback(inbox: Inbox, callback: Callback) -> AckOutcome | None:
    """Hand `callback` to `inbox` (the engine's): the acknowledgement's outcome, or None for
    a status or a failure (they have no answer)."""
    if callback.kind is CallbackKind.ACK:
        return await inbox.acknowledge(
            callback.page_id,
            source=callback.source or "unknown",
            key=callback.key,
            received_at=callback.received_at,
            choice=callback.choice,
        )
    if callback.kind is CallbackKind.STATUS:
        if callback.status is None:
            raise ValueError("a status callback without a status")
        await inbox.delivery_status(callback.page_id, callback.status, key=callback.key)
        return None
    if callback.reason is None:
        raise ValueError("a failure callback without a reason")
    await inbox.delivery_failed(
        callback.page_id, callback.reason, detail=callback.detail, key=callback.key
    )
    return None
