"""`drillkit ack-server`: an acknowledgement server instance that runs no drill.

It serves acknowledgement links, Twilio's callbacks and (when [imap] is configured)
reply e-mails for the drills that other processes run on the same event store, and
records each callback in the store for the drill's engine (`drill.ack.relay`). It keeps
nothing of its own: start as many as you like on one database, behind one public
address, and stop or lose any of them without losing an acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import click

from drill.cli.console import out
from drill.cli.run_commands import progress_language
from drill.errors import ConfigError
from drill.words.stateless import ACK_SERVER

__all__ = ["COMMANDS", "ack_server"]


@click.command("ack-server")
@click.option(
    "--db",
    "db",
    default=None,
    metavar="URL|PATH",
    help="The event store the drills run on (default: DRILLKIT_DB or the data dir).",
)
@click.option("--host", default=None, help="Address to listen on (default: [ack] listen_host).")
@click.option(
    "--port", type=int, default=None, help="Port to listen on; 0 picks a free one "
    "(default: [ack] listen_port).",
)  # fmt: skip
@click.option(
    "--answer-wait",
    type=click.FloatRange(0, 10),
    default=5.0,
    show_default=True,
    help="Seconds to wait for the drill's engine to say what it did with an "
    "acknowledgement before telling the person it was recorded.",
)
@click.option("--no-replies", is_flag=True, help="Do not poll the reply mailbox here.")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the lines it prints (default: Japanese; DRILLKIT_LANG).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def ack_server(
    db: str | None,
    host: str | None,
    port: int | None,
    answer_wait: float,
    no_replies: bool,
    lang: str | None,
    log_level: str,
) -> None:
    """Serve acknowledgements for the drills other processes run on one event store.

    Several instances may run against one database (PostgreSQL, or SQLite on one
    machine): each records the links, keypresses, replies and provider statuses it
    receives in the store, durably before it answers, and the engine running the drill
    applies each once. Every instance and every engine needs the same link-signing key
    (DRILLKIT_LINK_KEY). SIGTERM or Ctrl-C stops it; requests in flight are finished.
    """
    from drill.schedule import journal

    journal.configure(getattr(logging, log_level.upper()))
    language = progress_language(lang)
    try:
        asyncio.run(_serve(db, host, port, answer_wait, not no_replies, language))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        sys.exit(130)


def _say(lang: str, key: str, **values: object) -> str:
    return ACK_SERVER[key][0 if lang == "ja" else 1].format(**values)


async def _serve(
    db: str | None,
    host: str | None,
    port: int | None,
    answer_wait: float,
    replies: bool,
    lang: str,
) -> None:
    from drill.ack.relay import StoreRelay
    from drill.ack.server import DrillRegistry
    from drill.ack.service import AckService
    from drill.config import load_config, secret
    from drill.store import EventStore

    if secret("link_key") is None:
        raise ConfigError(
            f"{_say('ja', 'no_key')}\n\n{_say('en', 'no_key')}", title="No link-signing key"
        )
    config = load_config()
    async with EventStore.open(db) as store:
        registry = DrillRegistry(StoreRelay(store, answer_wait=answer_wait))
        service = AckService(config, registry, poll_replies=replies, host=host, port=port)
        try:
            url = await service.start()
        except OSError as exc:
            where = {
                "host": host or config.ack.listen_host,
                "port": config.ack.listen_port if port is None else port,
                "reason": exc.strerror or exc,
            }
            raise ConfigError(
                f"{_say('ja', 'port_taken', **where)}\n\n{_say('en', 'port_taken', **where)}",
                title="Port in use",
            ) from exc
        try:
            ready = _say(lang, "ready", url=url, public=config.ack.public_url, store=store.where)
            out.print(ready, markup=False, soft_wrap=True)
            if service.poller is not None:
                out.print(_say(lang, "replies", host=config.imap.host), markup=False)
            await _until_signalled()
        finally:
            await service.stop()
    out.print(_say(lang, "stopped"), markup=False)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on every platform
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


COMMANDS = [ack_server]
