"""Voice pages end to end: real twilio client -> sandbox -> signed callbacks -> ack server."""

from __future__ import annotations

import random
import warnings
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest

from drill.engine.notifier import DeliveryStatus, FailureReason
from drill.engine.simulation import ResponseModel
from drill.plan.models import ChannelKind
from drill.sandbox.twilio_api import Behaviour, Paged, Reaction, from_response_model

from .conftest_twilio import DRILL, LANDLINE, MOBILE, Stack, make_page


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with Stack() as running:
        yield running


async def test_a_keypress_acknowledges_the_page_once(stack: Stack) -> None:
    page = make_page(1)
    result = await stack.voice.send(page)
    assert result.accepted and result.provider_id is not None
    assert result.provider_id.startswith("CA")
    await stack.sandbox.wait_idle()

    assert [(a.page_id, a.source, a.key) for a in stack.inbox.acks] == [
        (page.page_id, "voice", f"gather:{result.provider_id}")
    ]
    assert [s for _, s, _ in stack.inbox.statuses] == [
        DeliveryStatus.QUEUED,
        DeliveryStatus.RINGING,
        DeliveryStatus.IN_PROGRESS,
        DeliveryStatus.COMPLETED,
    ]
    assert stack.inbox.failures == []
    call = stack.sandbox.calls[0]
    assert call.to == MOBILE and call.digits == ["1"]
    assert call.statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert all(cb.status in (200, 204) for cb in stack.sandbox.callbacks)
    assert "了解を受け付けました" in call.spoken()  # the thanks after the key


async def test_the_call_speaks_japanese_asks_for_1_and_reports_progress(stack: Stack) -> None:
    await stack.voice.send(make_page(1))
    await stack.sandbox.wait_idle()
    call = stack.sandbox.calls[0]
    assert call.twiml is not None
    root = ET.fromstring(call.twiml)
    gathers = root.findall("Gather")
    assert len(gathers) == 2  # the prompt, repeated once
    for gather in gathers:
        assert gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
        assert gather.get("action", "").startswith(f"{stack.public_url}/twilio/gather?")
        for say in gather.iter("Say"):
            assert say.get("language") == "ja-JP" and say.get("voice") == "Polly.Mizuki"
    spoken = " ".join(say.text or "" for say in gathers[0].iter("Say"))
    assert spoken.startswith("【訓練】") and "これは訓練です" in spoken
    assert "1を押してください" in spoken
    assert "失礼いたします" in (root.findall("Say")[-1].text or "")  # ends politely
    assert root[-1].tag == "Hangup"
    assert call.status_callback is not None
    assert call.status_callback.startswith(f"{stack.public_url}/twilio/status?")
    assert call.status_events == ("initiated", "ringing", "answered", "completed")


async def test_names_and_text_are_escaped_in_twiml(stack: Stack) -> None:
    hostile = '山田 <Hangup/>&"太郎"'
    page = make_page(1, name=hostile, voice=f"{hostile}様、</Say><Play>x</Play>")
    await stack.voice.send(page)
    await stack.sandbox.wait_idle()
    call = stack.sandbox.calls[0]
    assert call.twiml is not None
    root = ET.fromstring(call.twiml)  # still well-formed
    assert [el.tag for el in root] == ["Gather", "Gather", "Say", "Hangup"]
    assert root.find("Play") is None and not list(root.iter("Play"))
    texts = [say.text or "" for say in root.iter("Say")]
    assert any(f"{hostile}様、</Say><Play>x</Play>" in text for text in texts)
    assert len(stack.inbox.acks) == 1


async def test_english_pages_are_spoken_in_english_with_the_drill_marker(stack: Stack) -> None:
    page = make_page(1, language="en", voice="The aggregation centre is down.")
    await stack.voice.send(page)
    await stack.sandbox.wait_idle()
    root = ET.fromstring(stack.sandbox.calls[0].twiml or "")
    says = list(root.iter("Say"))
    assert all(say.get("language") == "en-US" for say in says)
    assert (says[0].text or "").startswith("[DRILL] This is a drill")
    assert "press 1" in " ".join(say.text or "" for say in says)


async def test_a_wrong_key_repeats_the_message_then_1_acknowledges(stack: Stack) -> None:
    stack.sandbox.behave(MOBILE, Reaction.WRONG_KEY)
    page = make_page(1)
    await stack.voice.send(page)
    await stack.sandbox.wait_idle()
    call = stack.sandbox.calls[0]
    assert call.digits == ["9", "1"]
    assert len(call.twiml_seen) == 3  # the call, the repeat after 9, the thanks after 1
    assert "もう一度繰り返します" in call.twiml_seen[1]
    assert "集約センターで障害が発生しました" in call.twiml_seen[1]
    assert len(stack.inbox.acks) == 1


@pytest.mark.parametrize(
    ("reaction", "reason", "status"),
    [
        (Reaction.BUSY, FailureReason.BUSY, "busy"),
        (Reaction.IGNORE, FailureReason.NO_ANSWER, "no-answer"),
        (Reaction.UNREACHABLE, FailureReason.UNREACHABLE, "failed"),
        (Reaction.VOICEMAIL, FailureReason.NOT_ACKNOWLEDGED, "completed"),
        (Reaction.OPEN_ONLY, FailureReason.NOT_ACKNOWLEDGED, "completed"),
    ],
)
async def test_a_call_without_the_key_is_a_delivery_failure_not_an_acknowledgement(
    stack: Stack, reaction: Reaction, reason: FailureReason, status: str
) -> None:
    stack.sandbox.behave(MOBILE, Behaviour(reaction))
    page = make_page(1)
    result = await stack.voice.send(page)
    assert result.accepted  # Twilio accepted the call; what happened comes later
    await stack.sandbox.wait_idle()
    assert stack.inbox.acks == []
    assert len(stack.inbox.failures) == 1
    page_id, got, _, key = stack.inbox.failures[0]
    assert (page_id, got) == (page.page_id, reason)
    assert key == f"status:{result.provider_id}:{status}"
    assert stack.sandbox.calls[0].statuses[-1] == status


async def test_a_message_too_long_for_inline_twiml_is_fetched_from_the_server(
    stack: Stack,
) -> None:
    long_text = "集約センターの障害について詳しくお知らせします。" * 100
    page = make_page(1, voice=long_text)
    result = await stack.voice.send(page)
    assert result.accepted
    await stack.sandbox.wait_idle()
    call = stack.sandbox.calls[0]
    assert call.twiml is None and call.url is not None
    assert call.url.startswith(f"{stack.public_url}/twilio/voice?")
    voice_fetch = [cb for cb in stack.sandbox.callbacks if cb.kind == "voice"]
    assert [cb.status for cb in voice_fetch] == [200]
    assert "【訓練】" in call.twiml_seen[0] and long_text in call.twiml_seen[0]
    assert len(stack.inbox.acks) == 1


async def test_several_calls_each_get_their_own_acknowledgement(stack: Stack) -> None:
    pages = [make_page(n, address=f"+81900123{n:04d}") for n in range(1, 11)]
    results = [await stack.voice.send(page) for page in pages]
    assert all(r.accepted for r in results)
    await stack.sandbox.wait_idle()
    assert sorted(a.page_id for a in stack.inbox.acks) == sorted(p.page_id for p in pages)


async def test_a_voice_page_to_a_landline_still_rings(stack: Stack) -> None:
    result = await stack.voice.send(make_page(1, address=LANDLINE))
    assert result.accepted
    await stack.sandbox.wait_idle()
    assert len(stack.inbox.acks) == 1


async def test_the_real_client_can_fetch_the_call_back_from_the_sandbox(stack: Stack) -> None:
    result = await stack.voice.send(make_page(1))
    await stack.sandbox.wait_idle()
    call = await stack.voice.client.calls(result.provider_id).fetch_async()
    assert call.sid == result.provider_id and call.status == "completed"
    assert call.date_created is not None and call.date_created.tzinfo is not None
    assert call.to == MOBILE


async def test_our_transport_raises_no_deprecation_warnings(stack: Stack) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert (await stack.voice.send(make_page(1))).accepted
    assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []


async def test_sandbox_people_can_follow_the_engines_response_model() -> None:
    model = ResponseModel.from_mapping(
        {
            "channels": {
                "voice": {"busy": 1},
                "sms": {"answer": 1, "answer_seconds": [1, 2]},
            }
        },
        seed=7,
    )
    people = from_response_model(model)
    async with Stack(people=people, time_scale=0.01) as stack:
        voice_page = make_page(1)
        sms_page = make_page(2, channel=ChannelKind.SMS)
        assert (await stack.voice.send(voice_page)).accepted
        assert (await stack.sms.send(sms_page)).accepted
        await stack.sandbox.wait_idle()
        assert [(p, r) for p, r, _, _ in stack.inbox.failures] == [
            (voice_page.page_id, FailureReason.BUSY)
        ]
        assert [a.page_id for a in stack.inbox.acks] == [sms_page.page_id]
    # The same page always draws the same behaviour, as the engine's model promises.
    paged = Paged("sms", MOBILE, DRILL, sms_page.page_id)
    first = people(paged, random.Random(1))
    assert people(paged, random.Random(2)) == first
