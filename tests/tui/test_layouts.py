"""Every screen of the console at 80×24, 120×35 and 200×50, in Japanese and in English.

A newcomer's terminals: the smallest supported, a laptop's, a large monitor's. Each
snapshot waits on a condition (the screen composed, the person shown, the drill at six
minutes), never on a fixed sleep. Beside the pictures, `test_every_layout_keeps_...`
reads the text of each screen as the snapshot saw it: the footer keeps `?` and `q`, a
cut cell ends in `…`.

Update with `pytest tests/tui/test_layouts.py --snapshot-update` after looking at the
new pictures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from drill.tui.dialogs import StartDrillDialog
from drill.tui.records import Records
from drill.tui.screens.base import NavBar
from drill.tui.screens.help import HelpScreen
from tests.tui.conftest import (
    FakeChannels,
    advance,
    log_followed,
    make_app,
    ready,
    start_drill,
    text_of,
    wait_for,
)
from tests.tui.test_history import _seed

Snap = Callable[..., bool]
Before = Callable[[Pilot[Any]], Awaitable[None]]

SIZES = [(80, 24), (120, 35), (200, 50)]
LANGS = ["ja", "en"]

sizes = pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
langs = pytest.mark.parametrize("lang", LANGS)


async def _settled(pilot: Pilot[Any]) -> None:
    """Everything posted so far handled and painted (a condition, not a sleep)."""
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def _on(key: str, check: Callable[[Pilot[Any]], bool]) -> Before:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: check(pilot))
        await _settled(pilot)

    return run


@langs
@sizes
def test_plan(snap_compare: Snap, lang: str, size: tuple[int, int]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await wait_for(pilot, lambda: bool(pilot.app.screen.query("#plan-summary")))
        await _settled(pilot)

    assert snap_compare(make_app(language=lang), terminal_size=size, run_before=run)


@langs
@sizes
def test_contacts(snap_compare: Snap, lang: str, size: tuple[int, int]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("2", "slash", *"わたなべ", "enter")
        detail = pilot.app.screen.query_one("#person-detail")
        await wait_for(pilot, lambda: "渡辺" in text_of(detail))
        await _settled(pilot)

    assert snap_compare(make_app(language=lang), terminal_size=size, run_before=run)


@langs
@sizes
def test_scenarios(snap_compare: Snap, lang: str, size: tuple[int, int]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("3")
        await wait_for(pilot, lambda: bool(pilot.app.screen.query("#scenario-detail")))
        await pilot.press("down", "down")
        await _settled(pilot)

    assert snap_compare(make_app(language=lang), terminal_size=size, run_before=run)


@langs
@sizes
def test_start_dialog(snap_compare: Snap, lang: str, size: tuple[int, int]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("3")
        await wait_for(pilot, lambda: bool(pilot.app.screen.query("#scenario-detail")))
        await pilot.press("down", "d")
        await wait_for(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, StartDrillDialog)
                and bool(pilot.app.screen.query("#go"))
            ),
        )
        await _settled(pilot)

    app = make_app(language=lang, real_channels=FakeChannels())
    assert snap_compare(app, terminal_size=size, run_before=run)


@langs
@sizes
def test_live_board(snap_compare: Snap, lang: str, size: tuple[int, int]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await start_drill(pilot, 1)
        await advance(pilot, 6)
        # The top line's clock repaints once a real second: show the drill's time now.
        pilot.app.screen.query_one(NavBar).update_run()
        await log_followed(pilot)
        await _settled(pilot)

    assert snap_compare(make_app(language=lang), terminal_size=size, run_before=run)


@langs
@sizes
def test_help(snap_compare: Snap, lang: str, size: tuple[int, int]) -> None:
    run = _on("question_mark", lambda pilot: isinstance(pilot.app.screen, HelpScreen))
    assert snap_compare(make_app(language=lang), terminal_size=size, run_before=run)


@langs
@sizes
def test_history(
    snap_compare: Snap, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]
) -> None:
    asyncio.run(_seed("20260131-1000-done", finish=True))
    monkeypatch.setattr(Records, "where", property(lambda self: "events.db"))

    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("5")
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#history-table").row_count == 1)
        summary = pilot.app.screen.query_one("#history-summary")
        before = text_of(summary)
        await pilot.press("enter")
        await wait_for(pilot, lambda: text_of(summary) != before)
        await _settled(pilot)

    app = make_app(language=lang, store=True)
    assert snap_compare(app, terminal_size=size, run_before=run)
