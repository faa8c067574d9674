"""Year on year's figures of a drill, kept between reports.

A report shows up to ten earlier drills of its scenario beside its own, each folded from
its events: a nationwide drill is 88,000 events, read and folded in a second or more, and
a drill run every year meets the same earlier drills again at every report. What year on
year shows of a drill (`PastDrill`) is therefore kept in drillkit's cache folder once it
is made, under a key that names exactly what it was made from:

- the drill's last stored event, by seq and hash: the hash chain makes that hash stand
  for every event before it, so an event added later (a late answer) is a new key;
- the regional centres its figures count (those of the report's plan);
- the code that folds: drillkit's version and modules (each by name, size and time of
  change), and Python's.

Anything else is a miss, and the drill is folded again. The kept figures are the fold's
own, written as they were read off it, never a second reckoning. An entry that cannot be
read back whole is a miss too; the folder may be deleted at any time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import drill
from drill.cache_folder import cache_folder
from drill.engine.events import DrillStarted, from_record, to_record
from drill.engine.state import DrillState, Summary
from drill.report.history import PastDrill, past_drill
from drill.report.types import Label
from drill.store import EventStore

__all__ = ["HISTORY_LIMIT", "Lookup", "earlier_drills", "keep", "key_of", "look_up", "recall"]

log = logging.getLogger(__name__)

HISTORY_LIMIT = 10
"""Earlier drills a report shows beside its own, at most (the latest)."""
_FOLDER = "history"
_KEEP_AT_MOST = 1_000
"""Entries kept; beyond this, the oldest half goes (a nationwide drill's is some 25 KiB)."""


@functools.cache
def _code() -> str:
    """What the fold's code is in this process: drillkit's version, every module of the
    package by name, size and time of change, and the Python that runs them. Any change
    to the code (an upgrade, a checkout) makes every key new. Modules that cannot be
    listed (a package run from a zip file) make a code never seen before: nothing kept
    is then read, by this process or any other."""
    root = Path(drill.__file__).parent
    digest = hashlib.sha256(f"{drill.__version__}\0{sys.version}".encode())
    start = len(str(root))
    try:
        for module in sorted(_modules(str(root)), key=lambda entry: entry.path):
            stat = module.stat()
            digest.update(f"\0{module.path[start:]}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    except OSError:
        digest.update(os.urandom(32))
    return digest.hexdigest()


def _modules(folder: str) -> Iterator[os.DirEntry[str]]:
    for entry in os.scandir(folder):
        if entry.is_dir() and entry.name != "__pycache__":
            yield from _modules(entry.path)
        elif entry.name.endswith(".py"):
            yield entry


def key_of(head: tuple[int, str], regional: Collection[str] | None) -> str:
    """The key of a drill's figures: its last event (seq, hash), the regional centres
    counted (None: every site) and the fold's code."""
    seq, hash_ = head
    centres = "*" if regional is None else "\n".join(sorted(regional))
    text = f"{_code()}\0{seq}\0{hash_}\0{centres}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Lookup:
    """A drill's figures as kept (`past`: None when not kept under its key), and what to
    keep the figures of its fold under when the caller folds it instead."""

    drill_id: str
    key: str | None
    """None for a drill without events."""
    seq: int
    """The seq of its last event, when looked up."""
    regional: Collection[str] | None
    """The regional centres its figures count (None: every site)."""
    past: PastDrill | None

    def keep(self, state: DrillState, count: int) -> PastDrill | None:
        """The figures of `state`, the drill read and folded (`count` events); kept when what was read is the drill up to the event
        looked up: seqs run 1, 2, … without a gap, so an event added since (or a row
        missing) makes the counts differ."""
        past = past_drill(state, self.regional)
        if past is not None and self.key is not None and count == self.seq:
            keep(self.key, past)
        return past


async def look_up(store: EventStore, drill_id: str, regional: Collection[str] | None) -> Lookup:
    """The figures kept of the drill as the store holds it now, with `regional` counted."""
    head = await store.head(drill_id)
    if head is None:
        return Lookup(drill_id, None, 0, regional, None)
    key = key_of(head, regional)
    return Lookup(drill_id, key, head[0], regional, recall(key))


async def earlier_drills(
    store: EventStore, started: DrillStarted, regional: Collection[str] | None
) -> list[PastDrill]:
    """Earlier drills of the same scenario, real or simulated like this one, as year on
    year shows them (the plan's regional centres count, None: every site).

    Each is the figures kept when it was last folded, or is read a part at a time into
    its fold, and that fold let go once its figures are made (and kept): one earlier
    drill in memory at a time. What every report shows, `drillkit report`'s and the
    console's alike."""
    openings = await store.openings()
    # Earlier: started before this drill; of two started at one instant (drills are
    # dated to the second), the one stored first. So a drill's year on year is the same
    # at the end of its run as in any report of it made later.
    order = [drill_id for drill_id, _, _ in openings]
    this = (started.at, order.index(started.drill_id) if started.drill_id in order else len(order))
    chosen: list[tuple[tuple[dt.datetime, int], str]] = []
    for position, (drill_id, first_type, first_payload) in enumerate(openings):
        payload = first_payload or {}
        at = _aware(payload.get("at"))
        if (
            first_type == "DrillStarted"
            and drill_id != started.drill_id
            and payload.get("scenario_id") == started.scenario_id
            and bool(payload.get("simulated")) == started.simulated
            and payload.get("mode") == started.mode.value
            and at is not None
            and (at, position) < this
        ):
            chosen.append(((at, position), drill_id))
    chosen.sort()
    found: list[PastDrill] = []
    for _, drill_id in chosen[-HISTORY_LIMIT:]:
        kept = await look_up(store, drill_id, regional)
        past = kept.past
        if past is None:
            state = DrillState()
            count = await store.read_parts(drill_id, state.take)
            past = kept.keep(state, count)
            del state
        if past is not None:
            found.append(past)
    return found


def _aware(text: object) -> dt.datetime | None:
    """A first event's `at` as stored; None when it is not an aware time (a damaged
    drill, which a report does not count as earlier)."""
    if not isinstance(text, str):
        return None
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def recall(key: str) -> PastDrill | None:
    """The figures kept under `key`, or None (never kept, or not readable whole)."""
    folder = cache_folder(_FOLDER)
    if folder is None:
        return None
    try:
        data = json.loads((folder / f"{key}.json").read_bytes())
        return _decode(data) if data.get("key") == key else None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.debug("kept year-on-year figures %s not used: %r", key, exc)
        return None


def keep(key: str, past: PastDrill) -> None:
    """Keep `past` under `key` (written whole or not at all; a failure is only logged)."""
    folder = cache_folder(_FOLDER)
    if folder is None:
        return
    text = json.dumps({"key": key, **_encode(past)}, ensure_ascii=False)
    file = folder / f"{key}.json"
    temporary = folder / f".{key}.{os.getpid()}"
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(file)
    except OSError as exc:
        log.debug("year-on-year figures not kept in %s: %r", folder, exc)
        with contextlib.suppress(OSError):
            temporary.unlink()
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.endswith(".json")]
        if len(entries) <= _KEEP_AT_MOST:
            return
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
        for entry in entries[: len(entries) // 2]:
            Path(entry.path).unlink()
    except OSError:
        pass  # another report pruned it first


def _encode(past: PastDrill) -> dict[str, Any]:
    summary = past.summary
    _, started = to_record(past.started)
    return {
        "started": started,
        "levels": [
            [tree, level, name.ja, name.en, elapsed] for (tree, level), name, elapsed in past.levels
        ],
        "status": past.status,
        "outcome": past.outcome,
        "duration_seconds": past.duration_seconds,
        "all_sites_seconds": past.all_sites_seconds,
        "summary": {
            **{name: getattr(summary, name) for name in _SUMMARY_VALUES},
            "started_at": _time_text(summary.started_at),
            "ended_at": _time_text(summary.ended_at),
        },
    }


def _decode(data: dict[str, Any]) -> PastDrill:
    started = from_record("DrillStarted", data["started"])
    if not isinstance(started, DrillStarted):
        raise TypeError("not a DrillStarted")
    values = data["summary"]
    summary = Summary(
        **{name: values[name] for name in _SUMMARY_VALUES},
        started_at=_time(values["started_at"]),
        ended_at=_time(values["ended_at"]),
    )
    return PastDrill(
        started=started,
        levels=tuple(
            ((tree, level), Label(ja, en), elapsed)
            for tree, level, ja, en, elapsed in data["levels"]
        ),
        status=data["status"],
        outcome=data["outcome"],
        duration_seconds=data["duration_seconds"],
        all_sites_seconds=data["all_sites_seconds"],
        summary=summary,
    )


_SUMMARY_VALUES = tuple(
    name for name in Summary.__dataclass_fields__ if name not in ("started_at", "ended_at")
)
"""Summary's numbers, written as JSON writes them (a float's text reads back the same float)."""


def _time_text(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)
