"""`drillkit update DRILL --text …`: send a status update (第N報) of a running drill.

The update goes the way a console's action goes (`drill.store.follow.ask`): written to
the event store as an operator request, applied by the engine that runs the drill (this
process runs none), and reported done only once that engine recorded it. So it works
for a drill run by `drillkit run`, the console or the calendar, on this machine or on
another sharing the store.
"""

from __future__ import annotations

import asyncio

import click
from rich.markup import escape

from drill.cli.console import out, print_json
from drill.cli.run_commands import db_option, progress_language
from drill.engine.events import UpdateIssued
from drill.errors import DrillError
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import ask
from drill.tui.settings import default_operator
from drill.words.updates import UPDATE_KIND, UPDATES

__all__ = ["COMMANDS", "update"]


@click.command()
@click.argument("drill_id")
@click.option("--text", "-t", required=True, help="What happened, what is being done (本文).")
@click.option("--final", is_flag=True, help="The final update (最終報); none can follow it.")
@click.option(
    "--kind",
    type=click.Choice(["first", "followup", "final"]),
    default=None,
    help="first, followup or final (default: the first, then follow-ups).",
)
@click.option(
    "--tree", default=None, help="Send it to this tree's people (default: everyone reached)."
)
@click.option("--level", default=None, help="Only this level of --tree (or TREE/LEVEL).")
@click.option("--agency", is_flag=True, help="Send it to every outside agency of the scenario.")
@click.option("--operator", default=None, help="Who sends it (default: your login name).")
@click.option("--wait", default=30.0, show_default=True, help="Seconds to wait for the engine.")
@click.option(
    "--lang", type=click.Choice(["ja", "en"]), default=None, help="Language of the output."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@db_option
def update(
    drill_id: str,
    text: str,
    final: bool,
    kind: str | None,
    tree: str | None,
    level: str | None,
    agency: bool,
    operator: str | None,
    wait: float,
    lang: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Send a status update (第N報) of a running DRILL_ID to the people already reached.

    Or to a tree (--tree), one level of it (--level), or the outside agencies (--agency).
    The engine running the drill numbers it, sends one message per person (with the
    drill marker in a drill) and tracks who acknowledges it.
    """
    language = progress_language(lang)
    if final and kind not in (None, "final"):
        raise click.UsageError("--final and --kind say different things; give one of them")
    if level is not None and "/" in level and tree is None:
        tree, level = level.split("/", 1)
    if level is not None and tree is None:
        raise click.UsageError("--level needs --tree (or give it as TREE/LEVEL)")
    if agency and tree is not None:
        raise click.UsageError("choose --agency or --tree, not both")
    audience = (
        "agency"
        if agency
        else f"level:{tree}/{level}"
        if level is not None
        else f"tree:{tree}"
        if tree is not None
        else "reached"
    )
    payload: dict[str, object] = {
        "text": text,
        "kind": "final" if final else kind,
        "audience": audience,
    }
    who = operator or default_operator()
    number, chosen, count = asyncio.run(_send(drill_id, payload, who, wait, db))
    i = 1 if language == "en" else 0
    if as_json:
        print_json({"drill": drill_id, "number": number, "kind": chosen, "recipients": count})
        return
    kind_word = UPDATE_KIND[chosen][i]
    out.print(escape(UPDATES["cli_done"][i].format(number=number, kind=kind_word, count=count)))


async def _send(
    drill_id: str, payload: dict[str, object], operator: str, wait: float, db: str | None
) -> tuple[int, str, int]:
    async with EventStore.open(db) as store:
        stored = await store.read(drill_id)
        if not stored:
            raise DrillError(
                f"イベントストア {store.where} に訓練 {drill_id} はありません。"
                "`drillkit drills` で訓練IDを確認してください。\n\n"
                f"There is no drill {drill_id!r} in {store.where}. "
                "`drillkit drills` lists the drills.",
                title="No such drill",
            )
        console = ConsoleIdentity.here(operator, "cli")
        answer = await ask(
            store, drill_id, "update", payload, operator=operator, console=console, wait=wait
        )
        for item in await store.read(drill_id):
            if item.seq == answer.seq and isinstance(item.event, UpdateIssued):
                e = item.event
                return e.number, e.kind.value, len(e.recipients)
        raise DrillError(
            "エンジンは受け付けましたが、状況報告の記録が見つかりません。\n\n"
            "The engine accepted the update, but its record was not found.",
            title="Not found",
        )


COMMANDS = [update]
