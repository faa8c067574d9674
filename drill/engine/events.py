"""Events: every change in a drill is a typed, frozen, past-tense event.

Events are plain frozen dataclasses registered by name, so the store can keep them as
JSON (`to_record` / `from_record`) and the report can rebuild any past drill from them.
Field values are JSON-friendly: str, int, float, bool, None, tuples/lists of those, and
timezone-aware datetimes (stored as ISO 8601 in UTC).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any, ClassVar, TypeVar

__all__ = ["EVENT_TYPES", "Event", "event", "from_record", "to_record"]

EVENT_TYPES: dict[str, type[Event]] = {}
_E = TypeVar("_E", bound="type[Event]")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all events. `at` is wall time (UTC); `elapsed` is seconds on the drill clock."""

    type_name: ClassVar[str] = "Event"

    at: dt.datetime
    """Wall-clock time of the change, timezone-aware (UTC)."""
    elapsed: float
    """Seconds since the drill started, on the drill's (possibly virtual) clock."""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError(f"{type(self).__name__}.at must be timezone-aware")


def event(cls: _E) -> _E:
    """Register an event class by its name (class decorator, after @dataclass)."""
    cls.type_name = cls.__name__
    EVENT_TYPES[cls.__name__] = cls
    return cls


def to_record(item: Event) -> tuple[str, dict[str, Any]]:
    """(type name, JSON-friendly payload)."""
    payload: dict[str, Any] = {}
    for field in dataclasses.fields(item):
        payload[field.name] = _dump(getattr(item, field.name))
    return item.type_name, payload


def from_record(type_name: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event from `to_record` output; KeyError for an unknown type."""
    cls = EVENT_TYPES[type_name]
    hints = typing.get_type_hints(cls)
    kwargs = {
        field.name: _load(hints[field.name], payload[field.name])
        for field in dataclasses.fields(cls)
        if field.name in payload
    }
    return cls(**kwargs)


def _dump(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


def _load(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _load(non_none[0], value) if len(non_none) == 1 else value
    if hint is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(_load(item, v) for v in value)
    if isinstance(hint, type) and issubclass(hint, str) and hint is not str:
        return hint(value)  # StrEnum
    return value
