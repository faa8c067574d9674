"""Answers on the acknowledgement paths, over real loopback HTTP and a real mailbox.

A page whose scenario asks a question shows one button per choice; the POST carries the
choice; a choice the question does not offer is a 400 and records nothing. A reply whose
first line is a choice's number or label carries it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from drill.ack.memory import MemoryInbox
from drill.ack.replies import ReplyPoller
from drill.ack.server import AckServer, DrillRegistry
from drill.channels.email import EmailNotifier
from drill.channels.links import Links
from drill.config import AckSettings
from drill.engine.notifier import AckOutcome, Page
from drill.plan.models import ChannelKind, Choice, Question, Text
from drill.sandbox.people import Action, Reaction, always
from drill.sandbox.smtp import SandboxImap, SandboxMailbox, SmtpSandbox, reply_to

from .conftest import DRILL, make_page

QUESTION = Question(
    text=Text(ja="出社できますか", en="Can you come in?"),
    choices=(
        Choice(key="now", label=Text(ja="出社可能", en="Can come in"), means="coming"),
        Choice(key="within30", label=Text(ja="30分以内", en="Within 30 min"), means="coming"),
        Choice(key="cannot", label=Text(ja="不可", en="Cannot")),
    ),
)


def _with_question(page: Page) -> Page:
    return dataclasses.replace(page, question=QUESTION)


@pytest.fixture
def asked() -> MemoryInbox:
    return MemoryInbox(question=QUESTION)


@pytest.fixture
async def server(links: Links, asked: MemoryInbox) -> AsyncIterator[AckServer]:
    registry = DrillRegistry()
    registry.register(DRILL, asked)
    ack = AckServer(AckSettings(listen_port=0), registry, links=links, route_hooks=[])
    await ack.start()
    try:
        yield ack
    finally:
        await ack.stop()


async def test_the_link_page_shows_a_button_per_choice_and_records_the_one_pressed(
    server: AckServer, links: Links, asked: MemoryInbox
) -> None:
    page = _with_question(make_page(1, channel=ChannelKind.SMS))
    url = f"{server.url}/a/{links.make_token(page)}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            body = await response.text()
        assert response.status == 200
        assert "出社できますか" in body and "Can you come in?" in body
        for n, (key, label) in enumerate(
            (("now", "出社可能"), ("within30", "30分以内"), ("cannot", "不可")), start=1
        ):
            assert f'name="choice" value="{key}">{n}. {label}' in body
        assert "確認しました / I confirm" not in body  # no plain 了解 beside the answers
        async with http.post(url, data={"confirm": "yes", "choice": "within30"}) as response:
            assert response.status == 200
            assert "受信確認を記録しました" in await response.text()
        # Changing the answer through the same link is recorded as a change, not a repeat.
        async with http.post(url, data={"confirm": "yes", "choice": "cannot"}) as response:
            assert response.status == 200
            assert "最初の回答を使い" in await response.text()
        async with http.post(url, data={"confirm": "yes", "choice": "cannot"}) as response:
            assert response.status == 409  # the same answer pressed twice: a duplicate
    assert [(a.page_id, a.source, a.choice) for a in asked.acks] == [
        (page.page_id, "sms", "within30"),
        (page.page_id, "sms", "cannot"),
    ]


async def test_a_choice_the_question_does_not_offer_is_a_400_and_records_nothing(
    server: AckServer, links: Links, asked: MemoryInbox
) -> None:
    page = _with_question(make_page(2))
    url = f"{server.url}/a/{links.make_token(page)}"
    async with aiohttp.ClientSession() as http:
        for bad in ("maybe", "4", "<script>"):
            async with http.post(url, data={"confirm": "yes", "choice": bad}) as response:
                text = await response.text()
                assert response.status == 400
                assert "何も記録していません" in text and "<script>" not in text
                assert 'value="now"' in text  # the buttons again, to choose one
    assert asked.acks == [] and asked.outcomes == []


async def test_a_page_without_a_question_keeps_the_plain_button_and_refuses_a_choice(
    links: Links,
) -> None:
    plain = MemoryInbox()
    registry = DrillRegistry()
    registry.register(DRILL, plain)
    async with AckServer(AckSettings(listen_port=0), registry, links=links, route_hooks=[]) as ack:
        url = f"{ack.url}/a/{links.make_token(make_page(3))}"
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                body = await response.text()
            assert "確認しました / I confirm" in body and 'name="choice"' not in body
            async with http.post(url, data={"confirm": "yes", "choice": "now"}) as response:
                assert response.status == 400
            async with http.post(url, data={"confirm": "yes"}) as response:
                assert response.status == 200
    assert [(a.choice, o) for a, o in zip(plain.acks, plain.outcomes[-1:], strict=True)] == [
        (None, AckOutcome.ACCEPTED)
    ]


PASSWORD = "imap-choice-Pa55word"


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [("2", "within30"), ("３．不可", "cannot"), ("出社可能", "now"), ("了解しました", None)],
)
async def test_a_reply_whose_first_line_names_a_choice_carries_it(
    links: Links, first_line: str, expected: str | None
) -> None:
    asked = MemoryInbox(question=QUESTION)
    registry = DrillRegistry()
    registry.register(DRILL, asked)
    mailbox = SandboxMailbox()
    async with (
        SmtpSandbox(act=False, mailbox=mailbox) as smtp,
        SandboxImap(mailbox, password=PASSWORD) as imap,
    ):
        notifier = EmailNotifier(smtp.settings(), make_link=links, sample_plan=True)
        try:
            page = _with_question(make_page(4, address="person4@city.example"))
            assert (await notifier.send(page)).accepted
            sent = (await smtp.wait_for(1))[-1]
        finally:
            await notifier.close()
        # The e-mail lists the choices with their numbers and says how to answer by reply.
        assert "出社できますか" in sent.text and "2. 30分以内" in sent.text
        assert "1行目に回答の番号" in sent.text
        mailbox.deliver(reply_to(sent, "person4@city.example", text=first_line))
        poller = ReplyPoller(imap.settings(), registry, links, password=SecretStr(PASSWORD))
        report = await poller.poll_once()
    assert report.acknowledged == 1
    assert [(a.page_id, a.source, a.choice) for a in asked.acks] == [
        (page.page_id, "reply", expected)
    ]


async def test_a_sandbox_person_who_replies_writes_the_number_of_their_answer(
    links: Links,
) -> None:
    """The sandbox's people answer a question by reply as the mail asks: the number of
    their answer on the first line; the reply poller reads it as that choice."""
    asked = MemoryInbox(question=QUESTION)
    registry = DrillRegistry()
    registry.register(DRILL, asked)
    mailbox = SandboxMailbox()
    replies = always(Action.REPLY)

    def behaviour(address: str, page_id: str | None) -> Reaction:
        # Everyone replies, and picks the last answer offered (不可).
        return dataclasses.replace(replies(address, page_id), answer=lambda offered: offered)

    async with (
        SmtpSandbox(behaviour=behaviour, mailbox=mailbox) as smtp,
        SandboxImap(mailbox, password=PASSWORD) as imap,
    ):
        notifier = EmailNotifier(smtp.settings(), make_link=links, sample_plan=True)
        try:
            page = _with_question(make_page(5, address="person5@city.example"))
            plain = make_page(6, address="person6@city.example")
            assert (await notifier.send(page)).accepted
            assert (await notifier.send(plain)).accepted
            await smtp.wait_for_actions(2)
        finally:
            await notifier.close()
        poller = ReplyPoller(imap.settings(), registry, links, password=SecretStr(PASSWORD))
        report = await poller.poll_once()
    assert report.acknowledged == 2
    assert sorted((a.page_id, a.choice) for a in asked.acks) == [
        (page.page_id, "cannot"),
        (plain.page_id, None),
    ]
