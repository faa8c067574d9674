"""A writer process for large groups of appends: a simulated drill's batches committed on
another core while its engine goes on.

A simulated drill keeps its events back and commits them in batches of thousands
(`drill.engine.runner`). Each batch's chain hashes, rows and commit took about a third of
the engine's own time on the store's writer thread, where that Python work held the
interpreter the engine needed: committing while the drill went on gained nothing. With
a second core, a store another process can open and the wall clock stamping
`recorded_at`, the store hands such a group to this process instead:
`python -m drill.store.apart` opens the same store and commits the group with the store's
own code (`EventStore.commit_prepared`).

Nothing of the store's rules changes. Its writer task still takes one group at a time, in
order, and answers each caller only when the group is committed: the seq stays gapless,
a group is all or none, and what a crash leaves is a prefix of the appends. A process
that ended (or answered nothing) while it held a group is an error for that group (it may
or may not be committed: the caller's drill stops and is resumed from what is stored),
and the store goes on without it.

Told on standard input, first one JSON line (the store's URL may hold a password: never
on a command line), then frames: an 8-byte length and the pickle of
`[(drill_id, [(type_name, utf8, key), ...]), ...]`. It answers "ready" on a line of its
standard output once the store is open, then a frame for each frame: the pickle of
`("ok", {drill_id: [(seq, duplicate, hash), ...]})` or `("error", message)`. Only the
store's own process talks to it, over its own pipes: pickle is safe here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from drill.engine.sink import Appended
from drill.errors import StoreError

__all__ = [
    "APART_EXPECTED",
    "APART_ROWS",
    "APART_START",
    "Apart",
    "Group",
    "WriterLost",
    "WriterProcess",
    "child_env",
    "cores",
]

log = logging.getLogger(__name__)

APART_ROWS = 1024
"""Appends in one group from which a ready writer process commits the group: a simulated
drill's batches past its first 4,000 events. A live drill's answers come a few dozen to a
group (group commit); thousands at once would be committed the same way, as durably."""
APART_START = 3072
"""Appends in one group that start the writer process, if nothing started it before: a
simulated drill that has stored some 12,000 events. The process (an interpreter and the
store's modules) takes a second or two on the other core to be ready: a drill of 2,000
contacts (10,000 events) would end before, and pay for it."""
APART_EXPECTED = 40_000
"""Appends a caller expects (`Apart.expect`: a simulated drill of 8,000 contacts or more)
that start the writer process at once, to be ready for the drill's first large groups."""
_LENGTH = struct.Struct("!Q")
_READY_TIMEOUT = 60.0
"""Seconds the writer process may take to open the store before it is not used."""
_STOP_TIMEOUT = 10.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)
"""The folder holding this `drill` package: the process runs the same code as its store."""

Group = Mapping[str, Sequence[tuple[str, bytes, str | None]]]
"""A group to commit: each drill's (type_name, canonical UTF-8 payload, key), in order."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def child_env() -> dict[str, str]:
    """The environment of a `python -m drill...` child: this one, finding this package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    return env


class WriterLost(StoreError):
    """The writer process ended, or answered nothing, while it held a group."""


class WriterProcess:
    """The store's side of a writer process. `spawn` it from the event loop; the rest is
    blocking, used from one thread of the store's own, one call at a time (`wait_ready`,
    then `commit` as often as needed, then `stop`)."""

    def __init__(self, process: subprocess.Popen[bytes], said: IO[bytes]) -> None:
        self._process = process
        self._said = said
        """Its standard error, a file of its own (a pipe nobody reads could fill up)."""

    @classmethod
    def spawn(cls, url: str, lock_timeout: float) -> WriterProcess:
        """Start the process and tell it the store at `url`; a StoreError when it cannot
        be started (the store then commits every group itself)."""
        said = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "drill.store.apart"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=said,
                env=child_env(),
            )
        except OSError as exc:
            said.close()
            raise StoreError(f"no writer process: {exc}") from exc
        writer = cls(process, said)
        try:
            stdin, _ = writer._pipes()
            told = {"url": url, "lock_timeout": lock_timeout}
            stdin.write(json.dumps(told).encode("utf-8") + b"\n")
            stdin.flush()
        except OSError as exc:
            writer.kill()
            raise StoreError(f"the writer process ended at once: {exc}") from exc
        return writer

    def wait_ready(self) -> WriterProcess:
        """Wait until the process has opened the store; a StoreError when it does not."""
        _, stdout = self._pipes()
        ready, _, _ = select.select([stdout], [], [], _READY_TIMEOUT)
        line = stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.kill()
            raise StoreError(f"the writer process did not open the store: {self._why()}")
        return self

    def kill(self) -> None:
        """End the process now (it is not waited for: `stop` reaps it)."""
        with contextlib.suppress(OSError):
            self._process.kill()

    def commit(self, group: Group) -> dict[str, list[Appended]]:
        """Commit `group` in one transaction (all or none); each drill's appends, in order.
        A StoreError when it could not: the process's own, or that the process ended (the
        group may then be committed or not)."""
        stdin, stdout = self._pipes()
        frame = pickle.dumps(
            [(drill_id, list(items)) for drill_id, items in group.items()],
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        try:
            stdin.write(_LENGTH.pack(len(frame)))
            stdin.write(frame)
            stdin.flush()
            answer = _read_frame(stdout)
        except OSError as exc:
            answer = None
            log.debug("the writer process's pipe failed: %s", exc)
        if answer is None:
            raise WriterLost(
                "the store's writer process ended while committing a group of events "
                f"({self._why()}); what it committed is kept: resume the drill"
            )
        status, value = pickle.loads(answer)
        if status != "ok":
            raise StoreError(str(value))
        return {
            drill_id: [Appended(seq, duplicate, digest) for seq, duplicate, digest in rows]
            for drill_id, rows in value.items()
        }

    def stop(self) -> None:
        """Tell the process there is no more (it closes its store and ends); kill it if it
        has not ended within a few seconds."""
        process = self._process
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._said.close()

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        return stdin, stdout

    def _why(self) -> str:
        """What the process said before it ended, or that it still runs."""
        process = self._process
        if process.poll() is None:
            return "it did not answer"
        said = b""
        with contextlib.suppress(OSError, ValueError):
            self._said.seek(0)
            said = self._said.read()
        last = said.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return f"exit {process.returncode}: {last[0][:300]}".rstrip(": ")


class Apart:
    """A store's writer process: started when a caller expects many appends or the first
    group of APART_START comes, handed groups of APART_ROWS or more once it is ready, and
    never used again after it failed.
    Groups are handed to it one at a time (the store's writer task waits for each), on a
    thread of its own."""

    def __init__(self, url: str, lock_timeout: float, *, possible: bool) -> None:
        self._url = url
        self._lock_timeout = lock_timeout
        self._failed = not possible or cores() < 2
        self._thread: ThreadPoolExecutor | None = None
        self._process: WriterProcess | None = None
        self._starting: asyncio.Future[WriterProcess] | None = None
        self._ready: WriterProcess | None = None
        self._leaving: list[asyncio.Future[None]] = []

    @property
    def ready(self) -> bool:
        """Whether the process has opened the store and takes large groups."""
        return self._ready is not None

    def writer(self, appends: int) -> WriterProcess | None:
        """The process to commit a group of `appends`, or None to commit it in the store's
        own process (a small group, no process yet, or none to be had). The first group
        of APART_START starts it."""
        if appends < APART_ROWS or self._failed:
            return None
        if appends >= APART_START:
            self._start()
        return self._ready

    def expect(self, appends: int) -> None:
        """A caller will append about `appends` events in large groups (a simulated
        drill): start the process now if that many are worth it. 0: no more are coming
        (the drill has ended): the process is let go, and ends while the caller goes on
        (its report); a later caller's large groups start another."""
        if appends <= 0:
            self._let_go()
        elif appends >= APART_EXPECTED and not self._failed:
            self._start()

    def _start(self) -> None:
        if self._process is not None:
            return
        try:
            self._process = WriterProcess.spawn(self._url, self._lock_timeout)
        except StoreError as exc:
            self._fail(exc)
            return
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drillkit-apart")
        self._starting = asyncio.get_running_loop().run_in_executor(
            self._thread, self._process.wait_ready
        )
        self._starting.add_done_callback(self._started)

    def _started(self, starting: asyncio.Future[WriterProcess]) -> None:
        if starting is not self._starting:  # let go before it was ready
            return
        if starting.cancelled():
            self._failed = True
        elif (exc := starting.exception()) is not None:
            self._fail(exc)
        elif not self._failed:
            self._ready = starting.result()

    def _fail(self, why: BaseException) -> None:
        if not self._failed:
            log.info("every append is committed in this process: %s", why)
        self._failed = True
        self._ready = None

    async def commit(self, writer: WriterProcess, group: Group) -> dict[str, list[Appended]]:
        """`group` committed by `writer` (see `WriterProcess.commit`); a process that
        ended is not used again."""
        assert self._thread is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._thread, writer.commit, group
            )
        except WriterLost as exc:
            self._fail(exc)
            raise

    async def stop(self) -> None:
        """End the process (after the group it holds, if any; at once if it is not ready
        yet) and its thread, and wait for those let go to have ended."""
        self._failed = True
        self._let_go()
        leaving, self._leaving = self._leaving, []
        if leaving:
            await asyncio.gather(*leaving)

    def _let_go(self) -> None:
        """End the process in the background: groups are committed here from now on (the
        store's writer task hands over one group at a time, so none is in flight)."""
        process, self._process = self._process, None
        thread, self._thread = self._thread, None
        starting, self._starting = self._starting, None
        self._ready = None
        if process is not None and thread is not None:
            self._leaving.append(asyncio.ensure_future(_end(process, thread, starting)))


async def _end(
    process: WriterProcess,
    thread: ThreadPoolExecutor,
    starting: asyncio.Future[WriterProcess] | None,
) -> None:
    """End `process` once it has committed the group it holds, if any (on `thread`, after
    that group); at once if it is not ready yet."""
    try:
        if starting is not None:
            if not starting.done():
                process.kill()  # a drill that ended before it was ready
            await asyncio.wait([starting])
            if not starting.cancelled():
                starting.exception()  # seen: a process killed unready fails to be ready
        await asyncio.get_running_loop().run_in_executor(thread, process.stop)
    finally:
        thread.shutdown(wait=False)


def _read_frame(pipe: IO[bytes]) -> bytes | None:
    """The next frame on `pipe`; None at its end (or a frame cut short)."""
    head = pipe.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    body = pipe.read(length)
    return body if len(body) == length else None


async def _serve() -> int:
    """The process's side: open the store, then commit each group told, in order."""
    from drill.store.eventstore import EventStore

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    told = json.loads(stdin.readline())
    try:
        store = await EventStore.open(told["url"], lock_timeout=float(told["lock_timeout"]))
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        stdout.write(b"ready\n")
        stdout.flush()
        while (frame := await asyncio.to_thread(_read_frame, stdin)) is not None:
            group: list[tuple[str, list[tuple[str, bytes, str | None]]]] = pickle.loads(frame)
            answer: tuple[str, Any]
            try:
                committed = await store.commit_prepared(dict(group))
            except StoreError as exc:
                answer = ("error", str(exc))
            else:
                answer = (
                    "ok",
                    {
                        drill_id: [(a.seq, a.duplicate, a.hash) for a in rows]
                        for drill_id, rows in committed.items()
                    },
                )
            reply = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                stdout.write(_LENGTH.pack(len(reply)))
                stdout.write(reply)
                stdout.flush()
            except BrokenPipeError:  # the store's process ended: what is committed stays
                break
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_serve()))
