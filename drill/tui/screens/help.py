"""The help screen: every screen and key in a few lines, in the chosen language."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label

from drill.tui.i18n import t
from drill.tui.screens.base import LocalisedModal

__all__ = ["HelpScreen"]


class HelpScreen(LocalisedModal[None]):
    """Keys and screens; Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "key.close")
    ]

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it is slow to import

        with Vertical(id="help", classes="dialog -wide"):
            yield Label(t("help.title"), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Markdown(t("help.body"), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
