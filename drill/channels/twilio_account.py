"""One Twilio account's notifiers, built from the configuration and the plan.

`build_twilio_notifiers` is the one entry point: it refuses a sample plan with a real
provider before anything else, reads the auth token from the environment or keyring,
makes one client (one connection pool) shared by the voice and SMS notifiers, and gives
each its own rate limiter (calls and messages are limited separately by Twilio).
"""

from __future__ import annotations

import dataclasses
import logging

from drill.channels.links import Links, default_links
from drill.channels.ratelimit import RateLimiter
from drill.channels.retry import RetryPolicy
from drill.channels.sms import LinkMaker, SmsNotifier
from drill.channels.twilio_http import TwilioTransport, is_loopback_url, make_client
from drill.channels.voice import CallScripts, VoiceNotifier, refuse_sample_plan
from drill.config import Config, secret
from drill.engine.notifier import Inbox, Notifier
from drill.errors import ConfigError
from drill.plan.models import Plan

__all__ = ["TwilioNotifiers", "build_twilio_notifiers"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class TwilioNotifiers:
    """The notifiers of one Twilio account (None where the channel is not configured)."""

    voice: VoiceNotifier | None
    sms: SmsNotifier | None
    sandbox: bool
    """True when they talk to the local sandbox, not to Twilio."""

    @property
    def all(self) -> list[Notifier]:
        return [n for n in (self.voice, self.sms) if n is not None]


def build_twilio_notifiers(
    config: Config,
    plan: Plan,
    inbox: Inbox | None = None,
    *,
    auth_token: str | None = None,
    links: Links | LinkMaker | None = None,
    scripts: CallScripts | None = None,
    retry: RetryPolicy | None = None,
    connections: int = 100,
) -> TwilioNotifiers:
    """Voice and SMS notifiers for `config.twilio`; ChannelError for a sample plan + real Twilio.

    `inbox`, when given, is handed to both notifiers as `start()` would. `auth_token`
    overrides the secret lookup (the sandbox passes its own). `links` makes the SMS
    acknowledgement links (default: the configured key and public URL).
    """
    settings = config.twilio
    sample = plan.info.sample
    refuse_sample_plan(settings, sample_plan=sample, what="paging")
    sandbox = is_loopback_url(settings.api_base_url)
    token = auth_token
    if token is None:
        stored = secret("twilio_auth_token")
        token = stored.get_secret_value() if stored is not None else None
    if not token:
        raise ConfigError(
            "The Twilio auth token is missing: set DRILLKIT_TWILIO_AUTH_TOKEN or store it "
            "in the OS keyring (service 'drillkit', name 'twilio_auth_token')."
        )
    if not settings.from_number and not settings.sms_sender_id:
        raise ConfigError(
            "Twilio has no sender: set [twilio] from_number (and optionally sms_sender_id)."
        )
    transport = TwilioTransport(settings.timeout_seconds, connections=connections)
    client = make_client(settings, token, transport=transport)
    public_url = config.ack.public_url
    voice: VoiceNotifier | None = None
    if settings.from_number:
        voice = VoiceNotifier(
            client,
            settings,
            public_url=public_url,
            sample_plan=sample,
            limiter=RateLimiter(settings.calls_per_second, name="twilio calls"),
            retry=retry,
            scripts=scripts,
        )
    if isinstance(links, Links):
        make_link: LinkMaker = links.make_link
    elif links is not None:
        make_link = links
    else:
        make_link = default_links(config.ack).make_link
    sms = SmsNotifier(
        client,
        settings,
        public_url=public_url,
        make_link=make_link,
        sample_plan=sample,
        limiter=RateLimiter(settings.messages_per_second, name="twilio sms"),
        retry=retry,
    )
    if inbox is not None:
        for notifier in (voice, sms):
            if notifier is not None:
                notifier.inbox = inbox
    log.info(
        "Twilio notifiers ready (%s): calls %g/s, messages %g/s",
        "sandbox" if sandbox else "real provider",
        settings.calls_per_second,
        settings.messages_per_second,
    )
    return TwilioNotifiers(voice, sms, sandbox)
