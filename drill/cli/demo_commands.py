"""`drillkit demo`: a drill of the sample plan through the real channels, on 127.0.0.1.

The Twilio-compatible sandbox rings simulated people who press 1, the SMTP sandbox
delivers e-mail whose simulated readers confirm the link, the ack server takes signed
callbacks and links, the event store records everything, and the report is written at
the end. Nothing leaves the machine. Time runs `--speed` times faster than real time.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click
from rich.markup import escape

from drill.cli.console import out
from drill.cli.oncall_commands import print_duty
from drill.cli.run_commands import ConsoleProgress, db_option, print_result, progress_language
from drill.engine import HandlerSet
from drill.errors import DrillError
from drill.plan import load_plan, sample_plan_dir
from drill.sandbox.world import LocalWorld
from drill.session import RunOptions, RunResult, run_scenario
from drill.words import words

__all__ = ["COMMANDS", "run_demo"]


async def run_demo(
    scenario: str,
    *,
    speed: float,
    seed: int,
    db: str | None,
    quiet: bool,
    lang: str | None = None,
    plan_dir: Path | None = None,
) -> RunResult:
    """Run `scenario` of the plan (the sample plan by default) through the real channels
    against the sandbox: nobody is paged, whatever numbers the plan holds."""
    loaded = load_plan(plan_dir or sample_plan_dir())
    handlers = HandlerSet()
    language = progress_language(lang)
    handlers.subscribe(ConsoleProgress(quiet=quiet, lang=language, plan=loaded.plan))
    async with LocalWorld(loaded.plan, speed=speed, seed=seed) as world:
        if not quiet:
            print_duty(loaded.plan, language)
            assert world.ack is not None
            said = words(language).cli(
                "demo.sandbox",
                twilio=world.twilio.base_url,
                smtp=f"127.0.0.1:{world.smtp.port}",
                ack=world.ack.url,
                speed=f"{speed:g}",
            )
            out.print(escape(said), soft_wrap=True)
        options = RunOptions(
            simulate=False,
            speed=speed,
            seed=seed,
            db=db,
            lang=lang,
            operator="demo",
            simulated_operator=True,
        )
        return await run_scenario(
            loaded,
            scenario,
            options,
            handlers=handlers,
            notifiers=world.notifiers(),
            registry=world.registry,
        )


@click.command()
@click.option(
    "--scenario", default="annual-roll-call", show_default=True, help="Scenario of the sample plan."
)
@click.option(
    "--speed",
    type=float,
    default=120.0,
    show_default=True,
    help="How many times faster than real time.",
)
@click.option(
    "--seed", type=int, default=2026, show_default=True, help="Seed of the simulated people."
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Report language.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--headless", is_flag=True, help="Never open the console, even on a terminal.")
@click.option(
    "--plan",
    "plan_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Your own plan directory instead of the sample (e.g. one `drillkit init` wrote); "
    "its people are played by the sandbox, nobody is paged.",
)
@db_option
def demo(
    scenario: str,
    speed: float,
    seed: int,
    lang: str | None,
    quiet: bool,
    as_json: bool,
    headless: bool,
    plan_dir: Path | None,
    db: str | None,
) -> None:
    """Run a drill of the sample plan through the real channels against the local sandbox.

    On a terminal the console opens on the sample plan with the sandbox as its real
    channels (3 → pick a scenario → d → real channels, 60× real time). With no terminal
    (a pipe, CI) it runs SCENARIO headless, prints progress and the report's path, and
    exits 0 when the drill completed.
    """
    if speed <= 0:
        raise DrillError("--speed must be more than 0", title="Invalid option")
    if not (headless or as_json) and sys.stdin.isatty() and sys.stdout.isatty():
        from drill.sandbox.world import SandboxChannels
        from drill.tui.app import DrillApp
        from drill.tui.settings import initial_language

        DrillApp(
            plan_dir or sample_plan_dir(),
            language=initial_language(lang),
            store_url=db,
            real_channels=SandboxChannels(speed=60.0, seed=seed),
        ).run()
        return
    # The channels log each page at INFO with masked numbers; the demo shows progress itself.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # A page that could not be delivered is a progress line (不達: …) in the language
    # spoken, and in the report with the provider's error: the channels' own English
    # warning would say it a second time.
    logging.getLogger("drill.channels").setLevel(logging.ERROR)
    result = asyncio.run(
        run_demo(
            scenario,
            speed=speed,
            seed=seed,
            db=db,
            quiet=quiet or as_json,
            lang=lang,
            plan_dir=plan_dir,
        )
    )
    print_result(result, as_json, progress_language(lang))
    if result.state.status.value != "completed":
        sys.exit(1)


COMMANDS = [demo]
