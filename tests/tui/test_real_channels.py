"""A drill through the real channel code, against the Twilio and SMTP sandboxes on loopback.

The console builds the notifiers, routes the ack server to the run, and the board shows
people acknowledging by keypress and link, as it would with a Twilio account. Real
channels run on the real clock: 60× is refused for them, except for the local sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, RadioButton, RadioSet

from drill.engine.events import DrillMode
from drill.engine.notifier import Inbox, Notifier
from drill.engine.state import ContactStatus
from drill.errors import EngineError
from drill.plan.models import Plan
from drill.sandbox.world import LocalWorld
from drill.tui.channels import ConfiguredChannels
from drill.tui.dialogs import StartDrillDialog
from drill.tui.session import RunRequest
from tests.tui.conftest import FakeChannels, make_app, ready, sample_loaded, text_of, wait_for


class WorldChannels:
    """The console's real channels, pointed at a `LocalWorld`."""

    def __init__(self, world: LocalWorld) -> None:
        self.world = world

    def available(self) -> bool:
        return True

    async def notifiers(self, plan: Plan, mode: DrillMode) -> Sequence[Notifier]:
        return self.world.notifiers()

    def attach(self, drill_id: str, inbox: Inbox) -> None:
        self.world.registry.register(drill_id, inbox)

    def detach(self, drill_id: str) -> None:
        self.world.registry.unregister(drill_id)

    async def close(self) -> None:
        pass


async def test_a_drill_on_real_channels_is_acknowledged_through_the_ack_server() -> None:
    async with LocalWorld(sample_loaded().plan, speed=60, seed=3) as world:
        app = make_app(real_channels=WorldChannels(world))  # type: ignore[arg-type]
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await pilot.press("3")
            await pilot.pause()
            await pilot.press("down", "d")
            await pilot.pause()
            await pilot.click("#start-real")
            await pilot.click("#speed-1")
            await pilot.click("#go")
            # The second press confirms (a button ignores a press while it still shows
            # the first one: wait for that, as a person's second click would).
            go = app.screen.query_one("#go", Button)
            await wait_for(pilot, lambda: not go.has_class("-active"))
            await pilot.click("#go")
            await wait_for(pilot, lambda: app.live_run is not None)
            run = app.live_run
            assert run is not None and not run.simulated
            assert world.registry.get(run.drill_id) is run.runner

            def acknowledged() -> int:
                return sum(
                    run.model.status(key) is ContactStatus.ACKNOWLEDGED for key in run.model.rows
                )

            await wait_for(pilot, lambda: acknowledged() >= 2, tries=1500)
            sources = {c.acknowledged_source for c in run.state.contacts.values()}
            assert sources & {"voice", "sms", "email"}
            await app.abort_run(reason="テスト終了", by="当直 太郎").wait()
            assert run.over and run.drill_id not in world.registry


def test_configured_channels_are_offered_only_when_a_provider_is_configured() -> None:
    config = Path(os.environ["DRILLKIT_CONFIG"])
    assert not ConfiguredChannels().available()
    config.write_text('[smtp]\nhost = "127.0.0.1"\nport = 2525\n', encoding="utf-8")
    assert ConfiguredChannels().available()


async def _start_dialog(pilot: Pilot[None]) -> StartDrillDialog:
    await ready(pilot)
    await pilot.press("3")
    await pilot.pause()
    await pilot.press("down", "d")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, StartDrillDialog)
    return dialog


async def test_real_channels_at_60x_are_refused_in_the_start_dialog() -> None:
    app = make_app(real_channels=FakeChannels())
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await _start_dialog(pilot)
        await pilot.click("#speed-60")
        await pilot.click("#start-real")
        assert dialog.query_one("#speed-60", RadioButton).disabled  # only 実時間 with them
        await pilot.click("#go")
        await pilot.pause()
        assert app.screen is dialog and app.live_run is None  # not started
        assert "実時間でしか使えません" in text_of(dialog.query_one("#start-error"))
        await pilot.click("#speed-1")  # real time: asks once more before paging anyone
        await pilot.click("#go")
        await pilot.pause()
        assert app.screen is dialog and app.live_run is None
        assert "本当に" in text_of(dialog.query_one("#start-error"))
        assert app.focused is dialog.query_one("#cancel")  # a bare Enter now cancels
        go = dialog.query_one("#go", Button)
        await wait_for(pilot, lambda: not go.has_class("-active"))
        await pilot.click("#go")
        await wait_for(pilot, lambda: app.live_run is not None)
        assert app.live_run is not None and not app.live_run.simulated


async def test_nothing_is_chosen_beforehand_and_a_bare_enter_starts_nothing() -> None:
    app = make_app(real_channels=FakeChannels())
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await _start_dialog(pilot)
        assert dialog.query_one("#start-channels", RadioSet).pressed_button is None
        assert dialog.query_one("#start-speed", RadioSet).pressed_button is None
        await pilot.press("enter")  # picks the highlighted option, starts nothing
        await pilot.pause()
        assert app.screen is dialog and app.live_run is None
        await pilot.click("#go")
        await pilot.pause()
        assert app.screen is dialog and app.live_run is None
        assert "選んでください" in text_of(dialog.query_one("#start-error"))


async def test_fastest_is_for_simulated_people_only() -> None:
    class Sandbox(FakeChannels):
        local = True

    app = make_app(real_channels=Sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await _start_dialog(pilot)
        await pilot.click("#speed-max")
        await pilot.click("#start-sandbox")
        await pilot.click("#go")
        await pilot.pause()
        assert app.live_run is None
        assert "模擬でだけ" in text_of(dialog.query_one("#start-error"))
        await pilot.click("#start-simulated")
        await pilot.click("#go")
        await wait_for(pilot, lambda: app.live_run is not None)
        assert app.live_run is not None and app.live_run.simulated


def test_the_console_refuses_a_real_run_at_60x_whoever_asks() -> None:
    app = make_app(real_channels=FakeChannels())
    request = RunRequest(
        scenario="annual-roll-call", mode=DrillMode.DRILL, simulated=False, speed=60
    )
    with pytest.raises(EngineError, match="実時間"):
        app.start_run(request)


async def test_the_sandbox_may_run_at_60x_with_real_channels() -> None:
    class Sandbox(FakeChannels):
        local = True  # as SandboxChannels says: the pages reach nobody

    app = make_app(real_channels=Sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await _start_dialog(pilot)
        await pilot.click("#start-sandbox")
        await pilot.click("#speed-60")
        await pilot.click("#go")
        await wait_for(pilot, lambda: app.live_run is not None)
        assert app.live_run is not None and not app.live_run.simulated
