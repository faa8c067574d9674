"""A simulated drill on the live board, in virtual time: rows change, the operator acts."""

from __future__ import annotations

from textual.widgets import Button, Digits, Input, Select

from drill.engine.state import ContactStatus, DrillStatus, StepStatus
from drill.tui.app import DrillApp
from drill.tui.board import ContactTable
from drill.tui.dialogs import AbortDialog, ManualAckDialog, NoteDialog, StepDialog
from tests.tui.conftest import advance, make_app, start_drill, text_of, wait_for

ROLL_CALL = 1  # the annual roll-call drill is the second scenario


def _rendered(app: DrillApp) -> str:
    table = app.screen.query_one("#contact-table", ContactTable)
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_rows_change_live_escalate_and_take_a_manual_acknowledgement() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        assert app.current_mode == "board"
        run = app.live_run
        assert run is not None and run.simulated and not run.incident
        first = _rendered(app)
        assert "前段待ち" in first  # later levels wait for the first
        assert "発信中" in first or "呼出中" in first  # the first level is being paged

        # A relayed call for a centre's security officer, still waiting: who, by whom, when.
        table = app.screen.query_one("#contact-table", ContactTable)
        await pilot.press("down", "down", "down")
        key = table.current
        assert key is not None and run.model.status(key) is ContactStatus.WAITING
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ManualAckDialog)
        assert dialog.chosen == "/".join(key)
        assert dialog.query_one("#ack-by", Input).value == "当直 太郎"
        when = dialog.query_one("#ack-when", Input)
        assert when.value == "10:00"
        when.value = "25:99"
        await pilot.click("#save")
        await pilot.pause()
        assert "03:15" in text_of(dialog.query_one("#ack-error"))
        await pilot.pause(0.3)  # a button ignores a second press while it still shows the first
        when.value = "10:00"
        await pilot.click("#save")
        await wait_for(pilot, lambda: run.model.status(key) is ContactStatus.ACKNOWLEDGED)
        contact = run.state.contacts[key]
        assert contact.acknowledged_source == "manual"
        assert contact.entered_by == "当直 太郎"
        assert run.model.local_time(contact.acknowledged_at) == "10:00:00"
        assert "手入力(当直 太郎)" in run.model.cells(key).detail

        # Virtual time: rows ring, then acknowledge with time and channel.
        await advance(pilot, 0.5)
        assert "呼出中" in _rendered(app)

        # A board handler that fails shows one error; the engine and the record go on.
        def broken() -> None:
            raise RuntimeError("a screen bug")

        run.listeners.append(broken)
        before = len(run.events)
        await advance(pilot, 12)
        assert any(isinstance(e, RuntimeError) for e in app.errors)
        assert len(run.events) > before + 5
        assert "予期しないエラー" in text_of(app.screen.query_one(".dialog-text"))
        run.listeners.remove(broken)
        await pilot.press("escape")

        app.screen.flush(force=True)  # type: ignore[attr-defined]
        await pilot.pause()
        shown = _rendered(app)
        assert "応答" in shown and "電話" in shown
        assert str(app.screen.query_one("#board-elapsed", Digits).value) == "12:00"
        status = text_of(app.screen.query_one("#board-status"))
        assert "訓練" in status and "模擬" in status and "緊急時連絡網 年次訓練" in status

        # Someone did not answer: the row moves to the deputy and the log says so.
        await advance(pilot, 60)
        escalated = [c for c in run.state.contacts.values() if c.escalations]
        assert escalated, "seed 7 has someone escalate to a deputy"
        esc = escalated[0]
        cells = run.model.cells((esc.tree, esc.level, esc.member))
        assert cells.name.startswith("↪") or cells.state == "代理者へ"
        lines = [line.text for line in map(run.model.log_line, run.events) if line is not None]
        assert any(text.startswith("代理者へ:") for text in lines)

        await advance(pilot, 90)
        assert run.state.status is DrillStatus.COMPLETED


async def test_steps_notes_pause_and_an_abort_that_ends_with_the_summary_and_report() -> None:
    app = make_app(reports=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        run = app.live_run
        assert run is not None
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, StepDialog)
        step = dialog.query_one("#step-which", Select).value
        await pilot.click("#save")
        await wait_for(pilot, lambda: run.state.steps[str(step)].status is StepStatus.COMPLETED)
        assert run.state.steps[str(step)].by == "当直 太郎"

        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        await pilot.press(*"北部支所は停電中", "enter")
        await wait_for(pilot, lambda: bool(run.state.notes))
        assert run.state.notes[0].text == "北部支所は停電中"

        await pilot.press("p")
        await wait_for(pilot, lambda: run.state.status is DrillStatus.PAUSED)
        await advance(pilot, 30)
        assert run.status == "paused"
        await pilot.press("p")
        await wait_for(pilot, lambda: run.state.status is DrillStatus.RUNNING)

        # Abort needs a reason and the button; then the summary and the report.
        await advance(pilot, 3)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AbortDialog)
        await pilot.click("#go")  # no reason yet
        await pilot.pause()
        assert app.screen is dialog and not run.over
        await pilot.press(*"訓練中止の指示", "enter")  # to "by", already filled
        await pilot.press("enter")  # to the Abort button: nothing happens yet
        await pilot.pause()
        assert not run.over
        assert app.focused is dialog.query_one("#go", Button)
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.over)
        assert run.state.status is DrillStatus.ABORTED
        assert run.state.ended is not None and run.state.ended.reason == "訓練中止の指示"
        await wait_for(pilot, lambda: app.screen.query_one("#board-summary").display)
        summary = text_of(app.screen.query_one("#board-summary"))
        assert "中止" in summary and "連絡対象" in summary
        # Those the abort cut off are not reached, never "not needed".
        assert "未連絡（中止）" in summary
        shown = _rendered(app)
        assert "未連絡（中止）" in shown and "訓練の中止" in shown
        cut_off = [k for k in run.model.rows if run.state.status_of(k) is ContactStatus.ABORTED]
        assert cut_off and all(run.model.cells(k).state == "未連絡（中止）" for k in cut_off)
        await wait_for(pilot, lambda: run.report_path is not None)
        assert run.report_path is not None and run.report_path.endswith("report.html")
