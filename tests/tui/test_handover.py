"""Handing over the charge of a drill (責任者) from the console's keyboard (Textual Pilot).

Two consoles share one SQLite store: the first runs the drill, the second (80×24)
attaches to it. The officer in charge hands over with `h` at the first; the new officer's
console shows the glance (open steps, who is still being called, the notes, the latest
updates) without being asked, and hands back with `h`, through the owning engine.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from drill.engine.events import HandedOver
from drill.engine.state import DrillState
from drill.store import EventStore
from drill.tui.board_model import BoardModel
from drill.tui.dialogs import NoteDialog
from drill.tui.handover import GlanceScreen, HandoverDialog
from drill.tui.session import AttachedRun, LiveRun
from tests.tui.conftest import advance, ready, sample_loaded, start_drill, wait_for
from tests.tui.test_consoles import ROLL_CALL, WAIT, console, press_button, status_line


def glance_text(screen: object) -> str:
    assert isinstance(screen, GlanceScreen)
    return screen.view.text()


async def test_a_handover_with_h_is_recorded_and_the_new_officer_sees_the_glance(
    tmp_path: Path,
) -> None:
    db = tmp_path / "events.db"
    owner_app = console(db, "当直 太郎")
    async with owner_app.run_test(size=(160, 45)) as owner:
        await start_drill(owner, ROLL_CALL)
        mine = owner_app.live_run
        assert isinstance(mine, LiveRun)
        await wait_for(
            owner, lambda: "責任者: 当直 太郎（10:00 から）" in status_line(owner_app), WAIT
        )

        # A note for the record, then the handover, both from the keyboard.
        await owner.press("m")
        await wait_for(owner, lambda: isinstance(owner_app.screen, NoteDialog), WAIT)
        owner_app.screen.query_one("#note-text", Input).value = "県への第1報は済み"
        await press_button(owner, owner_app, "#save")
        await advance(owner, 2)

        other_app = console(db, "副当直 花子", attach=mine.drill_id)
        async with other_app.run_test(size=(160, 45)) as other:
            await ready(other)
            await wait_for(other, lambda: isinstance(other_app.live_run, AttachedRun), WAIT)
            theirs = other_app.live_run
            assert isinstance(theirs, AttachedRun)
            await wait_for(other, lambda: other_app.current_mode == "board", WAIT)
            assert not isinstance(other_app.screen, GlanceScreen)  # not in charge yet

            await owner.press("h")
            await wait_for(owner, lambda: isinstance(owner_app.screen, HandoverDialog), WAIT)
            dialog = owner_app.screen
            assert dialog.query_one("#handover-by", Input).value == "当直 太郎"
            dialog.query_one("#handover-to", Input).value = "副当直 花子"
            dialog.query_one("#handover-note", Input).value = "第2段の応答待ち"
            await press_button(owner, owner_app, "#hand-over")

            # Recorded by the engine, from whom to whom, and shown on the owner's board.
            await wait_for(owner, lambda: isinstance(owner_app.screen, GlanceScreen), WAIT)
            (event,) = [e for e in mine.events if isinstance(e, HandedOver)]
            assert (event.from_officer, event.to_officer, event.by) == (
                "当直 太郎",
                "副当直 花子",
                "当直 太郎",
            )
            assert event.note == "第2段の応答待ち"
            await owner.press("escape")
            await wait_for(owner, lambda: "責任者: 副当直 花子" in status_line(owner_app), WAIT)

            # The new officer's console shows the glance by itself.
            await wait_for(other, lambda: isinstance(other_app.screen, GlanceScreen), WAIT)
            seen = glance_text(other_app.screen)
            assert "引き継ぎ事項（副当直 花子）" in seen
            assert "当直 太郎" in seen and "副当直 花子（第2段の応答待ち）" in seen  # the chain
            assert "未了の手順" in seen and "残り" in seen  # the playbook's open steps
            assert "応答待ちの呼び出し" in seen and "で呼び出し中" in seen  # still being called
            assert "県への第1報は済み" in seen  # the notes
            assert (
                "最近の経過" in seen and "責任者の交代: 当直 太郎 → 副当直 花子" in seen
            )  # the latest updates
            await other.press("escape")
            await wait_for(other, lambda: not isinstance(other_app.screen, GlanceScreen), WAIT)

            # Handing back from the attached console: a request to the owning engine.
            await other.press("h")
            await wait_for(other, lambda: isinstance(other_app.screen, HandoverDialog), WAIT)
            back = other_app.screen
            back.query_one("#handover-to", Input).value = "当直 太郎"
            await press_button(other, other_app, "#hand-over")
            await wait_for(other, lambda: isinstance(other_app.screen, GlanceScreen), WAIT)
            # Back in charge, the first officer's console shows them the glance in turn.
            await wait_for(owner, lambda: isinstance(owner_app.screen, GlanceScreen), WAIT)
            assert "引き継ぎ事項（当直 太郎）" in glance_text(owner_app.screen)
            await owner.press("escape")
            await wait_for(owner, lambda: "責任者: 当直 太郎" in status_line(owner_app), WAIT)
            assert not owner_app.errors and not other_app.errors

            async with EventStore.open(db) as store:
                stored = [
                    item
                    for item in await store.read(mine.drill_id)
                    if isinstance(item.event, HandedOver)
                ]
            assert [(s.event.from_officer, s.event.to_officer) for s in stored] == [
                ("当直 太郎", "副当直 花子"),
                ("副当直 花子", "当直 太郎"),
            ]
            assert stored[1].event.origin == other_app.console_identity.id
            assert stored[1].key is not None and stored[1].key.startswith("console-request:")
            await other.press("escape")


async def test_at_80_columns_the_dialog_refuses_the_officer_in_charge_and_the_glance_fits(
    tmp_path: Path,
) -> None:
    app = console(tmp_path / "events.db", "当直 太郎")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HandoverDialog), WAIT)
        dialog = app.screen
        dialog.query_one("#handover-to", Input).value = "当直 太郎"
        await press_button_staying(pilot, dialog)
        error = str(dialog.query_one("#handover-error", Static).render())
        assert "当直 太郎 はすでに責任者です" in error
        run = app.live_run
        assert run is not None and not any(isinstance(e, HandedOver) for e in run.events)

        # The refusal put the cursor back in the 引き継ぐ相手 field; Enter there hands over.
        to = dialog.query_one("#handover-to", Input)
        assert to.has_focus
        to.value = "応援 次郎"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GlanceScreen), WAIT)
        box = app.screen.query_one("#glance")
        assert box.region.width <= 80 and box.region.height <= 24
        assert box.region.x >= 0 and box.region.y >= 0
        assert "引き継ぎ事項（応援 次郎）" in glance_text(app.screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: "責任者: 応援 次郎" in status_line(app), WAIT)


async def press_button_staying(pilot: Pilot[None], dialog: object) -> None:
    """Click the dialog's hand-over button when it is expected to stay open."""
    assert isinstance(dialog, HandoverDialog)
    await wait_for(pilot, lambda: dialog.query_one("#hand-over").region.area > 0, WAIT)
    await pilot.click("#hand-over")
    await wait_for(
        pilot, lambda: bool(str(dialog.query_one("#handover-error", Static).render())), WAIT
    )


def test_a_rota_row_not_paged_yet_names_whoever_is_on_duty_at_the_drills_time() -> None:
    # The sample's システム管理者 rota: 渡辺 from Monday 26 January 2026, 中村 from 2 February.
    plan = sample_loaded().plan
    scenario = plan.scenario("annual-roll-call")
    tokyo = dt.timezone(dt.timedelta(hours=9))

    def name_at(when: dt.datetime) -> set[str]:
        model = BoardModel(DrillState(), plan, scenario, lambda: when)
        return {model.cells(key).name for key in model.rows if key[2] == "sysadmin"}

    assert name_at(dt.datetime(2026, 2, 3, 10, 0, tzinfo=tokyo)) == {"中村 彩"}
    assert name_at(dt.datetime(2026, 1, 27, 10, 0, tzinfo=tokyo)) == {"渡辺 健二"}


async def test_attaching_as_the_officer_a_drill_was_handed_to_shows_the_glance(
    tmp_path: Path,
) -> None:
    db = tmp_path / "events.db"
    owner_app = console(db, "当直 太郎")
    async with owner_app.run_test(size=(160, 45)) as owner:
        await start_drill(owner, ROLL_CALL)
        mine = owner_app.live_run
        assert isinstance(mine, LiveRun)
        # Handed over before the new officer's console is even open (as `drillkit
        # handover` would): the engine records it.
        await mine.hand_over("副当直 花子", by="当直 太郎", note="第1段の応答待ち")

        watcher_app = console(db, "見学 三郎", attach=mine.drill_id)
        async with watcher_app.run_test(size=(160, 45)) as watcher:
            await ready(watcher)
            await wait_for(watcher, lambda: watcher_app.current_mode == "board", WAIT)
            await wait_for(watcher, lambda: "責任者: 副当直 花子" in status_line(watcher_app), WAIT)
            assert not isinstance(watcher_app.screen, GlanceScreen)  # not theirs to take
            await watcher.press("q")

        officer_app = console(db, "副当直 花子", attach=mine.drill_id)
        async with officer_app.run_test(size=(160, 45)) as officer:
            await ready(officer)
            await wait_for(officer, lambda: isinstance(officer_app.screen, GlanceScreen), WAIT)
            seen = glance_text(officer_app.screen)
            assert "引き継ぎ事項（副当直 花子）" in seen and "第1段の応答待ち" in seen
            assert not officer_app.errors
