"""The stored hash chain of a large drill checked by a process of its own, at the end of
the run that wrote it, while the report's process builds the report.

The report at the end of a run is made from the run's own fold when the stored chain is
sound and ends exactly at the run's last event (`drill.report.files`). For a
17,000-contact drill that check reads 88,000 rows and recomputes every hash, about 0.9 s
of CPU, and the report waited for it before it was built. Nothing the report builds
reads the check's outcome but the report's `integrity`: on a machine with a second core
a helper, `python -m drill.report.chain_check` (`drill.report.helper`), checks the chain
(`EventStore.verify_chain`) while the report is built from the run's fold, and the
report's process takes its answer for what it would have found itself. A helper that
failed or answered nothing it can read leaves the check to the report's process.

A run starts the helper once it has published HELPER_EVENTS events (`Ahead`): its
interpreter and modules take about as long to load as the check itself (0.9 s), so a
helper started at the report answered no sooner than the report's own check would have
ended. It is told the drill at once and checks the chain as the run commits it, reading
on as more is stored; at the report it is told how many events the run wrote, and has
only the last ones left to check (on PostgreSQL the report waited 0.8-1.2 s for the
whole check, on SQLite 0.4 s).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from drill.engine.events import Event
from drill.engine.sink import HandlerSet
from drill.report import helper as helpers
from drill.report.helper import Helper, serve, told_more
from drill.store import EventStore
from drill.store.chain import VerifyResult
from drill.store.eventstore import POLL_INTERVAL

__all__ = ["Ahead", "ChainHelper"]

_MODULE = "drill.report.chain_check"
_WHAT = "hash chain check"


class ChainHelper:
    """A running helper process checking one drill's stored hash chain."""

    def __init__(self, helper: Helper, following: str | None = None) -> None:
        self._helper = helper
        self._following = following

    @classmethod
    async def start(cls, store: EventStore, drill_id: str, events: int) -> ChainHelper | None:
        """Start the helper checking the chain of `drill_id`, which holds `events` events
        as far as the caller knows; None when the report's own process had better check
        it (a small drill, one core, no process to start)."""

        async def count() -> int:
            return events

        helper = await Helper.start(
            _MODULE, store, {"drill_id": drill_id}, events=count, what=_WHAT
        )
        return cls(helper) if helper is not None else None

    @classmethod
    async def ahead(cls, store: EventStore, drill_id: str) -> ChainHelper | None:
        """Start the helper before the drill `drill_id` has ended: it checks the chain as
        it is stored, and is told where it ends by `check`. None when no helper can run
        (`Helper.spawn`, or it could not be told)."""
        helper = await Helper.spawn(_MODULE, store, _WHAT)
        if helper is None:
            return None
        following = {"drill_id": drill_id, "follow": True}
        return cls(helper, drill_id) if await helper.tell(following, more=True) else None

    async def check(self, drill_id: str, events: int) -> bool:
        """Tell a helper started `ahead` that `drill_id` ends at event `events`, as far
        as the caller knows; False (and it is stopped) when the report's own process had
        better check it (a small drill, another drill, a helper that has ended)."""
        if events < helpers.HELPER_EVENTS or drill_id != self._following:
            await self.stop()
            return False
        return await self._helper.tell_more({"events": events})

    async def verified(self) -> VerifyResult | None:
        """Wait for the helper; what `EventStore.verify_chain` found, or None when the
        helper failed or its answer is not one."""
        answer = await self._helper.answer()
        if answer is None:
            return None
        ok, count, head = answer.get("ok"), answer.get("count"), answer.get("head_hash")
        first_bad, problem = answer.get("first_bad_seq"), answer.get("problem")
        if not (
            type(ok) is bool
            and type(count) is int
            and (head is None or type(head) is str)
            and (first_bad is None or type(first_bad) is int)
            and (problem is None or type(problem) is str)
        ):
            return None
        return VerifyResult(ok, count, head, first_bad, problem)

    async def stop(self) -> None:
        """End the helper if it still runs (the report failed, was cancelled, or did
        without its answer)."""
        await self._helper.stop()


class Ahead:
    """The chain check of a run's report, its helper started once the run has published
    HELPER_EVENTS events (through `handlers`): its interpreter and modules then load
    while the run goes on, and at the report it is only told which drill to check.
    `helper` at the run's end; `close` in any case (it stops a helper left unused)."""

    def __init__(self, store: EventStore, handlers: HandlerSet) -> None:
        self._store = store
        self._seen = 0
        self._starting: asyncio.Task[ChainHelper | None] | None = None
        self._unsubscribe: Callable[[], None] | None = handlers.subscribe(self._take)

    def _take(self, drill_id: str, event: Event) -> None:
        self._seen += 1
        if self._seen >= helpers.HELPER_EVENTS and self._starting is None:
            self._stop_counting()
            self._starting = asyncio.ensure_future(ChainHelper.ahead(self._store, drill_id))

    def _stop_counting(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def helper(self) -> ChainHelper | None:
        """The helper, once the run has ended; None for a small run, or when no helper
        could start."""
        self._stop_counting()
        return await self._starting if self._starting is not None else None

    async def close(self) -> None:
        """Stop the helper, if one was started and still runs."""
        self._stop_counting()
        starting, self._starting = self._starting, None
        if starting is None:
            return
        starting.cancel()  # a process being started is ended by asyncio
        await asyncio.wait([starting])
        if not starting.cancelled() and starting.exception() is None:
            helper = starting.result()
            if helper is not None:
                await helper.stop()


async def _check(store: EventStore, order: dict[str, Any]) -> dict[str, Any]:
    if not order.get("follow"):
        return dataclasses.asdict(await store.verify_chain(order["drill_id"]))
    told = asyncio.ensure_future(told_more())
    last = -1

    async def more(read_to: int) -> bool:
        """Until told where the drill ends: wait for its next events. Then: read on to
        that event (and no further once nothing more is stored)."""
        nonlocal last
        if not told.done():
            await asyncio.wait([told], timeout=POLL_INTERVAL)
            return True
        end = (told.result() or {}).get("events")
        if type(end) is not int or read_to >= end or read_to == last:
            return False
        last = read_to
        return True

    return dataclasses.asdict(await store.verify_chain(order["drill_id"], more=more))


if __name__ == "__main__":
    sys.exit(serve(_check))
