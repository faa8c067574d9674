"""A throwaway PostgreSQL server on 127.0.0.1, for the tests, the benchmarks and a trial
control room.

`LocalPostgres` runs the server binaries already on the machine (`initdb`, `pg_ctl`; on
Debian they live in `/usr/lib/postgresql/N/bin`, which is searched too) on a cluster in a
temporary folder, listening on a free loopback port, with trust authentication for one
superuser (`drill`). It is gone when stopped. It never installs anything: a machine
without the binaries gets a clear `LocalPostgresMissing`.

PostgreSQL refuses to run as root, so when this process is root the cluster's folder is
given to the `postgres` system user (Debian's package creates it) and the binaries run as
that user through `runuser`.

Each cluster's folder names its owner (`owner.json`: the pid of the process that started
it, and that process's start time, so a reused pid is not taken for it). A test run that
crashed (or was killed) cannot stop its server; the next `start()` in the same parent
folder stops every server whose owner is gone and removes its folder
(`stop_strays`), so no stray `/tmp/drillkit-pg-*` server outlives more than one run.
Servers whose owner is alive (another test run at the same time) are never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from types import TracebackType

from drill.errors import DrillError

__all__ = ["LocalPostgres", "LocalPostgresMissing", "find_server_binaries", "stop_strays"]

_PREFIX = "drillkit-pg-"
_OWNER_FILE = "owner.json"
_SUPERUSER = "drill"
_SYSTEM_USER = "postgres"
_START_TRIES = 3


class LocalPostgresMissing(DrillError):
    """No PostgreSQL server binaries (or no user to run them as) on this machine."""

    title = "PostgreSQL server not found"


def find_server_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: PATH first, then Debian's layout."""
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).resolve().parent
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalPostgres:
    """A PostgreSQL cluster of its own in a temporary folder, on a free loopback port.

    `fsync=False` skips flushing to disk (a test cluster that is thrown away: faster on a
    busy machine; it says nothing about durability). Use as a context manager, or
    `start()` and `stop()`.
    """

    def __init__(self, *, fsync: bool = True, folder: Path | None = None) -> None:
        self.fsync = fsync
        self._parent = folder
        self._root: Path | None = None
        self.port = 0
        self.host = "127.0.0.1"
        self.user = _SUPERUSER

    @property
    def data(self) -> Path:
        assert self._root is not None, "the server is not started"
        return self._root / "data"

    @property
    def log_file(self) -> Path:
        assert self._root is not None, "the server is not started"
        return self._root / "server.log"

    def url(self, database: str = "postgres", *, user: str | None = None) -> str:
        """A `postgresql://` URL of `database` on this server (no password: trust auth)."""
        return f"postgresql://{user or self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None, *, owner: str | None = None) -> str:
        """Create an empty database (a fresh name unless given); returns its URL.

        Runs on a thread of its own, so it may be called with or without a running loop.
        """
        database = name or f"d_{uuid.uuid4().hex[:16]}"
        statement = f'CREATE DATABASE "{database}"' + (f' OWNER "{owner}"' if owner else "")
        self.execute(statement)
        return self.url(database)

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run SQL statements as the superuser (set-up: roles, grants, databases)."""
        failure: list[BaseException] = []

        def work() -> None:
            import asyncio

            import asyncpg

            async def run() -> None:
                conn = await asyncpg.connect(
                    host=self.host, port=self.port, user=self.user, database=database
                )
                try:
                    for statement in statements:
                        await conn.execute(statement)
                finally:
                    await conn.close()

            try:
                asyncio.run(run())
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=work, name="drillkit-local-postgres")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    def start(self) -> LocalPostgres:
        binaries = find_server_binaries()
        if binaries is None:
            raise LocalPostgresMissing(
                "initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin. "
                "Install the PostgreSQL server (Debian: apt-get install postgresql)."
            )
        prefix = self._run_as()
        stop_strays(self._parent)
        self._root = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=self._parent))
        _write_owner(self._root)
        if prefix:
            shutil.chown(self._root, _SYSTEM_USER, _SYSTEM_USER)
        self._run(
            prefix,
            str(binaries / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        last = ""
        for _ in range(_START_TRIES):  # another process may take the free port first
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self._root} -c listen_addresses={self.host} "
                f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
            )
            try:
                self._run(
                    prefix,
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                return self
            except LocalPostgresMissing as exc:
                last = str(exc)
        self.stop()
        raise LocalPostgresMissing(f"The local PostgreSQL server did not start: {last}")

    def stop(self) -> None:
        """Stop the server (fast: clients are disconnected) and remove its folder."""
        root, self._root = self._root, None
        if root is None:
            return
        _stop_cluster(root)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _run_as() -> list[str]:
        """How to run the server binaries: as ourselves, or as `postgres` when root."""
        if os.geteuid() != 0:
            return []
        runuser = shutil.which("runuser")
        try:
            import pwd

            pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            runuser = None
        if runuser is None:
            raise LocalPostgresMissing(
                "PostgreSQL does not run as root, and there is no `postgres` user (or no "
                "runuser) to run it as. Run as an ordinary user, or install Debian's "
                "postgresql package, which creates that user."
            )
        return [runuser, "-u", _SYSTEM_USER, "--"]

    def _run(self, prefix: list[str], *command: str) -> None:
        done = subprocess.run(
            [*prefix, *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd="/",
        )
        if done.returncode != 0:
            tail = done.stderr.strip() or done.stdout.strip()
            with contextlib.suppress(OSError):
                if self._root is not None and self.log_file.exists():
                    tail += "\n" + self.log_file.read_text(errors="replace")[-2000:]
            raise LocalPostgresMissing(f"{Path(command[0]).name} failed: {tail}")


# --- strays: servers whose owner is gone ---------------------------------------------------


def _start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc); None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from the last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _write_owner(root: Path) -> None:
    owner = {"pid": os.getpid(), "started": _start_time(os.getpid())}
    (root / _OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")


def _owner_alive(root: Path) -> bool | None:
    """Whether the process that started the cluster in `root` still runs (the same process,
    not a later one given its pid); None when the folder names no owner."""
    try:
        owner = json.loads((root / _OWNER_FILE).read_text(encoding="utf-8"))
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    started = owner.get("started")
    return started is None or _start_time(pid) in (None, started)


def stop_strays(parent: Path | None = None) -> list[Path]:
    """Stop the servers under `parent` (the temporary folder by default) whose owner
    process is gone, and remove their folders; returns those folders. A folder naming no
    owner (an older version's, or one being set up right now) is left alone."""
    where = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    stopped: list[Path] = []
    for root in sorted(where.glob(f"{_PREFIX}*")):
        if root.is_dir() and _owner_alive(root) is False:
            _stop_cluster(root)
            stopped.append(root)
    return stopped


def _stop_cluster(root: Path) -> None:
    """Stop the server of the cluster in `root` (if it runs) and remove the folder."""
    binaries = find_server_binaries()
    if binaries is not None and (root / "data" / "postmaster.pid").exists():
        with contextlib.suppress(LocalPostgresMissing, subprocess.TimeoutExpired, OSError):
            done = subprocess.run(
                [
                    *LocalPostgres._run_as(),
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(root / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                cwd="/",
            )
            said = f"{done.stdout}\n{done.stderr}"
            if done.returncode != 0 and "no server running" not in said:
                # Still running and would not stop: removing its folder under it would
                # leave a server nobody can stop with pg_ctl. Leave it for a person.
                return
    shutil.rmtree(root, ignore_errors=True)
