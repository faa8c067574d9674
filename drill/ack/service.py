"""What `drillkit serve` runs: the ack server and, when configured, the reply poller.

Exposing it: the server listens on `[ack] listen_host:listen_port` (127.0.0.1:8750 by
default) and is meant to sit behind a reverse proxy that terminates TLS, e.g. nginx::

    location / { proxy_pass http://127.0.0.1:8750; proxy_set_header Host $host; }

`[ack] public_url` must be the address people and Twilio use (`https://ack.example.jp`):
links are built from it, and Twilio signatures are checked against it, never against the
address a request arrived on. `drillkit doctor` checks that `<public_url>/healthz`
answers as this server. Set `DRILLKIT_LINK_KEY` so that links signed by the process that
sends the pages are accepted by the process that serves them.
"""

from __future__ import annotations

import asyncio
import logging

from drill.ack.replies import ReplyPoller, build_reply_poller
from drill.ack.server import AckServer, DrillRegistry
from drill.channels.links import Links
from drill.config import Config

__all__ = ["AckService"]

log = logging.getLogger(__name__)


class AckService:
    """The ack server plus the reply poller, started and stopped together in one loop."""

    def __init__(
        self,
        config: Config,
        registry: DrillRegistry | None = None,
        *,
        links: Links | None = None,
        poll_replies: bool = True,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.config = config
        self.registry = registry if registry is not None else DrillRegistry()
        self.links = links or Links.from_settings(config.ack)
        self.server = AckServer(config.ack, self.registry, links=self.links, host=host, port=port)
        self.poller: ReplyPoller | None = (
            build_reply_poller(config, self.registry, self.links) if poll_replies else None
        )

    async def start(self) -> str:
        """Listen (OSError when the port is taken) and start polling; returns the local URL."""
        url = await self.server.start()
        if self.poller is not None:
            self.poller.start()
            log.info("polling %s for replies", self.config.imap.host)
        log.info("acknowledgement links point at %s", self.config.ack.public_url)
        return url

    async def stop(self) -> None:
        if self.poller is not None:
            await self.poller.stop()
        await self.server.stop()

    async def serve_until(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set (the CLI sets it on SIGINT/SIGTERM)."""
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    async def __aenter__(self) -> AckService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
