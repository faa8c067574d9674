"""`drillkit page DRILL`: page someone now (今すぐ呼出) in a drill another process runs.

A console request through the event store (the same `ask` the console's `g` uses): the
engine running the drill records who asked and from where (`OperatorPaged`), sends the
pages, and answers once they are recorded; this command prints what was paged. A
person, every holder of a role, someone not in the plan (ad hoc: a name, and a number
and/or an address), or every contact not answered yet, once more.
"""

from __future__ import annotations

import asyncio
from typing import Any

import click
from rich.markup import escape

from drill.cli.console import out
from drill.cli.run_commands import db_option, progress_language
from drill.engine.events import OperatorPaged, OutsidePageQueued
from drill.errors import DrillError
from drill.words import check_lang, words
from drill.words.page import PAGE

__all__ = ["COMMANDS", "page"]


def _say(lang: str, key: str, **values: object) -> str:
    return PAGE[key][1 if lang == "en" else 0].format(**values)


class PageError(DrillError):
    """The page could not be asked for (no such drill, not running, bad input)."""

    title = "呼び出せません / Cannot page"


@click.command()
@click.argument("drill_id")
@click.option("--person", default=None, help="Page this person of the plan (person id).")
@click.option("--role", default=None, help="Page every holder of this role now (role id).")
@click.option("--name", default=None, help="Someone not in the plan (ad hoc): their name.")
@click.option("--phone", default=None, help="Their phone number (with --name).")
@click.option("--email", default=None, help="Their e-mail address (with --name).")
@click.option("--unanswered", is_flag=True, help="Page every contact not answered yet, once.")
@click.option("--by", default=None, help="Your name, as the record shows who asked.")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the output (default: Japanese; DRILLKIT_LANG).",
)
@db_option
def page(
    drill_id: str,
    person: str | None,
    role: str | None,
    name: str | None,
    phone: str | None,
    email: str | None,
    unanswered: bool,
    by: str | None,
    lang: str | None,
    db: str | None,
) -> None:
    """Page someone now in running DRILL_ID: a person, a role's holders, an ad hoc person.

    Outside the tree's ladder: --person ID, --role ID (every holder now), --name N with
    --phone and/or --email (someone not in the plan, recorded as ad hoc), or --unanswered
    (every contact not answered yet, once more). The engine running the drill (on the
    same store: --db or DRILLKIT_DB) records who asked and sends the pages with the
    drill marker; answers come back as for any page.
    """
    from drill.tui.settings import default_operator

    language = progress_language(lang)
    chosen = [bool(person), bool(role), bool(name or phone or email), unanswered]
    if sum(chosen) != 1:
        raise click.UsageError(_say(language, "cli_choose_one"))
    payload: dict[str, Any]
    if person:
        payload = {"asked": "person", "target": person}
    elif role:
        payload = {"asked": "role", "target": role}
    elif unanswered:
        payload = {"asked": "unanswered"}
    else:
        if not name or not (phone or email):
            raise click.UsageError(_say(language, "need_adhoc"))
        payload = {"asked": "ad_hoc", "name": name, "phone": phone, "email": email}
    asyncio.run(_page(drill_id, payload, by or default_operator() or "operator", language, db))


async def _page(drill_id: str, payload: dict[str, Any], by: str, lang: str, db: str | None) -> None:
    from drill.engine.lease import wall_now
    from drill.store import EventStore
    from drill.store.consoles import ConsoleIdentity
    from drill.store.follow import DrillFollower, ask

    async with EventStore.open(db) as store:
        follower = DrillFollower(store, drill_id)
        if not await follower.catch_up():
            raise PageError(
                PAGE["cli_no_drill"][0].format(where=store.where, drill=drill_id)
                + "\n\n"
                + PAGE["cli_no_drill"][1].format(where=store.where, drill=drill_id)
            )
        started = follower.started
        if payload["asked"] == "ad_hoc":
            _check_contact(payload, real=started is not None and started.channels == "real")
        lease = await store.lease_of(drill_id)
        why = None
        if follower.ended:
            why = "cli_ended"
        elif lease is None or not lease.live(wall_now()):
            why = "cli_no_engine"
        if why is not None:
            raise PageError(
                "\n\n".join(
                    PAGE["cli_not_running"][i].format(drill=drill_id, why=PAGE[why][i])
                    for i in (0, 1)
                )
            )
        console = ConsoleIdentity.here(by, "cli")
        answer = await ask(store, drill_id, "page", payload, operator=by, console=console)
        await follower.catch_up()
        state = follower.state
        order = next(
            (o for o in state.orders.values() if answer.seq is not None and o.seq == answer.seq),
            None,
        )
        if order is None:
            out.print(escape(_say(lang, "cli_no_pages_yet", drill=drill_id)))
            return
        _print(drill_id, order.order, [p.queued for p in order.pages], lang)


def _check_contact(payload: dict[str, Any], *, real: bool) -> None:
    """The number and the address, checked here too: a mistake is said at once, masked."""
    from drill.plan.contact import mask_digits, normalise_address, normalise_number

    phone, email = payload.get("phone"), payload.get("email")
    if phone:
        try:
            normalise_number(phone, allow_fictional=not real)
        except ValueError as exc:
            raise PageError(
                f"電話番号 {mask_digits(phone)} は正しくありません。"
                "095-829-1124、090-1234-5678 のように入力してください。\n\n"
                f"The phone number is not valid: {exc}"
            ) from None
    if email:
        try:
            normalise_address(email)
        except ValueError as exc:
            raise PageError(
                f"メールアドレス {email} は正しくありません。\n\nThe e-mail address is not valid: {exc}"
            ) from None


def _print(drill_id: str, order: OperatorPaged, pages: list[OutsidePageQueued], lang: str) -> None:
    w = words(check_lang(lang))
    if order.asked == "unanswered":
        name = _say(lang, "what_unanswered")
    else:
        name = order.target_name or order.target or ""
    out.print(escape(_say(lang, "cli_paged", drill=drill_id, by=order.by, name=name)))
    for queued in pages:
        channel = w.channel(queued.channel.value)
        out.print(
            escape(
                _say(
                    lang,
                    "cli_page_line",
                    name=queued.person_name,
                    channel=channel or queued.channel.value,
                    address=queued.address,
                )
            )
        )


COMMANDS = [page]
