"""`config show` and `doctor`: the configuration, with secrets redacted, and its checks."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.markup import escape

from drill.cli.console import out, print_json
from drill.config import config_path, load_config
from drill.doctor import config_text, run_doctor

__all__ = ["COMMANDS"]

config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: DRILLKIT_CONFIG or the platform's config directory).",
)


@click.group("config")
def config_group() -> None:
    """The configuration file: providers, sender ids, public URL, rate limits."""


@config_group.command("show")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def show(config_file: Path | None, as_json: bool) -> None:
    """Show the configuration in effect; secrets only as set / not set."""
    config = load_config(config_file)
    if as_json:
        print_json({"file": str(config_file or config_path()), **config.redacted()})
        return
    click.echo(config_text(config, config_file))


@config_group.command("path")
def path() -> None:
    """Print where the config file is looked for."""
    click.echo(str(config_path()))


@click.command()
@config_option
@click.option(
    "--seconds", type=float, default=10.0, show_default=True, help="Time allowed for each check."
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--db", default=None, help="Event store URL or SQLite path (default: DRILLKIT_DB or data dir)."
)
def doctor(config_file: Path | None, seconds: float, as_json: bool, db: str | None) -> None:
    """Check the configuration without paging anyone: Twilio credentials, SMTP reachable
    with valid TLS, IMAP, the public URL answering, the link-signing key, the event store
    (schema; on PostgreSQL the server and the role's privileges). Exit 1 on a failure."""
    config = load_config(config_file)
    checks = asyncio.run(run_doctor(config, seconds=seconds, db=db))
    failed = [c for c in checks if not c.ok and not c.skipped]
    if as_json:
        print_json(
            [
                {"name": c.name, "ok": c.ok, "skipped": c.skipped, "detail": c.detail, "fix": c.fix}
                for c in checks
            ]
        )
    else:
        for check in checks:
            mark = "[dim]–[/]" if check.skipped else ("[green]✔[/]" if check.ok else "[red]✘[/]")
            out.print(f"{mark} {escape(check.name)}: {escape(check.detail)}", soft_wrap=True)
            if check.fix and not check.ok and not check.skipped:
                out.print(f"    [yellow]→ {escape(check.fix)}[/]", soft_wrap=True)
    if failed:
        sys.exit(1)


COMMANDS = [config_group, doctor]
