"""Answers by keypad, end to end: the real twilio client -> the local Twilio-compatible
API -> signed callbacks -> the ack server's /twilio/gather -> the inbox.

The call reads the choices ("1を押すと…"), key 2 records choice 2, a key the question
does not offer (9) records nothing and repeats, and a keypress for a page that was not
a call is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest

from drill.channels.voice import GATHER_PATH
from drill.engine.notifier import Page
from drill.plan.models import ChannelKind, Choice, Question, Text
from drill.sandbox.twilio_api import Behaviour, Reaction

from .conftest_twilio import DRILL, MOBILE, Stack, make_page

QUESTION = Question(
    text=Text(ja="出社できますか", en="Can you come in?"),
    choices=(
        Choice(key="now", label=Text(ja="出社可能", en="Can come in"), means="coming"),
        Choice(key="within30", label=Text(ja="30分以内", en="Within 30 minutes")),
        Choice(key="cannot", label=Text(ja="不可", en="Cannot")),
    ),
)


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with Stack() as running:
        running.inbox.question = QUESTION
        yield running


def asking(n: int = 1, **kwargs: object) -> Page:
    return dataclasses.replace(make_page(n, **kwargs), question=QUESTION)  # type: ignore[arg-type]


async def test_key_2_records_the_second_choice_and_the_call_reads_the_choices(
    stack: Stack,
) -> None:
    stack.sandbox.behave(MOBILE, Behaviour(Reaction.ACKNOWLEDGE, answer=lambda offered: 2))
    page = asking(1)
    stack.inbox.channels[page.page_id] = ChannelKind.VOICE
    result = await stack.voice.send(page)
    assert result.accepted
    await stack.sandbox.wait_idle()

    call = stack.sandbox.calls[0]
    assert call.digits == ["2"]
    spoken = call.spoken()
    assert "出社できますか。1を押すと出社可能、2を押すと30分以内、3を押すと不可" in spoken
    assert "1を押してください" not in spoken  # not the plain 了解 prompt
    assert [(a.page_id, a.source, a.choice) for a in stack.inbox.acks] == [
        (page.page_id, "voice", "within30")
    ]


async def test_key_9_is_refused_and_repeats_then_a_choice_is_recorded(stack: Stack) -> None:
    stack.sandbox.behave(MOBILE, Behaviour(Reaction.WRONG_KEY, answer=lambda offered: 3))
    page = asking(2)
    await stack.voice.send(page)
    await stack.sandbox.wait_idle()
    call = stack.sandbox.calls[0]
    assert call.digits == ["9", "3"]
    assert "もう一度繰り返します" in call.twiml_seen[1]  # 9 recorded nothing: the message again
    assert [(a.source, a.choice) for a in stack.inbox.acks] == [("voice", "cannot")]


async def test_english_calls_read_the_english_choices(stack: Stack) -> None:
    await stack.voice.send(asking(3, language="en"))
    await stack.sandbox.wait_idle()
    spoken = stack.sandbox.calls[0].spoken()
    assert "Can you come in? To answer, press 1 for Can come in, press 2 for Within 30" in spoken
    assert [a.choice for a in stack.inbox.acks] == ["now"]  # the sandbox's person presses 1


async def gather(stack: Stack, page_id: str, digits: str) -> tuple[int, str]:
    """A keypress as Twilio posts it: signed over the public URL."""
    url = f"{stack.public_url}{GATHER_PATH}?" + urlencode(
        {"drill": DRILL, "page": page_id, "lang": "ja", "round": 1}
    )
    params = {"CallSid": f"CA{digits}{page_id[-2:]}", "Digits": digits}
    headers = {"X-Twilio-Signature": stack.sandbox.sign(url, params)}
    local = stack.server.url + url.removeprefix(stack.public_url)
    async with (
        aiohttp.ClientSession() as http,
        http.post(local, data=params, headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_a_keypress_for_a_page_that_was_not_a_call_is_refused(stack: Stack) -> None:
    sms = asking(4, channel=ChannelKind.SMS)
    stack.inbox.channels[sms.page_id] = ChannelKind.SMS
    status, twiml = await gather(stack, sms.page_id, "1")
    assert status == 200 and "確認できませんでした" in twiml
    voice = asking(5)
    stack.inbox.channels[voice.page_id] = ChannelKind.VOICE
    status, twiml = await gather(stack, voice.page_id, "9")
    # 9 is no answer: the prompt again, with the choices from the inbox's question (a
    # script the hooks never saw, as after a restart)
    assert status == 200 and "1を押すと出社可能、2を押すと30分以内" in twiml
    assert stack.inbox.acks == []
    status, _ = await gather(stack, voice.page_id, "1")
    assert [(a.page_id, a.choice) for a in stack.inbox.acks] == [(voice.page_id, "now")]
