"""The whole outside world on 127.0.0.1, for `drillkit demo` and end-to-end tests.

`LocalWorld` starts, inside the running event loop, the ack server (webhooks and links),
the Twilio-compatible API whose simulated people ring and press keys, and an SMTP server
(STARTTLS with its own CA, verified) whose simulated people open and confirm links. It
builds the configuration that points the **real** channels at them, so a drill through
`LocalWorld.notifiers()` runs the same code path as a drill with a Twilio account and a
mail server: the twilio client over HTTP, SMTP with TLS, signed callbacks, signed links,
the event store. Simulated people follow the engine's `ResponseModel`, with their delays
divided by `speed` to match a `ScaledClock(speed)`.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Awaitable, Callable
from types import TracebackType

from drill.ack.server import AckServer, DrillRegistry
from drill.ack.twilio_hooks import twilio_routes
from drill.channels.email import build_email_notifier
from drill.channels.links import Links
from drill.channels.twilio_account import build_twilio_notifiers
from drill.config import AckSettings, Config
from drill.engine import Inbox, Notifier, ResponseModel
from drill.plan import ChannelKind, Plan
from drill.sandbox import people as mail_people
from drill.sandbox.smtp import SmtpSandbox
from drill.sandbox.twilio_api import TwilioSandbox
from drill.sandbox.twilio_api import from_response_model as phone_people

__all__ = ["LocalWorld", "SandboxChannels"]


def _free_port() -> int:
    # aiosmtpd and aiohttp both need a concrete port up front (Controller(port=0) fails).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalWorld:
    """Ack server + Twilio sandbox + SMTP sandbox on loopback; `async with` it."""

    def __init__(
        self,
        plan: Plan,
        *,
        speed: float = 1.0,
        seed: int = 0,
        responses: ResponseModel | None = None,
        duplicate_probability: float = 0.05,
        late_probability: float = 0.02,
    ) -> None:
        self.plan = plan
        self.speed = speed
        self.model = responses or ResponseModel(seed=seed)
        self.registry = DrillRegistry()
        directory = {
            point.address: person.id
            for person in plan.people
            for point in person.channels
            if point.kind is not ChannelKind.EMAIL
        }
        self.twilio = TwilioSandbox(
            people=phone_people(self.model, directory=directory),
            seed=seed,
            duplicate_probability=duplicate_probability,
            late_probability=late_probability,
            time_scale=1 / speed,
        )
        roles = {role.holder: role.id for role in plan.roles if role.holder}
        addresses = {
            point.address: (person.id, roles.get(person.id))
            for person in plan.people
            for point in person.channels
            if point.kind is ChannelKind.EMAIL
        }
        self.smtp = SmtpSandbox(
            tls="starttls",
            behaviour=mail_people.from_response_model(self.model, people=addresses),
            sleep=self._scaled_sleep(),
        )
        self.ack: AckServer | None = None
        self.links: Links | None = None
        self.config: Config | None = None

    def _scaled_sleep(self) -> Callable[[float], Awaitable[None]]:
        speed = self.speed

        async def sleep(seconds: float) -> None:
            await asyncio.sleep(seconds / speed)

        return sleep

    async def __aenter__(self) -> LocalWorld:
        await self.twilio.start()
        try:
            await self.smtp.start()
            port = _free_port()
            settings = AckSettings(public_url=f"http://127.0.0.1:{port}", listen_port=port)
            # The sandbox's links live as long as this world: a key of its own, so the demo
            # never warns about a link-signing key that only a real drill needs.
            self.links = Links(
                public_url=settings.public_url,
                key=secrets.token_bytes(32),
                ttl_seconds=settings.link_ttl_hours * 3600,
            )
            self.ack = AckServer(
                settings,
                self.registry,
                links=self.links,
                route_hooks=[twilio_routes(auth_token=self.twilio.auth_token)],
            )
            await self.ack.start()
            self.config = Config(
                ack=settings, twilio=self.twilio.twilio_settings(), smtp=self.smtp.settings()
            )
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self.ack is not None:
            await self.ack.stop()
        await self.smtp.stop()
        await self.twilio.close()

    def notifiers(self) -> list[Notifier]:
        """Voice, SMS and e-mail notifiers pointed at this world (the real channel code)."""
        assert self.config is not None and self.links is not None, "enter the world first"
        twilio = build_twilio_notifiers(
            self.config, self.plan, None, auth_token=self.twilio.auth_token, links=self.links
        )
        email = build_email_notifier(self.config, self.plan, links=self.links, sandbox=True)
        return [*twilio.all, email]


class SandboxChannels:
    """`LocalWorld` as the console's real channels (the console's `RealChannels` protocol),
    for `drillkit demo` on a terminal: a drill started with "real channels" goes through
    the real channel code to the sandbox, which starts in the console's own event loop."""

    local = True
    """The sandbox reaches nobody: the console may run it faster than real time."""

    def __init__(self, *, speed: float = 60.0, seed: int = 0) -> None:
        self.speed = speed
        self.seed = seed
        self.world: LocalWorld | None = None

    def available(self) -> bool:
        return True

    async def notifiers(self, plan: Plan, mode: object) -> list[Notifier]:
        if self.world is None:
            world = LocalWorld(plan, speed=self.speed, seed=self.seed)
            await world.__aenter__()
            self.world = world
        return self.world.notifiers()

    def attach(self, drill_id: str, inbox: Inbox) -> None:
        if self.world is not None:
            self.world.registry.register(drill_id, inbox)

    def detach(self, drill_id: str) -> None:
        if self.world is not None:
            self.world.registry.unregister(drill_id)

    async def close(self) -> None:
        if self.world is not None:
            world, self.world = self.world, None
            await world.close()
