"""Several consoles on one drill, SQLite on disk: two (and three) consoles in one test.

The first console runs the drill (its engine holds the lease); the second attaches to
it and follows it from the store. Each sees the other's acknowledgement; the second's
goes to the first's engine as a request and is recorded there with who entered it and
from which console; a third console asking to resume the drill is not given it (the
lease is held) and follows it instead, saying who runs it. Taking the drill over is
refused while the first console's engine holds it; once the first console leaves it, the
second takes it over (a hand-over, on record as an interruption).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from drill.engine.events import Acknowledged
from drill.engine.state import ContactStatus
from drill.store import EventStore
from drill.tui.app import DrillApp
from drill.tui.board import ContactTable
from drill.tui.dialogs import ManualAckDialog, QuitDialog, ResumeDialog
from drill.tui.session import AttachedRun, LiveRun
from tests.tui.conftest import ready, sample_loaded, start_drill, text_of, wait_for

ROLL_CALL = 1
WAIT = 1500  # pauses of 20 ms: a generous 30 s, never a timing assertion


def console(
    db: Path, operator: str, *, attach: str | None = None, offer_resume: bool = False
) -> DrillApp:
    counter = itertools.count(1)
    return DrillApp(
        plan=sample_loaded(),
        language="ja",
        clock="virtual",
        real_channels=False,
        operator=operator,
        seed=7,
        drill_ids=lambda: f"20260131-1000-c{next(counter):03d}",
        offer_resume=offer_resume,
        store_url=str(db),
        reports=False,
        attach=attach,
    )


async def acknowledge_waiting_row(pilot: Pilot[None], app: DrillApp) -> tuple[str, str, str]:
    """Move to a contact still waiting and acknowledge it through the dialog."""
    run = app.live_run
    assert run is not None
    table = app.screen.query_one("#contact-table", ContactTable)
    for _ in range(40):
        key = table.current
        if key is not None and run.model.status(key) is ContactStatus.WAITING:
            break
        await pilot.press("down")
    key = table.current
    assert key is not None and run.model.status(key) is ContactStatus.WAITING
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, ManualAckDialog))
    dialog = app.screen
    assert dialog.query_one("#ack-by", Input).value == app.operator
    await press_button(pilot, app, "#save")
    return key


async def press_button(pilot: Pilot[None], app: DrillApp, button: str) -> None:
    """Click `button` of the dialog on top once it is laid out; wait until it is gone
    (on a busy machine a dialog can be pushed before its buttons have a place)."""
    dialog = app.screen
    await wait_for(pilot, lambda: bool(dialog.query(button)), WAIT)
    await wait_for(pilot, lambda: dialog.query_one(button).region.area > 0, WAIT)
    await pilot.pause()
    await pilot.click(button)
    await wait_for(pilot, lambda: app.screen is not dialog or bool(app.errors), WAIT)
    assert not app.errors, app.errors


def status_line(app: DrillApp) -> str:
    """The board's status line ("" while the board is still being put up)."""
    found = app.screen.query("#board-status")
    return text_of(found.first()) if found else ""


async def test_two_consoles_see_each_others_acknowledgements(tmp_path: Path) -> None:
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
            # The same fold, read from the store: the same drill on both boards.
            assert theirs.state.summary() == mine.state.summary()
            assert theirs.status == "running"

            # Who runs it and who watches, on both boards.
            host = owner_app.console_identity.host
            await wait_for(other, lambda: f"実行: 当直 太郎@{host}" in status_line(other_app), WAIT)
            await wait_for(other, lambda: "副当直 花子" in status_line(other_app), WAIT)
            await wait_for(owner, lambda: "監視: 副当直 花子" in status_line(owner_app), WAIT)

            # Entered at the owner's console: shows on the other board.
            key = await acknowledge_waiting_row(owner, owner_app)
            await wait_for(
                owner, lambda: mine.model.status(key) is ContactStatus.ACKNOWLEDGED, WAIT
            )
            await wait_for(
                other, lambda: theirs.model.status(key) is ContactStatus.ACKNOWLEDGED, WAIT
            )
            assert theirs.state.contacts[key].entered_by == "当直 太郎"

            # Entered at the other console: applied by the owner's engine, with who and
            # from where, and shown on both boards.
            other_key = await acknowledge_waiting_row(other, other_app)
            await wait_for(
                owner, lambda: mine.model.status(other_key) is ContactStatus.ACKNOWLEDGED, WAIT
            )
            await wait_for(
                other,
                lambda: theirs.model.status(other_key) is ContactStatus.ACKNOWLEDGED,
                WAIT,
            )
            assert mine.state.contacts[other_key].entered_by == "副当直 花子"
            assert not other_app.errors and not owner_app.errors

            async with EventStore.open(db) as store:
                acks = [
                    item
                    for item in await store.read(drill_id)
                    if isinstance(item.event, Acknowledged) and item.event.source == "manual"
                ]
                lease = await store.lease_of(drill_id)
            assert [a.event.entered_by for a in acks] == ["当直 太郎", "副当直 花子"]
            assert acks[0].event.origin is None  # entered where the engine runs
            assert acks[1].event.origin == other_app.console_identity.id
            assert acks[1].key is not None and acks[1].key.startswith("console-request:")
            # The attached console never took the drill: its owner still holds it.
            assert lease is not None and lease.owner.id == mine.runner.lease_holder

            # A third console offered the running drill (it says who runs it) and asked
            # to resume it is refused the lease and follows it instead.
            third_app = console(db, "応援 次郎", offer_resume=True)
            async with third_app.run_test(size=(160, 45)) as third:
                await ready(third)
                await wait_for(third, lambda: isinstance(third_app.screen, ResumeDialog), WAIT)
                dialog = third_app.screen
                assert isinstance(dialog, ResumeDialog)
                assert f"実行: 当直 太郎@{host}" in dialog.runs[0][0]
                await press_button(third, third_app, "#go")
                await wait_for(third, lambda: isinstance(third_app.live_run, AttachedRun), WAIT)
                await wait_for(third, lambda: third_app.current_mode == "board", WAIT)
                await wait_for(
                    third, lambda: f"実行: 当直 太郎@{host}" in status_line(third_app), WAIT
                )
                assert not third_app.errors
                async with EventStore.open(db) as store:
                    still = await store.lease_of(drill_id)
                    history = await store.lease_history(drill_id)
                assert still is not None and still.owner.id == mine.runner.lease_holder
                assert [h.action for h in history] == ["acquired"]
                await third.press("q")

            # Taking it over while its engine holds it: refused, the board goes on following.
            await other.press("r")
            await other.pause(0.5)
            assert isinstance(other_app.live_run, AttachedRun) and other_app.live_run.active
            async with EventStore.open(db) as store:
                assert [h.action for h in await store.lease_history(drill_id)] == ["acquired"]

            # The hand-over: the first console leaves the drill to be resumed; the second,
            # which follows it, sees nobody runs it and takes it over.
            await owner.press("q")
            await wait_for(owner, lambda: isinstance(owner_app.screen, QuitDialog), WAIT)
            await press_button(owner, owner_app, "#leave")
            await wait_for(owner, lambda: not owner_app.is_running, WAIT)
            await wait_for(other, lambda: theirs.status == "interrupted", WAIT)
            await other.press("r")
            await wait_for(other, lambda: isinstance(other_app.live_run, LiveRun), WAIT)
            taken = other_app.live_run
            assert isinstance(taken, LiveRun) and taken.active and taken.drill_id == drill_id
            await other.pause(0.5)
            assert not other_app.errors, other_app.errors
            await wait_for(
                other, lambda: f"実行: 副当直 花子@{host}" in status_line(other_app), WAIT
            )
            async with EventStore.open(db) as store:
                lease = await store.lease_of(drill_id)
                actions = [h.action for h in await store.lease_history(drill_id)]
            assert lease is not None and lease.owner.operator == "副当直 花子"
            assert actions == ["acquired", "released", "acquired"]
            assert taken.state.interruptions == 1  # the hand-over is on record
            assert not other_app.errors


async def test_history_follows_a_drill_another_console_runs(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    owner_app = console(db, "当直 太郎")
    async with owner_app.run_test(size=(160, 45)) as owner:
        await start_drill(owner, ROLL_CALL)
        mine = owner_app.live_run
        assert isinstance(mine, LiveRun)
        host = owner_app.console_identity.host

        watcher_app = console(db, "課長 一郎")
        async with watcher_app.run_test(size=(160, 45)) as watcher:
            await ready(watcher)
            await watcher.press("5")
            table = watcher_app.screen.query_one("#history-table", DataTable)
            await wait_for(watcher, lambda: table.row_count == 1, WAIT)
            await watcher.press("enter")
            summary = watcher_app.screen.query_one("#history-summary")
            await wait_for(watcher, lambda: "w でこの訓練" in text_of(summary), WAIT)

            await watcher.press("w")
            await wait_for(watcher, lambda: isinstance(watcher_app.live_run, AttachedRun), WAIT)
            await wait_for(watcher, lambda: watcher_app.current_mode == "board", WAIT)
            followed = watcher_app.live_run
            assert isinstance(followed, AttachedRun) and followed.drill_id == mine.drill_id
            await wait_for(
                watcher, lambda: f"実行: 当直 太郎@{host}" in status_line(watcher_app), WAIT
            )
            assert not watcher_app.errors and not owner_app.errors
            async with EventStore.open(db) as store:
                lease = await store.lease_of(mine.drill_id)
            assert lease is not None and lease.owner.id == mine.runner.lease_holder
