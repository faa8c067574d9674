"""The `drillkit` command line (also `python -m drill`).

Every command that lists or summarises takes `--json` for scripts. A `DrillError` is
printed in a panel on stderr and exits non-zero; nobody sees a traceback for a mistake.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

import click

from drill import __version__
from drill.cli import class_cache
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
    "watch": "drill.cli.watch_commands:watch",
    "config": "drill.cli.config_commands:config_group",
    "doctor": "drill.cli.config_commands:doctor",
    "oncall": "drill.cli.oncall_commands:oncall",
    "init": "drill.cli.init_commands:init",
    "update": "drill.cli.update_commands:update",
    "page": "drill.cli.page_commands:page",
    "handover": "drill.cli.handover_commands:handover",
    "ack-server": "drill.cli.ack_commands:ack_server",
}

# Each command's one-line help, so `drillkit --help` lists the commands without importing
# any of their modules (that import cost 1.3 s). tests/cli/test_startup.py checks every
# line against the command's own docstring; a command missing here is imported to list it.
_SUMMARIES: dict[str, str] = {
    "validate": "Check a plan directory: errors and lint warnings with file, line, key and fix.",
    "tree": "Draw the contact trees (緊急時連絡網): levels, roles, holders, deputies, channels.",
    "schema": "JSON Schema of the plan files, for editor completion and checking.",
    "explain": "Explain a finding code (DK-E004, DK-W001, …); without CODE, list them all.",
    "run": "Run SCENARIO (scenarios/<id>.yaml, or an id of the sample plan) as a drill.",
    "resume": "Continue DRILL_ID, interrupted by a crash or a stop, from its stored events.",
    "drills": "List past drills: id, scenario, mode, outcome, start, duration, % acknowledged.",
    "verify": "Check DRILL_ID's event chain; name the first broken event if any (exit 1).",
    "report": "The report of a drill (DRILL_ID, or `latest`), built from its recorded events.",
    "demo": "Run a drill of the sample plan through the real channels against the local sandbox.",
    "schedule": "The drill calendar: scheduled drills, holidays and closed days, reminders.",
    "serve": "Run scheduled drills, reminders and the acknowledgement server until stopped.",
    "tui": "Open the console: plan, contact trees, scenarios, the live board, history.",
    "config": "The configuration file: providers, sender ids, public URL, rate limits.",
    "doctor": "Check the configuration without paging anyone: a channel configured, Twilio "
    "credentials, SMTP reachable with valid TLS, IMAP, the public URL answering (with a "
    "temporary ack server when none runs yet), the link-signing key, the event store "
    "(schema; on PostgreSQL the server and the role's privileges).",
    "oncall": "Who is on duty (当番) now and next, and who is away (不在).",
    "watch": "Follow DRILL_ID live from the event store: a line per event, as it happens.",
    "init": "Write a plan directory to start from: a commented skeleton that validates as it "
    "is, or, with --from, your contact list (氏名, 所属, 役割, 電話, 携帯, メール, 代理 …) as "
    "contacts YAML, with a report of every cell it could not read.",
    "update": "Send a status update (第N報) of a running DRILL_ID to the people already reached.",
    "page": "Page someone now in running DRILL_ID: a person, a role's holders, an ad hoc person.",
    "handover": "Hand over the charge of DRILL_ID (責任者) to another person, on record.",
    "ack-server": "Serve acknowledgements for the drills other processes run on one event store.",
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
        class_cache.install()  # the command's dataclasses: their methods compiled once
        command = getattr(_import_paused(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands from `_SUMMARIES`, as click would, without importing them."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            summary = _SUMMARIES.get(name)
            if summary is not None:
                rows.append((name, click.Command(name, help=summary).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DrillError as exc:
            fail(exc)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            _unexpected(exc)


def _import_paused(module_name: str) -> Any:
    """Import a command's module without Python's cycle collector.

    Importing a command makes some 10^5 objects (modules, classes, functions) that live
    until the process ends, and the collector rescans them each time a generation fills:
    200-odd collections, 60-90 ms of a simulated run of the sample drill. They are moved
    to the permanent generation instead, which only a freeze reaches.
    """
    if not gc.isenabled():
        return importlib.import_module(module_name)
    gc.disable()
    try:
        return importlib.import_module(module_name)
    finally:
        gc.freeze()
        gc.enable()


def _unexpected(exc: Exception) -> None:
    """Click's own exits and usage errors pass; anything else is logged, one line, exit 70
    (`drill.cli.crash`)."""
    if isinstance(exc, click.exceptions.ClickException | click.exceptions.Exit):
        raise exc
    if isinstance(exc, click.exceptions.Abort):
        raise exc
    if isinstance(exc, DrillError):
        fail(exc)
    from drill.cli.crash import report_crash

    report_crash(exc)


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
    try:
        cli(prog_name="drillkit")
    except Exception as exc:  # outside a command (loading one, a broken terminal, …)
        _unexpected(exc)
