"""The help screen: every screen and key in a few lines, in the chosen language."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label

from drill.tui.i18n import t
from drill.tui.prose import Prose
from drill.tui.screens.base import LocalisedModal

__all__ = ["HelpScreen", "help_text"]


def help_text(body: str) -> RichText:
    """The help's light Markdown (headings, `- ` items, `**bold**`) as styled text."""
    out = RichText()
    for line in body.splitlines():
        if line.startswith("## "):
            out.append("\n" + line[3:], "bold underline")
        elif line.startswith("# "):
            out.append(line[2:], "bold")
        else:
            if line.startswith("- "):
                line = "• " + line[2:]
            for index, part in enumerate(line.split("**")):
                out.append(part, "bold" if index % 2 else "")
        out.append("\n")
    out.rstrip()
    return out


class HelpScreen(LocalisedModal[None]):
    """Keys and screens; Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "key.close")
    ]

    def compose(self) -> ComposeResult:
        # Prose, not Markdown: Markdown wraps Japanese only at spaces, leaving "• 2" alone
        # on a line and starting the next with 、; Prose folds it as Japanese is set.
        with Vertical(id="help", classes="dialog -wide"):
            yield Label(t("help.title"), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Prose(help_text(t("help.body")), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
