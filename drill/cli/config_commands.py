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


@config_group.command("anchor-key")
@click.option(
    "--new",
    "new_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Make a new key: the private key goes to this file only (mode 600), never to the "
    "screen; the public key is printed.",
)
def anchor_key(new_file: Path | None) -> None:
    """The key that signs the chain head in reports: show its public key (to pin where
    reports are checked), or make a new one."""
    import os

    from drill.errors import DrillError
    from drill.store.anchor import PUBLIC_KEY_ENV, configured_public_key, key_id, new_anchor_key

    if new_file is not None:
        private, public = new_anchor_key()
        try:
            descriptor = os.open(new_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise DrillError(
                f"cannot create {new_file}: {exc.strerror}. Give a new file (an existing one "
                "is never overwritten).",
                title="Key file not written",
            ) from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"DRILLKIT_ANCHOR_KEY={private}\n")
        out.print(f"private key written to {escape(str(new_file))} (mode 600)", soft_wrap=True)
        out.print(
            "load it as the environment of drillkit (systemd EnvironmentFile=, or export it), "
            "or store its value in the keyring (service drillkit, name anchor_key)",
            soft_wrap=True,
        )
        out.print(f"public key {public} (key {key_id(public)})", soft_wrap=True)
        out.print(f"pin it where reports are checked: {PUBLIC_KEY_ENV}={public}", soft_wrap=True)
        return
    configured, pinned = configured_public_key()
    if not configured:
        out.print(
            "no anchor key is configured: reports carry an unsigned chain head. "
            "`drillkit config anchor-key --new FILE` makes one.",
            soft_wrap=True,
        )
        sys.exit(1)
    if pinned is None:
        raise DrillError(
            "DRILLKIT_ANCHOR_KEY (or the keyring's anchor_key) is not an Ed25519 private key "
            "(32 bytes in URL-safe base64); make a new one with `drillkit config anchor-key "
            "--new FILE`",
            title="Anchor key is not usable",
        )
    out.print(f"public key {pinned} (key {key_id(pinned)})", soft_wrap=True)


@click.command()
@config_option
@click.option(
    "--seconds", type=float, default=10.0, show_default=True, help="Time allowed for each check."
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def doctor(config_file: Path | None, seconds: float, as_json: bool) -> None:
    """Check the configuration without paging anyone: Twilio credentials, SMTP reachable
    with valid TLS, IMAP, the public URL answering, the link-signing key. Exit 1 on a failure."""
    config = load_config(config_file)
    checks = asyncio.run(run_doctor(config, seconds=seconds))
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
