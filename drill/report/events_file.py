"""events.csv of a large drill, written by a process of its own beside the report's.

The report's own process reads the drill once, checks its hash chain, folds it and writes
the other formats. events.csv (a row per stored event, addresses masked) needs only the
stored rows, and for a 17,000-contact drill it was a quarter of the report's time; on a
machine with a second core a helper, `python -m drill.report.events_file`, reads the
rows itself and writes the file at the same time.

The helper is told where to write on its standard input (the store's URL may hold a
password: never on a command line) and answers with what it wrote: how many events and
the last one's hash. The report's process names the file events.csv only when that is
exactly what it verified itself (the record is append-only, so the same count and head
are the same rows); otherwise (the drill grew between the two reads, the helper failed,
or there is no second core) it writes the file itself, as it does for every small drill.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from pathlib import Path

from drill.engine.events import from_record
from drill.errors import StoreError
from drill.report.csv_report import EventsCsv, events_zone, open_csv
from drill.report.types import Integrity
from drill.store import EventStore
from drill.store.gc_pause import gc_paused
from drill.store.location import sqlite_path

__all__ = ["HELPER_EVENTS", "EventsFileHelper", "write_events_file"]

log = logging.getLogger(__name__)

HELPER_EVENTS = 30_000
"""Drills with fewer events write events.csv in the report's own process: starting the
helper (an interpreter and drillkit's modules, about 0.8 s of CPU on the other core)
pays off only when the file takes longer than that to write."""
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)
"""The folder holding this `drill` package: the helper runs the same code as its caller."""


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _shared(url: str) -> bool:
    """Whether another process opening `url` finds the same store (not in-memory SQLite)."""
    return not url.startswith("sqlite") or sqlite_path(url) is not None


class EventsFileHelper:
    """A running helper process writing one drill's events.csv to a file."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def start(cls, store: EventStore, drill_id: str, out: Path) -> EventsFileHelper | None:
        """Start the helper writing `drill_id`'s events.csv to `out`; None when the report's
        own process had better write it (a small drill, one core, no process to start)."""
        if _cores() < 2 or not _shared(store.url):
            return None
        if await store.event_count(drill_id) < HELPER_EVENTS:
            return None
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        order = json.dumps({"url": store.url, "drill_id": drill_id, "out": str(out)})
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "drill.report.events_file",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            log.info("events.csv written in process: no helper process (%s)", exc)
            return None
        helper = cls(process)
        try:
            assert process.stdin is not None
            process.stdin.write(order.encode("utf-8"))
            await process.stdin.drain()
            process.stdin.close()
        except OSError as exc:  # it died at once: the report writes the file itself
            log.info("events.csv written in process: the helper ended at once (%s)", exc)
            await helper.stop()
            return None
        return helper

    async def finish(self, verified: Integrity) -> bool:
        """Wait for the helper; True when the file holds exactly the events `verified`
        found (an intact chain: a damaged drill's file is written by the report's process)."""
        out, err = await self._process.communicate()
        if self._process.returncode != 0:
            log.warning(
                "the events.csv helper failed (exit %s): %s",
                self._process.returncode,
                err.decode("utf-8", "replace").strip()[-500:],
            )
            return False
        try:
            wrote = json.loads(out)
        except ValueError:
            return False
        return bool(
            verified.verified
            and isinstance(wrote, dict)
            and wrote.get("count") == verified.event_count
            and wrote.get("head") == verified.head_hash
        )

    async def stop(self) -> None:
        """End the helper if it still runs (the report failed or was cancelled)."""
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()


async def write_events_file(store: EventStore, drill_id: str, out: Path) -> tuple[int, str | None]:
    """Write every stored event of `drill_id` to `out` as events.csv, read part by part;
    returns how many and the last one's hash."""
    count = 0
    head: str | None = None
    with open_csv(out) as file, gc_paused():
        rows: EventsCsv | None = None
        async for records in store.record_parts(drill_id):
            if rows is None:
                first = records[0]
                try:
                    started = from_record(first.type, dict(first.payload))
                except Exception:  # not an event this version knows: the default zone
                    started = None
                rows = EventsCsv(file, events_zone(started))
            rows.add_all(records)
            count += len(records)
            head = records[-1].hash
    return count, head


async def _main() -> int:
    order = json.loads(sys.stdin.read())
    try:
        async with EventStore.open(order["url"]) as store:
            count, head = await write_events_file(store, order["drill_id"], Path(order["out"]))
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps({"count": count, "head": head}))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
