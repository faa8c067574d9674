"""E-mail pages against a real SMTP server on 127.0.0.1 (the sandbox): what actually left."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import logging
import time
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.ack.memory import MemoryInbox
from drill.channels.email import (
    EmailNotifier,
    build_email_notifier,
    clean_header_text,
    render_message,
    token_from_message_id,
)
from drill.channels.links import Links
from drill.channels.marker import DRILL_MARKER, mark_email_subject
from drill.config import AckSettings, Config, SmtpSettings
from drill.engine.notifier import FailureReason, Page, RenderedMessage
from drill.errors import ChannelError
from drill.plan.models import Plan
from drill.sandbox.smtp import SmtpSandbox

from ..ack.conftest import DRILL, make_page

pytestmark = pytest.mark.filterwarnings("ignore:.*verify_certificates.*")


@pytest.fixture
def links() -> Links:
    return Links(public_url="https://ack.city.example", key="test-key", ttl_seconds=3600)


@pytest.fixture
async def sandbox() -> AsyncIterator[SmtpSandbox]:
    async with SmtpSandbox(act=False) as running:
        yield running


Factory = Callable[..., EmailNotifier]


@pytest.fixture
async def notifier_for(links: Links) -> AsyncIterator[Factory]:
    made: list[EmailNotifier] = []

    def make(settings: SmtpSettings, **kwargs: object) -> EmailNotifier:
        kwargs.setdefault("sample_plan", True)
        kwargs.setdefault("retry_delay", 0.01)
        notifier = EmailNotifier(settings, make_link=links, **kwargs)  # type: ignore[arg-type]
        made.append(notifier)
        return notifier

    yield make
    for notifier in made:
        await notifier.close()


def with_message(page: Page, **changes: str) -> Page:
    return dataclasses.replace(page, message=dataclasses.replace(page.message, **changes))


async def test_a_page_arrives_as_japanese_multipart_mail_with_marker_link_and_reply_to(
    sandbox: SmtpSandbox, notifier_for: Factory, links: Links
) -> None:
    notifier = notifier_for(sandbox.settings(), sender_name="サンプル市 危機管理課")
    await notifier.start(MemoryInbox())
    page = make_page(
        body="田中 一郎 様\n\n集約センターで障害が発生しました。\n至急確認してください。"
    )
    result = await notifier.send(page)

    assert result.accepted, result
    [mail] = await sandbox.wait_for(1)
    assert mail.rcpt_tos == ("tanaka@city.example",)
    assert mail.mail_from == "drill@city.example"
    assert mail.subject == "【訓練】庁内緊急連絡:集約センター障害"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in mail.message.iter_parts())
    assert mail.raw.isascii()  # every header and body encoded for any relay
    assert mail.header("To") == "田中 一郎 <tanaka@city.example>"
    assert mail.header("From") == "サンプル市 危機管理課 <drill@city.example>"
    assert mail.header("Reply-To") == "replies@city.example"
    assert mail.header("Auto-Submitted") == "auto-generated"
    # the marker and the bilingual notice, then the message, in both parts
    assert mail.text.startswith(f"{DRILL_MARKER['ja']} これは訓練です。")
    assert DRILL_MARKER["en"] in mail.text
    assert "集約センターで障害が発生しました。" in mail.text
    assert DRILL_MARKER["ja"] in mail.html and "集約センターで障害が発生しました。" in mail.html
    assert "<title>【訓練】庁内緊急連絡" in mail.html
    # the acknowledgement link, valid for this page, in both parts
    assert mail.link is not None and mail.link.startswith("https://ack.city.example/a/")
    token = mail.link.rsplit("/", 1)[1]
    assert links.read_token(token) == (DRILL, page.page_id)
    assert f'href="{mail.link}"' in mail.html
    assert "返信" in mail.text  # replies acknowledge too (Reply-To is set)
    # a reply names the page: the Message-ID carries the token
    assert token_from_message_id(mail.header("Message-ID") or "") == [token]
    assert result.provider_id == mail.header("Message-ID")


async def test_english_pages_get_the_english_marker_and_incidents_none(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings())
    english = make_page(1, language="en", subject="Server outage", body="Please confirm.")
    incident = dataclasses.replace(make_page(2), mode="incident")
    assert (await notifier.send(english)).accepted
    assert (await notifier.send(incident)).accepted
    first, second = await sandbox.wait_for(2)
    assert first.subject == "[DRILL] Server outage"
    assert first.text.startswith("[DRILL] This is a drill")
    assert "Confirm receipt" in first.text.split("―")[-1].split("\n")[1]
    assert second.subject == "庁内緊急連絡:集約センター障害"
    assert DRILL_MARKER["ja"] not in second.text and DRILL_MARKER["en"] not in second.text


async def test_header_injection_through_names_and_templates_adds_no_header(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings(), sender_name="市役所\r\nBcc: boss@evil.example")
    page = with_message(
        make_page(name="山田 太郎\r\nBcc: victim@evil.example\nX-Injected: 1"),
        email_subject="障害\r\nBcc: other@evil.example\r\n\r\nforged body\u2028Cc: c@evil.example",
    )
    assert (await notifier.send(page)).accepted
    [mail] = await sandbox.wait_for(1)

    assert mail.rcpt_tos == ("tanaka@city.example",)
    names = [name.lower() for name in mail.message]
    assert "bcc" not in names and "cc" not in names and "x-injected" not in names
    assert names.count("to") == 1 and names.count("subject") == 1 and names.count("from") == 1
    assert mail.subject == "【訓練】障害 Bcc: other@evil.example forged body Cc: c@evil.example"
    assert "\n" not in str(mail.message["To"])
    assert "forged body" not in mail.text


@pytest.mark.parametrize(
    "address",
    ["tanaka@city.example\r\nRCPT TO:<x@evil.example>", "a@b@c", "no-at-sign", "x@evil.example>"],
)
async def test_a_bad_address_is_refused_before_anything_is_sent(
    sandbox: SmtpSandbox, notifier_for: Factory, address: str
) -> None:
    notifier = notifier_for(sandbox.settings())
    result = await notifier.send(dataclasses.replace(make_page(), address=address))
    assert not result.accepted and result.failure is FailureReason.REFUSED
    await asyncio.sleep(0.05)
    assert sandbox.received == [] and sandbox.connections == 0


async def test_starttls_required_but_not_offered_fails_clearly(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings(tls="starttls"))
    result = await notifier.send(make_page())
    assert result.failure is FailureReason.CONFIG
    assert result.detail is not None and "does not offer STARTTLS" in result.detail
    assert sandbox.received == []


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
async def test_tls_with_a_trusted_certificate_is_verified_and_used(
    notifier_for: Factory, tls: str
) -> None:
    async with SmtpSandbox(tls=tls, act=False) as server:  # type: ignore[arg-type]
        notifier = notifier_for(server.settings())
        assert server.ca_file is not None
        result = await notifier.send(make_page())
        assert result.accepted, result
        [mail] = await server.wait_for(1)
        assert mail.tls


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
async def test_an_untrusted_certificate_fails_with_the_reason(
    notifier_for: Factory, tls: str
) -> None:
    async with SmtpSandbox(tls=tls, act=False) as server:  # type: ignore[arg-type]
        notifier = notifier_for(server.settings(ca_file=None))  # trustme's CA is not trusted
        result = await notifier.send(make_page())
        assert result.failure is FailureReason.PROVIDER_ERROR
        assert result.detail is not None
        assert "certificate" in result.detail and "not trusted" in result.detail
        assert "ca_file" in result.detail
        assert server.received == []


async def test_verification_can_be_turned_off_only_explicitly(
    notifier_for: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    async with SmtpSandbox(tls="starttls", act=False) as server:
        notifier = notifier_for(server.settings(ca_file=None, verify_certificates=False))
        assert (await notifier.send(make_page())).accepted
        assert "not checked" in caplog.text


async def test_refused_recipients_fail_as_refused_and_nothing_is_lost(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings())
    pages = [make_page(n, address=f"person{n}@city.example") for n in range(10)]
    sandbox.refuse("person3@city.example", "person7@city.example")
    results = await asyncio.gather(*(notifier.send(page) for page in pages))

    refused = {pages[i].address for i, r in enumerate(results) if not r.accepted}
    assert refused == {"person3@city.example", "person7@city.example"}
    for result in results:
        if not result.accepted:
            assert result.failure is FailureReason.REFUSED
            assert result.detail is not None and "550" in result.detail
    received = {to for mail in sandbox.received for to in mail.rcpt_tos}
    # every page either arrived or was reported as failed: nothing silently lost
    assert received | refused == {page.address for page in pages}
    assert received.isdisjoint(refused)
    # the connection survived the refusals (RSET) and was reused
    assert sandbox.connections <= 2


async def test_a_temporary_refusal_is_tried_again(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings())
    sandbox.refuse("tanaka@city.example", code=450, times=1)
    assert (await notifier.send(make_page())).accepted
    assert len(await sandbox.wait_for(1)) == 1


async def test_a_permanent_data_error_is_not_retried(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings())
    sandbox.data_reply = "554 5.7.1 message rejected as spam"
    result = await notifier.send(make_page())
    assert result.failure is FailureReason.PROVIDER_ERROR
    assert result.detail is not None and "554" in result.detail
    assert sandbox.connections == 1


async def test_a_server_that_never_greets_times_out_within_the_configured_seconds(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    await sandbox.set_fault("silent")
    notifier = notifier_for(sandbox.settings(timeout_seconds=1))
    started = time.monotonic()
    result = await notifier.send(make_page())
    elapsed = time.monotonic() - started
    assert result.failure is FailureReason.TIMEOUT
    assert result.detail is not None and "did not answer within 1 s" in result.detail
    assert 0.9 <= elapsed < 2.0


async def test_a_server_that_is_down_fails_fast_and_recovery_is_used(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings(timeout_seconds=2))
    assert (await notifier.send(make_page(1))).accepted
    await sandbox.set_fault("down")
    started = time.monotonic()
    result = await notifier.send(make_page(2))
    assert result.failure is FailureReason.PROVIDER_ERROR
    assert result.detail is not None and "cannot connect" in result.detail
    assert time.monotonic() - started < 2.0
    await sandbox.set_fault(None)
    assert (await notifier.send(make_page(3))).accepted
    assert len(await sandbox.wait_for(2)) == 2


async def test_connections_are_reused_and_a_closed_one_is_replaced(
    sandbox: SmtpSandbox, notifier_for: Factory
) -> None:
    notifier = notifier_for(sandbox.settings(), connections=1)
    for n in range(5):
        assert (await notifier.send(make_page(n))).accepted
    assert sandbox.connections == 1
    sandbox.drop_connections()  # the server closed an idle connection
    await asyncio.sleep(0.05)
    assert (await notifier.send(make_page(9))).accepted
    assert sandbox.connections == 2
    assert len(sandbox.received) == 6


async def test_the_rate_limit_spaces_messages(sandbox: SmtpSandbox, notifier_for: Factory) -> None:
    notifier = notifier_for(sandbox.settings(messages_per_second=20))
    started = time.monotonic()
    results = await asyncio.gather(*(notifier.send(make_page(n)) for n in range(11)))
    assert all(r.accepted for r in results)
    assert time.monotonic() - started >= 0.45  # 10 intervals of 50 ms


async def test_login_over_tls_and_the_password_never_reaches_the_logs(
    notifier_for: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    from pydantic import SecretStr

    caplog.set_level(logging.DEBUG)
    password = "Pa55-w0rd-for-smtp"
    async with SmtpSandbox(tls="starttls", act=False, login=("drill", password)) as server:
        good = notifier_for(server.settings(username="drill"), password=SecretStr(password))
        assert (await good.send(make_page(1))).accepted
        bad = notifier_for(server.settings(username="drill"), password=SecretStr("wrong"))
        result = await bad.send(make_page(2))
        assert result.failure is FailureReason.CONFIG
        assert result.detail is not None and "login" in result.detail
        assert len(server.received) == 1
    assert password not in caplog.text
    assert "wrong" not in caplog.text.replace("went wrong", "")


def test_a_username_without_a_password_is_a_configuration_error() -> None:
    with pytest.raises(ChannelError, match="DRILLKIT_SMTP_PASSWORD"):
        EmailNotifier(
            SmtpSettings(host="127.0.0.1", username="drill"),
            make_link=lambda page: "http://x/a/t",
            sample_plan=True,
        )


@pytest.mark.parametrize("host", ["smtp.city.example", "10.0.0.5", "127.0.0.1.evil.example"])
def test_a_sample_plan_refuses_any_smtp_host_that_is_not_loopback(
    sample_plan: Plan, host: str
) -> None:
    config = Config(smtp=SmtpSettings(host=host))
    with pytest.raises(ChannelError, match="sample plan"):
        build_email_notifier(config, sample_plan)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_a_sample_plan_may_use_a_loopback_server(sample_plan: Plan, host: str) -> None:
    config = Config(smtp=SmtpSettings(host=host), ack=AckSettings())
    notifier = build_email_notifier(config, sample_plan)
    assert notifier.sample_plan and notifier.sender_name == sample_plan.info.organisation.ja


def test_a_real_plan_may_use_a_real_server(sample_plan: Plan) -> None:
    real = sample_plan.model_copy(
        update={"info": sample_plan.info.model_copy(update={"sample": False})}
    )
    notifier = build_email_notifier(Config(smtp=SmtpSettings(host="smtp.city.example")), real)
    assert not notifier.sample_plan


def test_no_smtp_host_is_a_configuration_error(sample_plan: Plan) -> None:
    with pytest.raises(ChannelError, match=r"\[smtp\] host"):
        build_email_notifier(Config(), sample_plan)


@pytest.fixture(scope="module")
def sample_plan() -> Plan:
    from drill.plan.loader import load_plan, sample_plan_dir

    return load_plan(sample_plan_dir(), lint=False).plan


def test_rendered_message_fields_are_all_used() -> None:
    # guard: if the contract grows a field, this channel must decide what to do with it
    assert [f.name for f in dataclasses.fields(RenderedMessage)] == [
        "voice",
        "sms",
        "email_subject",
        "email_body",
    ]


# --- the message as written on the wire ----------------------------------------------

_HEADER_NAMES = [
    "subject",
    "from",
    "to",
    "reply-to",
    "date",
    "message-id",
    "x-drillkit-page",
    "x-drillkit-mode",
    "auto-submitted",
    "x-auto-response-suppress",
    "mime-version",
    "content-type",
]


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@settings(max_examples=120, deadline=None)
@given(name=st.text(min_size=1, max_size=80), subject=st.text(min_size=1, max_size=200))
def test_any_name_or_subject_round_trips_without_adding_a_header(name: str, subject: str) -> None:
    page = with_message(make_page(name=name), email_subject=subject)
    raw, message_id = render_message(
        page,
        link="https://ack.city.example/a/t",
        token="t",
        from_address="drill@city.example",
        sender_name=name,
        reply_to="replies@city.example",
    )
    assert raw.isascii()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = _parse(raw)
    assert [key.lower() for key in message] == _HEADER_NAMES
    assert message["Subject"] == clean_header_text(
        mark_email_subject(page, clean_header_text(subject, limit=300)), limit=320
    )
    to = message["To"].addresses
    assert len(to) == 1 and to[0].addr_spec == "tanaka@city.example"
    # A long name is split into several encoded words; RFC 2047 joins them, but Python's
    # parser shows a space at each join, so compare without spaces.
    shown = to[0].display_name.replace(" ", "")
    assert shown == clean_header_text(name, limit=120).replace(" ", "")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[:3])
    assert message["Message-ID"] == message_id


def test_long_japanese_subjects_are_folded_into_short_lines() -> None:
    page = with_message(make_page(), email_subject="集約センター障害" * 20)
    raw, _ = render_message(
        page, link="https://x/a/t", token="t", from_address="drill@city.example"
    )
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    lines = [line for line in header_block.split(b"\r\n") if not line.startswith(b"Message-ID")]
    assert max(len(line) for line in lines) <= 78
    assert _parse(raw)["Subject"] == "【訓練】" + "集約センター障害" * 20


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('Yamada "Boss" \\ Taro', 'Yamada "Boss" \\ Taro'),
        ("Dr. Sato, Hanako", "Dr. Sato, Hanako"),
        ("Suzuki <admin@evil.example>", "Suzuki <admin@evil.example>"),
    ],
)
def test_ascii_names_with_specials_are_quoted(name: str, shown: str) -> None:
    raw, _ = render_message(
        make_page(name=name), link="https://x/a/t", token="t", from_address="drill@city.example"
    )
    [to] = _parse(raw)["To"].addresses
    assert to.display_name == shown and to.addr_spec == "tanaka@city.example"
