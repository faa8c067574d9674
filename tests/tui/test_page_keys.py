"""The board's `g` (page now) and `u` (mark away), from the keyboard, in virtual time."""

from __future__ import annotations

from textual.widgets import Input, RadioSet, Static

from drill.engine.events import Escalated, EscalationReason, OutsidePageQueued
from drill.engine.state import ContactStatus
from drill.tui.board import ContactTable
from drill.tui.page_dialogs import AwayDialog, PageDialog
from tests.tui.conftest import advance, make_app, start_drill, text_of, wait_for

ROLL_CALL = 1  # the annual roll-call drill is the second scenario


async def test_g_pages_an_ad_hoc_person_and_the_unanswered_from_the_keyboard() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        run = app.live_run
        assert run is not None

        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, PageDialog))
        dialog = app.screen
        assert isinstance(dialog, PageDialog)
        await pilot.press("tab", "tab")  # past the search and the list, to the name
        assert dialog.focused is dialog.query_one("#page-name", Input)
        await pilot.press(*"保守業者 田中", "tab", *"090-0012-3456", "enter")
        await wait_for(
            pilot, lambda: any(o.order.asked == "ad_hoc" for o in run.state.orders.values())
        )
        (order,) = run.state.orders.values()
        assert order.order.by == "当直 太郎" and order.order.target_name == "保守業者 田中"
        pages = [e for e in run.events if isinstance(e, OutsidePageQueued)]
        assert {p.address for p in pages} == {"090-****-**56"}  # masked in the record

        # Everyone not answered yet, once more: found by typing, chosen with enter.
        await advance(pilot, 0.5)
        waiting = sum(
            1
            for c in run.state.contacts.values()
            if c.status not in (ContactStatus.ACKNOWLEDGED, ContactStatus.WAITING)
        )
        assert waiting > 0
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, PageDialog))
        await pilot.press(*"未応答", "enter", "enter")
        await wait_for(pilot, lambda: len(run.state.orders) == 2)
        again = [o for o in run.state.orders.values() if o.order.asked == "unanswered"]
        assert len(again) == 1 and again[0].order.people
        assert not isinstance(app.screen, PageDialog)

        # A mistake is said, and nothing is recorded.
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, PageDialog))
        await pilot.press("tab", "tab", *"名前だけ", "enter")
        await wait_for(
            pilot, lambda: "電話番号" in text_of(app.screen.query_one("#page-error", Static))
        )
        await pilot.press("escape")
        assert len(run.state.orders) == 2


async def test_u_marks_the_highlighted_contact_away_and_the_ladder_passes_them_over() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drill(pilot, ROLL_CALL)
        run = app.live_run
        assert run is not None
        table = app.screen.query_one("#contact-table", ContactTable)
        await pilot.press("down", "down", "down")
        key = table.current
        assert key is not None and run.model.status(key) is ContactStatus.WAITING
        holder = run.model.plan.candidates(key[2])[0]  # type: ignore[union-attr]

        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, AwayDialog))
        dialog = app.screen
        assert isinstance(dialog, AwayDialog)
        assert text_of(dialog.query_one("#away-person")) == holder.name
        assert dialog.focused is dialog.query_one("#away-reason", RadioSet)
        await pilot.press("down", "enter")  # 休暇 -> 出張
        assert dialog.reason == "出張"
        await pilot.press("tab", *"18:00", "enter")
        await wait_for(pilot, lambda: len(run.state.marked_unavailable) == 1)
        (_, mark) = run.state.marked_unavailable[0]
        assert (mark.person_id, mark.reason, mark.by) == (holder.id, "出張", "当直 太郎")
        assert run.model.local_time(mark.until) == "18:00:00"

        await advance(pilot, 30)
        skips = [
            e
            for e in run.events
            if isinstance(e, Escalated) and e.from_person == holder.id and e.member == key[2]
        ]
        assert [(e.reason, e.absence) for e in skips] == [(EscalationReason.UNAVAILABLE, "出張")]
