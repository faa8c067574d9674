"""The Twilio stack for channel tests: sandbox API, ack server with the webhooks, notifiers.

Everything is real and on 127.0.0.1: the twilio client talks HTTP to the sandbox, the
sandbox calls the ack server back with signed requests, the ack server hands
acknowledgements to a `MemoryInbox` that dedups by key like the store does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from typing import Any

from drill.ack.memory import MemoryInbox, RecordedAck
from drill.ack.server import AckServer, DrillRegistry
from drill.ack.twilio_hooks import twilio_routes
from drill.channels.links import Links
from drill.channels.retry import RetryPolicy
from drill.channels.sms import SmsNotifier
from drill.channels.twilio_account import TwilioNotifiers, build_twilio_notifiers
from drill.channels.voice import CallScripts, VoiceNotifier
from drill.config import AckSettings, Config
from drill.engine.notifier import Page, RenderedMessage
from drill.plan.models import ChannelKind, Plan, PlanInfo
from drill.sandbox.twilio_api import People, TwilioSandbox

DRILL = "drill-2026-06-01-roll-call"
MOBILE = "+819001234567"  # 090-0123-4567: an unassignable mobile number (sample range)
MOBILE_2 = "+819001230002"
LANDLINE = "+81950001234"  # 095-000-1234: an unassignable fixed line
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_plan(*, sample: bool = False) -> Plan:
    return Plan(
        info=PlanInfo(
            organisation="テスト市",  # type: ignore[arg-type]
            title="緊急時対応計画書",  # type: ignore[arg-type]
            version="2026.1",
            approved_on=dt.date(2026, 4, 1),
            sample=sample,
        )
    )


def make_page(
    n: int = 1,
    *,
    channel: ChannelKind = ChannelKind.VOICE,
    address: str = MOBILE,
    language: str = "ja",
    mode: str = "drill",
    name: str = "山田 太郎",
    voice: str = "山田 太郎様、集約センターで障害が発生しました。",
    sms: str = "集約センター障害。確認を",
    drill_id: str = DRILL,
    attempt: int = 1,
) -> Page:
    return Page(
        page_id=f"{drill_id}-p{n}",
        drill_id=drill_id,
        mode=mode,  # type: ignore[arg-type]
        person_id=f"person-{n}",
        person_name=name,
        language=language,
        role_name="システム管理者",
        channel=channel,
        address=address,
        attempt=attempt,
        message=RenderedMessage(voice=voice, sms=sms, email_subject="件名", email_body="本文"),
    )


class Stack:
    """Sandbox + ack server + notifiers for one test (`async with Stack() as stack`)."""

    def __init__(
        self,
        *,
        public_url: str | None = None,
        people: People | None = None,
        seed: int = 0,
        duplicate_probability: float = 0.0,
        late_probability: float = 0.0,
        retry: RetryPolicy = FAST_RETRY,
        durable_seconds: float = 0.0,
        twilio: dict[str, Any] | None = None,
        time_scale: float = 1.0,
    ) -> None:
        self.sandbox = TwilioSandbox(
            people=people,
            time_scale=time_scale,
            seed=seed,
            duplicate_probability=duplicate_probability,
            late_probability=late_probability,
            late_seconds=0.05,
        )
        self._public_url = public_url
        self._retry = retry
        self._twilio = twilio or {}

        async def durable(record: RecordedAck) -> None:
            await asyncio.sleep(durable_seconds)

        self.inbox = MemoryInbox(durable=durable if durable_seconds else None)
        self.registry = DrillRegistry()
        self.registry.register(DRILL, self.inbox)
        self.scripts = CallScripts()

    async def __aenter__(self) -> Stack:
        await self.sandbox.start()
        port = free_port()
        local = f"http://127.0.0.1:{port}"
        self.public_url = self._public_url or local
        self.ack_settings = AckSettings(public_url=self.public_url, listen_port=port)
        self.links = Links(
            public_url=self.public_url, key="test-link-key-0123456789", ttl_seconds=3600
        )
        self.server = AckServer(
            self.ack_settings,
            self.registry,
            links=self.links,
            route_hooks=[twilio_routes(auth_token=self.sandbox.auth_token, scripts=self.scripts)],
        )
        await self.server.start()
        if self._public_url is not None:
            self.sandbox.route(self._public_url, self.server.url)
        self.config = Config(
            ack=self.ack_settings, twilio=self.sandbox.twilio_settings(**self._twilio)
        )
        self.notifiers: TwilioNotifiers = build_twilio_notifiers(
            self.config,
            make_plan(),
            self.inbox,
            auth_token=self.sandbox.auth_token,
            links=self.links,
            scripts=self.scripts,
            retry=self._retry,
        )
        return self

    @property
    def voice(self) -> VoiceNotifier:
        assert self.notifiers.voice is not None
        return self.notifiers.voice

    @property
    def sms(self) -> SmsNotifier:
        assert self.notifiers.sms is not None
        return self.notifiers.sms

    async def __aexit__(self, *exc_info: object) -> None:
        for notifier in self.notifiers.all:
            await notifier.close()
        await self.sandbox.close()
        await self.server.stop()
