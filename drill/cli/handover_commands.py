"""`drillkit handover DRILL --to NAME`: pass the charge of a running drill (責任者).

The same request path as a console's `h`: the request is written to the event store and
the engine that runs the drill (wherever it runs) records the handover (`HandedOver`,
from whom to whom, by whom, with the note) and answers; this command waits for that
answer, so "handed over" is said only once it is on record. Anyone may hand over — the
officer in charge may be the one who cannot — and the record says who did (`--by`).
It moves nothing else: the drill's engine (its lease) stays where it runs.
"""

from __future__ import annotations

import asyncio

import click
from rich.markup import escape

from drill.cli.console import out
from drill.cli.run_commands import db_option, progress_language
from drill.errors import DrillError
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity
from drill.store.follow import DrillFollower, ask
from drill.tui.settings import default_operator
from drill.words.handover import handover_word

__all__ = ["COMMANDS", "handover"]


@click.command()
@click.argument("drill_id")
@click.option("--to", "to", required=True, help="Who takes charge of the drill (a name).")
@click.option("--note", default=None, help="What the new officer should know (申し送り).")
@click.option("--by", default=None, help="Who enters it (default: your login name).")
@click.option(
    "--wait",
    default=30.0,
    show_default=True,
    help="Seconds to wait for the engine running the drill to record it.",
)
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the output (default: Japanese; DRILLKIT_LANG).",
)
@db_option
def handover(
    drill_id: str,
    to: str,
    note: str | None,
    by: str | None,
    wait: float,
    lang: str | None,
    db: str | None,
) -> None:
    """Hand over the charge of DRILL_ID (責任者) to another person, on record.

    The engine running the drill (the console, `drillkit run`, the calendar, on this
    machine or another sharing the store: --db or DRILLKIT_DB) records it and answers.
    """
    language = progress_language(lang)
    asyncio.run(_handover(drill_id, to, note, by or default_operator() or to, wait, db, language))


async def _handover(
    drill_id: str, to: str, note: str | None, by: str, wait: float, db: str | None, lang: str
) -> None:
    def fail(key: str, **values: object) -> DrillError:
        ja = handover_word(key, "ja", **values)
        en = handover_word(key, "en", **values)
        text = f"{ja}\n\n{en}" if lang == "ja" else f"{en}\n\n{ja}"
        return DrillError(text, title="drillkit handover")

    to = to.strip()
    if not to:
        raise fail("cli_empty")
    async with EventStore.open(db) as store:
        follower = DrillFollower(store, drill_id)
        if not await follower.catch_up():
            raise fail("cli_no_drill", drill_id=drill_id, where=store.where)
        if follower.ended:
            raise fail("cli_ended", drill_id=drill_id)
        officer = follower.state.officer
        if officer is not None and officer.name == to:
            raise fail("cli_same", name=to, drill_id=drill_id)
        answer = await ask(
            store,
            drill_id,
            "handover",
            {"to": to, "note": (note or "").strip() or None},
            operator=by,
            console=ConsoleIdentity.here(by, "cli"),
            wait=wait,
        )
        before = officer.name if officer is not None else handover_word("nobody", lang)
        said = handover_word(
            "cli_done",
            lang,
            drill_id=drill_id,
            from_officer=before,
            to_officer=to,
            seq=answer.seq,
        )
        out.print(escape(said), soft_wrap=True)


COMMANDS = [handover]
