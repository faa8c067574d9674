"""Work of a large plan's load done on a second core: the parse of its later contacts
files (`Prefetch`), and the lint while the loader checks references (`Aside`).

Parsing YAML is about two thirds of loading a nationwide plan, and each file parses on its
own. So, for a large plan on a machine with a second core, a forked worker parses the
later contacts files the fast way (`plain_document`) while the loader parses the first
ones and validates every file in order. The worker sends each file's text and values
back through a temporary file (`marshal`, about ten times faster to read back than it is
to parse the YAML again; `pickle` where a value is a date), and a short notice per file
through a pipe, so the worker never waits for the loader to read.

Only what the fast way reads is taken from the worker: a file it could not read that
way (an error, an alias, a tag, a limit passed), a file it had not finished when the
worker stopped, and everything in a small plan, on one core or where forking is unsafe
(another thread running), is read by the loader itself, as before. So the findings and
the plan are the same with or without the worker.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
import signal
import struct
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from drill.plan.limits import PlanLimits
from drill.plan.source import Document, plain_document

__all__ = ["Aside", "Prefetch"]

# Below this many bytes of contacts, forking and sending the values back costs about
# what the parse saves (a 4,000-person plan's contacts are 1.7 MB).
_MIN_BYTES = 1_000_000
# The loader validates what it parses and also reads back what the worker parsed, which
# costs about half a parse: it keeps about a quarter of the bytes, the worker the rest.
_LOADER_SHARE = 0.25
_NOTICE = struct.Struct("<IQQ")  # file index, offset and length in the temporary file
_MARSHAL, _PICKLE = b"M", b"P"
_T = TypeVar("_T")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Prefetch:
    """The documents a forked worker parses; `take` one in the loader's order."""

    def __init__(self, files: Sequence[Path], pid: int, notices: int, spool: IO[bytes]) -> None:
        self._index = {file: i for i, file in enumerate(files)}
        self._pid: int | None = pid
        self._notices: int | None = notices
        self._spool = spool
        self._pending = b""
        self._arrived: dict[int, tuple[int, int]] = {}

    @classmethod
    def start(cls, files: Sequence[Path], limits: PlanLimits) -> Prefetch | None:
        """A worker for the later of `files`, or None where it would not pay or is unsafe."""
        if len(files) < 2 or not _may_fork():
            return None
        sizes: list[int] = []
        for file in files:
            try:
                sizes.append(file.stat().st_size)
            except OSError:
                sizes.append(0)
        total = sum(sizes)
        if total < _MIN_BYTES:
            return None
        first, kept = 0, 0
        while first < len(files) - 1 and kept + sizes[first] <= total * _LOADER_SHARE:
            kept += sizes[first]
            first += 1
        first = max(first, 1)
        theirs = list(files[first:])
        spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed by `close`)
        try:
            read_end, write_end = os.pipe()
        except OSError:
            spool.close()
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            spool.close()
            return None
        if pid == 0:  # the worker: parse, write, and leave without running any cleanup
            status = 1
            try:
                os.close(read_end)
                _quiet_signals()
                _work(theirs, limits, spool.fileno(), write_end)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(theirs, pid, read_end, spool)

    def take(self, file: Path) -> Document | None:
        """The worker's document of `file`, or None: the loader reads it itself."""
        index = self._index.pop(file, None)
        if index is None:
            return None
        while index not in self._arrived and self._receive():
            pass
        offset, length = self._arrived.pop(index, (0, 0))
        if not length:
            return None
        payload = os.pread(self._spool.fileno(), length, offset)
        while len(payload) < length:
            more = os.pread(self._spool.fileno(), length - len(payload), offset + len(payload))
            if not more:
                return None
            payload += more
        load: Any = marshal.loads if payload[:1] == _MARSHAL else pickle.loads
        text, data, variables = load(payload[1:])
        return Document(file, data, variables=variables, text=text)

    def _receive(self) -> bool:
        """Wait for the next notices; False once the worker has stopped sending."""
        if self._notices is None:
            return False
        chunk = os.read(self._notices, 64 * _NOTICE.size)
        if not chunk:
            os.close(self._notices)
            self._notices = None
            return False
        self._pending += chunk
        whole = len(self._pending) - len(self._pending) % _NOTICE.size
        for index, offset, length in _NOTICE.iter_unpack(self._pending[:whole]):
            self._arrived[index] = (offset, length)
        self._pending = self._pending[whole:]
        return True

    def close(self) -> None:
        """Stop the worker if it is still parsing (the loader stopped early) and reap it."""
        if self._pid is not None:
            _stop(self._pid)
            self._pid = None
        if self._notices is not None:
            os.close(self._notices)
            self._notices = None
        self._spool.close()


class Aside(Generic[_T]):
    """A function's result, computed in a forked child while the caller does other work.

    The child sees the caller's objects as they were at the fork, for free; only the
    result is sent back (pickled, through a temporary file). None from `result` (the
    child failed, was killed, or its result did not unpickle) means: compute it here."""

    def __init__(self, pid: int, spool: IO[bytes]) -> None:
        self._pid: int | None = pid
        self._spool = spool

    @classmethod
    def start(cls, work: Callable[[], _T]) -> Aside[_T] | None:
        if not _may_fork():
            return None
        spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed by `result` or `cancel`)
        try:
            pid = os.fork()
        except OSError:
            spool.close()
            return None
        if pid == 0:
            status = 1
            try:
                _quiet_signals()
                _write_all(spool.fileno(), pickle.dumps(work(), pickle.HIGHEST_PROTOCOL), 0)
                status = 0
            finally:
                os._exit(status)
        return cls(pid, spool)

    def result(self) -> _T | None:
        if self._pid is None:
            return None
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        try:
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                return None
            self._spool.seek(0)
            value: _T = pickle.loads(self._spool.read())
            return value
        except Exception:  # whatever went wrong, the caller computes it itself
            return None
        finally:
            self._spool.close()

    def cancel(self) -> None:
        if self._pid is not None:
            _stop(self._pid)
            self._pid = None
        self._spool.close()


def _may_fork() -> bool:
    """A second core, and no other thread: forking copies only the calling thread, so a
    lock another thread held would stay held in the child."""
    return hasattr(os, "fork") and _cores() >= 2 and threading.active_count() == 1


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        view = view[os.pwrite(fd, view, offset + len(data) - len(view)) :]


def _quiet_signals() -> None:
    """The worker dies of Ctrl-C or a stop as any process does: the handlers it inherited
    are the caller's (an event loop's wake-up socket, a drill's clean stop), not its own."""
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)


def _work(files: Sequence[Path], limits: PlanLimits, spool: int, notices: int) -> None:
    """The worker's part: each file the fast way, in order, its values to `spool`."""
    offset = 0
    for index, file in enumerate(files):
        payload = b""
        document = plain_document(file, limits)
        if document is not None:
            values = (document.text, document.data, document.variables)
            try:
                payload = _MARSHAL + marshal.dumps(values)
            except ValueError:  # a date, which marshal does not know
                payload = _PICKLE + pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(spool, payload, offset)
        os.write(notices, _NOTICE.pack(index, offset, len(payload)))
        offset += len(payload)


def _stop(pid: int) -> None:
    """Kill a forked child that is no longer wanted, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
