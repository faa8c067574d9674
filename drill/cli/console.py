"""Console output for the CLI: rich on a terminal, plain text in a pipe, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click
from rich.console import Console, ConsoleDimensions
from rich.panel import Panel
from rich.text import Text

from drill.errors import DrillError

__all__ = ["PIPE_WIDTH", "err", "fail", "out", "print_json"]

PIPE_WIDTH = 100_000
"""The width Rich lays out for when the output is no terminal: wide enough that no line
of a table, tree or message is wrapped or cut in a pipe or a file."""


class _Console(Console):
    """A Rich console that asks the terminal for its width only when it writes to one.

    Rich takes the size of *any* standard stream that is a terminal (or `COLUMNS`), so
    `drillkit drills > f` typed at an 80-column terminal was cut at 80 columns, and
    `| cat` too. In a pipe or a file nothing is wrapped or cut: tables grow as wide as
    their content.
    """

    @property
    def size(self) -> ConsoleDimensions:
        if self.is_terminal:
            return super().size
        return ConsoleDimensions(PIPE_WIDTH, 25)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


out = _Console(highlight=False)
err = _Console(stderr=True, highlight=False)


def fail(exc: DrillError) -> NoReturn:
    """Print a DrillError in a panel on stderr and exit with its code."""
    title, message = exc.title, exc.message
    findings = sys.modules.get("drill.plan.findings")  # not loaded: no plan error either
    if findings is not None and isinstance(exc, findings.PlanError):
        from drill.tui.settings import initial_language
        from drill.words.findings import finding_words

        title, message = finding_words(initial_language()).plan_error(exc)
    # Text, not a markup string: "[twilio]" or "[smtp]" in a message is what the user must
    # see (and write in the config), never a Rich style.
    err.print(Panel(Text(message), title=Text(title), border_style="red", expand=False))
    sys.exit(exc.exit_code)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
