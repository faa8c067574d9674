"""What every console screen shares: the navigation bar, the footer, localised key labels.

Key bindings carry catalogue ids (`"key.plan"`) as descriptions; `active_bindings`
translates them, so the footer and the help follow the language setting. A screen whose
language is stale (the user switched while it was in the background) recomposes itself
when it is shown again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import ActiveBinding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from drill.tui.cells import clock_text
from drill.tui.i18n import language, t
from drill.words import words

if TYPE_CHECKING:
    from drill.tui.app import DrillApp

_R = TypeVar("_R")

__all__ = ["NAV_MODES", "DrillScreen", "LocalisedModal", "NavBar", "localise_bindings"]

NAV_MODES: tuple[tuple[str, str], ...] = (
    ("plan", "key.plan"),
    ("contacts", "key.contacts"),
    ("scenarios", "key.scenarios"),
    ("board", "key.board"),
    ("history", "key.history"),
)


def localise_bindings(bindings: dict[str, ActiveBinding]) -> dict[str, ActiveBinding]:
    """The same bindings with catalogue ids in descriptions replaced by the words."""
    out: dict[str, ActiveBinding] = {}
    for key, active in bindings.items():
        binding = active.binding
        if binding.description.startswith("key."):
            binding = dataclasses.replace(binding, description=t(binding.description))
        out[key] = active._replace(binding=binding)
    return out


class NavItem(Static):
    """One screen's name in the navigation bar; a click switches to it."""

    def __init__(self, mode: str, label: str, *, active: bool) -> None:
        super().__init__(label, classes="nav-item -active" if active else "nav-item")
        self.mode = mode

    def on_click(self) -> None:
        self.post_message(NavBar.Selected(self.mode))


class NavBar(Horizontal):
    """The top line: drillkit, the organisation, the screens, and the run in progress."""

    class Selected(Message):
        """The user clicked a screen's name."""

        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, current: str) -> None:
        super().__init__(id="nav")
        self.current = current
        self._shown = ("", "")

    @property
    def drill_app(self) -> DrillApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("drillkit", id="nav-brand")
        for number, (mode, key) in enumerate(NAV_MODES, start=1):
            yield NavItem(mode, f"{number} {t(key)}", active=mode == self.current)
        yield Static("", id="nav-run")

    def on_mount(self) -> None:
        self.update_run()
        self.set_interval(1.0, self.update_run)

    def update_run(self) -> None:
        run = self.drill_app.live_run
        text, classes = "", ""
        if run is not None:
            mode = t("board.mode.incident") if run.incident else t("board.mode.drill")
            state = "" if run.status == "running" else f" {words(language()).outcome(run.status)}"
            text = f"● {mode}{state} {t('time.elapsed', time=clock_text(run.elapsed()))}"
            classes = "-incident" if run.incident else "-drill"
        if (text, classes) != self._shown:
            self._shown = (text, classes)
            label = self.query_one("#nav-run", Static)
            label.update(text, layout=False)  # its width is fixed: no layout of the screen
            label.set_classes(classes)


class LocalisedModal(ModalScreen[_R]):
    """A modal whose key labels follow the language setting."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return localise_bindings(super().active_bindings)


_ALWAYS_SHOWN = ("help", "quit")
"""The app's actions the footer shows before a screen's own keys."""


class DrillScreen(Screen[None]):
    """A top-level console screen (one per mode): navigation bar, body, footer."""

    MODE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._language = language()

    @property
    def drill_app(self) -> DrillApp:
        return self.app  # type: ignore[return-value]

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = localise_bindings(super().active_bindings)
        # Help and quit first: on 80 columns the footer is cut at the right, and a
        # newcomer must always see `?` and `q` (the screen's own keys come after them).
        first = {k: v for k, v in bindings.items() if v.binding.action in _ALWAYS_SHOWN}
        return {**first, **{k: v for k, v in bindings.items() if k not in first}}

    def compose(self) -> ComposeResult:
        self._language = language()
        yield NavBar(self.MODE)
        yield from self.compose_body()
        # Ctrl+P still opens the command palette; its footer entry took the room of `q`.
        yield Footer(show_command_palette=False)

    def compose_body(self) -> Iterable[Widget]:
        return ()

    def on_mount(self) -> None:
        self.fill()

    def fill(self) -> None:
        """Fill the composed widgets (after mounting, and after each recompose)."""

    async def on_screen_resume(self) -> None:
        if self._language != language():
            await self.recompose()
            self.fill()
        self.refresh_bindings()

    @on(NavBar.Selected)
    def _navigate(self, message: NavBar.Selected) -> None:
        self.drill_app.show(message.mode)
