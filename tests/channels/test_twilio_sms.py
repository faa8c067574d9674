"""SMS pages end to end: the link in the message is opened (GET) and confirmed (POST)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator

import pytest

from drill.channels.links import LINK_TOKEN_LENGTH, Links
from drill.channels.sms import encoding, segments, sms_body
from drill.engine.messages import MessageRenderer
from drill.engine.notifier import DeliveryStatus, FailureReason
from drill.engine.runner import new_drill_id
from drill.errors import ConfigError
from drill.plan import lint
from drill.plan.loader import load_plan, sample_plan_dir
from drill.plan.models import ChannelKind
from drill.sandbox.twilio_api import Fault, Reaction

from .conftest_twilio import LANDLINE, MOBILE, Stack, make_page

SMS = ChannelKind.SMS


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with Stack() as running:
        yield running


async def test_the_sms_carries_the_marker_and_a_link_that_acknowledges(stack: Stack) -> None:
    page = make_page(1, channel=SMS)
    result = await stack.sms.send(page)
    assert result.accepted and result.provider_id is not None
    assert result.provider_id.startswith("SM")
    await stack.sandbox.wait_idle()

    message = stack.sandbox.messages[0]
    assert message.to == MOBILE
    assert message.body.startswith("【訓練】集約センター障害。確認を\n")
    assert message.link is not None and message.link.startswith(f"{stack.public_url}/a/")
    assert message.opened and message.confirmed_status == 200
    assert [(a.page_id, a.source) for a in stack.inbox.acks] == [(page.page_id, "sms")]
    statuses = [s for _, s, _ in stack.inbox.statuses]
    assert statuses == [DeliveryStatus.DELIVERED, DeliveryStatus.OPENED]


async def test_opening_the_link_without_confirming_is_not_an_acknowledgement(
    stack: Stack,
) -> None:
    stack.sandbox.behave(MOBILE, Reaction.OPEN_ONLY)
    await stack.sms.send(make_page(1, channel=SMS))
    await stack.sandbox.wait_idle()
    assert stack.sandbox.messages[0].opened
    assert stack.inbox.acks == []
    assert DeliveryStatus.OPENED in [s for _, s, _ in stack.inbox.statuses]


async def test_an_undelivered_sms_is_reported_with_the_carriers_reason(stack: Stack) -> None:
    stack.sandbox.behave(MOBILE, Reaction.UNREACHABLE)
    page = make_page(1, channel=SMS)
    result = await stack.sms.send(page)
    assert result.accepted
    await stack.sandbox.wait_idle()
    assert [(p, r) for p, r, _, _ in stack.inbox.failures] == [
        (page.page_id, FailureReason.UNREACHABLE)
    ]
    assert stack.inbox.acks == []


async def test_a_landline_is_refused_before_any_request(stack: Stack) -> None:
    result = await stack.sms.send(make_page(1, channel=SMS, address=LANDLINE))
    assert not result.accepted and result.failure is FailureReason.LANDLINE
    assert stack.sandbox.requests == []


async def test_twilio_saying_landline_is_classified_as_landline(stack: Stack) -> None:
    stack.sandbox.fail_next(Fault.twilio_error(21614))
    result = await stack.sms.send(make_page(1, channel=SMS))
    assert not result.accepted and result.failure is FailureReason.LANDLINE
    assert len(stack.sandbox.requests) == 1  # not retried
    assert result.detail is not None and "21614" in result.detail
    assert "0123" not in result.detail  # the number is not repeated in the detail


async def test_a_long_message_is_sent_with_a_warning_about_segments(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="drill.channels.sms")
    page = make_page(1, channel=SMS, sms="集約センターで障害が発生しました。" * 5)
    result = await stack.sms.send(page)
    assert result.accepted
    body = stack.sandbox.messages[0].body
    assert segments(body) > 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"{segments(body)} SMS segments" in w for w in warnings)


async def test_an_alphanumeric_sender_id_is_used_as_the_sender() -> None:
    async with Stack(twilio={"sms_sender_id": "SampleCity"}) as stack:
        await stack.sms.send(make_page(1, channel=SMS))
        assert stack.sandbox.messages[0].from_ == "SampleCity"


@pytest.mark.parametrize("sender", ["Sample-City", "TwelveLetter", "12345", "市役所"])
async def test_an_invalid_sender_id_is_a_configuration_error(sender: str) -> None:
    with pytest.raises(ConfigError, match="sender id"):
        async with Stack(twilio={"sms_sender_id": sender}):
            pass


def test_japanese_segments_are_70_characters_then_67() -> None:
    assert encoding("訓練") == "UCS-2" and encoding("DRILL test") == "GSM-7"
    assert segments("あ" * 70) == 1
    assert segments("あ" * 71) == 2
    assert segments("あ" * 134) == 2
    assert segments("あ" * 135) == 3
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension chars cost two
    assert segments("😀" * 35) == 1 and segments("😀" * 36) == 2  # surrogate pairs
    assert segments("a" * 150 + "あ") == 3  # one Japanese character makes it all UCS-2


def test_every_sample_sms_fits_one_segment_with_a_25_character_host() -> None:
    host = "ack.drills.city.sample.jp"
    assert len(host) == 25
    links = Links(public_url=f"https://{host}", key="k", ttl_seconds=24 * 3600)
    plan = load_plan(sample_plan_dir(), lint=False).plan
    started = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
    drill_id = new_drill_id(started, plan.info.zone)
    measured: dict[tuple[str, str], int] = {}
    for scenario in plan.scenarios:
        renderer = MessageRenderer(plan, scenario, started)
        for language in ("ja", "en"):
            message = renderer.render(
                language=language,
                person="山田 太郎",
                role="セキュリティ責任者",
                site="北部支所",
                deadline=started + dt.timedelta(minutes=5),
            )
            page = make_page(
                1234, channel=SMS, language=language, sms=message.sms, drill_id=drill_id
            )
            link = links.make_link(page)
            assert len(link) == len("https://") + 25 + len("/a/") + LINK_TOKEN_LENGTH == 54
            body = sms_body(page, link)
            assert body.startswith("【訓練】" if language == "ja" else "[DRILL] ")
            assert encoding(body) == ("UCS-2" if language == "ja" else "GSM-7")
            assert segments(body) == 1, body
            measured[(scenario.id, language)] = len(body)
    assert measured[("stolen-terminal", "ja")] == 70  # 【訓練】統合端末の盗難。応答を + link
    # The lint's W010 assumes the same link.
    assert lint._LINK_TOKEN_CHARACTERS == LINK_TOKEN_LENGTH
    assert len(lint._SAMPLE_LINK) == 54


async def test_the_real_client_can_fetch_the_message_back(stack: Stack) -> None:
    result = await stack.sms.send(make_page(1, channel=SMS))
    await stack.sandbox.wait_idle()
    message = await stack.sms.client.messages(result.provider_id).fetch_async()
    assert message.sid == result.provider_id and message.status == "delivered"
    assert message.num_segments == str(segments(message.body))
    assert message.date_created is not None and message.date_created.tzinfo is not None
