"""The end of a large run: the stored hash chain checked by a helper process
(`drill.report.chain_check`) while the report is built from the run's fold.

The helper runs for real (a process of its own on the store's file or database); the
sample drill is made large enough for it by lowering the threshold. Whatever the helper
answers (the run's chain, a longer one, a broken one, nothing), the files are those
`drillkit report` writes later from the store alone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from drill.plan import load_plan, sample_plan_dir
from drill.report import helper as helpers
from drill.report import kept_history
from drill.report.chain_check import ChainHelper
from drill.report.files import RunFold, write_report, write_report_folded
from drill.report.helper import Helper
from drill.report.source import Source
from drill.session import RunOptions, RunResult, run_scenario
from drill.store import EventStore
from drill.store.chain import VerifyResult
from tests.report.conftest import LATE_NOTE, add_late_note, change_first_row

FORMATS = ("html", "md", "json")
READ_BACK = "reads its events back"
"""What the report logs when it folds the stored events itself."""
_VERIFIED = ChainHelper.verified
_CHECK = ChainHelper.check
_SPAWN = Helper.spawn


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[VerifyResult | None]:
    """Every drill large enough for a helper on two cores; what each helper answered."""
    monkeypatch.setattr(helpers, "HELPER_EVENTS", 1)
    monkeypatch.setattr(helpers, "cores", lambda: 2)
    found: list[VerifyResult | None] = []

    async def spy(self: ChainHelper) -> VerifyResult | None:
        answer = await _VERIFIED(self)
        found.append(answer)
        return answer

    monkeypatch.setattr(ChainHelper, "verified", spy)
    return found


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each helper started during a run said when told its drill at the report."""
    said: list[bool] = []

    async def spy(self: ChainHelper, drill_id: str, events: int) -> bool:
        result = await _CHECK(self, drill_id, events)
        said.append(result)
        return result

    monkeypatch.setattr(ChainHelper, "check", spy)
    return said


async def _run(db: str, seed: int, *, report: bool = True) -> RunResult:
    loaded = load_plan(sample_plan_dir())
    options = RunOptions(simulate=True, seed=seed, db=db, operator="test", report=report)
    return await run_scenario(loaded, "annual-roll-call", options)


async def _read_back(db: str, drill_id: str, out: Path) -> dict[str, bytes]:
    async with EventStore.open(db) as store:
        files = await write_report(store, drill_id, formats=FORMATS, out_dir=out)
    return {path.name: path.read_bytes() for path in files}


def _files(paths: tuple[Path, ...] | list[Path]) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in paths}


async def test_the_helper_s_check_makes_the_report_read_back_later(
    store_url: str,
    tmp_path: Path,
    answers: list[VerifyResult | None],
    told: list[bool],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="drill.report.files"):
        first = await _run(store_url, 1)
        second = await _run(store_url, 2)  # the first in its year on year

    assert READ_BACK not in caplog.text
    assert told == [True, True]  # each started during its run, told at its report
    assert len(answers) == 2 and all(a is not None and a.ok for a in answers)
    for result in (first, second):
        assert _files(result.report_files) == await _read_back(
            store_url, result.drill_id, tmp_path / "later" / result.drill_id
        )
    integrity = json.loads(_files(second.report_files)["report.json"])["integrity"]
    checked = answers[1]
    assert checked is not None and integrity["verified"] is True
    assert (integrity["event_count"], integrity["head_hash"]) == (checked.count, checked.head_hash)
    # The first drill's figures were kept at the end of its run, for the reports after it.
    regional = Source.of(first.state, load_plan(sample_plan_dir()).plan).regional
    async with EventStore.open(store_url) as store:
        assert (await kept_history.look_up(store, first.drill_id, regional)).past is not None


async def _unreported(db: str) -> tuple[RunResult, RunFold]:
    """A finished drill without its report, and the fold and head its run ended with."""
    result = await _run(db, 5, report=False)
    async with EventStore.open(db) as store:
        verified = await store.verify(result.drill_id)
    assert verified.ok and verified.head_hash is not None
    return result, RunFold(result.state, verified.count, verified.head_hash)


async def _report_at_end(db: str, result: RunResult, run: RunFold, out: Path) -> dict[str, bytes]:
    async with EventStore.open(db) as store:
        files, _ = await write_report_folded(
            store, result.drill_id, formats=FORMATS, out_dir=out, run=run
        )
    return _files(files)


async def test_an_event_added_after_the_run_makes_the_report_read_it_back(
    store_url: str,
    tmp_path: Path,
    answers: list[VerifyResult | None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    result, run = await _unreported(store_url)
    async with EventStore.open(store_url) as store:
        await add_late_note(store, result.drill_id, run.state)
    with caplog.at_level(logging.INFO, logger="drill.report.files"):
        written = await _report_at_end(store_url, result, run, tmp_path / "end")

    assert READ_BACK in caplog.text
    assert [(a.ok, a.count) for a in answers if a is not None] == [(True, run.seq + 1)]
    assert written == await _read_back(store_url, result.drill_id, tmp_path / "later")
    assert LATE_NOTE in written["report.md"].decode("utf-8")


async def test_a_row_changed_after_the_run_makes_the_report_say_so(
    tmp_path: Path, answers: list[VerifyResult | None]
) -> None:
    db = str(tmp_path / "events.db")
    result, run = await _unreported(db)
    change_first_row(db, result.drill_id)
    written = await _report_at_end(db, result, run, tmp_path / "end")

    assert [(a.ok, a.first_bad_seq) for a in answers if a is not None] == [(False, 1)]
    integrity = json.loads(written["report.json"])["integrity"]
    assert integrity["verified"] is False and "event 1" in integrity["problem"]
    assert written == await _read_back(db, result.drill_id, tmp_path / "later")


@pytest.mark.parametrize(
    "module",
    [
        "drill.report.no_such_helper",  # the helper fails (exit 1)
        "json.tool",  # it answers, but not a chain's check (the order, echoed)
    ],
)
async def test_without_the_helper_s_answer_the_report_checks_the_chain_itself(
    tmp_path: Path,
    answers: list[VerifyResult | None],
    told: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    module: str,
) -> None:
    async def other(_module: str, store: EventStore, what: str) -> Helper | None:
        return await _SPAWN(module, store, what)

    monkeypatch.setattr(Helper, "spawn", other)
    db = str(tmp_path / "events.db")
    with caplog.at_level(logging.INFO, logger="drill.report.files"):
        result = await _run(db, 3)

    # Found when it is told its drill (it has ended), or else when it answers.
    assert (told, answers) in (([False], []), ([True], [None]))
    assert READ_BACK not in caplog.text  # the run's fold, the chain checked here
    assert _files(result.report_files) == await _read_back(db, result.drill_id, tmp_path / "later")
    integrity = json.loads(_files(result.report_files)["report.json"])["integrity"]
    assert integrity["verified"] is True
