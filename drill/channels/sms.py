"""SMS pages through Twilio, acknowledged through a link.

Twilio offers no two-way SMS in Japan, so a reply cannot acknowledge: each SMS carries a
short signed link to the ack server (`drill.channels.links`), where GET shows a confirm page
and only its POST acknowledges. Japanese text is UCS-2: 70 characters fit one segment,
67 per segment once the message is split, and every segment is billed and may arrive out
of order — `segments` counts them and a warning is logged when a message needs several.
Landlines cannot receive SMS: a number that is not a mobile fails as LANDLINE without a
request, and Twilio's 21614 is classified the same way.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable

from twilio.rest import Client

from drill.channels.marker import mark_sms
from drill.channels.ratelimit import RateLimiter
from drill.channels.retry import RetryPolicy, call_with_retries
from drill.channels.twilio_http import FormText, PageLabel, form_quote
from drill.channels.voice import callback_url, refuse_sample_plan
from drill.config import TwilioSettings
from drill.engine.notifier import FailureReason, Inbox, Page, SendResult
from drill.errors import ChannelError, ConfigError
from drill.plan.contact import is_mobile
from drill.plan.models import ChannelKind

__all__ = [
    "MESSAGE_STATUS_PATH",
    "LinkMaker",
    "SmsNotifier",
    "check_sender_id",
    "encoding",
    "segments",
    "sms_body",
]

log = logging.getLogger(__name__)

MESSAGE_STATUS_PATH = "/twilio/message-status"

LinkMaker = Callable[[Page], str]
"""Makes the acknowledgement link for a page (`drill.channels.links.Links.make_link`)."""

# GSM 03.38: the basic set costs one septet a character, the extension set two.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def encoding(text: str) -> str:
    """ "GSM-7" when every character is in the GSM alphabet, else "UCS-2" (Japanese)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        return "GSM-7"
    return "UCS-2"


def segments(text: str) -> int:
    """How many SMS segments `text` needs (UCS-2: 70, or 67 each when split; GSM-7: 160/153)."""
    if not text:
        return 1
    if encoding(text) == "GSM-7":
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2  # characters outside the BMP take two
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


@functools.lru_cache(maxsize=65536)
def _can_receive_sms(address: str) -> bool:
    return is_mobile(address)  # parsing the number costs as much as a fast request


def sms_body(page: Page, link: str) -> str:
    """The marked message, the question's numbered choices when the scenario asks one
    (their buttons are on the link's page), then the acknowledgement link on its own line."""
    return f"{_sms_head(page)}\n{link}"


def _sms_head(page: Page) -> str:
    if page.question is not None:
        return f"{mark_sms(page)}\n{page.question.numbered(page.language)}"
    return mark_sms(page)


# A fan-out sends one message to many people: its Japanese text is form-encoded once
# (quoting it costs more than the link, which differs for each page).
_head_form = functools.lru_cache(maxsize=1024)(form_quote)


def check_sender_id(sender_id: str) -> str:
    """An alphanumeric sender id: 1-11 letters, digits or spaces, at least one letter."""
    if not _SENDER_ID.match(sender_id):
        raise ConfigError(
            f"[twilio] sms_sender_id '{sender_id}' is not a valid alphanumeric sender id: "
            "use 1 to 11 letters A-Z, digits and spaces, with at least one letter "
            "(e.g. SampleCity)."
        )
    return sender_id


class SmsNotifier:
    """SMS pages with an acknowledgement link."""

    kinds: frozenset[ChannelKind] = frozenset({ChannelKind.SMS})

    def __init__(
        self,
        client: Client,
        settings: TwilioSettings,
        *,
        public_url: str,
        make_link: LinkMaker,
        sample_plan: bool,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.sandbox = refuse_sample_plan(settings, sample_plan=sample_plan, what="texting")
        self.local = self.sandbox
        """A loopback Twilio API is the local sandbox: nobody real is texted (`LocalNotifier`)."""
        if settings.sms_sender_id:
            self.sender = check_sender_id(settings.sms_sender_id)
        elif settings.from_number:
            self.sender = settings.from_number
        else:
            raise ChannelError(
                "SMS pages need a sender: set [twilio] from_number or sms_sender_id "
                "in the config file."
            )
        self.client = client
        self.settings = settings
        self.public_url = public_url.rstrip("/")
        self.make_link = make_link
        self.limiter = limiter or RateLimiter(settings.messages_per_second, name="twilio sms")
        self.retry = retry or RetryPolicy()
        self.inbox: Inbox | None = None
        self._warned: set[tuple[str, str, int]] = set()

    async def start(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def send(self, page: Page) -> SendResult:
        if page.channel is not ChannelKind.SMS:
            return SendResult.failed(FailureReason.CONFIG, f"not an SMS page ({page.channel})")
        label = PageLabel("SMS", page.page_id, page.address)
        if not _can_receive_sms(page.address):
            log.warning("%s: not a mobile number; SMS not sent", label)
            return SendResult.failed(
                FailureReason.LANDLINE, "not a mobile number: landlines cannot receive SMS"
            )
        try:
            link = self.make_link(page)
        except Exception as exc:  # a missing key or setting must not crash the drill
            log.error("%s: no acknowledgement link: %s", label, type(exc).__name__)
            return SendResult.failed(FailureReason.CONFIG, "could not make the link")
        head = _sms_head(page)
        body = FormText(f"{head}\n{link}", f"{_head_form(head)}%0A{form_quote(link)}")
        count = segments(body)
        warned = (page.drill_id, page.language, count)
        # A question's choices are worth a second segment (lint DK-W010 counts the same).
        allowed = 1 if page.question is None else 2
        if count > allowed and warned not in self._warned:
            self._warned.add(warned)  # once per drill and language, not once per person
            log.warning(
                "%s: the message needs %d SMS segments (%d characters, %s); shorten the "
                "scenario's sms template to fit one (70 characters in Japanese)",
                label,
                count,
                len(body),
                encoding(body),
            )
        status_url = callback_url(
            self.public_url,
            MESSAGE_STATUS_PATH,
            drill=page.drill_id,
            page=page.page_id,
        )
        attempted = await call_with_retries(
            lambda: self.client.messages.create_async(
                to=page.address,
                from_=self.sender,
                body=body,
                status_callback=status_url,
            ),
            limiter=self.limiter,
            policy=self.retry,
            label=label,
        )
        if attempted.failure is not None:
            failure = attempted.failure
            log.warning("%s failed: %s (%s)", label, failure.reason.value, failure.detail)
            return SendResult.failed(failure.reason, failure.detail)
        sid = getattr(attempted.value, "sid", None)
        log.info("%s: message %s accepted after %d tries", label, sid, attempted.tries)
        return SendResult.ok(sid)

    async def close(self) -> None:
        await self.client.http_client.close()
