"""Year on year's figures of earlier drills, kept between reports (drill.report.kept_history).

A report keeps what year on year shows of each drill it folds (its own, and the earlier
ones it reads) in the cache folder, keyed by the drill's last event, the regional
centres counted and the code. A later report reads them instead of folding the drill
again, and gets the same report; anything that changes the key folds again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import NoteAdded
from drill.engine.state import DrillState, regional_centres
from drill.plan import Plan, sample_plan_dir
from drill.report import kept_history
from drill.report.files import write_report
from drill.report.history import past_drill
from drill.store import EventStore
from tests.report.conftest import simulate

YEARS = (("y2024", 2024, 3), ("y2025", 2025, 5), ("y2026", 2026, 7))


async def _store(db: Path, plan: Plan) -> None:
    async with EventStore.open(str(db)) as store:
        for drill_id, year, seed in YEARS:
            stored = await simulate(
                plan,
                seed=seed,
                drill_id=drill_id,
                clock=VirtualClock(dt.datetime(year, 1, 31, 1, tzinfo=dt.UTC)),
            )
            await store.append_many(drill_id, [(s.event, s.key) for s in stored])


async def _report(db: Path, out: Path, drill_id: str = "y2026") -> bytes:
    async with EventStore.open(str(db)) as store:
        await write_report(
            store, drill_id, plan_dir=sample_plan_dir(), formats=("json",), out_dir=out
        )
    return (out / "report.json").read_bytes()


def _kept() -> list[Path]:
    folder = Path(os.environ["DRILLKIT_HOME"]) / "cache" / "history"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _history(report: bytes) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(report)["history"]["rows"]
    return rows


def _set_outcome(entry: Path, outcome: str) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["outcome"] = outcome
    entry.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _entry_of(drill_id: str) -> Path:
    (entry,) = [e for e in _kept() if f'"drill_id": "{drill_id}"' in e.read_text("utf-8")]
    return entry


async def test_a_report_from_kept_figures_is_the_report_from_folds(
    tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "events.db"
    await _store(db, plan)

    first = await _report(db, tmp_path / "first")  # folds y2024 and y2025, keeps all three
    assert len(_kept()) == 3
    assert [row["drill_id"] for row in _history(first)] == ["y2024", "y2025", "y2026"]
    again = await _report(db, tmp_path / "again")  # reads y2024's and y2025's kept figures
    monkeypatch.setenv("DRILLKIT_HOME", str(tmp_path / "another-home"))  # nothing kept there
    folded = await _report(db, tmp_path / "folded")

    assert again == first == folded


async def test_a_later_report_reads_the_kept_figures_instead_of_folding(
    tmp_path: Path, plan: Plan
) -> None:
    db = tmp_path / "events.db"
    await _store(db, plan)
    await _report(db, tmp_path / "first")
    # What is kept is what the next report shows: y2024 was not folded again. (The cache
    # folder is the user's own, like the reports written beside it.)
    _set_outcome(_entry_of("y2024"), "aborted")

    rows = _history(await _report(db, tmp_path / "second"))

    assert (rows[0]["drill_id"], rows[0]["outcome"]) == ("y2024", "aborted")


async def test_an_event_added_to_an_earlier_drill_makes_it_fold_again(
    tmp_path: Path, plan: Plan
) -> None:
    db = tmp_path / "events.db"
    await _store(db, plan)
    first = await _report(db, tmp_path / "first")
    _set_outcome(_entry_of("y2024"), "aborted")
    async with EventStore.open(str(db)) as store:
        await store.append(
            "y2024",
            NoteAdded(
                at=dt.datetime(2024, 2, 1, tzinfo=dt.UTC), elapsed=1e6, by="監査", text="追記"
            ),
        )

    after = await _report(db, tmp_path / "after")

    assert _history(after) == _history(first)  # y2024 read and folded anew, not the entry
    assert len(_kept()) == 4  # and its figures kept under its new last event


async def test_an_entry_that_cannot_be_read_is_folded_again(tmp_path: Path, plan: Plan) -> None:
    db = tmp_path / "events.db"
    await _store(db, plan)
    first = await _report(db, tmp_path / "first")
    entries = _kept()
    entries[0].write_text("{", encoding="utf-8")
    entries[1].write_bytes(b"\xff\xfe")
    entries[2].write_text(json.dumps({"key": "another"}), encoding="utf-8")

    assert await _report(db, tmp_path / "again") == first


async def test_kept_figures_read_back_equal_and_keyed_by_what_they_come_from(
    tmp_path: Path, plan: Plan
) -> None:
    stored = await simulate(plan, seed=5, drill_id="d5")
    state = DrillState()
    for item in stored:
        state.take(item)
    regional = regional_centres(plan)
    past = past_drill(state, regional)
    assert past is not None
    head = (len(stored), "a" * 64)
    key = kept_history.key_of(head, regional)

    kept_history.keep(key, past)
    recalled = kept_history.recall(key)

    assert recalled == past
    assert recalled is not None
    for field in dataclasses.fields(past.summary):  # not merely equal: ints stay ints
        value = getattr(past.summary, field.name)
        assert type(getattr(recalled.summary, field.name)) is type(value), field.name
    assert kept_history.recall(kept_history.key_of(head, None)) is None  # every site counted
    assert kept_history.recall(kept_history.key_of((len(stored) + 1, "a" * 64), regional)) is None
    assert kept_history.recall(kept_history.key_of((len(stored), "b" * 64), regional)) is None
    assert kept_history.recall(kept_history.key_of(head, regional - {min(regional)})) is None


async def test_the_oldest_half_goes_when_too_many_are_kept(plan: Plan) -> None:
    stored = await simulate(plan, seed=5, drill_id="d5")
    state = DrillState()
    for item in stored:
        state.take(item)
    past = past_drill(state, None)
    assert past is not None
    folder = Path(os.environ["DRILLKIT_HOME"]) / "cache" / "history"
    folder.mkdir(parents=True)
    for n in range(1_000):  # others' entries, older than the next one kept
        old = folder / f"{n:064x}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, ns=(n * 1_000_000_000, n * 1_000_000_000))
    key = kept_history.key_of((len(stored), "c" * 64), None)

    kept_history.keep(key, past)

    left = sorted(path.name for path in folder.glob("*.json"))
    assert len(left) == 501
    assert f"{key}.json" in left and f"{0:064x}.json" not in left and f"{999:064x}.json" in left
    assert kept_history.recall(key) == past


async def test_of_two_drills_started_at_one_instant_the_one_stored_first_is_the_earlier(
    tmp_path: Path, plan: Plan
) -> None:
    # Drills are dated to the second: two run back to back can start "at once". Year on
    # year of each is the same whenever its report is made: the one stored first never
    # shows the one stored after it, which its report at the end of its run could not.
    db = tmp_path / "events.db"
    moment = dt.datetime(2026, 1, 31, 1, tzinfo=dt.UTC)
    async with EventStore.open(str(db)) as store:
        for drill_id, seed in (("first", 3), ("second", 5)):
            stored = await simulate(plan, seed=seed, drill_id=drill_id, clock=VirtualClock(moment))
            await store.append_many(drill_id, [(s.event, s.key) for s in stored])

    first = _history(await _report(db, tmp_path / "first", "first"))
    second = _history(await _report(db, tmp_path / "second", "second"))

    assert [row["drill_id"] for row in first] == ["first"]
    assert [row["drill_id"] for row in second] == ["first", "second"]
