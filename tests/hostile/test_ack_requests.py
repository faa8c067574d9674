"""Hostile requests to the ack server: each gets a 4xx and a short page, and the journal
of the running drill is left exactly as it was (issue 13).

Every case goes over real HTTP to the server on 127.0.0.1, most as raw bytes so that no
client library tidies the attack up first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from drill.engine.inputs import KEPT_REPEATS
from drill.engine.state import DrillState
from drill.plan.models import ChannelKind

from .ack_fixtures import DRILL, LiveDrill, live_drill, raw_request

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def drill(tmp_path: Path) -> AsyncIterator[LiveDrill]:
    async for live in live_drill(tmp_path):
        yield live


def request(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n{lines}\r\n"
    ).encode("latin-1") + body


def short_page(answer: bytes) -> str:
    """The page's text; it must be short, and say in both languages that nothing was kept."""
    body = answer.split(b"\r\n\r\n", 1)[1]
    assert len(body) < 4096
    text = body.decode("utf-8")
    assert "Traceback" not in text
    return text


CASES = {
    "a form body that is not UTF-8": (
        "POST",
        "{link}",
        {"Content-Type": FORM},
        b"confirm=\xff\xfeyes",
        400,
    ),
    "a bogus charset": (
        "POST",
        "{link}",
        {"Content-Type": f"{FORM}; charset=bogus-8"},
        b"confirm=yes",
        400,
    ),
    "malformed multipart": (
        "POST",
        "{link}",
        {"Content-Type": "multipart/form-data; boundary=xx"},
        b"--xx\r\ngarbage without headers",
        400,
    ),
    "multipart without a boundary": (
        "POST",
        "{link}",
        {"Content-Type": "multipart/form-data"},
        b"--xx\r\nContent-Disposition: form-data; name=confirm\r\n\r\nyes\r\n--xx--\r\n",
        400,
    ),
    "a Twilio keypress whose body is not UTF-8": (
        "POST",
        f"/twilio/gather?drill={DRILL}&page={DRILL}-p1",
        {"Content-Type": FORM, "X-Twilio-Signature": "c2lnbmF0dXJl"},
        b"CallSid=CA1&Digits=\xff1",
        400,
    ),
    "a Twilio status with a bogus charset": (
        "POST",
        f"/twilio/status?drill={DRILL}&page={DRILL}-p1",
        {"Content-Type": f"{FORM}; charset=no-such", "X-Twilio-Signature": "c2ln"},
        b"CallSid=CA1&CallStatus=completed",
        400,
    ),
    "CONNECT": ("CONNECT", "127.0.0.1:443", {}, b"", 405),
    "CONNECT to a link": ("CONNECT", "{link}", {}, b"", 405),
    "PROPFIND": ("PROPFIND", "{link}", {}, b"", 405),
    "TRACE": ("TRACE", "/healthz", {}, b"", 405),
    "DELETE on a link": ("DELETE", "{link}", {}, b"", 405),
    "a made-up method (refused by the HTTP parser itself)": ("BREW", "{link}", {}, b"", 400),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_malformed_request_gets_a_4xx_and_leaves_the_journal_unchanged(
    drill: LiveDrill, case: str
) -> None:
    method, path, headers, body, expected = CASES[case]
    path = path.format(link=f"/a/{drill.token()}")
    before = await drill.rows()
    status, answer = await raw_request(drill.server.port, request(method, path, headers, body))
    assert status == expected, answer[:300]
    text = short_page(answer)
    if expected == 405:
        assert b"\r\nAllow: GET, HEAD, POST\r\n" in answer
        assert "受け付けていません" in text and "not allowed" in text.lower()
    assert await drill.rows() == before
    assert await drill.acknowledgements() == 0


async def test_a_bad_form_body_is_refused_in_japanese_and_english(drill: LiveDrill) -> None:
    path = f"/a/{drill.token()}"
    _, answer = await raw_request(
        drill.server.port, request("POST", path, {"Content-Type": FORM}, b"confirm=\xc3")
    )
    text = short_page(answer)
    assert "何も記録していません。" in text and "Nothing was recorded" in text


@pytest.mark.parametrize("channel", [ChannelKind.VOICE])
async def test_a_token_is_accepted_only_on_its_own_channels_path(
    drill: LiveDrill, channel: ChannelKind
) -> None:
    """A voice page's token POSTed to the e-mail/SMS link path: 400, no acknowledgement."""
    before = await drill.rows()
    url = drill.url(f"/a/{drill.token(channel)}")
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data={"confirm": "yes"}) as response:
            assert response.status == 400
            assert "無効なリンク" in await response.text()
        async with http.get(url) as response:  # not even "opened"
            assert response.status == 400
    assert await drill.rows() == before
    assert await drill.acknowledgements() == 0
    # The page's own token still acknowledges: the refusal was about the channel.
    good = drill.url(f"/a/{drill.token()}")
    async with aiohttp.ClientSession() as http, http.post(good, data={"confirm": "yes"}) as r:
        assert r.status == 200
    assert await drill.acknowledgements() == 1
    acks = [r for r in await drill.rows() if r.type == "Acknowledged"]
    assert [(r.payload["source"], r.payload["channel"]) for r in acks] == [("email", "email")]


async def test_a_replay_storm_is_counted_not_stored_row_by_row(drill: LiveDrill) -> None:
    """1,000 concurrent POSTs of one token: one acknowledgement, a handful of rows, and
    every repeat counted in the fold."""
    storm = 1000
    url = drill.url(f"/a/{drill.token()}")
    before = len(await drill.rows())
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def post() -> int:
            async with http.post(url, data={"confirm": "yes"}) as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(post() for _ in range(storm)))
    assert sorted(statuses) == [200] + [409] * (storm - 1)
    assert await drill.acknowledgements() == 1
    added = (await drill.rows())[before:]
    acks = [r for r in added if r.type == "Acknowledged"]
    assert sum(1 for r in acks if not r.duplicate) == 1
    assert len(added) <= 12, [r.type for r in added]  # bounded, whatever the storm's size
    await drill.runner.finish(by="test")
    # The fold of the journal (what the report reads): one acknowledgement, every repeat.
    folded = DrillState.from_events(await drill.store.read(DRILL))
    assert sum(1 for c in folded.contacts.values() if c.ack is not None) == 1
    assert folded.duplicates == storm - 1
    counted = [r for r in await drill.rows() if r.type == "DuplicatesCounted"]
    assert 1 <= len(counted) <= 2  # the first checkpoint, then the rest when it ended
    assert sum(r.payload["count"] for r in counted) == storm - 1 - KEPT_REPEATS
