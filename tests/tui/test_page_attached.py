"""`g` and `u` at a console that follows a drill another console runs (SQLite on disk).

The second console's keys become requests through the store; the first console's
engine pages and marks the person away, recorded with who asked and from which console,
and both boards show it.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from drill.engine.events import OperatorPaged, PersonMarkedUnavailable
from drill.engine.state import ContactStatus
from drill.store import EventStore
from drill.tui.board import ContactTable
from drill.tui.page_dialogs import AwayDialog, PageDialog
from drill.tui.session import AttachedRun, LiveRun
from tests.tui.conftest import ready, start_drill, text_of, wait_for
from tests.tui.test_consoles import ROLL_CALL, WAIT, console, press_button


async def test_g_and_u_from_an_attached_console_go_to_the_engine_running_the_drill(
    tmp_path: Path,
) -> None:
    db = tmp_path / "events.db"
    owner_app = console(db, "当直 太郎")
    async with owner_app.run_test(size=(160, 45)) as owner:
        await start_drill(owner, ROLL_CALL)
        mine = owner_app.live_run
        assert isinstance(mine, LiveRun)
        drill_id = mine.drill_id

        other_app = console(db, "副当直 花子", attach=drill_id)
        async with other_app.run_test(size=(160, 45)) as other:
            await ready(other)
            await wait_for(other, lambda: isinstance(other_app.live_run, AttachedRun), WAIT)
            theirs = other_app.live_run
            assert isinstance(theirs, AttachedRun)
            await wait_for(other, lambda: other_app.current_mode == "board", WAIT)
            await wait_for(other, lambda: bool(other_app.screen.query("#contact-table")), WAIT)

            await other.press("g")
            await wait_for(other, lambda: isinstance(other_app.screen, PageDialog), WAIT)
            await other.press(*"阿部 誠一", "enter", "enter")  # found, chosen, sent
            await wait_for(other, lambda: bool(theirs.state.orders), WAIT)
            await wait_for(owner, lambda: bool(mine.state.orders), WAIT)

            table = other_app.screen.query_one("#contact-table", ContactTable)
            for _ in range(40):
                key = table.current
                if key is not None and theirs.model.status(key) is ContactStatus.WAITING:
                    break
                await other.press("down")
            await other.press("u")
            await wait_for(other, lambda: isinstance(other_app.screen, AwayDialog), WAIT)
            away = other_app.screen
            assert isinstance(away, AwayDialog)
            await other.press("enter", "tab", "enter")  # 休暇, until the drill ends
            await wait_for(other, lambda: bool(theirs.state.marked_unavailable), WAIT)
            await wait_for(owner, lambda: bool(mine.state.marked_unavailable), WAIT)
            assert not other_app.errors and not owner_app.errors

            async with EventStore.open(db) as store:
                events = [s.event for s in await store.read(drill_id)]
            (order,) = [e for e in events if isinstance(e, OperatorPaged)]
            (mark,) = [e for e in events if isinstance(e, PersonMarkedUnavailable)]
            here = other_app.console_identity.id
            assert (order.by, order.origin, order.asked, order.target) == (
                "副当直 花子",
                here,
                "person",
                "abe-seiichi",
            )
            assert (mark.by, mark.origin, mark.reason, mark.until) == (
                "副当直 花子",
                here,
                "休暇",
                None,
            )
            assert mark.person_id == away.person_id

            # Back after all (復帰): `u` on the same contact says how they are marked and
            # offers to take the mark back; the owner's engine records who did it, where.
            await other.press("u")
            await wait_for(other, lambda: isinstance(other_app.screen, AwayDialog), WAIT)
            again = other_app.screen
            assert isinstance(again, AwayDialog) and again.person_id == mark.person_id
            assert "休暇" in text_of(again.query_one("#away-marked", Static))
            await press_button(other, other_app, "#back")
            await wait_for(owner, lambda: bool(mine.state.marked_back), WAIT)
            await wait_for(other, lambda: bool(theirs.state.marked_back), WAIT)
            (_, back) = mine.state.marked_back[0]
            assert (back.person_id, back.by, back.origin) == (mark.person_id, "副当直 花子", here)
            assert mine.state.console_mark(mark.person_id, back.at) is None
            assert not other_app.errors and not owner_app.errors
