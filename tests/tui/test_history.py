"""Past runs from the event store: history, replay, a person's answers, resume, quitting."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import DataTable

from drill.engine.clock import VirtualClock
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.state import DrillStatus
from drill.plan import load_plan
from drill.store import EventStore
from drill.tui.board import EventLog
from drill.tui.dialogs import QuitDialog, ResumeDialog
from tests.tui.conftest import (
    FakeChannels,
    advance,
    make_app,
    ready,
    sample_loaded,
    start_drill,
    text_of,
    wait_for,
)

MINIMAL = Path(__file__).resolve().parents[1] / "plan" / "fixtures" / "minimal"
"""Another plan (テスト町): its runs are not this console's to resume."""


async def _seed(drill_id: str, *, finish: bool) -> None:
    """A run of the annual roll call in the test's store: finished, or cut off at T+5."""
    store = await EventStore.open(os.environ["DRILLKIT_DB"])
    clock = VirtualClock()
    runner = DrillRunner(
        sample_loaded().plan,
        "annual-roll-call",
        sink=store,
        notifiers=[SimulatedNotifier(ResponseModel(7), clock=clock)],
        clock=clock,
        drill_id=drill_id,
        seed=7,
        simulated=True,
        operator="訓練担当",
    )
    if finish:
        await runner.run()
    else:
        await runner.run_until(5)
        await runner.close()
    await store.close()


async def test_history_replays_a_run_and_a_persons_detail_shows_past_answers() -> None:
    await _seed("20260131-1000-done", finish=True)
    await _seed("20260131-1100-open", finish=False)
    app = make_app(store=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await pilot.press("5")
        table = app.screen.query_one("#history-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        rows = [table.get_row_at(i) for i in range(2)]
        # A title too long for the pane ends in "…"; the other columns stay in sight.
        titles = [str(row[1]) for row in rows]
        assert all("緊急時連絡網 年次訓練".startswith(x.removesuffix("…")) for x in titles)
        outcomes = sorted(str(row[3]) for row in rows)
        assert outcomes == ["中断（未再開）", "完了"]
        done = next(i for i, row in enumerate(rows) if str(row[3]) == "完了")
        table.move_cursor(row=done)
        await pilot.press("enter")
        log = app.screen.query_one("#history-log", EventLog)
        await wait_for(pilot, lambda: len(log.lines) > 20)
        summary = text_of(app.screen.query_one("#history-summary"))
        assert "完了" in summary and "連絡対象" in summary and "呼び出し回数" in summary
        lines = log.text_lines()
        assert "開始: 緊急時連絡網 年次訓練（訓練・模擬、仮想時間、連絡対象" in lines[0]
        assert any("応答あり:" in line for line in lines)
        assert any("終了: 応答あり" in line for line in lines)

        await pilot.press("r")
        await wait_for(pilot, lambda: not app.report_pending and any(
            "report.html" in str(n.message) for n in app._notifications
        ))  # fmt: skip
        assert app.errors == []

        # A person's detail: how fast they answered in the last runs, or that they did not.
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("slash", *"わたなべ", "enter")
        detail = app.screen.query_one("#person-detail")
        await wait_for(pilot, lambda: "2026-01-31 緊急時連絡網 年次訓練: " in text_of(detail))
        assert "(電話)" in text_of(detail)
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"やまだ", "enter")  # did not answer
        await wait_for(pilot, lambda: "年次訓練: 応答なし" in text_of(detail))


async def test_quitting_during_a_run_leaves_it_to_be_resumed_at_the_next_start() -> None:
    app = make_app(store=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, 1)
        run = app.live_run
        assert run is not None
        await advance(pilot, 2)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitDialog)
        await pilot.click("#stay")
        await pilot.pause()
        assert not isinstance(app.screen, QuitDialog) and run.active
        await pilot.press("q")
        await pilot.pause()
        await pilot.click("#leave")
        await wait_for(pilot, lambda: not app.is_running)
    assert run.status == "interrupted"

    again = make_app(store=True, offer_resume=True)
    async with again.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        # Pushed is not yet composed: wait for its button too, not only the screen.
        await wait_for(
            pilot,
            lambda: isinstance(again.screen, ResumeDialog) and bool(again.screen.query("#go")),
        )
        dialog = again.screen
        assert isinstance(dialog, ResumeDialog)
        assert "緊急時連絡網 年次訓練" in dialog.runs[0][0]
        await pilot.click("#go")
        await wait_for(pilot, lambda: again.live_run is not None and again.live_run.begun.is_set())
        resumed = again.live_run
        assert resumed is not None and resumed.drill_id == run.drill_id
        assert again.current_mode == "board"
        assert resumed.state.interruptions == 1
        before = resumed.state.events
        await advance(pilot, 8)
        assert resumed.state.events > before and resumed.active
        assert resumed.state.status is DrillStatus.RUNNING


async def test_the_console_offers_to_resume_only_the_runs_of_its_own_plan() -> None:
    await _seed("20260131-1100-ours", finish=False)
    other = load_plan(MINIMAL).plan
    store = await EventStore.open(os.environ["DRILLKIT_DB"])
    runner = DrillRunner(
        other, "theft", sink=store, notifiers=[SimulatedNotifier()], clock=VirtualClock()
    )
    await runner.run_until(1)  # another plan's run, cut off too
    await runner.close()
    await store.close()

    app = make_app(store=True, offer_resume=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_for(
            pilot, lambda: isinstance(app.screen, ResumeDialog) and bool(app.screen.query("#go"))
        )
        dialog = app.screen
        assert isinstance(dialog, ResumeDialog)
        assert [drill_id for _, drill_id in dialog.runs] == ["20260131-1100-ours"]


async def test_a_sandbox_run_is_not_resumed_through_real_channels() -> None:
    store = await EventStore.open(os.environ["DRILLKIT_DB"])
    runner = DrillRunner(
        sample_loaded().plan,
        "annual-roll-call",
        sink=store,
        notifiers=[SimulatedNotifier()],  # local, like the sandbox: recorded as "sandbox"
        clock=VirtualClock(),
        drill_id="20260131-1000-sbox",
        simulated=False,
    )
    await runner.run_until(2)
    await runner.close()
    await store.close()

    app = make_app(store=True, real_channels=FakeChannels())  # not local: real providers
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.resume_run("20260131-1000-sbox")
        await wait_for(pilot, lambda: bool(app.errors))
        assert app.live_run is None
        assert "drillkit resume 20260131-1000-sbox" in str(app.errors[0])
