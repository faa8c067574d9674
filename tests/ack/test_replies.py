"""Reply polling: replies in an IMAP mailbox acknowledge the pages they answer, once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage

import pytest
from pydantic import SecretStr

from drill.ack.memory import MemoryInbox
from drill.ack.replies import PollError, ReplyKind, ReplyPoller, build_reply_poller, match_reply
from drill.ack.server import DrillRegistry
from drill.channels.email import EmailNotifier
from drill.channels.links import Links
from drill.config import Config, ImapSettings
from drill.engine.notifier import AckOutcome, FailureReason
from drill.errors import ConfigError
from drill.sandbox.smtp import ReceivedMail, SandboxImap, SandboxMailbox, SmtpSandbox, reply_to

from .conftest import DRILL, Clock, make_page

PASSWORD = 'imap-Pa55word-"quoted"'


class Mail:
    """A drill e-mail sent for real through the channel, and its mailbox of replies."""

    def __init__(self, smtp: SmtpSandbox, imap: SandboxImap, links: Links) -> None:
        self.smtp = smtp
        self.imap = imap
        self.mailbox = imap.mailbox
        self.links = links
        self.notifier = EmailNotifier(smtp.settings(), make_link=links, sample_plan=True)

    async def sent(self, n: int = 1) -> ReceivedMail:
        page = make_page(n, address=f"person{n}@city.example")
        before = len(self.smtp.received)
        assert (await self.notifier.send(page)).accepted
        return (await self.smtp.wait_for(before + 1))[-1]

    def poller(self, registry: DrillRegistry, **kwargs: object) -> ReplyPoller:
        return ReplyPoller(
            self.imap.settings(),
            registry,
            self.links,
            password=SecretStr(PASSWORD),
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
async def mail(links: Links) -> AsyncIterator[Mail]:
    mailbox = SandboxMailbox()
    async with (
        SmtpSandbox(act=False, mailbox=mailbox) as smtp,
        SandboxImap(mailbox, password=PASSWORD) as imap,
    ):
        setup = Mail(smtp, imap, links)
        yield setup
        await setup.notifier.close()


@pytest.fixture
def registry(inbox: MemoryInbox) -> DrillRegistry:
    registry = DrillRegistry()
    registry.register(DRILL, inbox)
    return registry


def page_id(n: int) -> str:
    return make_page(n).page_id


async def test_a_reply_acknowledges_its_page_and_is_flagged_seen(
    mail: Mail, registry: DrillRegistry, inbox: MemoryInbox
) -> None:
    sent = await mail.sent(1)
    mail.mailbox.deliver(reply_to(sent, "person1@city.example"))
    report = await mail.poller(registry).poll_once()

    assert report.acknowledged == 1
    [ack] = inbox.acks
    assert (ack.page_id, ack.source) == (page_id(1), "reply")
    assert ack.key is not None and ack.key.startswith("reply:<")
    assert mail.mailbox.unseen() == []
    assert "UID FETCH" in mail.imap.commands and "UID STORE" in mail.imap.commands

    again = await mail.poller(registry).poll_once()
    assert again.examined == 0 and len(inbox.acks) == 1


async def test_a_restart_that_reads_the_same_reply_again_counts_it_once(
    mail: Mail, registry: DrillRegistry, inbox: MemoryInbox
) -> None:
    sent = await mail.sent(1)
    mail.mailbox.deliver(reply_to(sent, "person1@city.example"))
    await mail.poller(registry).poll_once()
    for stored in mail.mailbox.messages:  # the flag was lost (crash before STORE)
        stored.flags.clear()
    report = await mail.poller(registry).poll_once()
    assert report.duplicates == 1 and report.acknowledged == 0
    assert len(inbox.acks) == 1
    assert inbox.outcomes == [AckOutcome.ACCEPTED, AckOutcome.DUPLICATE]


async def test_automatic_replies_never_acknowledge(
    mail: Mail, registry: DrillRegistry, inbox: MemoryInbox
) -> None:
    sent = await mail.sent(1)
    for header in (
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("Precedence", "auto_reply"),
    ):
        out_of_office = reply_to(
            sent, "person1@city.example", text="不在にしております。", headers=[header]
        )
        mail.mailbox.deliver(out_of_office)
    report = await mail.poller(registry).poll_once()
    assert report.automatic == 3 and inbox.acks == []
    assert mail.mailbox.unseen() == []  # handled: not looked at again


async def test_a_bounce_is_a_delivery_failure_not_an_acknowledgement(
    mail: Mail, registry: DrillRegistry, inbox: MemoryInbox
) -> None:
    sent = await mail.sent(1)
    mail.mailbox.deliver(bounce_of(sent))
    report = await mail.poller(registry).poll_once()
    assert report.bounces == 1 and inbox.acks == []
    [(failed_page, reason, detail, key)] = inbox.failures
    assert failed_page == page_id(1) and reason is FailureReason.BOUNCED
    assert detail is not None and "5.1.1" in detail
    assert key is not None and key.startswith("bounce:")


async def test_unrelated_mail_stays_unseen_for_people(
    mail: Mail, registry: DrillRegistry, inbox: MemoryInbox
) -> None:
    note = EmailMessage()
    note["From"] = "someone@city.example"
    note["Subject"] = "来週の会議について"
    note.set_content("よろしくお願いします。")
    mail.mailbox.deliver(note)
    report = await mail.poller(registry).poll_once()
    assert report.unrelated == 1 and inbox.acks == []
    assert len(mail.mailbox.unseen()) == 1


async def test_a_reply_for_a_drill_not_running_here_waits_and_records_nothing(
    mail: Mail, inbox: MemoryInbox
) -> None:
    sent = await mail.sent(1)
    mail.mailbox.deliver(reply_to(sent, "person1@city.example"))
    registry = DrillRegistry()
    poller = mail.poller(registry, recheck_seconds=0)
    report = await poller.poll_once()
    assert report.waiting == 1 and inbox.acks == []
    assert len(mail.mailbox.unseen()) == 1
    registry.register(DRILL, inbox)  # the drill resumes in this process
    assert (await poller.poll_once()).acknowledged == 1


async def test_a_poller_in_another_process_finds_the_drill_in_its_registry(
    mail: Mail, inbox: MemoryInbox, forget_links: Callable[[], None]
) -> None:
    sent = await mail.sent(3)
    forget_links()
    mail.mailbox.deliver(reply_to(sent, "person3@city.example"))
    registry = DrillRegistry()
    poller = mail.poller(registry, recheck_seconds=0)
    report = await poller.poll_once()
    assert report.waiting == 1 and report.unrelated == 0 and inbox.acks == []
    assert len(mail.mailbox.unseen()) == 1
    registry.register(DRILL, inbox)
    assert (await poller.poll_once()).acknowledged == 1
    assert inbox.acks[0].page_id == page_id(3)


async def test_a_forged_or_expired_token_acknowledges_nothing(
    mail: Mail, registry: DrillRegistry, inbox: MemoryInbox, links: Links, clock: Clock
) -> None:
    sent = await mail.sent(1)
    forged = reply_to(sent, "person1@city.example")
    token = sent.header("Message-ID") or ""
    forged.replace_header("In-Reply-To", token.replace("dk-", "dk-x"))
    del forged["References"]
    forged.set_content("確認しました")  # no quoted link either
    mail.mailbox.deliver(forged)
    assert (await mail.poller(registry).poll_once()).unrelated == 1

    mail.mailbox.deliver(reply_to(sent, "person1@city.example"))
    clock.advance(3661)  # the lifetime, and the minute a token was made in
    report = await mail.poller(registry).poll_once()
    assert report.acknowledged == 0 and inbox.acks == []


async def test_wrong_password_fails_clearly_and_no_password_is_logged(
    mail: Mail, registry: DrillRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await mail.poller(registry).poll_once()  # a good login, with aioimaplib's debug log on
    wrong = ReplyPoller(
        mail.imap.settings(), registry, mail.links, password=SecretStr("not-the-Pa55word")
    )
    with pytest.raises(PollError, match="refused the login"):
        await wrong.poll_once()
    assert PASSWORD not in caplog.text
    assert PASSWORD.replace('"', '\\"') not in caplog.text
    assert "not-the-Pa55word" not in caplog.text


async def test_the_background_poller_acknowledges_and_stops(
    mail: Mail, registry: DrillRegistry, inbox: MemoryInbox
) -> None:
    poller = mail.poller(registry)
    poller.start()
    sent = await mail.sent(2)
    mail.mailbox.deliver(reply_to(sent, "person2@city.example"))
    await inbox.wait_for(lambda box: len(box.acks) == 1, seconds=5)
    await poller.stop()
    assert inbox.acks[0].page_id == page_id(2)


async def test_an_unreachable_mailbox_is_a_poll_error(
    registry: DrillRegistry, links: Links
) -> None:
    poller = ReplyPoller(
        ImapSettings(host="127.0.0.1", port=1, tls=False, username="u"),
        registry,
        links,
        password=SecretStr("x"),
        timeout_seconds=2,
    )
    with pytest.raises(PollError, match="cannot reach"):
        await poller.poll_once()


def test_polling_is_off_without_a_host_and_needs_credentials(links: Links) -> None:
    assert build_reply_poller(Config(), DrillRegistry(), links) is None
    with pytest.raises(ConfigError, match="DRILLKIT_IMAP_PASSWORD"):
        build_reply_poller(
            Config(imap=ImapSettings(host="imap.city.example", username="u")), DrillRegistry()
        )


# --- matching real messages -------------------------------------------------------------


def test_an_iso_2022_jp_reply_without_threading_headers_matches_by_the_quoted_link(
    links: Links,
) -> None:
    token = links.make_token(make_page(4))
    body = (
        "確認しました。\r\n\r\n"
        f"> 受信確認:次のリンクを開き、「確認しました」ボタンを押してください。\r\n"
        f"> https://ack.city.example/a/{token}\r\n"
    )
    raw = (
        b"Return-Path: <yamada@city.example>\r\n"
        b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@city.example>\r\n"
        b"To: replies@city.example\r\n"
        b"Subject: =?ISO-2022-JP?B?UmU6IBskQiEaOEBOfSFbGyhC?=\r\n"
        b"Message-ID: <20260601103512.ABCD@mail.city.example>\r\n"
        b"Date: Mon, 01 Jun 2026 10:35:12 +0900\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    ) + body.encode("iso-2022-jp")
    match = match_reply(raw, links)
    assert match.kind is ReplyKind.REPLY
    assert match.claim is not None and match.claim.page_id == page_id(4)
    assert match.message_id == "<20260601103512.ABCD@mail.city.example>"


def test_folded_references_match_the_newest_drill_message(links: Links) -> None:
    old = links.make_token(make_page(1))
    new = links.make_token(make_page(2))
    raw = (
        "From: a@city.example\r\nSubject: Re: Re: x\r\nMessage-ID: <r2@city.example>\r\n"
        f"References: <dk-{old}@city.example>\r\n <unrelated@mail.example>\r\n"
        f"\t<dk-{new}@city.example>\r\n\r\nok\r\n"
    ).encode()
    match = match_reply(raw, links)
    assert match.claim is not None and match.claim.page_id == page_id(2)


def test_a_message_without_message_id_gets_a_stable_key(links: Links) -> None:
    token = links.make_token(make_page(1))
    raw = f"From: a@city.example\r\nIn-Reply-To: <dk-{token}@x>\r\n\r\nok\r\n".encode()
    first, second = match_reply(raw, links), match_reply(raw, links)
    assert first.kind is ReplyKind.REPLY
    assert first.message_id == second.message_id and first.message_id.startswith("sha256:")


def bounce_of(sent: ReceivedMail) -> bytes:
    """A delivery-status report as Postfix writes one (RFC 3464)."""
    headers = sent.raw.split(b"\r\n\r\n", 1)[0]
    return (
        b"From: MAILER-DAEMON@mail.city.example (Mail Delivery System)\r\n"
        b"To: replies@city.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <20260601013512.B1@mail.city.example>\r\n"
        b"Auto-Submitted: auto-replied\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
        b'\tboundary="B1.1780000000/mail.city.example"\r\n\r\n'
        b"--B1.1780000000/mail.city.example\r\n"
        b"Content-Description: Notification\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        b"This is the mail system at host mail.city.example.\r\n\r\n"
        b"--B1.1780000000/mail.city.example\r\n"
        b"Content-Description: Delivery report\r\n"
        b"Content-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mail.city.example\r\n\r\n"
        b"Final-Recipient: rfc822; " + sent.rcpt_tos[0].encode() + b"\r\n"
        b"Action: failed\r\n"
        b"Status: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        b"--B1.1780000000/mail.city.example\r\n"
        b"Content-Description: Undelivered Message Headers\r\n"
        b"Content-Type: text/rfc822-headers\r\n\r\n" + headers + b"\r\n\r\n"
        b"--B1.1780000000/mail.city.example--\r\n"
    )
