"""The acknowledgement server over real loopback HTTP: GET shows, only POST acknowledges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
import pytest

from drill.ack.memory import MemoryInbox
from drill.ack.server import AckServer, DrillRegistry, build_app
from drill.ack.service import AckService
from drill.channels.links import Links
from drill.config import AckSettings, Config
from drill.engine.notifier import AckOutcome, DeliveryStatus
from drill.plan.models import ChannelKind
from drill.sandbox.smtp import SandboxImap, SandboxMailbox

from .conftest import DRILL, Clock, make_page

CONFIRM = {"confirm": "yes"}


def link_url(server: AckServer, links: Links, **page_args: object) -> tuple[str, str]:
    page = make_page(**page_args)  # type: ignore[arg-type]
    return f"{server.url}/a/{links.make_token(page)}", page.page_id


async def test_get_shows_a_japanese_confirm_page_and_never_acknowledges(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    url, page_id = link_url(server, links)
    async with aiohttp.ClientSession() as http:
        for _ in range(3):  # a mail scanner, a link preview, the person
            async with http.get(url) as response:
                body = await response.text()
                assert response.status == 200
                assert response.headers["Content-Type"] == "text/html; charset=utf-8"
                assert response.headers["Cache-Control"] == "no-store"
                assert response.headers["Referrer-Policy"] == "no-referrer"
        async with http.head(url) as response:
            assert response.status == 200
    assert "受信確認" in body and "Confirm receipt" in body
    assert '<form method="post">' in body and "確認しました" in body
    assert "http" not in body.split("<body>", 1)[1]  # no external resources
    assert inbox.acks == []
    assert inbox.statuses == [(page_id, DeliveryStatus.OPENED, inbox.statuses[0][2])]


async def test_post_acknowledges_once_then_reports_the_duplicate(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    url, page_id = link_url(server, links, channel=ChannelKind.SMS)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=CONFIRM) as response:
            assert response.status == 200
            assert "確認しました" in await response.text()
        async with http.post(url, data=CONFIRM) as response:  # second press, or a replay
            assert response.status == 409
            text = await response.text()
            assert "すでに記録されています" in text and "nothing new was recorded" in text
    assert [(a.page_id, a.source) for a in inbox.acks] == [(page_id, "sms")]
    assert inbox.outcomes == [AckOutcome.ACCEPTED, AckOutcome.DUPLICATE]
    assert inbox.acks[0].key is not None and inbox.acks[0].key.startswith("link:")
    assert links.make_token(make_page()) not in inbox.acks[0].key  # the key is an id, not the token


async def test_a_replayed_post_from_many_clients_at_once_is_recorded_once(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    url, _ = link_url(server, links)
    async with aiohttp.ClientSession() as http:

        async def post() -> int:
            async with http.post(url, data=CONFIRM) as response:
                return response.status

        statuses = await asyncio.gather(*(post() for _ in range(50)))
    assert sorted(statuses) == [200] + [409] * 49
    assert len(inbox.acks) == 1


async def test_post_without_the_confirm_field_records_nothing(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    url, _ = link_url(server, links)
    async with aiohttp.ClientSession() as http, http.post(url) as response:
        assert response.status == 400
        assert '<form method="post">' in await response.text()
    assert inbox.acks == []


async def test_tampered_token_records_nothing(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    url, _ = link_url(server, links)
    bad = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    async with aiohttp.ClientSession() as http:
        async with http.get(bad) as response:
            assert response.status == 400
            assert "無効なリンク" in await response.text()
        async with http.post(bad, data=CONFIRM) as response:
            assert response.status == 400
    assert inbox.acks == [] and inbox.statuses == []


async def test_expired_token_records_nothing(
    server: AckServer, links: Links, inbox: MemoryInbox, clock: Clock
) -> None:
    url, _ = link_url(server, links)
    clock.advance(3661)  # the lifetime, and the minute a token was made in
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 410
            assert "有効期限" in await response.text()
        async with http.post(url, data=CONFIRM) as response:
            assert response.status == 410
    assert inbox.acks == [] and inbox.statuses == []


async def test_a_finished_drill_records_nothing(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    url, _ = link_url(server, links)
    server.registry.unregister(DRILL)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 410
            assert "has ended or is unknown" in await response.text()
        async with http.post(url, data=CONFIRM) as response:
            assert response.status == 410
    assert inbox.acks == [] and inbox.statuses == []


async def test_a_server_in_another_process_finds_the_drill_in_its_registry(
    server: AckServer, links: Links, inbox: MemoryInbox, forget_links: Callable[[], None]
) -> None:
    url, page_id = link_url(server, links, n=7, channel=ChannelKind.SMS)
    forget_links()
    assert len(url.rsplit("/", 1)[1]) == 18
    async with aiohttp.ClientSession() as http, http.post(url, data=CONFIRM) as response:
        assert response.status == 200
    assert [(a.page_id, a.source) for a in inbox.acks] == [(page_id, "sms")]


async def test_a_link_of_a_drill_this_server_does_not_know_shows_the_ended_page(
    server: AckServer, links: Links, inbox: MemoryInbox, forget_links: Callable[[], None]
) -> None:
    url, _ = link_url(server, links)
    forget_links()
    server.registry.unregister(DRILL)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 410
            assert "has ended or is unknown" in await response.text()
        async with http.post(url, data=CONFIRM) as response:
            assert response.status == 410
    assert inbox.acks == [] and inbox.statuses == []


async def test_a_long_link_sent_before_short_links_still_acknowledges_once(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    page = make_page(4, channel=ChannelKind.SMS)
    url = f"{server.url}/a/{links._long_token(page)}"
    async with aiohttp.ClientSession() as http:
        for status in (200, 409):
            async with http.post(url, data=CONFIRM) as response:
                assert response.status == status
    assert [(a.page_id, a.source) for a in inbox.acks] == [(page.page_id, "sms")]


async def test_the_engine_saying_finished_shows_the_ended_page(
    server: AckServer, links: Links, inbox: MemoryInbox
) -> None:
    url, _ = link_url(server, links)
    inbox.finished = True  # registered, but the engine has closed the drill
    async with aiohttp.ClientSession() as http, http.post(url, data=CONFIRM) as response:
        assert response.status == 410
    assert inbox.acks == []


async def test_thank_you_only_after_the_acknowledgement_is_durable(
    links: Links, clock: Clock
) -> None:
    release = asyncio.Event()
    stored: list[str] = []

    async def durable(record: object) -> None:
        await release.wait()
        stored.append("stored")

    inbox = MemoryInbox(durable=durable)
    registry = DrillRegistry()
    registry.register(DRILL, inbox)
    async with AckServer(AckSettings(listen_port=0), registry, links=links, route_hooks=[]) as srv:
        url = f"{srv.url}/a/{links.make_token(make_page())}"
        async with aiohttp.ClientSession() as http:
            post = asyncio.ensure_future(http.post(url, data=CONFIRM))
            await asyncio.sleep(0.2)
            assert not post.done()  # no reply while the store has not confirmed
            release.set()
            response = await post
            assert response.status == 200 and stored == ["stored"]
            response.release()


async def test_a_store_failure_is_not_thanked(links: Links) -> None:
    async def broken(record: object) -> None:
        raise OSError("disk full")

    registry = DrillRegistry()
    registry.register(DRILL, MemoryInbox(durable=broken))
    async with AckServer(AckSettings(listen_port=0), registry, links=links, route_hooks=[]) as srv:
        url = f"{srv.url}/a/{links.make_token(make_page())}"
        async with aiohttp.ClientSession() as http, http.post(url, data=CONFIRM) as response:
            assert response.status == 503
            assert "記録できませんでした" in await response.text()


async def test_healthz_and_port_zero(server: AckServer) -> None:
    assert server.port > 0
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json()) == {"service": "drillkit-ack", "status": "ok"}


async def test_page_text_is_escaped(server: AckServer) -> None:
    url = f"{server.url}/a/%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        body = await response.text()
    assert response.status == 400
    assert "<script>" not in body


async def test_tokens_never_reach_the_logs(
    server: AckServer, links: Links, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = links.make_token(make_page())
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/a/{token}") as response:
            assert response.status == 200
        async with http.post(f"{server.url}/a/{token}", data=CONFIRM) as response:
            assert response.status == 200
    assert "/a/<token>" in caplog.text  # the access log ran
    assert token not in caplog.text


async def test_start_and_stop_inside_a_running_loop_release_the_port() -> None:
    srv = AckServer(AckSettings(listen_port=0), route_hooks=[])
    await srv.start()
    port = srv.port
    await srv.stop()
    again = AckServer(AckSettings(listen_port=port), route_hooks=[])
    await again.start()
    assert again.port == port
    await again.stop()


async def test_the_twilio_webhooks_are_mounted_by_default(links: Links) -> None:
    app = build_app(AckSettings(), DrillRegistry(), links=links)
    paths = {resource.canonical for resource in app.router.resources()}
    assert {"/a/{token}", "/healthz", "/twilio/gather", "/twilio/status"} <= paths


async def test_the_service_serves_links_and_polls_replies(
    links: Links, inbox: MemoryInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRILLKIT_IMAP_PASSWORD", "pw")
    mailbox = SandboxMailbox()
    async with SandboxImap(mailbox, password="pw") as imap:
        config = Config(ack=AckSettings(listen_port=0), imap=imap.settings(username="drill"))
        stop = asyncio.Event()
        service = AckService(config, links=links)
        service.registry.register(DRILL, inbox)
        running = asyncio.ensure_future(service.serve_until(stop))
        await asyncio.sleep(0.1)
        token = links.make_token(make_page())
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{service.server.url}/a/{token}", data=CONFIRM) as response,
        ):
            assert response.status == 200
        mailbox.deliver(
            f"From: a@city.example\r\nMessage-ID: <r1@x>\r\nIn-Reply-To: "
            f"<dk-{links.make_token(make_page(2))}@city.example>\r\n\r\nok\r\n".encode()
        )
        await inbox.wait_for(lambda box: len(box.acks) == 2, seconds=5)
        stop.set()
        await running
    assert [a.source for a in inbox.acks] == ["email", "reply"]
