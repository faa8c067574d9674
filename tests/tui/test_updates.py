"""A status update (第N報) sent from the live board with `s`, in virtual time."""

from __future__ import annotations

from textual.widgets import Select

from drill.engine.events import UpdateIssued
from drill.tui.dialogs import UpdateDialog
from tests.tui.conftest import advance, make_app, start_drill, text_of, wait_for

ROLL_CALL = 1  # the annual roll-call drill is the second scenario


async def test_s_sends_a_status_update_and_the_board_counts_its_acknowledgements() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        run = app.live_run
        assert run is not None
        await advance(pilot, 5)
        reached = {c.acknowledged_by for c in run.state.contacts.values() if c.ack is not None}
        assert reached, "someone acknowledged in the first five minutes"

        await pilot.press("s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, UpdateDialog)
        assert dialog.query_one("#update-kind", Select).value == "first"
        assert dialog.query_one("#update-audience", Select).value == "reached"
        await pilot.press(*"北部支所は停電から復旧")
        await pilot.pause()
        preview = text_of(dialog.query_one("#update-preview"))
        assert "【訓練】" in preview and "第1報" in preview and "北部支所は停電から復旧" in preview
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(run.state.updates))

        update = run.state.updates[0]
        assert (update.number, update.kind, update.issued.by) == (1, "first", "当直 太郎")
        assert set(update.copies) == reached
        assert any(isinstance(e, UpdateIssued) for e in run.events)
        await advance(pilot, 10)  # the simulated people answer their copies (or not)
        app.screen.flush(force=True)  # type: ignore[attr-defined]
        await pilot.pause()
        status = text_of(app.screen.query_one("#board-status"))
        assert f"応答 {update.acknowledged}/{update.recipients}" in status
        assert "第1報" in status
        assert update.acknowledged >= 1, "the simulated people of seed 7 answer some copies"
