"""A helper process beside the report's, for a large drill on a machine with a second core.

Some of a large drill's report is work on the stored rows alone (events.csv:
`drill.report.events_file`; the hash chain's check at the end of a run:
`drill.report.chain_check`). A helper, `python -m <its module>`, opens the store itself
and does it on the other core while the report's process builds the rest. It is told
its work on its standard input (the store's URL may hold a password: never on a command
line), a JSON object on the first line and, for work that begins before all is known, more
such lines until the input ends; it answers with one JSON object on its standard output. The report's process
takes the answer only when it holds exactly what it must; a helper that could not start,
failed or answered anything else leaves the work to the report's process, as for every
small drill.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from drill.errors import StoreError
from drill.store import EventStore
from drill.store.apart import child_env, cores
from drill.store.location import sqlite_path

__all__ = ["HELPER_EVENTS", "Helper", "serve", "told_more"]

log = logging.getLogger(__name__)

HELPER_EVENTS = 30_000
"""Drills with fewer events do the work in the report's own process: starting a helper
(an interpreter and drillkit's modules, about 0.8 s of CPU on the other core, and as
long before it reads a row) pays off only when the work takes longer than that."""


def _possible(store: EventStore) -> bool:
    """Whether a helper can run beside this process: a second core, and a store another
    process opening its URL finds the same (not in-memory SQLite)."""
    url = store.url
    return cores() >= 2 and (not url.startswith("sqlite") or sqlite_path(url) is not None)


class Helper:
    """A helper process: started, then told its work, then answering."""

    def __init__(self, process: asyncio.subprocess.Process, url: str, what: str) -> None:
        self._process = process
        self._url = url
        self._what = what

    @classmethod
    async def start(
        cls,
        module: str,
        store: EventStore,
        order: dict[str, Any],
        *,
        events: Callable[[], Awaitable[int]],
        what: str,
    ) -> Helper | None:
        """Start `python -m module` and tell it `order`; None when the report's own
        process had better do the work: a drill of fewer than HELPER_EVENTS `events`
        (asked only when a helper could run at all), or no helper (`spawn`)."""
        if not _possible(store) or await events() < HELPER_EVENTS:
            return None
        helper = await cls.spawn(module, store, what)
        return helper if helper is not None and await helper.tell(order) else None

    @classmethod
    async def spawn(cls, module: str, store: EventStore, what: str) -> Helper | None:
        """Start `python -m module` for `store`: it loads its modules, then waits to be
        told its work (`tell`). None when no helper can run: one core, a store no other
        process can open, no process to start. `what` names the work in the log."""
        if not _possible(store):
            return None
        env = child_env()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                module,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            log.info("%s done in process: no helper process (%s)", what, exc)
            return None
        return cls(process, store.url, what)

    async def tell(self, order: dict[str, Any], *, more: bool = False) -> bool:
        """Tell the helper its work, `order` and the store's URL (`more`: and more
        later, by `tell_more`); False (and it is stopped) when it cannot be told: the
        report's process then does the work."""
        return await self._send({**order, "url": self._url}, last=not more)

    async def tell_more(self, message: dict[str, Any]) -> bool:
        """The last of what the helper is told after its order (`tell(..., more=True)`);
        False (and it is stopped) when it cannot be told."""
        return await self._send(message, last=True)

    async def _send(self, message: dict[str, Any], *, last: bool) -> bool:
        told = json.dumps(message) + "\n"
        try:
            stdin = self._process.stdin
            assert stdin is not None
            stdin.write(told.encode("utf-8"))
            await stdin.drain()
            if last:
                stdin.close()
        except OSError as exc:  # it has ended: the report's process does the work
            log.info("%s done in process: the helper has ended (%s)", self._what, exc)
            await self.stop()
            return False
        return True

    async def answer(self) -> dict[str, Any] | None:
        """Wait for the helper; its answer, or None when it failed or answered no object."""
        out, err = await self._process.communicate()
        if self._process.returncode != 0:
            log.warning(
                "the %s helper failed (exit %s): %s",
                self._what,
                self._process.returncode,
                err.decode("utf-8", "replace").strip()[-500:],
            )
            return None
        try:
            answer = json.loads(out)
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None

    async def stop(self) -> None:
        """End the helper if it still runs (the report failed or was cancelled)."""
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()


def serve(work: Callable[[EventStore, dict[str, Any]], Awaitable[dict[str, Any]]]) -> int:
    """The helper's side: read the order (the first line; `work` may read what follows
    it with `told_more`), open its store, answer what `work` did with it; the exit
    status."""

    async def main() -> int:
        order = json.loads(sys.stdin.readline())
        try:
            async with EventStore.open(order["url"]) as store:
                answer = await work(store, order)
        except StoreError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(json.dumps(answer))
        return 0

    return asyncio.run(main())


async def told_more() -> dict[str, Any] | None:
    """The helper's side: the next message after its order (`Helper.tell_more`); None
    when the input ends without one, or it is not an object."""
    line = await asyncio.to_thread(sys.stdin.readline)
    try:
        message = json.loads(line) if line.strip() else None
    except ValueError:
        return None
    return message if isinstance(message, dict) else None
