"""The `drillkit` command line (also `python -m drill`).

Every command that lists or summarises takes `--json` for scripts. A `DrillError` is
printed in a panel on stderr and exits non-zero; nobody sees a traceback for a mistake.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from drill import __version__
from drill.cli.console import fail
from drill.errors import DrillError

__all__ = ["cli", "main"]


# Each command's module is imported only when that command runs (or --help lists them),
# so `drillkit validate` does not pay for Twilio, aiohttp, SQLAlchemy and Textual.
_COMMANDS: dict[str, str] = {
    "validate": "drill.cli.plan_commands:validate",
    "tree": "drill.cli.plan_commands:tree",
    "schema": "drill.cli.plan_commands:schema",
    "explain": "drill.cli.plan_commands:explain",
    "run": "drill.cli.run_commands:run",
    "resume": "drill.cli.run_commands:resume",
    "drills": "drill.cli.run_commands:drills",
    "verify": "drill.cli.run_commands:verify",
    "report": "drill.cli.report_commands:report",
    "demo": "drill.cli.demo_commands:demo",
    "schedule": "drill.cli.schedule_commands:schedule",
    "serve": "drill.cli.schedule_commands:serve",
    "tui": "drill.cli.tui_commands:tui",
    "config": "drill.cli.config_commands:config_group",
    "doctor": "drill.cli.config_commands:doctor",
    "init": "drill.cli.init_commands:init",
}


class _Group(click.Group):
    """Loads commands lazily, and turns every `DrillError` into a clear message and exit
    code, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

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


def main() -> None:
    cli(prog_name="drillkit")
