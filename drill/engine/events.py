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
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from drill.engine.notifier import DeliveryStatus, FailureReason
from drill.plan.models import ChannelKind, UpdateKind

__all__ = [
    "EVENT_TYPES",
    "AckSource",
    "Acknowledged",
    "AttemptTimedOut",
    "CancelReason",
    "DeliveryFailed",
    "DeliveryUpdated",
    "DrillAborted",
    "DrillCompleted",
    "DrillInterrupted",
    "DrillMode",
    "DrillPaused",
    "DrillRecovered",
    "DrillResumed",
    "DrillStarted",
    "DuplicatesCounted",
    "Escalated",
    "EscalationReason",
    "Event",
    "HandedOver",
    "InjectFired",
    "LevelCompleted",
    "LevelStarted",
    "MemberUnreached",
    "NoteAdded",
    "OperatorPaged",
    "OutsideAcknowledged",
    "OutsidePageQueued",
    "PageQueued",
    "PageSent",
    "PagingCancelled",
    "PersonMarkedAvailable",
    "PersonMarkedUnavailable",
    "RepeatScheduled",
    "RoundStarted",
    "StepCompleted",
    "StepDue",
    "StepTiming",
    "TreeCompleted",
    "TreeStarted",
    "UpdateAcknowledged",
    "UpdateIssued",
    "UpdateQueued",
    "UpdateSent",
    "event",
    "from_record",
    "to_record",
]

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
    cls.__init__ = _filling_init(cls)  # type: ignore[method-assign]
    return cls


def _filling_init(cls: type[Event]) -> Callable[..., None]:
    """An __init__ for the frozen dataclass `cls` that fills the instance's __dict__ at
    once, then calls __post_init__: what the dataclass's own does, with its signature
    (keyword-only fields, the same defaults, the same TypeError for a field missing or
    unknown).

    The dataclass's sets each field by a call of `object.__setattr__` (frozen), and a
    drill builds 10^5 events: those calls cost a simulated drill more than all the
    events' handling by the fold. Written and compiled as @dataclass writes its own.
    """
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    own = cls.__init__.__code__
    if (
        not all(f.init and f.default_factory is dataclasses.MISSING for f in fields)
        or own.co_argcount != 1
        or own.co_varnames[1 : 1 + own.co_kwonlyargcount] != names
    ):
        return cls.__init__  # not a plain one (an InitVar, a factory): kept as @dataclass wrote it
    defaults = {f"_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    params = ", ".join(
        f.name if f.default is dataclasses.MISSING else f"{f.name}=_{f.name}" for f in fields
    )
    values = ", ".join(f"{f.name!r}: {f.name}" for f in fields)
    source = (
        f"def __init__(self, *, {params}):\n"
        f"    self.__dict__.update({{{values}}})\n"
        "    self.__post_init__()\n"
    )
    made: dict[str, Any] = {}
    exec(compile(source, "<string>", "exec"), defaults, made)
    init: Callable[..., None] = made["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = cls.__init__.__annotations__
    return init


def to_record(item: Event) -> tuple[str, dict[str, Any]]:
    """(type name, JSON-friendly payload)."""
    names = _FIELD_NAMES.get(type(item))
    if names is None:
        names = _FIELD_NAMES[type(item)] = tuple(f.name for f in dataclasses.fields(item))
    # A drill records 10^5 events: the fields are read from the instance's dict at once
    # (getattr per field cost as much as the rest), then only values that need it are
    # converted.
    try:
        fields = item.__dict__
        payload = {name: fields[name] for name in names}
    except (AttributeError, KeyError):  # an instance with slots, a field kept elsewhere
        payload = {name: getattr(item, name) for name in names}
    as_is = _AS_IS
    for name, value in payload.items():
        kind = type(value)
        if kind in as_is:
            continue
        if kind is dt.datetime:
            payload[name] = _utc_text(value)
            continue
        dumped = _dump(value)
        if dumped is value:
            as_is.add(kind)  # neither a datetime nor a container: `_dump` keeps any such
        else:
            payload[name] = dumped
    return item.type_name, payload


_FIELD_NAMES: dict[type[Event], tuple[str, ...]] = {}
"""Each event class's field names: `dataclasses.fields` is slow for 10^5 events a drill."""
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})
"""Values that are JSON as they are (exact types: a subclass, like an enum, goes to `_dump`)."""
_AS_IS: set[type] = set(_PLAIN)
"""Types whose values `_dump` keeps as they are: the plain ones, and those found so (enums)."""
_UTC_TEXTS: dict[dt.datetime, str] = {}
"""Recent UTC times and their text: a simulated drill's 88,000 events fall on some 3,000
instants of its clock, and writing each time anew cost a twentieth of the drill."""
_UTC_TEXTS_MAX = 4096


def _utc_text(value: dt.datetime) -> str:
    """`value.astimezone(dt.UTC).isoformat()` of an aware datetime (exactly datetime).

    Only times in UTC itself are kept: two of them are equal (and hash alike) exactly
    when their fields are, and so is their text. Times in another zone are written
    anew (equal ones there may differ in `fold`, so in instant and text)."""
    if value.tzinfo is not dt.UTC:
        return value.astimezone(dt.UTC).isoformat()
    text = _UTC_TEXTS.get(value)
    if text is None:
        if len(_UTC_TEXTS) >= _UTC_TEXTS_MAX:
            _UTC_TEXTS.clear()
        text = _UTC_TEXTS[value] = value.isoformat()
    return text


def from_record(type_name: str, payload: Mapping[str, Any]) -> Event:
    """Rebuild an event from `to_record` output; KeyError for an unknown type."""
    cls = EVENT_TYPES[type_name]
    fast = _FAST.get(cls)
    if fast is None:
        fields = _decoders(cls)
        if cls not in _PLAIN_INIT:
            return cls(**_decoded(fields, payload))
        fast = _FAST[cls] = (*_SPLIT[cls], len(fields))
    names, decoded, count = fast
    if len(payload) == count and payload.keys() <= names:
        # The usual payload, every field and nothing else (a report or a resume rebuilds
        # 10^5 events): copied into the instance at once, and only the fields that need
        # it decoded there (most are stored as they are). What `_built` does, with no
        # default to fill.
        item = object.__new__(cls)
        values = item.__dict__
        values.update(payload)
        for name, load in decoded:
            value = values[name]
            if value is not None:
                values[name] = load(value)
        item.__post_init__()
        return item
    fields = _decoders(cls)
    if payload.keys() <= names:
        values = dict(payload)
        for name, load in decoded:
            value = values.get(name)
            if value is not None:
                values[name] = load(value)
        return _built(cls, fields, values)
    return _built(cls, fields, _decoded(fields, payload))


def _built(
    cls: type[Event], fields: tuple[tuple[str, _Decoder], ...], values: dict[str, Any]
) -> Event:
    """An instance of a `_PLAIN_INIT` class from its decoded field values.

    A report or a resume rebuilds 10^5 events: filling the instance's __dict__ costs a
    fraction of the frozen dataclass's __init__ (one object.__setattr__ per field), and
    does what it does: every field without a default must be given (else the same
    TypeError), defaults fill the rest, then __post_init__ checks the instance.
    """
    if len(values) < len(fields):
        defaults = _PLAIN_INIT[cls]
        if not defaults.keys() >= {name for name, _ in fields} - values.keys():
            return cls(**values)  # raises the dataclass's own TypeError
        values = {**defaults, **values}
    item = object.__new__(cls)
    item.__dict__.update(values)
    item.__post_init__()
    return item


def _decoded(
    fields: tuple[tuple[str, _Decoder], ...], payload: Mapping[str, Any]
) -> dict[str, Any]:
    kwargs = {}
    for name, load in fields:
        if name in payload:
            value = payload[name]
            kwargs[name] = value if load is None or value is None else load(value)
    return kwargs


_Decoder = Callable[[Any], Any] | None
"""Turns a payload value back into the field's type; None: the value is used as it is."""
_DECODERS: dict[type[Event], tuple[tuple[str, _Decoder], ...]] = {}
_SPLIT: dict[type[Event], tuple[frozenset[str], tuple[tuple[str, Callable[[Any], Any]], ...]]] = {}
"""Each `_PLAIN_INIT` class's field names, and those of its fields that have a decoder."""
_PLAIN_INIT: dict[type[Event], dict[str, Any]] = {}
"""Event classes whose __init__ only sets each field (no slots, no default factories, no
__init__ of their own): `from_record` may build them directly. Each with its defaults."""
_FAST: dict[
    type[Event], tuple[frozenset[str], tuple[tuple[str, Callable[[Any], Any]], ...], int]
] = {}
"""`_SPLIT` of each `_PLAIN_INIT` class and how many fields it has, in one look-up."""


def _decoders(cls: type[Event]) -> tuple[tuple[str, _Decoder], ...]:
    # Resolving string annotations and walking the hints is slow: a report or a resume of
    # a 17,000-contact drill rebuilds 10^5 events, so each class's decoders are made once.
    found = _DECODERS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        found = _DECODERS[cls] = tuple((f.name, _decoder(hints[f.name])) for f in fields)
        params = getattr(cls, "__dataclass_params__", None)
        if (
            hasattr(cls, "__dict__")
            and "__slots__" not in cls.__dict__
            and params is not None
            and params.init
            and all(f.init and f.default_factory is dataclasses.MISSING for f in fields)
            and _generated(cls.__init__)
            and "__new__" not in vars(cls)
        ):
            _PLAIN_INIT[cls] = {
                f.name: f.default for f in fields if f.default is not dataclasses.MISSING
            }
            _SPLIT[cls] = (
                frozenset(name for name, _ in found),
                tuple((name, load) for name, load in found if load is not None),
            )
    return found


def _generated(init: Any) -> bool:
    """Whether `init` is the __init__ @dataclass wrote (from source it compiles itself),
    not one a class defines: a frozen dataclass's sets each field and calls
    __post_init__, nothing more."""
    code = getattr(init, "__code__", None)
    return code is not None and code.co_filename == "<string>"


def _decoder(hint: Any) -> _Decoder:
    """The decoder of one field's type hint (`None` values are kept by the caller)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _decoder(non_none[0]) if len(non_none) == 1 else None
    if hint is dt.datetime:
        return dt.datetime.fromisoformat
    if origin is tuple:
        item = _decoder(args[0]) if args else None
        if item is None:
            return tuple
        return lambda values: tuple(None if v is None else item(v) for v in values)
    if isinstance(hint, type) and issubclass(hint, str) and hint is not str:
        members = getattr(hint, "_value2member_map_", None)
        return hint if members is None else _member_of(hint, members)  # StrEnum
    return None


def _member_of(kind: type[str], members: Mapping[Any, Any]) -> Callable[[Any], Any]:
    """`kind(value)` for a StrEnum: its member looked up by value first, as Enum's own call
    does, without the call's cost (a few StrEnum fields in each of 10^5 events a report
    rebuilds); any other value goes through the call, which decides (or raises)."""

    def load(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return kind(value)

    return load


def _dump(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


# -- vocabularies used by the events ---------------------------------------------------


class DrillMode(StrEnum):
    """A drill (訓練, every message marked) or a real incident (chosen explicitly)."""

    DRILL = "drill"
    INCIDENT = "incident"


class AckSource(StrEnum):
    """Where an acknowledgement came from. Channels may report other sources as plain text."""

    VOICE = "voice"  # keypress during the call
    SMS = "sms"  # the SMS link confirmed
    EMAIL = "email"  # the e-mail link confirmed
    REPLY = "reply"  # an e-mail reply found by the poller
    MANUAL = "manual"  # entered by the operator (a relayed phone call counts)


class EscalationReason(StrEnum):
    """Why paging moved from one person to the next, or gave up."""

    LADDER_EXHAUSTED = "ladder_exhausted"  # every channel and retry went unanswered
    NO_CONTACT_POINT = "no_contact_point"  # no way to reach them on the level's channels
    NO_CANDIDATES = "no_candidates"  # the role is vacant and has no deputies
    UNAVAILABLE = "unavailable"  # marked away (休暇, 出張, 異動) for the moment of paging


class CancelReason(StrEnum):
    """Why the paging of a contact stopped before they acknowledged or ran out of people."""

    LEVEL_SATISFIED = "level_satisfied"
    DRILL_ABORTED = "drill_aborted"
    DRILL_FINISHED = "drill_finished"


class StepTiming(StrEnum):
    """A playbook step done by its target time, or after it."""

    ON_TIME = "on_time"
    LATE = "late"


# -- the drill as a whole ----------------------------------------------------------------


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DrillStarted(Event):
    """A drill or incident began; everything needed to identify and resume it."""

    drill_id: str
    scenario_id: str
    scenario_title_ja: str
    scenario_title_en: str | None
    mode: DrillMode
    simulated: bool
    """True when the people are simulated (no real call, SMS or e-mail)."""
    seed: int | None
    """Seed of the simulated people and operator, for an identical re-run."""
    operator: str | None
    """Who started it."""
    organisation: str
    plan_root: str | None
    plan_version: str
    plan_digest: str
    """SHA-256 of the plan's content: a resume refuses a plan that changed."""
    clock: str
    """real, scaled or virtual. A resume runs on the same kind of clock at the same speed."""
    speed: float | None
    """How many times faster than real time (scaled clock), None otherwise."""
    real_at: dt.datetime | None = None
    """Scaled clock only: the machine's real wall time at elapsed 0 (`at` runs `speed`
    times faster than real time, so it cannot say). A resume puts the drill at
    `speed` × the real time since then. None for the real clock (the same as `at`), in
    virtual time, and in drills recorded before this field existed."""
    channels: str | None = None
    """Where the pages went: "simulated" (simulated people), "sandbox" (the local
    loopback world of `drillkit demo`, which a resume brings back up) or "real" (real
    providers: real people, on the real clock only). None in drills recorded before this
    field existed (`simulated` then tells simulated people from the rest)."""
    timezone: str
    """The plan's time zone; times are recorded in UTC and shown in this zone."""
    trees: tuple[str, ...]
    """The trees paged, in order."""
    activation: str = "sequential"
    """sequential: each tree starts when the one before it has finished; parallel: all
    start at T+0. Drills recorded before this field existed were sequential."""
    contacts: int
    """How many contacts (members of levels) the trees hold in all."""
    tree_contacts: tuple[int, ...] = ()
    """How many contacts each tree holds, in the order of `trees` (empty in drills
    recorded before this field existed)."""
    tree_sites: tuple[tuple[str, ...], ...] = ()
    """The sites of each tree's contacts, in the order of `trees`: what "every regional
    centre reached" waits for before a level holding them has started."""
    playbook: str | None
    steps: tuple[str, ...]
    """The playbook's step ids, in order."""
    injects: int
    """How many injects the scenario has."""
    question_ja: str | None = None
    """The scenario's question (出社できますか), None for a plain 了解 (and in drills
    recorded before questions existed)."""
    question_en: str | None = None
    choices: tuple[tuple[str, str, str, str], ...] = ()
    """The question's choices in order (keypad 1, 2, …): (key, Japanese label, English
    label or "", what it means: "coming", "needs_help" or "")."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class InjectFired(Event):
    """A scenario inject (状況付与) was given to the duty officer."""

    index: int
    at_minutes: float
    text_ja: str
    text_en: str | None
    overdue: bool = False
    """True when it came due while the drill was interrupted and fired on recovery."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    """The operator wrote something down."""

    by: str
    text: str
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DrillPaused(Event):
    """Timers stopped: no page goes out and no timeout runs until the drill is resumed."""

    by: str
    reason: str | None
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DrillResumed(Event):
    """Timers run again, shifted by the time spent paused."""

    by: str
    paused_seconds: float
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DrillInterrupted(Event):
    """Found on resume: the process running the drill stopped without finishing it."""

    last_seq: int
    """Sequence number of the last event written before the interruption."""
    last_event: str
    """Its type."""
    last_elapsed: float
    downtime_seconds: float
    """Real (wall-clock) seconds between the last event and the resume. On a scaled clock
    it is the drill time that passed divided by the speed; in virtual time, which is not
    tied to real time, it is the drill time the resumed clock skipped (0 when it resumes
    where it stopped). Drills recorded before `drill_downtime_seconds` existed stored the
    drill time here."""
    drill_downtime_seconds: float | None = None
    """Drill-clock seconds that passed meanwhile: the same as `downtime_seconds` on the
    real clock, `speed` times more on a scaled clock (timers due then fire on resume,
    marked overdue). None in drills recorded before this field existed."""
    clock: str | None = None
    """The clock the drill resumed on (real, scaled, virtual): always the one it started
    on. None in drills recorded before this field existed."""
    speed: float | None = None
    """Its speed (scaled clock), None otherwise."""
    pages_in_flight: tuple[str, ...]
    """Pages queued whose send had no recorded outcome: they are never sent again."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DrillRecovered(Event):
    """State was rebuilt from the events alone and the timers were re-armed."""

    by: str | None
    acknowledged: int
    """Contacts acknowledged before the interruption (all kept)."""
    pages_waiting: int
    """Pages whose acknowledgement timeout was re-armed."""
    overdue_timers: int
    """Timers that came due while the drill was down; each fires once, marked overdue."""
    paused: bool


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DrillAborted(Event):
    """The operator stopped the drill; any paging still running is cancelled after this."""

    by: str
    reason: str
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DrillCompleted(Event):
    """The drill ended: everything ran (`reason` "completed"), or the operator finished it."""

    reason: str
    """completed, finished (by the operator) or idle (virtual time, nothing left to run)."""
    by: str | None
    contacts: int
    acknowledged: int
    outstanding_steps: tuple[str, ...]
    """Playbook steps neither completed nor past their target."""


# -- contact trees -----------------------------------------------------------------------


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class TreeStarted(Event):
    """A contact tree (緊急時連絡網) began."""

    tree: str
    name_ja: str
    name_en: str | None
    scope: str


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class TreeCompleted(Event):
    """Every level of a tree finished; `satisfied` when each one met its quorum."""

    tree: str
    satisfied: bool
    contacts: int
    acknowledged: int


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class LevelStarted(Event):
    """A level began: its members, and how it counts as reached."""

    tree: str
    level: str
    name_ja: str
    name_en: str | None
    mode: str
    """parallel or sequential."""
    required: int
    """How many members must acknowledge (all / any resolved to a number)."""
    members: tuple[str, ...]
    member_sites: tuple[str | None, ...]
    """The site of each member, in the order of `members`."""
    ack_timeout_minutes: float
    retries: int
    channels: tuple[ChannelKind, ...]
    each: tuple[str, ...] = ()
    """Members that must each acknowledge, whatever `required` says: every one of them
    (e.g. each outside agency a theft must be reported to). Empty in drills recorded
    before this field existed, whose levels count `required` alone."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class LevelCompleted(Event):
    """A level finished: its quorum met (`satisfied`), or everyone tried without it."""

    tree: str
    level: str
    acknowledged: int
    required: int
    satisfied: bool
    unreached: tuple[str, ...]
    """Members that ran out of people to page."""
    reason: str | None
    """Why the level was not satisfied, for people."""


# -- paging one contact ------------------------------------------------------------------


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class PageQueued(Event):
    """The intent to page, written before the channel is called: never sent twice."""

    page_id: str
    tree: str
    level: str
    member: str
    role_id: str | None
    site: str | None
    person_id: str
    person_name: str
    channel: ChannelKind
    address: str
    """Where the page goes, as it may be kept: a phone number masked (`095-***-**24`),
    an e-mail address as is. Drills recorded before `point` existed hold the full number."""
    attempt: int
    """1 for the first page of this person on this channel, then 2, 3, …"""
    candidate_index: int
    """0 for the holder (or the person named), 1… for deputies."""
    timeout_seconds: float
    """How long the engine waits for an acknowledgement once the page is accepted."""
    point: int | None = None
    """The contact method paged: its index in the person's `channels` in the plan (the
    reference the engine resolves the full number from; the journal never holds it)."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class PageSent(Event):
    """The channel's answer to a send: accepted by the provider, or failed at once."""

    page_id: str
    accepted: bool
    provider_id: str | None
    failure: FailureReason | None = None
    detail: str | None = None
    deadline: dt.datetime | None = None
    """When the acknowledgement timeout runs out (accepted pages only)."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DeliveryUpdated(Event):
    """The provider reported progress of an accepted page (ringing, delivered, opened)."""

    page_id: str
    status: DeliveryStatus


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DeliveryFailed(Event):
    """An accepted page failed later (busy, no answer, bounce, …)."""

    page_id: str
    reason: FailureReason
    detail: str | None


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class AttemptTimedOut(Event):
    """Nobody acknowledged a page within the level's timeout."""

    page_id: str
    overdue: bool = False
    """True when the timeout ran out while the drill was interrupted."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class Acknowledged(Event):
    """Someone confirmed they received the message: by keypress, link, reply or relayed."""

    page_id: str | None
    """The page answered; None for a manual acknowledgement."""
    tree: str
    level: str
    member: str
    person_id: str
    person_name: str
    channel: ChannelKind | None
    """The channel of the page answered."""
    source: str
    """voice, sms, email, reply or manual (see AckSource)."""
    entered_by: str | None
    """Who typed it in, for a manual acknowledgement."""
    received_at: dt.datetime
    """When the person acknowledged (for a relayed call: when they were reached)."""
    late: bool
    """True when it came after the page's own timeout."""
    first: bool
    """True when this acknowledged the contact; False when it already was (still kept)."""
    note: str | None = None
    site: str | None = None
    """The contact's site, so that a contact acknowledged before its level began counts
    for its site (None in drills recorded before this field existed)."""
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""
    choice: str | None = None
    """The key of the answer chosen (出社可能, 無事 …), when the scenario asks a question;
    None for a plain 了解 (and in drills recorded before questions existed)."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class DuplicatesCounted(Event):
    """Repeats of an acknowledgement already recorded (the same idempotency key: a double
    press, a replayed POST, a provider's retry), counted rather than stored one by one.

    The first few repeats of a key are stored as they come (duplicates of the original);
    beyond them the engine counts, and records the count since the last such event at
    most once a minute and when the drill ends: a replay storm cannot grow the journal
    without bound. Never an acknowledgement: the fold only adds `count` to its duplicates.
    """

    page_id: str
    key: str
    count: int
    """Repeats since the previous `DuplicatesCounted` of this key."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class Escalated(Event):
    """Paging moved from one person to the next candidate (a deputy, 代理者)."""

    tree: str
    level: str
    member: str
    from_person: str
    to_person: str
    candidate_index: int
    """The index of `to_person`: 1 for the first deputy, …"""
    reason: EscalationReason
    absence: str | None = None
    """Why `from_person` was away, for `reason` unavailable (休暇, 出張 …; the plan's word)."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class MemberUnreached(Event):
    """Every candidate of a contact was tried without an acknowledgement."""

    tree: str
    level: str
    member: str
    reason: EscalationReason
    people_tried: tuple[str, ...]


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class RepeatScheduled(Event):
    """Everyone of a contact was tried without an answer, and the level repeats: the
    next round starts from the holder after `wait_seconds` (of active drill time)."""

    tree: str
    level: str
    member: str
    round: int
    """The round that will start: 2 for the first repeat, …"""
    wait_seconds: float
    people_tried: tuple[str, ...]


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class RoundStarted(Event):
    """A repeated round of a contact starts: the holder is paged again, then deputies."""

    tree: str
    level: str
    member: str
    round: int


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class PagingCancelled(Event):
    """The paging of one contact stopped: the level was satisfied or the drill ended."""

    tree: str
    level: str
    member: str
    why: CancelReason
    page_id: str | None
    """The page still waiting for an answer, if any."""


# -- the playbook ------------------------------------------------------------------------


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class StepDue(Event):
    """A playbook step's target time passed before it was completed."""

    step: str
    owner: str
    target_minutes: float
    overdue: bool = False
    """True when the target passed while the drill was interrupted."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class StepCompleted(Event):
    """A playbook step was done, on time or late."""

    step: str
    by: str
    timing: StepTiming
    target_minutes: float | None
    note: str | None
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


# -- status updates (第N報) ---------------------------------------------------------------


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class UpdateIssued(Event):
    """The duty officer issued a numbered status update (第N報) to the people listed.

    Its acknowledgements are the update's own: they never count for a level or a tree.
    """

    number: int
    """1 for 第1報, then 2, 3, …: given by the engine, in the order issued."""
    kind: UpdateKind
    text: str
    """What the officer wrote (the templates' `{{ text }}`)."""
    by: str
    audience: str
    """Whom it went to: reached (everyone who acknowledged so far), tree:<tree>,
    level:<tree>/<level> or agency (every outside agency of the scenario)."""
    recipients: tuple[str, ...]
    """The people it is sent to (person ids), in the order they are sent it."""
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class UpdateQueued(Event):
    """One person's copy of an update, written before its channel is called: never sent
    twice. Its page id is numbered with the pages (`<drill_id>-p<n>`), so its link and
    keypress acknowledge it the way a page is acknowledged."""

    page_id: str
    number: int
    person_id: str
    person_name: str
    channel: ChannelKind
    address: str
    """As `PageQueued.address`: a phone number masked, an e-mail address as is."""
    point: int | None
    """The contact method used: its index in the person's `channels` in the plan."""
    audience: str
    """staff or agency: which text they were sent."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class UpdateSent(Event):
    """The channel's answer to the send of one copy of an update."""

    page_id: str
    number: int
    accepted: bool
    provider_id: str | None
    failure: FailureReason | None = None
    detail: str | None = None


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class UpdateAcknowledged(Event):
    """Someone confirmed they received an update (keypress, link, reply). Counted for
    that update alone, never for a contact, level or tree."""

    page_id: str
    number: int
    person_id: str
    person_name: str
    channel: ChannelKind
    source: str
    received_at: dt.datetime
    first: bool
    """True for the person's first acknowledgement of this update."""


# -- the operator's pages outside the tree, and people marked away from the console ----


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class OperatorPaged(Event):
    """The operator had people paged now (今すぐ呼出), outside the ladder of the running
    trees: a person of the plan, every holder of a role, a person not in the plan (ad
    hoc, 臨時), or every contact not answered yet, once more.

    Lists every page it asks for (one per person and kind of contact point), so that a
    drill interrupted before all of them were queued sends the rest on resume, and none
    twice (`OutsidePageQueued.request` and `index`)."""

    request: str
    """This order's id in the drill (`<drill>-o1`, …): its pages name it."""
    by: str
    asked: str
    """person, role, ad_hoc or unanswered."""
    target: str | None
    """The person or role id asked for; the ad hoc person's ref (`adhoc:1`); None for
    unanswered."""
    target_name: str | None
    people: tuple[str, ...]
    """Per page asked for: the person (a plan id, or an ad hoc ref)."""
    names: tuple[str, ...]
    """Per page: the person's name."""
    channels: tuple[ChannelKind, ...]
    """Per page: the channel."""
    points: tuple[int, ...]
    """Per page: the contact method (its index in the person's contact methods)."""
    contacts: tuple[str, ...]
    """Per page: `tree/level/member` of the tree contact it pages again (unanswered), or
    "" for a page outside the tree."""
    ad_hoc_points: tuple[str, ...] = ()
    """The ad hoc person's contact methods as `kind:address`, numbers masked (the full
    ones are kept beside the journal, never in it: `AdHocBook`)."""
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class OutsidePageQueued(Event):
    """A page an `OperatorPaged` asked for, written before it is sent (never sent twice).

    Outside the ladder: no timeout, no escalation. Answering it acknowledges the tree
    contact it pages again (`contact`), counted as any acknowledgement of that contact;
    any other is an `OutsideAcknowledged`, which no level, tree, site or target counts."""

    page_id: str
    request: str
    index: int
    """Its place in the request's list of pages."""
    person_id: str
    """A plan person's id, or an ad hoc ref (`adhoc:1`)."""
    person_name: str
    ad_hoc: bool
    channel: ChannelKind
    address: str
    """Masked number or e-mail address (the full one is resolved from `point`)."""
    point: int
    contact: str | None = None
    """`tree/level/member` of the tree contact it pages again, if any."""
    role_id: str | None = None


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class OutsideAcknowledged(Event):
    """Someone paged outside the tree answered: shown with its time, counted by nothing."""

    page_id: str
    request: str
    person_id: str
    person_name: str
    ad_hoc: bool
    channel: ChannelKind
    source: str
    entered_by: str | None
    received_at: dt.datetime
    first: bool
    """The first answer of this person to this request."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class PersonMarkedUnavailable(Event):
    """The operator marked a person away (不在) from the console: from now until `until`,
    the ladder passes them over exactly as a plan `unavailable` period does."""

    person_id: str
    person_name: str
    reason: str
    """Why (休暇, 出張, 異動, その他, or the operator's word)."""
    until: dt.datetime | None
    """When they are back (None: for the rest of the drill)."""
    by: str
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class PersonMarkedAvailable(Event):
    """The operator took back a console mark (復帰: they came back early, or the mark was
    a mistake): from now on the ladder pages the person again. A plan `unavailable`
    period still holds."""

    person_id: str
    person_name: str
    by: str
    origin: str | None = None
    """As for `PersonMarkedUnavailable`."""


# -- who is in charge --------------------------------------------------------------------


@event
@dataclasses.dataclass(frozen=True, kw_only=True)
class HandedOver(Event):
    """The officer in charge (責任者) changed hands: from whom, to whom, entered by whom.

    The drill starts in the charge of the operator who started it (`DrillStarted.operator`);
    each handover passes it on. Who is in charge is a person's responsibility, not the
    drill's lease (which engine process runs it): neither moves the other.
    """

    from_officer: str | None
    """Who was in charge until now (None when nobody was named)."""
    to_officer: str
    """Who is in charge from now."""
    by: str
    """Who entered it: usually `from_officer`; anyone at a console may (the officer in
    charge may be the one who cannot)."""
    note: str | None = None
    """What the outgoing officer passes on (状況、未了の手順 …)."""
    origin: str | None = None
    """The console it was entered at, when that console did not run the drill and asked
    the engine that did (`host:pid:random`); None when entered where the engine runs."""
