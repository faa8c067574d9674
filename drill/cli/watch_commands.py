"""`drillkit watch DRILL`: a read-only board of a drill that another process runs.

It follows the drill through the event store (`drill.store.follow.DrillFollower`, the
same follow loop the console uses) and prints a line per event a person cares about,
in the catalogue's words, as `drillkit run` does; and a line whenever who runs the drill
or who watches it changes. Plain lines, so it works in a pipe or a log file too. It
registers itself as a watcher (the other boards show it) and acts on nothing. It ends
when the drill ends (or on Ctrl-C).

In a terminal (stdout a TTY, and not `--lines`) the same follow loop drives a live board
instead (Rich `Live`): the drill's status and clock, who runs it and who watches, the
headline counts, a row per level (state, acknowledgements against the quorum, late, who
must still answer) and the latest event lines. Every figure is read from the drill's
fold (`DrillState`), as the console's board reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import click
from rich.console import Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from drill.cli.console import out
from drill.cli.run_commands import ConsoleProgress, db_option, print_result, progress_language
from drill.engine.sink import StoredEvent
from drill.errors import DrillError
from drill.session import RunResult
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import DrillFollower
from drill.tui.settings import default_operator
from drill.words import Words
from drill.words.stateless import WATCH

__all__ = ["COMMANDS", "render_board", "watch"]


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
@click.option("--lines", is_flag=True, help="A line per event even in a terminal (no live board).")
@db_option
def watch(
    drill_id: str, lang: str | None, operator: str | None, lines: bool, db: str | None
) -> None:
    """Follow DRILL_ID live from the event store: a line per event, as it happens.

    The drill may be run by another process or machine (`drillkit run`, the console, the
    calendar) on the same store (--db or DRILLKIT_DB, e.g. a shared PostgreSQL). Read-only:
    acting on the drill is done from the console. In a terminal it shows a live board
    (levels, counts, who runs and who watches); in a pipe, or with --lines, plain lines.
    """
    language = progress_language(lang)
    board = not lines and out.is_terminal
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_watch(drill_id, db, language, operator or default_operator(), board))


async def _watch(
    drill_id: str, db: str | None, lang: str, operator: str, board: bool = False
) -> None:
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
        if board:
            await _board(follower, progress, first)
            print_result(
                RunResult(drill_id, follower.state, (), store.where), as_json=False, lang=lang
            )
            return
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


# -- the live board (a terminal) -----------------------------------------------------------

_RECENT = 8
"""Event lines the board keeps under its table."""


async def _board(
    follower: DrillFollower, progress: ConsoleProgress, first: Sequence[StoredEvent]
) -> None:
    """Follow the drill on a live board until it ends (or Ctrl-C)."""
    recent: list[str] = []

    def keep(stored: Sequence[StoredEvent]) -> None:
        for item in stored:
            line = None if item.duplicate else progress.describe(item.event)
            if line is not None:
                recent.append(f"[dim]{_clock(item.event.elapsed)}[/] {line}")
        del recent[:-_RECENT]

    def draw() -> RenderableType:
        return render_board(follower, progress.words, recent)

    keep(first)
    await follower.refresh_presence()
    # Drawn in the loop only (no refresh thread reading the fold while it changes): after
    # each batch of events, each presence read, and every second for the clock.
    with Live(draw(), console=out, auto_refresh=False, transient=False) as live:

        def changed(stored: Sequence[StoredEvent]) -> None:
            keep(stored)
            live.update(draw(), refresh=True)

        async def tick() -> None:
            while True:
                await asyncio.sleep(1.0)
                live.update(draw(), refresh=True)

        follower.listeners.append(changed)
        ticking = asyncio.get_running_loop().create_task(tick())
        try:
            await follower.follow(until_ended=True)
        finally:
            ticking.cancel()
            await follower.close()
        live.update(draw(), refresh=True)


def render_board(follower: DrillFollower, w: Words, recent: Sequence[str]) -> RenderableType:
    """The board of the drill `follower` follows: every figure from its fold."""
    state = follower.state
    started = follower.started
    title = w.pick(started.scenario_title_ja, started.scenario_title_en) if started else ""
    header = Text.assemble(
        (follower.drill_id, "bold"),
        f"  {title}  ",
        (w.outcome(state.status.value), "bold cyan"),
        f"  {_clock(follower.elapsed())}",
    )
    presence = follower.presence
    who = Text(w.presence(presence.owner_name, presence.watcher_names), style="dim")
    summary = state.summary()
    counts = Text(
        _say(
            w,
            "counts",
            contacts=w.count(summary.contacts),
            acked=w.count(summary.acknowledged),
            percent=f"{summary.percent_acknowledged:.1f}%",
            late=w.count(summary.late),
            paging=w.count(summary.paging),
            unreached=w.count(summary.unreached),
        )
    )
    parts: list[RenderableType] = [header, who, counts]
    if state.levels:
        table = Table(expand=False, show_edge=False, pad_edge=False)
        for key in ("tree", "level", "state", "acks", "late", "waiting_for"):
            table.add_column(_say(w, key), justify="right" if key in ("acks", "late") else "left")
        for level in state.levels.values():
            tree = state.trees.get(level.tree)
            tree_name = w.pick(tree.name_ja or level.tree, tree.name_en) if tree else level.tree
            table.add_row(
                tree_name,
                w.pick(level.name_ja, level.name_en),
                w.level(level.status.value),
                f"{level.acknowledged}/{level.required}",
                str(level.late),
                "、".join(level.waiting_for) if w.lang == "ja" else ", ".join(level.waiting_for),
            )
        parts.append(table)
    else:
        parts.append(Text(_say(w, "no_levels"), style="dim"))
    if recent:
        parts.append(Text(_say(w, "recent"), style="bold"))
        parts.extend(Text.from_markup(line) for line in recent)
    return Group(*parts)


def _say(w: Words, key: str, **values: object) -> str:
    text = WATCH[key][0 if w.lang == "ja" else 1]
    return text.format(**values) if values else text


def _print(progress: ConsoleProgress, stored: Sequence[StoredEvent]) -> None:
    for item in stored:
        if item.duplicate:
            continue
        line = progress.describe(item.event)
        if line is not None:
            out.print(f"[dim]{_clock(item.event.elapsed)}[/] {line}", soft_wrap=True)


COMMANDS = [watch]
