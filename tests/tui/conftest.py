"""Fixtures for the console tests: a loaded plan shared by all, stable apps, no blinking."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from drill.engine.events import DrillMode
from drill.engine.notifier import Notifier
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.plan import LoadedPlan, Plan, load_plan
from drill.tui import i18n
from drill.tui.app import DrillApp
from drill.tui.prose import Prose

REPO = Path(__file__).resolve().parents[2]

_SAMPLE: LoadedPlan | None = None


def sample_loaded() -> LoadedPlan:
    """The bundled sample plan, loaded once for the whole session (it is frozen)."""
    global _SAMPLE
    if _SAMPLE is None:
        _SAMPLE = load_plan(REPO)
    return _SAMPLE


def own_plan() -> LoadedPlan:
    """The sample plan as if it were an organisation's own (not `sample`), for incidents."""
    loaded = sample_loaded()
    info = loaded.plan.info.model_copy(update={"sample": False})
    return LoadedPlan(
        loaded.plan.model_copy(update={"info": info}), loaded.findings, loaded.locator
    )


@pytest.fixture(autouse=True)
def _store_in_memory_backed_files(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """The event store on tmpfs when there is one: the same SQLite commits, without
    waiting for a disk to sync each event (a 60-minute drill writes a few hundred)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield
        return
    folder = Path(tempfile.mkdtemp(prefix="drillkit-tui-", dir=shm))
    monkeypatch.setenv("DRILLKIT_DB", f"sqlite+aiosqlite:///{folder / 'events.db'}")
    yield
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _stable_console(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Snapshots must not depend on blinking cursors, colour settings or the language."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("DRILLKIT_LANG", raising=False)
    monkeypatch.setattr(Input, "cursor_blink", False)
    i18n.set_language("ja")
    yield
    i18n.set_language("ja")


class FakeChannels:
    """Stands in for Twilio, SMTP and the ack server: simulated people, a real-looking run."""

    def __init__(self) -> None:
        self.attached: dict[str, object] = {}

    def available(self) -> bool:
        return True

    async def notifiers(self, plan: Plan, mode: DrillMode) -> list[Notifier]:
        return [SimulatedNotifier(ResponseModel(0))]

    def attach(self, drill_id: str, inbox: object) -> None:
        self.attached[drill_id] = inbox

    def detach(self, drill_id: str) -> None:
        self.attached.pop(drill_id, None)

    async def close(self) -> None:
        self.attached.clear()


def make_app(
    *,
    plan: LoadedPlan | None = None,
    plan_dir: Path | None = None,
    real_channels: FakeChannels | None = None,
    offer_resume: bool = False,
    language: str = "ja",
    store: bool = False,
    reports: bool = False,
) -> DrillApp:
    """A console in virtual time, with a fixed operator and drill ids.

    Runs are kept in memory unless `store` (the test's own SQLite file): every stored
    event is an fsync, which makes a 60-minute virtual drill take seconds.
    """
    counter = itertools.count(1)
    return DrillApp(
        plan_dir,
        plan=plan if plan is not None or plan_dir is not None else sample_loaded(),
        language=language,
        clock="virtual",
        real_channels=real_channels or False,
        operator="当直 太郎",
        seed=7,
        drill_ids=lambda: f"20260131-1000-t{next(counter):03d}",
        offer_resume=offer_resume,
        store_url=None if store else "memory:",
        reports=reports,
    )


async def ready(pilot: Pilot[None]) -> DrillApp:
    """Wait until the plan is shown and the store is open."""
    app = pilot.app
    assert isinstance(app, DrillApp)
    await app.ready.wait()
    await app.store_ready.wait()
    await pilot.pause()
    return app


async def start_drill(pilot: Pilot[None], scenario_row: int = 1) -> DrillApp:
    """From the scenarios screen, start the scenario on row `scenario_row` as a drill."""
    app = await ready(pilot)
    await pilot.press("3")
    await pilot.pause()
    for _ in range(scenario_row):
        await pilot.press("down")
    await pilot.press("d")
    await pilot.pause()
    # Nothing is chosen beforehand: how to run it and how fast, explicitly.
    await pilot.click("#start-simulated")
    await pilot.click("#speed-1")
    await pilot.click("#go")
    await wait_for(pilot, lambda: app.live_run is not None and app.live_run.begun.is_set())
    return app


async def log_followed(pilot: Pilot[None]) -> None:
    """Put the board's event log at its last line, where following the drill leaves it,
    and wait until it is there: a snapshot must not catch it half-way."""
    from drill.tui.board import EventLog

    # Only the logs that show: in the narrow layout the log waits in a hidden tab.
    logs = [log for log in pilot.app.screen.query(EventLog) if log.region.height > 0]
    for log in logs:  # where following leaves it; asked for, so no race decides it
        log.scroll_end(animate=False, immediate=True)
    await wait_for(pilot, lambda: all(log.scroll_offset.y >= log.max_scroll_y for log in logs))


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 1000) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the console never got there")


def text_of(widget: object) -> str:
    """What a text widget shows, as plain text (folded prose unfolded)."""
    if isinstance(widget, Prose):
        return widget.text.plain
    render = getattr(widget, "render")  # noqa: B009
    return str(render())


async def advance(pilot: Pilot[None], minutes: float) -> None:
    """Run the drill in virtual time to `minutes`, then let the board repaint."""
    app = pilot.app
    assert isinstance(app, DrillApp) and app.live_run is not None
    await app.live_run.advance(minutes)
    screen = app.screen
    flush = getattr(screen, "flush", None)
    if flush is not None:
        flush(force=True)
    await pilot.pause()
