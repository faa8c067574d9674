"""The real channels as the console uses them: configured providers and the ack server.

Nothing is started until a real run begins: then the acknowledgement server (and the
reply poller) start inside the console's event loop, the configured notifiers are built
(voice and SMS through Twilio, e-mail through SMTP), and the run is registered so that
callbacks, links and replies reach it. The builders refuse a sample plan with a real
provider, and a missing secret, with an error the console shows as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from drill.errors import DrillError

if TYPE_CHECKING:
    from drill.ack.service import AckService
    from drill.config import Config
    from drill.engine.events import DrillMode
    from drill.engine.notifier import Inbox, Notifier
    from drill.plan.models import Plan

__all__ = ["ConfiguredChannels", "RealChannels"]

log = logging.getLogger(__name__)


class RealChannels(Protocol):
    """What the console needs from the real channels (tests use a stand-in).

    One that reaches nobody (the local sandbox of `drillkit demo`) says so with a `local`
    attribute set to True; only then may a run on it go faster than real time.
    """

    def available(self) -> bool:
        """Whether any provider is configured (the drill dialog offers them then)."""
        ...

    async def notifiers(self, plan: Plan, mode: DrillMode) -> Sequence[Notifier]:
        """The notifiers for a run; DrillError when they cannot be used."""
        ...

    def attach(self, drill_id: str, inbox: Inbox) -> None:
        """Route acknowledgements and delivery reports of `drill_id` to `inbox`."""
        ...

    def detach(self, drill_id: str) -> None: ...

    async def close(self) -> None:
        """Stop the ack server and the poller, if they were started."""
        ...


class ConfiguredChannels:
    """The providers of the configuration file, with the ack server in the console's loop."""

    local = False
    """They reach real people: runs on them use the real clock only."""

    def __init__(self) -> None:
        self._config: Config | None = None
        self._service: AckService | None = None
        self.error: DrillError | None = None

    def _load(self) -> Config | None:
        if self._config is None and self.error is None:
            from drill.config import load_config

            try:
                self._config = load_config()
            except DrillError as exc:
                self.error = exc
        return self._config

    def available(self) -> bool:
        config = self._load()
        return config is not None and bool(config.twilio.account_sid or config.smtp.host)

    async def notifiers(self, plan: Plan, mode: DrillMode) -> Sequence[Notifier]:
        config = self._load()
        if config is None:
            raise self.error or DrillError("The configuration cannot be read.")
        from drill.session import real_notifiers

        service = await self._started(config)
        return real_notifiers(config, plan, service.links)

    async def _started(self, config: Config) -> AckService:
        if self._service is None:
            from drill.ack.service import AckService

            service = AckService(config)
            try:
                await service.start()
            except OSError as exc:
                raise DrillError(
                    f"The acknowledgement server cannot listen on {config.ack.listen_host}:"
                    f"{config.ack.listen_port} ({exc.strerror}). Is `drillkit serve` "
                    "running? Stop it, or choose another [ack] listen_port.",
                    "Acknowledgement server",
                ) from exc
            self._service = service
        return self._service

    def attach(self, drill_id: str, inbox: Inbox) -> None:
        if self._service is not None:
            self._service.registry.register(drill_id, inbox)

    def detach(self, drill_id: str) -> None:
        if self._service is not None:
            self._service.registry.unregister(drill_id)

    async def close(self) -> None:
        if self._service is not None:
            service, self._service = self._service, None
            try:
                await service.stop()
            except Exception:  # closing down: say so, and carry on quitting
                log.exception("stopping the acknowledgement server failed")
