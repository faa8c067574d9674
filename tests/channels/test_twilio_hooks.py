"""The Twilio webhooks: signatures against the public URL, duplicates, finished drills."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest

from drill.engine.notifier import AckOutcome, DeliveryStatus, FailureReason
from drill.sandbox.twilio_api import TwilioSandbox

from .conftest_twilio import DRILL, MOBILE, Stack, make_page

PUBLIC = "https://drill.city.example/drillkit"


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with Stack() as running:
        yield running


def gather_request(
    stack: Stack, *, page_id: str, call_sid: str, digits: str = "1"
) -> tuple[str, str, dict[str, str]]:
    """(public URL, local URL, params) of a keypress callback, as Twilio would send it."""
    query = urlencode({"drill": DRILL, "page": page_id, "lang": "ja", "round": 1})
    path = f"/twilio/gather?{query}"
    params = {
        "AccountSid": stack.sandbox.account_sid,
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Digits": digits,
        "From": "+81950000000",
        "To": MOBILE,
    }
    return stack.public_url + path, stack.server.url + path, params


async def post(
    http: aiohttp.ClientSession, url: str, params: dict[str, str], signature: str | None
) -> tuple[int, str]:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    async with http.post(url, data=params, headers=headers) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "tampered"])
async def test_a_missing_or_invalid_signature_gets_403_and_changes_nothing(
    stack: Stack, signature: str | None
) -> None:
    public, local, params = gather_request(stack, page_id=f"{DRILL}-p1", call_sid="CA1")
    if signature == "tampered":
        signature = stack.sandbox.sign(public, {**params, "Digits": "9"})
    async with aiohttp.ClientSession() as http:
        for path in ("gather", "status", "voice", "message-status"):
            url = local.replace("/twilio/gather", f"/twilio/{path}")
            status, _ = await post(http, url, params, signature)
            assert status == 403
    assert stack.inbox.acks == [] and stack.inbox.statuses == [] and stack.inbox.failures == []


async def test_a_signature_made_with_another_token_is_refused(stack: Stack) -> None:
    public, local, params = gather_request(stack, page_id=f"{DRILL}-p1", call_sid="CA1")
    other = TwilioSandbox(auth_token="another-token-0000")
    async with aiohttp.ClientSession() as http:
        status, _ = await post(http, local, params, other.sign(public, params))
    assert status == 403 and stack.inbox.acks == []


async def test_a_valid_signature_acknowledges_and_the_reply_thanks(stack: Stack) -> None:
    page_id = f"{DRILL}-p1"
    public, local, params = gather_request(stack, page_id=page_id, call_sid="CA1")
    async with aiohttp.ClientSession() as http:
        status, body = await post(http, local, params, stack.sandbox.sign(public, params))
    assert status == 200 and "了解を受け付けました" in body and "<Hangup" in body
    assert [(a.page_id, a.key) for a in stack.inbox.acks] == [(page_id, "gather:CA1")]


async def test_behind_a_proxy_the_public_url_is_what_is_checked() -> None:
    async with Stack(public_url=PUBLIC) as stack:
        # The whole real path: Twilio (sandbox) signs the public URL, the proxy hands
        # the request to 127.0.0.1, the hook rebuilds the public URL and accepts it.
        page = make_page(1)
        result = await stack.voice.send(page)
        assert result.accepted
        await stack.sandbox.wait_idle()
        assert [a.page_id for a in stack.inbox.acks] == [page.page_id]
        assert all(cb.url.startswith(PUBLIC) for cb in stack.sandbox.callbacks)
        assert all(cb.status in (200, 204) for cb in stack.sandbox.callbacks)

        # A request signed for the address it arrived on (not the public one) is refused.
        _, local, params = gather_request(stack, page_id=page.page_id, call_sid="CA2")
        async with aiohttp.ClientSession() as http:
            status, _ = await post(http, local, params, stack.sandbox.sign(local, params))
        assert status == 403
        assert len(stack.inbox.acks) == 1


async def test_1000_duplicate_callbacks_make_one_acknowledgement_and_each_gets_its_reply() -> None:
    async with Stack(durable_seconds=0.002) as stack:
        page_id = f"{DRILL}-p1"
        public, local, params = gather_request(stack, page_id=page_id, call_sid="CAdup")
        signature = stack.sandbox.sign(public, params)
        statuses: list[int] = []

        in_flight = asyncio.Semaphore(100)  # Twilio retrying many calls at once

        async def one(http: aiohttp.ClientSession) -> None:
            async with in_flight:
                status, body = await post(http, local, params, signature)
            statuses.append(status)
            assert "了解を受け付けました" in body

        connector = aiohttp.TCPConnector(limit=0)  # no hidden queue in the client
        async with aiohttp.ClientSession(connector=connector) as http:
            await asyncio.gather(*(one(http) for _ in range(1000)))

    assert statuses == [200] * 1000
    assert len(stack.inbox.acks) == 1
    assert stack.inbox.outcomes.count(AckOutcome.ACCEPTED) == 1
    assert stack.inbox.outcomes.count(AckOutcome.DUPLICATE) == 999


async def test_duplicated_and_late_keypresses_from_twilio_are_recorded_once() -> None:
    async with Stack(duplicate_probability=1.0, late_probability=1.0, seed=3) as stack:
        pages = [make_page(n, address=f"+81900123{n:04d}") for n in range(1, 6)]
        for page in pages:
            assert (await stack.voice.send(page)).accepted
        await stack.sandbox.wait_idle()
        gathers = [cb for cb in stack.sandbox.callbacks if cb.kind == "gather"]
        assert len(gathers) >= 2 * len(pages)  # every keypress came at least twice
        assert sorted(a.page_id for a in stack.inbox.acks) == sorted(p.page_id for p in pages)
        assert len({a.key for a in stack.inbox.acks}) == len(pages)


async def test_status_callbacks_are_recorded_once_each(stack: Stack) -> None:
    query = urlencode({"drill": DRILL, "page": f"{DRILL}-p1", "lang": "ja"})
    path = f"/twilio/status?{query}"
    async with aiohttp.ClientSession() as http:
        for status in ("ringing", "ringing", "busy", "busy"):
            params = {"CallSid": "CA9", "CallStatus": status, "To": MOBILE}
            code, _ = await post(
                http,
                stack.server.url + path,
                params,
                stack.sandbox.sign(stack.public_url + path, params),
            )
            assert code == 204
    assert [s for _, s, _ in stack.inbox.statuses] == [DeliveryStatus.RINGING]
    assert [r for _, r, _, _ in stack.inbox.failures] == [FailureReason.BUSY]


async def test_a_keypress_for_a_finished_drill_records_nothing(stack: Stack) -> None:
    stack.registry.unregister(DRILL)
    public, local, params = gather_request(stack, page_id=f"{DRILL}-p1", call_sid="CA1")
    async with aiohttp.ClientSession() as http:
        status, body = await post(http, local, params, stack.sandbox.sign(public, params))
    assert status == 200 and "終了しています" in body
    assert stack.inbox.acks == []


async def test_a_keypress_the_engine_calls_finished_is_answered_politely(stack: Stack) -> None:
    stack.inbox.finished = True
    public, local, params = gather_request(stack, page_id=f"{DRILL}-p1", call_sid="CA1")
    async with aiohttp.ClientSession() as http:
        status, body = await post(http, local, params, stack.sandbox.sign(public, params))
    assert status == 200 and "終了しています" in body
    assert stack.inbox.acks == []


async def test_the_hooks_are_mounted_by_the_server_factory_by_default() -> None:
    from drill.ack.server import DrillRegistry, build_app
    from drill.config import AckSettings

    app = build_app(AckSettings(), DrillRegistry())
    paths = {resource.canonical for resource in app.router.resources()}
    assert {"/twilio/voice", "/twilio/gather", "/twilio/status"} <= paths
    assert "/twilio/message-status" in paths


async def test_the_token_and_public_url_can_be_set_after_mounting(stack: Stack) -> None:
    from drill.ack.twilio_hooks import HOOKS_KEY

    hooks = stack.server.app[HOOKS_KEY]
    public, local, params = gather_request(stack, page_id=f"{DRILL}-p1", call_sid="CA1")
    hooks.configure(auth_token="rotated-token-000", public_url=PUBLIC)
    async with aiohttp.ClientSession() as http:
        status, _ = await post(http, local, params, stack.sandbox.sign(public, params))
        assert status == 403  # old token, old public URL: refused
        other = TwilioSandbox(auth_token="rotated-token-000")
        signed_url = PUBLIC + local.removeprefix(stack.server.url)
        status, _ = await post(http, local, params, other.sign(signed_url, params))
        assert status == 200
    assert len(stack.inbox.acks) == 1
