"""The whole e-mail path on 127.0.0.1: channel -> SMTP sandbox -> people -> ack server / IMAP."""

from __future__ import annotations

import asyncio
import dataclasses

from pydantic import SecretStr

from drill.ack.memory import MemoryInbox
from drill.ack.replies import ReplyPoller
from drill.ack.server import AckServer, DrillRegistry
from drill.channels.email import EmailNotifier
from drill.channels.links import Links
from drill.channels.marker import has_marker
from drill.config import AckSettings
from drill.engine.notifier import DeliveryStatus, FailureReason
from drill.engine.simulation import ChannelBehaviour, OutcomeKind, ResponseModel
from drill.plan.models import ChannelKind
from drill.sandbox.people import Action, Reaction, by_address, from_response_model, mixed
from drill.sandbox.smtp import SandboxImap, SmtpSandbox

from ..ack.conftest import DRILL, make_page

KEY = "sandbox-test-key"


async def test_people_confirm_open_reply_or_ignore_and_only_confirmations_count() -> None:
    inbox = MemoryInbox()
    links = Links(public_url="http://unused", key=KEY, ttl_seconds=3600)
    behaviour = by_address(
        {
            "confirm@city.example": Reaction(Action.CONFIRM, after=0.2, open_after=0.05),
            "scanner@city.example": Reaction(Action.OPEN, after=0.1),
            "reply@city.example": Reaction(Action.REPLY, after=0.1),
            "ignore@city.example": Reaction(Action.IGNORE),
        }
    )
    async with (
        AckServer(AckSettings(listen_port=0), links=links, route_hooks=[]) as server,
        SmtpSandbox(behaviour=behaviour) as smtp,
        SandboxImap(smtp.mailbox, password="imap-pass") as imap,
    ):
        server.registry.register(DRILL, inbox)
        notifier = EmailNotifier(
            smtp.settings(), make_link=links.with_public_url(server.url), sample_plan=True
        )
        await notifier.start(inbox)
        addresses = ["confirm", "scanner", "reply", "ignore"]
        pages = {
            name: make_page(n, address=f"{name}@city.example")
            for n, name in enumerate(addresses, start=1)
        }
        results = await asyncio.gather(*(notifier.send(page) for page in pages.values()))
        assert all(result.accepted for result in results)

        # open + confirm, open, reply
        actions = await smtp.wait_for_actions(4, seconds=5)
        await asyncio.sleep(0.05)
        assert sorted((a.address.split("@")[0], a.action, a.status) for a in actions) == [
            ("confirm", "confirm", 200),
            ("confirm", "open", 200),
            ("reply", "reply", None),
            ("scanner", "open", 200),
        ]
        assert [(a.page_id, a.source) for a in inbox.acks] == [(pages["confirm"].page_id, "email")]
        opened = {
            page_id for page_id, status, _ in inbox.statuses if status is DeliveryStatus.OPENED
        }
        assert opened == {pages["confirm"].page_id, pages["scanner"].page_id}

        # the reply sits in the mailbox until the poller reads it
        poller = ReplyPoller(
            imap.settings(), server.registry, links, password=SecretStr("imap-pass")
        )
        report = await poller.poll_once()
        assert report.acknowledged == 1
        assert sorted((a.page_id, a.source) for a in inbox.acks) == sorted(
            [(pages["confirm"].page_id, "email"), (pages["reply"].page_id, "reply")]
        )
        await notifier.close()

    # 100% of what left carries the drill marker, in the subject and both bodies
    assert len(smtp.received) == 4
    for mail in smtp.received:
        assert has_marker(mail.subject) and has_marker(mail.text) and has_marker(mail.html)


async def test_a_person_who_confirms_after_the_drill_ended_records_nothing() -> None:
    inbox = MemoryInbox()
    links = Links(public_url="http://unused", key=KEY, ttl_seconds=3600)
    gate = asyncio.Event()

    async def wait_for_gate(seconds: float) -> None:
        if seconds > 0:
            await gate.wait()

    behaviour = by_address({"late@city.example": Reaction(Action.CONFIRM, after=1, open_after=0)})
    async with (
        AckServer(AckSettings(listen_port=0), links=links, route_hooks=[]) as server,
        SmtpSandbox(behaviour=behaviour, sleep=wait_for_gate) as smtp,
    ):
        server.registry.register(DRILL, inbox)
        notifier = EmailNotifier(
            smtp.settings(), make_link=links.with_public_url(server.url), sample_plan=True
        )
        assert (await notifier.send(make_page(address="late@city.example"))).accepted
        await smtp.wait_for_actions(1)  # opened
        server.registry.unregister(DRILL)  # the drill ends
        gate.set()
        actions = await smtp.wait_for_actions(2)
        assert actions[-1].action == "confirm" and actions[-1].status == 410
        assert inbox.acks == []
        await notifier.close()


def test_a_seeded_crowd_is_reproducible_and_has_the_asked_shares() -> None:
    first = mixed(confirm=0.7, reply=0.1, open_only=0.1, mean_seconds=30, seed=7)
    second = mixed(confirm=0.7, reply=0.1, open_only=0.1, mean_seconds=30, seed=7)
    reactions = [first(f"p{n}@x.example", None) for n in range(2000)]
    assert reactions == [second(f"p{n}@x.example", None) for n in range(2000)]
    share = sum(r.action is Action.CONFIRM for r in reactions) / len(reactions)
    assert 0.65 < share < 0.75
    mean = sum(r.after for r in reactions if r.action is Action.CONFIRM) / (share * 2000)
    assert 25 < mean < 35


def test_the_engine_response_model_decides_like_the_simulated_channel() -> None:
    model = ResponseModel(seed=11)
    decide = from_response_model(model, drill_id="d1")
    for n in range(200):
        page = make_page(n, drill_id="d1")
        page = dataclasses.replace(page, page_id=f"d1-p{n}")
        expected = model.outcome(page)
        reaction = decide(page.address, page.page_id)
        if expected.kind is OutcomeKind.ANSWER:
            assert reaction == Reaction(Action.CONFIRM, expected.after_seconds)
        elif expected.kind is OutcomeKind.INVALID_NUMBER:
            assert reaction.action is Action.BOUNCE
        else:
            assert reaction.action is Action.IGNORE


async def test_an_address_that_does_not_exist_bounces_and_the_page_fails() -> None:
    inbox = MemoryInbox()
    links = Links(public_url="http://unused", key=KEY, ttl_seconds=3600)
    model = ResponseModel(
        channels={ChannelKind.EMAIL: ChannelBehaviour(invalid_number=1.0, fail_seconds=(1, 1))}
    )
    async with (
        SmtpSandbox(behaviour=from_response_model(model), sleep=_no_wait) as smtp,
        SandboxImap(smtp.mailbox, password="imap-pass") as imap,
    ):
        registry = DrillRegistry()
        registry.register(DRILL, inbox)
        notifier = EmailNotifier(smtp.settings(), make_link=links, sample_plan=True)
        page = make_page(address="nobody@city.example")
        assert (await notifier.send(page)).accepted
        await smtp.wait_for_actions(1)
        poller = ReplyPoller(imap.settings(), registry, links, password=SecretStr("imap-pass"))
        assert (await poller.poll_once()).bounces == 1
        assert [(f[0], f[1]) for f in inbox.failures] == [(page.page_id, FailureReason.BOUNCED)]
        assert inbox.acks == []
        await notifier.close()


async def _no_wait(seconds: float) -> None:
    return None
