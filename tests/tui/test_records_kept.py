"""The console's list of runs reads how each went off the figures kept of its fold.

At start the console offers to resume an unfinished run, which means knowing how the
newest runs went; each may be a nationwide drill of 88,000 events. `Records.runs` reads
that off the figures a report (or an earlier look) kept of the run's fold, and folds a
run only when none are kept for the events it has now.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from drill.engine.clock import VirtualClock
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore
from drill.tui.records import Records, run_status


async def _runs(url: str) -> None:
    """Three runs of the roll call: to its end, aborted, and stopped halfway."""
    plan = load_plan(sample_plan_dir(), lint=False).plan
    async with EventStore.open(url) as store:
        for drill_id, until in (("ended", None), ("stopped", 2), ("halfway", 3)):
            sink = MemorySink()
            runner = DrillRunner(
                plan, "annual-roll-call", sink=sink, notifiers=[SimulatedNotifier()],
                clock=VirtualClock(), drill_id=drill_id, seed=4,
            )  # fmt: skip
            if until is None:
                await runner.run()
            else:
                await runner.run_until(until)
                if drill_id == "stopped":
                    await runner.abort(by="当番", reason="本番対応")
            stored = await sink.read(drill_id)
            await store.append_many(drill_id, [(s.event, s.key) for s in stored])


async def _statuses(url: str) -> dict[str, str | None]:
    records = Records(url)  # a console just started: nothing remembered in memory
    try:
        return {run.drill_id: run.status for run in await records.runs()}
    finally:
        await records.close()


def _kept(drill_id: str) -> Path:
    folder = Path(os.environ["DRILLKIT_HOME"]) / "cache" / "history"
    (entry,) = [
        path
        for path in folder.glob("*.json")
        if f'"drill_id": "{drill_id}"' in path.read_text(encoding="utf-8")
    ]
    return entry


async def test_runs_say_how_each_went_as_its_fold_does_and_keep_it(tmp_path: Path) -> None:
    url = str(tmp_path / "events.db")
    await _runs(url)
    async with EventStore.open(url) as store:
        folded = {
            drill_id: run_status([s.event for s in await store.read(drill_id) if not s.duplicate])
            for drill_id in ("ended", "stopped", "halfway")
        }

    first = await _statuses(url)  # each run folded once, its figures kept
    again = await _statuses(url)  # read off the kept figures

    assert first == again == folded
    assert folded["stopped"] == "aborted" and folded["halfway"] == "interrupted"
    assert folded["ended"] in ("completed", "finished", "idle")


async def test_a_run_with_kept_figures_is_not_folded_again(tmp_path: Path) -> None:
    url = str(tmp_path / "events.db")
    await _runs(url)
    await _statuses(url)
    # What is kept is what the console goes by (the cache folder is the user's own):
    # the run's events are not read again.
    entry = _kept("ended")
    data = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(json.dumps({**data, "outcome": "failed"}), encoding="utf-8")

    assert (await _statuses(url))["ended"] == "failed"


async def test_the_consoles_report_is_drillkit_reports(tmp_path: Path) -> None:
    """Year on year in the console's report is chosen and read as `drillkit report` does
    (earlier runs' kept figures, one fold at a time): the files are the same."""
    from drill.report.files import write_report
    from drill.tui.reporting import render_report

    url = str(tmp_path / "events.db")
    await _runs(url)
    plan = load_plan(sample_plan_dir(), lint=False).plan
    async with EventStore.open(url) as store:
        events = [s.event for s in await store.read("halfway") if not s.duplicate]
        written = await write_report(store, "halfway", plan=plan, out_dir=tmp_path / "cli")
    records = Records(url)
    await records.open()  # as the console does when it starts
    try:
        html = await render_report("halfway", events, plan, records, "ja")
    finally:
        await records.close()

    assert html is not None
    rows = json.loads((html.parent / "report.json").read_text(encoding="utf-8"))["history"]["rows"]
    assert [row["drill_id"] for row in rows] == ["ended", "stopped", "halfway"]
    for path in written:
        assert (html.parent / path.name).read_bytes() == path.read_bytes(), path.name
