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
"""

from __future__ import annotations

import contextlib
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

__all__ = ["LocalPostgres", "LocalPostgresMissing", "find_server_binaries"]

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
        self._root = Path(tempfile.mkdtemp(prefix="drillkit-pg-", dir=self._parent))
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
        binaries = find_server_binaries()
        if binaries is not None and (root / "data" / "postmaster.pid").exists():
            with contextlib.suppress(LocalPostgresMissing):
                self._run(
                    self._run_as(),
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(root / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                )
        shutil.rmtree(root, ignore_errors=True)

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
