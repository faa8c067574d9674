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

import sys
from pathlib import Path
from typing import Any

from drill.engine.events import from_record
from drill.report.csv_report import EventsCsv, events_zone, open_csv
from drill.report.helper import Helper, serve
from drill.report.types import Integrity
from drill.store import EventStore
from drill.store.gc_pause import gc_paused

__all__ = ["EventsFileHelper", "write_events_file"]


class EventsFileHelper:
    """A running helper process writing one drill's events.csv to a file
    (`drill.report.helper`)."""

    def __init__(self, helper: Helper) -> None:
        self._helper = helper

    @classmethod
    async def start(cls, store: EventStore, drill_id: str, out: Path) -> EventsFileHelper | None:
        """Start the helper writing `drill_id`'s events.csv to `out`; None when the report's
        own process had better write it (a small drill, one core, no process to start)."""
        helper = await Helper.start(
            "drill.report.events_file",
            store,
            {"drill_id": drill_id, "out": str(out)},
            events=lambda: store.event_count(drill_id),
            what="events.csv",
        )
        return cls(helper) if helper is not None else None

    async def finish(self, verified: Integrity) -> bool:
        """Wait for the helper; True when the file holds exactly the events `verified`
        found (an intact chain: a damaged drill's file is written by the report's process)."""
        wrote = await self._helper.answer()
        return bool(
            verified.verified
            and wrote is not None
            and wrote.get("count") == verified.event_count
            and wrote.get("head") == verified.head_hash
        )

    async def stop(self) -> None:
        """End the helper if it still runs (the report failed or was cancelled)."""
        await self._helper.stop()


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


async def _write(store: EventStore, order: dict[str, Any]) -> dict[str, Any]:
    count, head = await write_events_file(store, order["drill_id"], Path(order["out"]))
    return {"count": count, "head": head}


if __name__ == "__main__":
    sys.exit(serve(_write))
