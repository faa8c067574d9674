"""The throwaway PostgreSQL server never outlives a crashed run by more than one run.

A process starts a `LocalPostgres` and is killed (-9) before it can stop it: the server
keeps running in its folder. The next `start()` in the same parent folder (the next test
run) stops it and removes the folder, because its owner is gone; a server whose owner is
alive (another run at the same time) is left alone.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from drill.sandbox.postgres import LocalPostgres, stop_strays

pytestmark = pytest.mark.slow

CRASHING = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from drill.sandbox.postgres import LocalPostgres

    server = LocalPostgres(fsync=False, folder=Path(sys.argv[1])).start()
    print(server.port, server.data.parent, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # a test run that crashed: nobody stops it
    """
)


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def parent() -> Iterator[Path]:
    """A folder of its own under /tmp (pytest's are private to us; when we are root, the
    `postgres` user runs the server and must reach its folder)."""
    folder = Path(tempfile.mkdtemp(prefix="drillkit-test-strays-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        stop_strays(folder)  # the test failed half-way: its strays go too
        shutil.rmtree(folder, ignore_errors=True)


def test_a_server_left_by_a_killed_run_is_stopped_by_the_next_start(
    parent: Path,
    postgres_server: LocalPostgres,  # skips (saying why) or fails in CI without a server
) -> None:
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING, str(parent)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    port_text, root_text = crashed.stdout.split()
    port, root = int(port_text), Path(root_text)
    assert accepts(port) and root.exists()  # a stray: running, nobody to stop it

    with LocalPostgres(fsync=False, folder=parent) as mine:  # the next run starts
        assert not accepts(port), "the stray server still runs"
        assert not root.exists()
        assert accepts(mine.port)
        # Another run's server, whose owner (this process) is alive: left alone.
        assert stop_strays(parent) == []
        assert accepts(mine.port)
    assert list(parent.iterdir()) == []
