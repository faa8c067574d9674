"""Answers on the console: the board's tally, and the operator entering a relayed answer.

The roll call of the sample plan asks 出社可否. The board shows the fold's tally; the
manual acknowledgement dialog (`a`) takes the answer from the keyboard; at a second
console the answer travels as a request (`ask`) to the engine's `OperatorDesk`.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Select

from drill.engine.events import Acknowledged
from drill.engine.state import ContactStatus
from drill.tui.app import DrillApp
from drill.tui.board import ContactTable
from drill.tui.dialogs import ManualAckDialog
from drill.tui.session import AttachedRun, LiveRun
from tests.tui.conftest import advance, make_app, ready, start_drill, text_of, wait_for
from tests.tui.test_consoles import WAIT, console, press_button, status_line

ROLL_CALL = 1


async def answer_waiting_row(pilot: Pilot[None], app: DrillApp, downs: int) -> tuple[str, str, str]:
    """Open the dialog on a contact still waiting and choose answer 2 by keyboard."""
    run = app.live_run
    assert run is not None
    table = app.screen.query_one("#contact-table", ContactTable)
    for _ in range(60):
        key = table.current
        if key is not None and run.model.status(key) is ContactStatus.WAITING:
            break
        await pilot.press("down")
    key = table.current
    assert key is not None and run.model.status(key) is ContactStatus.WAITING
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, ManualAckDialog), WAIT)
    dialog = app.screen
    answer = dialog.query_one("#ack-answer", Select)
    await wait_for(pilot, lambda: answer.region.area > 0, WAIT)
    answer.focus()
    await pilot.press("enter")  # open the list: 回答なし, 1. 出社可能, 2. 30分以内, 3. 不可
    await pilot.pause()
    await pilot.press(*["down"] * downs, "enter")
    await wait_for(pilot, lambda: answer.value == "within30", WAIT)
    await press_button(pilot, app, "#save")
    return key


async def test_the_board_tallies_answers_and_the_dialog_takes_one() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        run = app.live_run
        assert run is not None
        await wait_for(
            pilot, lambda: "回答: 出社可能 0 / 30分以内 0 / 不可 0 / 未回答" in status_line(app)
        )

        key = await answer_waiting_row(pilot, app, downs=2)
        await wait_for(pilot, lambda: run.model.status(key) is ContactStatus.ACKNOWLEDGED, WAIT)
        answers = run.state.tally().answers["within30"]
        assert [(a.member, a.source, a.person_name) for a in answers] == [
            (key[2], "manual", answers[0].person_name)
        ]
        await wait_for(pilot, lambda: "30分以内 1" in status_line(app), WAIT)

        # The simulated people answer as they acknowledge; the line follows the fold.
        await advance(pilot, 30)
        tally = run.state.tally()
        assert tally.answered > 1
        expected = (
            f"回答: 出社可能 {tally.count('now')} / 30分以内 {tally.count('within30')}"
            f" / 不可 {tally.count('cannot')} / 未回答 {tally.unanswered}"
        )
        await wait_for(pilot, lambda: expected in status_line(app), WAIT)
        assert "回答の集計" not in text_of(app.screen.query_one("#board-status"))


async def test_an_answer_entered_at_another_console_reaches_the_engine(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    owner_app = console(db, "当直 太郎")
    async with owner_app.run_test(size=(160, 45)) as owner:
        await start_drill(owner, ROLL_CALL)
        mine = owner_app.live_run
        assert isinstance(mine, LiveRun)
        other_app = console(db, "副当直 花子", attach=mine.drill_id)
        async with other_app.run_test(size=(160, 45)) as other:
            await ready(other)
            await wait_for(other, lambda: isinstance(other_app.live_run, AttachedRun), WAIT)
            await wait_for(other, lambda: other_app.current_mode == "board", WAIT)
            key = await answer_waiting_row(other, other_app, downs=2)
            await wait_for(
                owner, lambda: mine.model.status(key) is ContactStatus.ACKNOWLEDGED, WAIT
            )
            ack = next(
                e
                for e in mine.events
                if isinstance(e, Acknowledged) and (e.tree, e.level, e.member) == key
            )
            assert (ack.choice, ack.entered_by) == ("within30", "副当直 花子")
            assert ack.origin == other_app.console_identity.id
            assert [a.member for a in mine.state.tally().answers["within30"]] == [key[2]]
