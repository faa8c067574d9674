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
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from drill.report.helper import Helper, serve
from drill.store import EventStore
from drill.store.chain import VerifyResult

__all__ = ["ChainHelper"]


class ChainHelper:
    """A running helper process checking one drill's stored hash chain."""

    def __init__(self, helper: Helper) -> None:
        self._helper = helper

    @classmethod
    async def start(cls, store: EventStore, drill_id: str, events: int) -> ChainHelper | None:
        """Start the helper checking the chain of `drill_id`, which holds `events` events
        as far as the caller knows; None when the report's own process had better check
        it (a small drill, one core, no process to start)."""

        async def count() -> int:
            return events

        helper = await Helper.start(
            "drill.report.chain_check",
            store,
            {"drill_id": drill_id},
            events=count,
            what="hash chain check",
        )
        return cls(helper) if helper is not None else None

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


async def _check(store: EventStore, order: dict[str, Any]) -> dict[str, Any]:
    return dataclasses.asdict(await store.verify_chain(order["drill_id"]))


if __name__ == "__main__":
    sys.exit(serve(_check))
