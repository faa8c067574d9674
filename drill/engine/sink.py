"""Where events go first: the durable sink (the event store) and the handler registry.

The runner appends every event to an `EventSink` and awaits it **before** any handler
sees the event, so an acknowledgement is durable before anyone is told of it. Several
inputs that arrive together have their events stored by one `append_many` (one commit);
a sink without it gets one `append` after another (`append_all`). Handlers (TUI,
console progress, live report) are isolated: one that raises is reported and the
others still run.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from drill.engine.events import Event

__all__ = [
    "Appended",
    "EventSink",
    "Handler",
    "HandlerSet",
    "MemorySink",
    "StoredEvent",
    "append_all",
    "commits_apart",
    "expect_appends",
]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Appended:
    """What the sink did with an event."""

    seq: int
    """Position of the event in its drill's chain (1-based)."""
    duplicate: bool
    """True when an event with the same idempotency key was already recorded: the new
    event was kept as a duplicate (for the record) and must not be applied again."""
    hash: str | None = dataclasses.field(default=None, compare=False)
    """The stored event's hash, where the sink keeps a hash chain (the event store): the
    chain's head once it is the drill's last event. Not part of what an append did."""


@dataclasses.dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back from a sink."""

    seq: int
    event: Event
    key: str | None
    duplicate: bool


class EventSink(Protocol):
    """Durable, append-only storage of a drill's events."""

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        """Store `event` durably and return only when it is safe on disk."""
        ...

    async def append_many(
        self, drill_id: str, items: Sequence[tuple[Event, str | None]]
    ) -> Sequence[Appended]:
        """Store several (event, key) pairs in order, durably, as one write if it can.

        Returns one `Appended` each, in order, only when all are safe on disk. A key
        recorded before, or earlier in `items`, makes that event a duplicate. This body
        (one `append` after another) serves a sink that subclasses `EventSink`; for one
        that merely has `append` and `read`, the runner does the same (`append_all`).
        """
        return [await self.append(drill_id, event, key) for event, key in items]

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        """Every event of the drill, in order, duplicates included."""
        ...


class MemorySink:
    """An in-memory sink for unit tests and throwaway runs: same semantics, no durability."""

    def __init__(self) -> None:
        self._events: dict[str, list[StoredEvent]] = {}
        self._keys: dict[tuple[str, str], int] = {}
        self._ad_hoc: dict[str, dict[str, tuple[str, tuple[tuple[str, str], ...]]]] = {}

    async def keep_ad_hoc(
        self, drill_id: str, ref: str, name: str, points: Sequence[tuple[str, str]]
    ) -> None:
        """Keep an ad hoc person's contact methods beside the journal (`AdHocBook`)."""
        self._ad_hoc.setdefault(drill_id, {})[ref] = (name, tuple(points))

    async def ad_hoc_people(
        self, drill_id: str
    ) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
        return dict(self._ad_hoc.get(drill_id, {}))

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        chain = self._events.setdefault(drill_id, [])
        duplicate = key is not None and (drill_id, key) in self._keys
        seq = len(chain) + 1
        chain.append(StoredEvent(seq, event, key, duplicate))
        if key is not None and not duplicate:
            self._keys[(drill_id, key)] = seq
        return Appended(seq, duplicate)

    async def append_many(
        self, drill_id: str, items: Sequence[tuple[Event, str | None]]
    ) -> list[Appended]:
        return [await self.append(drill_id, event, key) for event, key in items]

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return list(self._events.get(drill_id, []))


def commits_apart(sink: EventSink) -> bool:
    """Whether `sink` now commits a large `append_many` on another core (the event store's
    writer process, `drill.store.apart`), so that its caller gains by going on meanwhile.
    A sink says so with a `commits_apart` property; one without it does not."""
    return bool(getattr(sink, "commits_apart", False))


def expect_appends(sink: EventSink, appends: int) -> None:
    """Tell `sink` that about `appends` events will come in large `append_many` groups (a
    simulated drill), through its `expect_appends` if it has one: the event store may get
    its writer process ready for them (0 at the drill's end: let it go)."""
    expect = getattr(sink, "expect_appends", None)
    if expect is not None:
        expect(appends)


async def append_all(
    sink: EventSink, drill_id: str, items: Sequence[tuple[Event, str | None]]
) -> Sequence[Appended]:
    """`sink.append_many(...)`, or, for a sink without it, one `append` after another."""
    many = getattr(sink, "append_many", None)
    if many is None:
        return [await sink.append(drill_id, event, key) for event, key in items]
    appended: Sequence[Appended] = await many(drill_id, items)
    if len(appended) != len(items):
        raise RuntimeError(f"{sink!r} stored {len(appended)} of {len(items)} events")
    return appended


Handler = Callable[[str, Event], Awaitable[None] | None]


class HandlerSet:
    """Subscribers to the event stream; a failing handler never stops the others."""

    def __init__(self, on_error: Callable[[Handler, BaseException], None] | None = None) -> None:
        self._handlers: list[Handler] = []
        self._on_error = on_error

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler)

    async def publish(self, drill_id: str, event: Event) -> None:
        for handler in list(self._handlers):
            try:
                result = handler(drill_id, event)
                if result is not None:
                    await result
            except Exception as exc:
                log.exception("event handler %r failed", handler)
                if self._on_error is not None:
                    self._on_error(handler, exc)
