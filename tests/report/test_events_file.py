"""events.csv of a large drill, written by a helper process (`drill.report.events_file`):
the same bytes as the report's own process writes, and taken only when it holds exactly
the drill the report verified (else the report's process writes the file itself)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from drill.plan import Plan
from drill.report import helper as helpers
from drill.report.events_file import EventsFileHelper
from drill.report.files import FORMATS, write_report
from drill.report.types import Integrity
from drill.store import EventStore
from tests.report.conftest import simulate

_FINISH = EventsFileHelper.finish


@pytest.fixture
async def db(tmp_path: Path, plan: Plan) -> Path:
    path = tmp_path / "events.db"
    async with EventStore.open(path) as store:
        await simulate(plan, seed=5, sink=store)
    return path


async def _files(
    db: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *, helper: bool
) -> tuple[dict[str, bytes], list[bool]]:
    """The report's files, with events.csv by the helper or not; what the helper's
    `finish` said (its file taken or not), once per helper started."""
    monkeypatch.setattr(helpers, "HELPER_EVENTS", 1 if helper else 10**9)
    monkeypatch.setattr(helpers, "cores", lambda: 2)
    taken: list[bool] = []
    finish = _FINISH

    async def spy(self: EventsFileHelper, verified: Integrity) -> bool:
        result = await finish(self, verified)
        taken.append(result)
        return result

    monkeypatch.setattr(EventsFileHelper, "finish", spy)
    async with EventStore.open(db) as store:
        paths = await write_report(store, "d1", formats=FORMATS, out_dir=out)
    assert not _leftovers(out)
    return {p.name: p.read_bytes() for p in paths}, taken


def _leftovers(out: Path) -> list[Path]:
    """Temporary files left behind in the report's folder."""
    return list(out.glob(".events.csv.*"))


async def test_the_helper_writes_the_file_the_report_process_writes(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone, none = await _files(db, tmp_path / "alone", monkeypatch, helper=False)
    helped, taken = await _files(db, tmp_path / "helped", monkeypatch, helper=True)

    assert (none, taken) == ([], [True])
    assert helped == alone
    assert helped["events.csv"].count(b"\r\n") > 100


async def test_a_damaged_drill_s_file_is_written_by_the_report_process(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw: Any = sqlite3.connect(db)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute(
        "UPDATE events SET payload = replace(payload, '\"elapsed\":', '\"elapsed\": ') "
        "WHERE drill_id = 'd1' AND seq = 9"
    )  # same value, respelled: still verifies
    raw.execute(  # its first digit changed (a hash that began with 0 was left as it was)
        "UPDATE events SET hash = (CASE WHEN hash LIKE '0%' THEN '1' ELSE '0' END) "
        "|| substr(hash, 2) WHERE drill_id = 'd1' AND seq = 12"
    )
    raw.commit()
    raw.close()

    alone, _ = await _files(db, tmp_path / "alone", monkeypatch, helper=False)
    helped, taken = await _files(db, tmp_path / "helped", monkeypatch, helper=True)

    assert taken == [False]  # not the verified drill: written again here
    assert helped == alone
    assert b'"verified": false' in helped["report.json"]
