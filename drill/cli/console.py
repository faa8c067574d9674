"""Console output for the CLI: rich on a terminal, plain text in a pipe, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from drill.errors import DrillError

__all__ = ["err", "fail", "out", "print_json"]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(exc: DrillError) -> NoReturn:
    """Print a DrillError in a panel on stderr and exit with its code."""
    # Text, not a markup string: "[twilio]" or "[smtp]" in a message is what the user must
    # see (and write in the config), never a Rich style.
    err.print(Panel(Text(exc.message), title=Text(exc.title), border_style="red", expand=False))
    sys.exit(exc.exit_code)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
