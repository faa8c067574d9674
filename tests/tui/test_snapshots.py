"""How each screen looks, at 80×24 (the smallest supported) and on a larger terminal.

Stable data: the bundled sample plan, virtual time from 10:00 on 31 January 2026, seeded
simulated people, fixed drill ids and operator, no cursor blink (see conftest).
Update with `pytest tests/tui/test_snapshots.py --snapshot-update` after checking the
new pictures in the report.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from drill.tui.records import Records
from drill.tui.screens.base import NavBar
from tests.tui.conftest import (
    REPO,
    FakeChannels,
    advance,
    log_followed,
    make_app,
    own_plan,
    ready,
    start_drill,
    text_of,
    wait_for,
)
from tests.tui.test_history import _seed

Snap = Callable[..., bool]


def _then(*keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run(pilot: Pilot[None]) -> None:
        await ready(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        # Settled: everything posted handled and painted (a condition, not a sleep).
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return run


def test_plan_screen(snap_compare: Snap) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_then())


def test_plan_screen_with_errors(snap_compare: Snap, tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    shutil.copytree(REPO / "tests/plan/fixtures/minimal", plan_dir)
    roles = plan_dir / "contacts/roles.yaml"
    roles.write_text(roles.read_text().replace("holder: sato", "holder: satou"))
    assert snap_compare(make_app(plan_dir=plan_dir), terminal_size=(80, 24), run_before=_then())


def test_contacts_screen_with_a_person(snap_compare: Snap) -> None:
    keys = ("2", "slash", *"わたなべ", "enter")
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_then(*keys))


def test_scenarios_screen(snap_compare: Snap) -> None:
    run_before = _then("3", "down", "down")
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_real_incident_confirmation(snap_compare: Snap) -> None:
    app = make_app(plan=own_plan(), real_channels=FakeChannels())
    assert snap_compare(app, terminal_size=(80, 24), run_before=_then("3", "down", "down", "i"))


def _board(minutes: float) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run(pilot: Pilot[None]) -> None:
        await start_drill(pilot, 1)
        await advance(pilot, minutes)
        # The top line's clock repaints once a real second; show the drill's time now, not
        # whatever that timer last saw (00:00 when the advance took under a second).
        pilot.app.screen.query_one(NavBar).update_run()
        await log_followed(pilot)  # the log scrolled to its end, not caught half-way
        await pilot.pause()

    return run


def test_live_board_at_80x24(snap_compare: Snap) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_board(6))


def test_live_board_on_a_large_terminal(snap_compare: Snap) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 45), run_before=_board(6))


def test_help_screen(snap_compare: Snap) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_then("question_mark"))


def test_history_screen(snap_compare: Snap, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    asyncio.run(_seed("20260131-1000-done", finish=True))
    monkeypatch.setattr(Records, "where", property(lambda self: "events.db"))

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("5")
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#history-table").row_count == 1)
        summary = pilot.app.screen.query_one("#history-summary")
        before = text_of(summary)
        await pilot.press("enter")
        await wait_for(pilot, lambda: text_of(summary) != before)
        await pilot.pause()

    app = make_app(store=True)
    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
