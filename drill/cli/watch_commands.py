"""`drillkit watch DRILL`: a read-only board of a drill that another process runs.

It follows the drill through the event store (`drill.store.follow.DrillFollower`, the
same follow loop the console uses) and prints a line per event a person cares about,
in the catalogue's words, as `drillkit run` does; and a line whenever who runs the drill
or who watches it changes. Plain lines, so it works in a pipe or a log file too. It
registers itself as a watcher (the other boards show it) and acts on nothing. It ends
when the drill ends (or on Ctrl-C).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import click
from rich.markup import escape

from drill.cli.console import out
from drill.cli.run_commands import ConsoleProgress, db_option, print_result, progress_language
from drill.engine.sink import StoredEvent
from drill.errors import DrillError
from drill.session import RunResult
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import DrillFollower
from drill.tui.settings import default_operator

__all__ = ["COMMANDS", "watch"]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"T+{minutes:02d}:{secs:02d}"


@click.command()
@click.argument("drill_id")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the lines (default: Japanese; DRILLKIT_LANG).",
)
@click.option("--operator", default=None, help="Your name, as the other boards show it.")
@db_option
def watch(drill_id: str, lang: str | None, operator: str | None, db: str | None) -> None:
    """Follow DRILL_ID live from the event store: a line per event, as it happens.

    The drill may be run by another process or machine (`drillkit run`, the console, the
    calendar) on the same store (--db or DRILLKIT_DB, e.g. a shared PostgreSQL). Read-only:
    acting on the drill is done from the console.
    """
    language = progress_language(lang)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_watch(drill_id, db, language, operator or default_operator()))


async def _watch(drill_id: str, db: str | None, lang: str, operator: str) -> None:
    async with EventStore.open(db) as store:
        follower = DrillFollower(store, drill_id, console=ConsoleIdentity.here(operator, "watch"))
        first = await follower.catch_up()
        if not first:
            raise DrillError(
                f"イベントストア {store.where} に訓練 {drill_id} はありません。"
                "`drillkit drills` で訓練IDを確認してください。\n\n"
                f"There is no drill {drill_id!r} in {store.where}. "
                "`drillkit drills` lists the drills.",
                title="No such drill",
            )
        progress = ConsoleProgress(lang=lang, state=follower.state)
        w = progress.words
        started = follower.started
        title = w.pick(started.scenario_title_ja, started.scenario_title_en) if started else ""
        out.print(f"[bold]{escape(drill_id)}[/] {escape(title)}", soft_wrap=True)
        shown = [""]

        def show_presence() -> None:
            presence = follower.presence
            line = w.presence(presence.owner_name, presence.watcher_names)
            if line != shown[0]:
                shown[0] = line
                out.print(f"[dim]{escape(line)}[/]", soft_wrap=True)

        await follower.refresh_presence()
        show_presence()
        _print(progress, first)

        def changed(new: Sequence[StoredEvent]) -> None:
            if new:
                _print(progress, new)
            else:  # the presence was read again
                show_presence()

        follower.listeners.append(changed)
        try:
            await follower.follow(until_ended=True)
        finally:
            await follower.close()
        print_result(RunResult(drill_id, follower.state, (), store.where), as_json=False, lang=lang)


def _print(progress: ConsoleProgress, stored: Sequence[StoredEvent]) -> None:
    for item in stored:
        if item.duplicate:
            continue
        line = progress.describe(item.event)
        if line is not None:
            out.print(f"[dim]{_clock(item.event.elapsed)}[/] {line}", soft_wrap=True)


COMMANDS = [watch]
