"""The `drillkit` command line (also `python -m drill`).

Every command that lists or summarises takes `--json` for scripts. A `DrillError` is
printed in a panel on stderr and exits non-zero; nobody sees a traceback for a mistake.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from drill import __version__
from drill.cli.console import fail
from drill.errors import DrillError

__all__ = ["cli", "main"]


class _Group(click.Group):
    """Turns every `DrillError` into a clear message and exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DrillError as exc:
            fail(exc)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="drillkit")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """drillkit: emergency contact trees (緊急時連絡網) and incident playbooks, drilled and timed.

    Point it at a plan directory (plan.yaml, contacts/, scenarios/, playbooks/); without a
    PATH the bundled sample plan (サンプル市) is used.
    """
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from drill.cli.tui_commands import tui

            ctx.invoke(tui)
            return
        click.echo(ctx.get_help())


def _register() -> None:
    from drill.cli import plan_commands, schedule_commands

    for command in [*plan_commands.COMMANDS, *schedule_commands.COMMANDS]:
        cli.add_command(command)

    from drill.cli import config_commands, demo_commands, run_commands

    for command in [*run_commands.COMMANDS, *demo_commands.COMMANDS, *config_commands.COMMANDS]:
        cli.add_command(command)

    from drill.cli import report_commands

    for command in report_commands.COMMANDS:
        cli.add_command(command)

    from drill.cli import tui_commands

    for command in tui_commands.COMMANDS:
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="drillkit")
