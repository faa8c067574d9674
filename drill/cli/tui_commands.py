"""`drillkit tui [PLAN_DIR]`: the duty officer's console (also `drillkit` on a terminal)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from drill.errors import DrillError

__all__ = ["COMMANDS", "tui"]


@click.command()
@click.argument(
    "path", required=False, type=click.Path(path_type=Path, file_okay=True, dir_okay=True)
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Console language.")
@click.option("--db", default=None, help="Event store URL or file (default: DRILLKIT_DB).")
@click.option(
    "--attach",
    "attach",
    default=None,
    metavar="DRILL_ID",
    help="Open the live board of a drill another console or machine runs on this store.",
)
def tui(path: Path | None, lang: str | None, db: str | None, attach: str | None) -> None:
    """Open the console: plan, contact trees, scenarios, the live board, history.

    Without PLAN_DIR the bundled sample plan (サンプル市) is opened. Japanese by default;
    `--lang en`, DRILLKIT_LANG=en or the `l` key switch to English.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Textual would wait forever for keys from a pipe or /dev/null.
        raise DrillError(
            "drillkit tui needs a terminal (its input and output are not one). Run it in a "
            "terminal window, or use the commands that print: `drillkit validate`, "
            "`drillkit run`, `drillkit report`.",
            title="No terminal",
        )
    # Textual is imported only when the console opens: the other commands stay quick.
    from drill.tui.app import DrillApp
    from drill.tui.settings import initial_language

    DrillApp(path, language=initial_language(lang), store_url=db, attach=attach).run()


COMMANDS = [tui]
