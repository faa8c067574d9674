"""A real incident cannot start without its explicit confirmation."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from drill.engine.events import DrillMode
from drill.errors import EngineError
from drill.tui.dialogs import ErrorDialog, IncidentDialog
from drill.tui.session import RunRequest
from tests.tui.conftest import FakeChannels, make_app, own_plan, ready, text_of, wait_for


async def test_starting_a_real_incident_without_confirmation_is_impossible() -> None:
    channels = FakeChannels()
    app = make_app(plan=own_plan(), real_channels=channels)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()

        # Escape: nothing starts.
        await pilot.press("i")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, IncidentDialog)
        warning = " ".join(text_of(s) for s in dialog.query(".dialog-text"))
        assert "これは訓練ではありません" in warning
        assert "実際に電話・SMS・メールで連絡します" in warning
        assert "「訓練」の表示が付きません" in warning
        assert "サンプル市" in warning
        await pilot.press("escape")
        await pilot.pause()
        assert app.live_run is None

        # A wrong word: the button stays disabled and Enter is refused.
        await pilot.press("i")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, IncidentDialog)
        go = dialog.query_one("#go", Button)
        assert go.disabled
        await pilot.press(*"サンプル", "enter")
        await pilot.pause()
        assert go.disabled and app.screen is dialog
        assert "一致しません" in text_of(dialog.query_one("#incident-error"))
        assert app.live_run is None

        # Calling the start directly without the confirmation is refused as well.
        request = RunRequest("stolen-terminal", DrillMode.INCIDENT, simulated=False)
        with pytest.raises(EngineError):
            app.start_run(request)
        with pytest.raises(EngineError):
            app.start_run(request, confirmation="サンプル")
        assert app.live_run is None

        # The organisation's name, typed exactly: the incident starts, unmarked.
        dialog.query_one("#incident-word", Input).value = "サンプル市"
        await pilot.pause()
        assert not go.disabled
        await pilot.click("#go")
        await wait_for(pilot, lambda: app.live_run is not None and app.live_run.begun.is_set())
        run = app.live_run
        assert run is not None and run.incident and not run.simulated
        assert run.state.started is not None
        assert run.state.started.mode is DrillMode.INCIDENT
        assert channels.attached[run.drill_id] is run.runner  # the ack server reaches it
        await pilot.pause()
        assert "実対応" in text_of(app.screen.query_one("#board-status"))


async def test_the_sample_plan_refuses_a_real_incident() -> None:
    app = make_app(real_channels=FakeChannels())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "サンプル計画は実対応に使えません" in app.screen.error_text
        assert app.live_run is None


async def test_without_real_channels_an_incident_cannot_start() -> None:
    app = make_app(plan=own_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "実際の連絡手段が使えない" in app.screen.error_text
        assert app.live_run is None
