"""What a newcomer met at the console: stale states and ambiguous times.

- 報告書を作成中… gives way to the report's path once the report is written, with no
  further event of the drill to repaint the board.
- The contact detail pane never shows a person the search no longer finds.
- Times within a run say whether they count up (経過 mm:ss) or down (残り mm:ss).
"""

from __future__ import annotations

from drill.tui.board import EventLog
from drill.tui.screens.base import NavBar
from tests.tui.conftest import advance, make_app, ready, start_drill, text_of, wait_for

ROLL_CALL = 1


async def test_writing_the_report_is_not_shown_after_the_report_is_written() -> None:
    app = make_app(reports=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        run = app.live_run
        assert run is not None
        await advance(pilot, 120)  # past the end of the roll call
        await wait_for(pilot, lambda: run.over)
        await wait_for(pilot, lambda: run.report_path is not None, tries=3000)
        summary = app.screen.query_one("#board-summary")
        await wait_for(pilot, lambda: "report.html" in text_of(summary))
        assert "作成中" not in text_of(summary)


async def test_the_detail_pane_never_shows_a_person_the_search_lost() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("2", "slash", *"わたなべ", "enter")
        detail = app.screen.query_one("#person-detail")
        await wait_for(pilot, lambda: "渡辺" in text_of(detail))
        await pilot.press("slash", "ctrl+a", *"該当しない名前", "enter")
        await wait_for(pilot, lambda: "渡辺" not in text_of(detail))
        assert "人を選ぶと詳細を表示します" in text_of(detail)


async def test_times_say_elapsed_or_remaining() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        await advance(pilot, 3)
        screen = app.screen
        screen.query_one(NavBar).update_run()
        await pilot.pause()
        nav = text_of(screen.query_one("#nav-run"))
        assert "経過 03:00" in nav
        injects = text_of(screen.query_one("#board-injects")).replace("\u00a0", " ")
        assert "残り" in injects and "(-" not in injects and "T+" not in injects
        log = screen.query_one(EventLog)
        plain = "\n".join(log.text_lines())
        assert "経過 00:00" in plain and " +" not in plain
