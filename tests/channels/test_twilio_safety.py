"""Safety: the drill marker on everything that leaves, no secrets or numbers in logs,
sample plans never reach a real provider."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET

import pytest

from drill.channels.marker import DRILL_MARKER, has_marker, mark_email_body, mark_text
from drill.channels.sms import SmsNotifier
from drill.channels.twilio_account import build_twilio_notifiers
from drill.channels.twilio_http import make_client
from drill.channels.voice import VoiceNotifier
from drill.config import AckSettings, Config, TwilioSettings
from drill.errors import ChannelError
from drill.plan.models import ChannelKind
from drill.sandbox.twilio_api import Fault, Reaction

from .conftest_twilio import LANDLINE, MOBILE, Stack, make_page, make_plan

REAL = TwilioSettings(account_sid="AC" + "0" * 32, from_number="+81312345678")


async def test_every_drill_payload_that_left_carries_the_marker() -> None:
    async with Stack() as stack:
        pages = []
        for n in range(1, 21):
            language = "en" if n % 4 == 0 else "ja"
            address = f"+81900123{n:04d}"
            # A template trying to look real: no marker of its own, "これは訓練ではありません".
            pages.append(
                make_page(
                    n,
                    language=language,
                    address=address,
                    voice="これは訓練ではありません。直ちに対応してください。",
                )
            )
            pages.append(
                make_page(
                    n,
                    channel=ChannelKind.SMS,
                    language=language,
                    address=address,
                    sms="緊急：直ちに参集",
                )
            )
        for page in pages:
            sender = stack.voice if page.channel is ChannelKind.VOICE else stack.sms
            assert (await sender.send(page)).accepted
        await stack.sandbox.wait_idle()

        assert len(stack.sandbox.calls) == 20 and len(stack.sandbox.messages) == 20
        language_of = {page.address: page.language for page in pages}
        for call in stack.sandbox.calls:
            marker = DRILL_MARKER[language_of[call.to]]
            assert call.twiml_seen, "every call ran its TwiML"
            first = ET.fromstring(call.twiml_seen[0]).find("Gather/Say")
            assert first is not None and (first.text or "").startswith(marker)
            for document in call.twiml_seen:  # the call, and every reply to a keypress
                for say in ET.fromstring(document).iter("Say"):
                    if "訓練ではありません" in (say.text or ""):
                        assert (say.text or "").startswith(marker)
        for message in stack.sandbox.messages:
            assert message.body.startswith(DRILL_MARKER[language_of[message.to]])


async def test_an_incident_page_has_no_drill_marker() -> None:
    async with Stack() as stack:
        await stack.sms.send(make_page(1, channel=ChannelKind.SMS, mode="incident"))
        assert not has_marker(stack.sandbox.messages[0].body.split("\n")[0])


def test_the_marker_is_added_once_and_cannot_be_removed_by_a_template() -> None:
    assert mark_text("本文", mode="drill", language="ja") == "【訓練】本文"
    assert mark_text("【訓練】本文", mode="drill", language="ja") == "【訓練】本文"
    assert mark_text("Body", mode="drill", language="en") == "[DRILL] Body"
    assert mark_text("", mode="drill", language="ja") == "【訓練】"
    body = mark_email_body(make_page(1, language="ja"), "本文")
    assert body.startswith("【訓練】") and "[DRILL]" in body  # forwarded mail: both languages


async def test_no_phone_number_token_or_link_appears_in_any_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Stack(twilio={"timeout_seconds": 0.3}) as stack:
        token = stack.sandbox.auth_token
        stack.sandbox.behave(MOBILE, Reaction.WRONG_KEY)
        await stack.voice.send(make_page(1))
        await stack.sms.send(make_page(2, channel=ChannelKind.SMS))
        await stack.sms.send(make_page(3, channel=ChannelKind.SMS, address=LANDLINE))
        stack.sandbox.fail_next(Fault.twilio_error(21211))
        await stack.voice.send(make_page(4))
        stack.sandbox.fail_next(Fault.rate_limited())
        await stack.sms.send(make_page(5, channel=ChannelKind.SMS))
        stack.sandbox.fail_next(Fault.hang())
        await stack.voice.send(make_page(6))
        await stack.sandbox.wait_idle()
        link = stack.sandbox.messages[0].link
    assert link is not None
    lines = [record.getMessage() for record in caplog.records]
    lines += [record.exc_text or "" for record in caplog.records]
    assert len(lines) > 10  # the flow was logged
    numbers = [MOBILE, LANDLINE, MOBILE[1:], "09001234567", "090-0123-4567", "0123-4567"]
    for line in lines:
        for secret in (token, link, link.rsplit("/", 1)[1], *numbers):
            assert secret not in line, f"{secret!r} in log line {line!r}"
    assert any("090-****-**67" in line for line in lines)  # masked numbers are logged
    assert not any(re.search(r"\+81\d{9,10}", line) for line in lines)


def test_a_sample_plan_is_refused_by_every_real_twilio_notifier() -> None:
    config = Config(ack=AckSettings(), twilio=REAL)
    with pytest.raises(ChannelError, match="sample plan"):
        build_twilio_notifiers(config, make_plan(sample=True), auth_token="x" * 32)
    client = make_client(REAL, "x" * 32)
    with pytest.raises(ChannelError, match="sample plan"):
        VoiceNotifier(client, REAL, public_url="https://drill.city.example", sample_plan=True)
    with pytest.raises(ChannelError, match="sample plan"):
        SmsNotifier(
            client,
            REAL,
            public_url="https://drill.city.example",
            make_link=lambda page: "https://drill.city.example/a/x",
            sample_plan=True,
        )
    # A base URL that only looks local is not the sandbox.
    for url in ("https://api.twilio.com", "http://127.0.0.1.example.com", "http://10.0.0.1"):
        settings = REAL.model_copy(update={"api_base_url": url})
        with pytest.raises(ChannelError):
            build_twilio_notifiers(
                Config(twilio=settings), make_plan(sample=True), auth_token="x" * 32
            )


def test_a_sample_plan_may_use_the_sandbox_and_a_real_plan_the_real_provider() -> None:
    sandbox = REAL.model_copy(update={"api_base_url": "http://127.0.0.1:9"})
    built = build_twilio_notifiers(
        Config(twilio=sandbox), make_plan(sample=True), auth_token="x" * 32
    )
    assert built.sandbox and built.voice is not None and built.sms is not None
    real = build_twilio_notifiers(Config(twilio=REAL), make_plan(), auth_token="x" * 32)
    assert not real.sandbox and real.voice is not None
    assert real.voice.client.api.base_url == "https://api.twilio.com"
