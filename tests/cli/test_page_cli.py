"""`drillkit page`, the real CLI in subprocesses, against a drill another process runs.

`drillkit run --simulate --speed` runs the sample plan's stolen-terminal drill; while it
runs, `drillkit page` asks its engine through the store to page a branch's security
officer (in no tree of that scenario) and an ad hoc person: the pages are recorded with
who asked and from which console, the ad hoc number masked. Mistakes (an unknown person,
a bad number, a drill that is not running) are said clearly, with a non-zero exit, and
record nothing.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from drill.engine.events import OperatorPaged, OutsidePageQueued, to_record
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import ask
from tests.cli.running import drillkit, started_drill

pytestmark = pytest.mark.slow


async def _abort(db: Path, drill_id: str) -> None:
    async with EventStore.open(db) as store:
        me = ConsoleIdentity.here("統括")
        await ask(store, drill_id, "abort", {"reason": "終了"}, operator="統括", console=me)


def page(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = drillkit(db, "page", *args)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


async def _journal(db: Path, drill_id: str) -> list[object]:
    async with EventStore.open(db) as store:
        return [s.event for s in await store.read(drill_id) if not s.duplicate]


def test_drillkit_page_asks_the_running_engine_and_says_what_it_paged(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    runner = drillkit(
        db, "run", "stolen-terminal", "--simulate", "--speed", "5", "--seed", "3",
        "--no-report", "--quiet", "--operator", "佐藤",
    )  # fmt: skip
    try:
        drill_id = started_drill(runner, db)

        done = page(db, drill_id, "--person", "abe-seiichi", "--by", "当直 鈴木")
        assert done.returncode == 0, done.stderr
        assert "阿部 誠一" in done.stdout and "当直 鈴木" in done.stdout
        assert "090-****-**22" in done.stdout  # the SMS number, masked

        adhoc = page(
            db, drill_id, "--name", "保守業者 田中", "--phone", "090-0012-3456",
            "--email", "tanaka@vendor.example", "--by", "当直 鈴木", "--lang", "en",
        )  # fmt: skip
        assert adhoc.returncode == 0, adhoc.stderr
        assert "保守業者 田中" in adhoc.stdout and "090-****-**56" in adhoc.stdout

        before = len(asyncio.run(_journal(db, drill_id)))
        unknown = page(db, drill_id, "--person", "abe-seiich", "--by", "当直 鈴木")
        assert unknown.returncode != 0
        assert "did you mean 'abe-seiichi'" in unknown.stderr and "Traceback" not in unknown.stderr
        bad = page(db, drill_id, "--name", "x", "--phone", "090-9876", "--by", "当直 鈴木")
        assert bad.returncode != 0
        assert "電話番号" in bad.stderr and "9876" not in bad.stderr
        both = page(db, drill_id, "--person", "abe-seiichi", "--unanswered")
        assert both.returncode != 0 and "--unanswered" in both.stderr

        journal = asyncio.run(_journal(db, drill_id))
        orders = [e for e in journal if isinstance(e, OperatorPaged)]
        assert [(o.asked, o.by) for o in orders] == [
            ("person", "当直 鈴木"),
            ("ad_hoc", "当直 鈴木"),
        ]
        assert all(o.origin and ":" in o.origin for o in orders)  # the asking console
        assert len([e for e in journal[before:] if isinstance(e, OperatorPaged)]) == 0
        text = json.dumps([to_record(e) for e in journal], ensure_ascii=False)  # type: ignore[arg-type]
        assert "+819000123456" not in text and "0012-3456" not in text
        people = {e.person_id for e in journal if isinstance(e, OutsidePageQueued)}
        assert people == {"abe-seiichi", "adhoc:1"}

        asyncio.run(_abort(db, drill_id))
        assert runner.wait(timeout=60) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()

    ended = page(db, drill_id, "--unanswered")
    assert ended.returncode != 0
    assert drill_id in ended.stderr and "not running" in ended.stderr


def test_drillkit_page_of_an_unknown_drill_says_so(tmp_path: Path) -> None:
    done = page(tmp_path / "events.db", "no-such-drill", "--role", "x")
    assert done.returncode != 0
    assert "no-such-drill" in done.stderr and "drillkit drills" in done.stderr
