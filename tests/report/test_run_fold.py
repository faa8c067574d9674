"""The end of a run: its report is of the stored record, folded once.

A run hands its own fold to the report (`RunFold`) with the seq and hash of the last
event it committed. The report checks the stored chain; when it is sound and ends there,
the store holds exactly the events the run folded, and nothing is read back. Whatever
else the store holds (a late answer another process recorded, a changed row), the report
reads it back and is of that. Either way the files are those `drillkit report` writes
later from the store alone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from drill.plan import load_plan, sample_plan_dir
from drill.report.files import RunFold, write_report, write_report_folded
from drill.sandbox.world import LocalWorld
from drill.session import RunOptions, RunResult, run_scenario
from drill.store import EventStore
from tests.report.conftest import LATE_NOTE, add_late_note, change_first_row

FORMATS = ("html", "md", "json")
READ_BACK = "reads its events back"
"""What the report logs when it folds the stored events itself."""


async def _run(db: Path, scenario: str, seed: int, *, report: bool = True) -> RunResult:
    loaded = load_plan(sample_plan_dir())
    options = RunOptions(simulate=True, seed=seed, db=str(db), operator="test", report=report)
    return await run_scenario(loaded, scenario, options)


async def _read_back(db: Path, drill_id: str, out: Path) -> dict[str, bytes]:
    async with EventStore.open(str(db)) as store:
        files = await write_report(store, drill_id, formats=FORMATS, out_dir=out)
    return {path.name: path.read_bytes() for path in files}


def _files(paths: tuple[Path, ...] | list[Path]) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in paths}


@pytest.mark.parametrize(
    ("scenario", "seed"),
    [
        ("annual-roll-call", 1),
        ("annual-roll-call", 7),
        ("aggregation-centre-outage", 2),
        ("stolen-terminal", 3),
        ("unauthorized-access", 4),
    ],
)
async def test_the_report_at_the_end_of_a_run_is_the_report_read_back_later(
    tmp_path: Path, scenario: str, seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "events.db"
    with caplog.at_level(logging.INFO, logger="drill.report.files"):
        result = await _run(db, scenario, seed)

    assert READ_BACK not in caplog.text  # the run's own fold was the report's
    assert [p.name for p in result.report_files] == ["report.html", "report.md", "report.json"]
    assert _files(result.report_files) == await _read_back(db, result.drill_id, tmp_path / "later")
    integrity = json.loads(_files(result.report_files)["report.json"])["integrity"]
    async with EventStore.open(str(db)) as store:
        verified = await store.verify(result.drill_id)
    assert integrity["verified"] is True
    assert (integrity["event_count"], integrity["head_hash"]) == (
        verified.count,
        verified.head_hash,
    )


async def _unreported(tmp_path: Path) -> tuple[Path, RunResult, RunFold]:
    """A finished drill without its report, and the fold and head its run ended with."""
    db = tmp_path / "events.db"
    result = await _run(db, "annual-roll-call", 5, report=False)
    async with EventStore.open(str(db)) as store:
        verified = await store.verify(result.drill_id)
    assert verified.ok and verified.head_hash is not None
    return db, result, RunFold(result.state, verified.count, verified.head_hash)


async def test_an_event_another_process_added_after_the_run_is_in_its_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, result, run = await _unreported(tmp_path)
    async with EventStore.open(str(db)) as store:
        await add_late_note(store, result.drill_id, run.state)
        with caplog.at_level(logging.INFO, logger="drill.report.files"):
            files, folded = await write_report_folded(
                store, result.drill_id, formats=FORMATS, out_dir=tmp_path / "end", run=run
            )

    assert READ_BACK in caplog.text
    assert folded is not run.state and folded.events == run.state.events + 1
    written = _files(files)
    assert written == await _read_back(db, result.drill_id, tmp_path / "later")
    assert json.loads(written["report.json"])["integrity"]["event_count"] == run.seq + 1
    assert LATE_NOTE in written["report.md"].decode("utf-8")


async def test_a_row_changed_after_the_run_makes_its_report_say_so(tmp_path: Path) -> None:
    db, result, run = await _unreported(tmp_path)
    change_first_row(db, result.drill_id)
    async with EventStore.open(str(db)) as store:
        files, _ = await write_report_folded(
            store, result.drill_id, formats=FORMATS, out_dir=tmp_path / "end", run=run
        )

    written = _files(files)
    integrity = json.loads(written["report.json"])["integrity"]
    assert integrity["verified"] is False and "event 1" in integrity["problem"]
    assert written == await _read_back(db, result.drill_id, tmp_path / "later")


@pytest.mark.slow
async def test_a_sandbox_run_with_answers_over_http_reports_as_read_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Real channels on loopback: events committed one by one and acknowledgements taken
    in batches from webhooks, each path keeping the run's fold and head."""
    loaded = load_plan(sample_plan_dir())
    db = tmp_path / "events.db"
    options = RunOptions(simulate=False, speed=3600, seed=3, db=str(db), operator="test")
    with caplog.at_level(logging.INFO, logger="drill.report.files"):
        async with LocalWorld(loaded.plan, speed=3600, seed=3) as world:
            result = await run_scenario(
                loaded,
                "annual-roll-call",
                options,
                notifiers=world.notifiers(),
                registry=world.registry,
            )

    assert READ_BACK not in caplog.text
    assert result.state.acknowledgements
    assert _files(result.report_files) == await _read_back(db, result.drill_id, tmp_path / "later")
