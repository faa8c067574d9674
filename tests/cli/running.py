"""A drill run by `drillkit run` in a child process, for the CLI tests that act on it from
another process (`page`, `watch`): start it, and wait until it has recorded its start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from drill.store import EventStore

REPO = Path(__file__).resolve().parents[2]


def drillkit(db: Path, *args: str) -> subprocess.Popen[str]:
    """`drillkit ARGS --db DB` in a child process, its output piped as text."""
    env = dict(os.environ)
    env.pop("DRILLKIT_FAULT_KILL_AFTER_EVENTS", None)
    env["COLUMNS"] = "400"
    return subprocess.Popen(
        [sys.executable, "-m", "drill", *args, "--db", str(db)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _latest_drill(db: Path) -> str | None:
    async with EventStore.open(db) as store:
        found = await store.latest_drill_id()
        return found if found is not None and await store.read(found) else None


def started_drill(runner: subprocess.Popen[Any], db: Path, seconds: float = 60) -> str:
    """The id of the drill `runner` runs on `db`, once it has recorded its start."""
    deadline = time.monotonic() + seconds
    while True:
        assert runner.poll() is None, runner.communicate()
        found = asyncio.run(_latest_drill(db)) if db.exists() else None
        if found is not None:
            return found
        assert time.monotonic() < deadline, "the drill never started"
        time.sleep(0.1)
