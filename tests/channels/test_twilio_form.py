"""The request bodies we send to Twilio are exactly what the twilio client would send.

Our transport writes the form body itself, and the notifiers hand it the TwiML and the SMS
text already encoded in parts shared by many pages. Each test compares with the reference:
`urllib.parse.quote_plus` / `urlencode` (what aiohttp applies to the client's fields), and,
over real HTTP on 127.0.0.1, the bytes the bare twilio client (`AsyncTwilioHttpClient`)
sends for the same page — same fields, same order, same encoding, the drill marker in it.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, quote_plus, urlencode

import pytest
from aiohttp import web
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from drill.channels.retry import RetryPolicy
from drill.channels.sms import MESSAGE_STATUS_PATH, sms_body
from drill.channels.twilio_account import TwilioNotifiers, build_twilio_notifiers
from drill.channels.twilio_http import FormText, form_body, form_quote
from drill.channels.voice import (
    STATUS_PATH,
    VoiceScript,
    _reference_call_twiml,
    call_twiml_form,
    callback_url,
    page_query,
)
from drill.config import AckSettings, Config, TwilioSettings
from drill.engine.notifier import Page
from drill.plan.models import ChannelKind, Choice, Question, Text

from .conftest_twilio import MOBILE, make_page, make_plan

PUBLIC = "https://drill.city.example/base"
LINK = f"{PUBLIC}/a/AbCdEfGhIjKlMnOp-_"
ACCOUNT = "AC" + "0" * 32
TOKEN = "test-token"
QUESTION = Question(
    text=Text(ja="出社できますか", en="Can you come in?"),
    choices=(
        Choice(key="now", label=Text(ja="出社可能", en="Can come in")),
        Choice(key="cannot", label=Text(ja="不可 & 休み", en="Cannot <today>")),
    ),
)
SETTINGS = TwilioSettings(account_sid=ACCOUNT, from_number="+81950000000")

# the bare client's own warnings about aiohttp's BasicAuth (ours sets the header itself)
pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


def test_form_quote_is_quote_plus_for_every_ascii_character() -> None:
    for code in range(128):
        text = f"a{chr(code)} b{chr(code)}"
        assert form_quote(text) == quote_plus(text)


@pytest.mark.parametrize(
    "text",
    ["", "【訓練】山田 太郎様、障害です。", "emoji 😀 é", "\ue000text\ue001", "a+b %20&=?#/~_.-"],
)
def test_form_quote_is_quote_plus_for_any_text(text: str) -> None:
    assert form_quote(text) == quote_plus(text)


@pytest.mark.parametrize(
    "data",
    [
        {
            "To": MOBILE,
            "From": "+81950000000",
            "StatusCallback": f"{PUBLIC}/twilio/status?drill=d&page=d-p1&lang=ja",
            "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
            "StatusCallbackMethod": "POST",
            "Timeout": 30,
            "Twiml": '<Response><Say language="ja-JP">【訓練】 山田様</Say></Response>',
        },
        {"To": MOBILE, "From": "SampleCity", "Body": "【訓練】集約センター障害。\n" + LINK},
        {"Flag": True, "Ratio": 0.5, "Events": ("a b", 2), "Empty": ""},
    ],
)
def test_form_body_is_the_urlencoding_aiohttp_gives_the_same_fields(
    data: dict[str, object],
) -> None:
    # aiohttp's FormData sends urlencode(fields, doseq=True): a list repeats its key
    assert form_body(data) == urlencode(list(data.items()), doseq=True).encode()


def test_a_form_text_brings_its_own_encoding() -> None:
    assert form_body({"Twiml": FormText("<Response/>", "PRE-ENCODED")}) == b"Twiml=PRE-ENCODED"


@pytest.mark.parametrize("value", [b"raw bytes", io.BytesIO(b"a file"), {"nested": "dict"}])
def test_fields_aiohttp_would_not_urlencode_are_left_to_it(value: object) -> None:
    assert form_body({"To": MOBILE, "Media": value}) is None


def _script(language: str, question: Question | None, text: str) -> VoiceScript:
    page = dataclasses.replace(
        make_page(7, language=language, voice=text, drill_id='drill "1" & <2>'),
        question=question,
    )
    return VoiceScript.for_page(page, SETTINGS)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("question", [None, QUESTION])
@pytest.mark.parametrize("text", ["山田 太郎様、障害です。", "<Say>&\"'\n\ue000query1\ue001"])
def test_the_call_twiml_form_is_the_builders_twiml_encoded(
    language: str, question: Question | None, text: str
) -> None:
    script = _script(language, question, text)
    for url in (PUBLIC, "http://127.0.0.1:8750/"):
        twiml = call_twiml_form(script, url)
        assert str(twiml) == _reference_call_twiml(script, url, 1)
        assert twiml.form == quote_plus(twiml)
        assert ("【訓練】" if language == "ja" else "[DRILL]") in twiml


def test_callback_urls_carry_the_query_urlencode_writes() -> None:
    script = _script("ja", None, "本文")
    query = {"drill": script.drill_id, "page": script.page_id, "lang": "ja"}
    assert page_query(script) == urlencode(query)
    odd = {"drill": "訓練 1/2", "page": "a&b=c+d", "round": 2}
    assert callback_url(f"{PUBLIC}/", STATUS_PATH, **odd) == (
        f"{PUBLIC}{STATUS_PATH}?{urlencode(odd)}"
    )


# --- over HTTP: our notifiers against the bare twilio client --------------------------


@dataclasses.dataclass
class Captured:
    path: str
    content_type: str
    body: bytes

    @property
    def fields(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("ascii"), keep_blank_values=True)


class Capture:
    """A Twilio-shaped API on 127.0.0.1 that keeps the raw bytes of every request."""

    def __init__(self) -> None:
        self.requests: list[Captured] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Captured(request.path, request.content_type, body))
        prefix = "CA" if request.path.endswith("/Calls.json") else "SM"
        sid = f"{prefix}{len(self.requests):032d}"
        return web.json_response({"sid": sid, "status": "queued"}, status=201)

    async def __aenter__(self) -> Capture:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/{kind}", self._create)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@dataclasses.dataclass
class Both:
    capture: Capture
    ours: TwilioNotifiers
    bare: Client
    settings: TwilioSettings


@pytest.fixture
async def both() -> AsyncIterator[Both]:
    async with Capture() as capture:
        settings = TwilioSettings(
            account_sid=ACCOUNT, from_number="+81950000000", api_base_url=capture.url
        )
        ours = build_twilio_notifiers(
            Config(ack=AckSettings(public_url=PUBLIC), twilio=settings),
            make_plan(),
            auth_token=TOKEN,
            links=lambda page: LINK,
            retry=RetryPolicy(attempts=1),
        )
        http = AsyncTwilioHttpClient()
        bare = Client(ACCOUNT, TOKEN, http_client=http)
        bare.api.base_url = capture.url
        try:
            yield Both(capture, ours, bare, settings)
        finally:
            await http.close()
            for notifier in ours.all:
                await notifier.close()


async def _bare_call(both: Both, page: Page) -> None:
    """What the twilio client sends for the call, its fields made with urllib and twilio's
    own TwiML builders."""
    script = VoiceScript.for_page(page, both.settings)
    query = urlencode({"drill": page.drill_id, "page": page.page_id, "lang": script.language})
    await both.bare.calls.create_async(
        to=page.address,
        from_=both.settings.from_number,
        status_callback=f"{PUBLIC}{STATUS_PATH}?{query}",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        status_callback_method="POST",
        timeout=30,
        twiml=_reference_call_twiml(script, PUBLIC, 1),
    )


async def _bare_message(both: Both, page: Page) -> None:
    query = urlencode({"drill": page.drill_id, "page": page.page_id})
    await both.bare.messages.create_async(
        to=page.address,
        from_=both.settings.from_number,
        body=sms_body(page, LINK),
        status_callback=f"{PUBLIC}{MESSAGE_STATUS_PATH}?{query}",
    )


def _pages(channel: ChannelKind) -> list[Page]:
    return [
        make_page(1, channel=channel),
        make_page(2, channel=channel, language="en", voice="Server room fire.", sms="Fire."),
        dataclasses.replace(make_page(3, channel=channel), question=QUESTION),
        make_page(4, channel=channel, name="佐藤 花子", voice="佐藤様、停電です。", sms="停電"),
    ]


@pytest.mark.parametrize("index", range(4))
async def test_a_voice_page_sends_the_bytes_the_twilio_client_sends(both: Both, index: int) -> None:
    page = _pages(ChannelKind.VOICE)[index]
    assert both.ours.voice is not None
    assert (await both.ours.voice.send(page)).accepted
    await _bare_call(both, page)
    ours, bare = both.capture.requests
    assert ours.path == bare.path and ours.path.endswith("/Calls.json")
    assert ours.content_type == bare.content_type == "application/x-www-form-urlencoded"
    assert ours.body == bare.body
    twiml = ours.fields["Twiml"][0]
    assert ("[DRILL]" if page.language == "en" else "【訓練】") in twiml
    assert page.message.voice in twiml  # the Japanese text, not mangled


@pytest.mark.parametrize("index", range(4))
async def test_an_sms_page_sends_the_bytes_the_twilio_client_sends(both: Both, index: int) -> None:
    page = _pages(ChannelKind.SMS)[index]
    assert both.ours.sms is not None
    assert (await both.ours.sms.send(page)).accepted
    await _bare_message(both, page)
    ours, bare = both.capture.requests
    assert ours.path == bare.path and ours.path.endswith("/Messages.json")
    assert ours.content_type == bare.content_type == "application/x-www-form-urlencoded"
    assert ours.body == bare.body
    text = ours.fields["Body"][0]
    assert text.startswith("[DRILL] " if page.language == "en" else "【訓練】")
    assert text.endswith(f"\n{LINK}")


async def test_one_message_to_many_people_keeps_each_page_its_own_ids(both: Both) -> None:
    """The encoded message is shared; each call still names its own page."""
    pages = [make_page(n) for n in range(1, 6)]
    assert both.ours.voice is not None
    for page in pages:
        await both.ours.voice.send(page)
    for page in pages:
        await _bare_call(both, page)
    ours, bare = both.capture.requests[:5], both.capture.requests[5:]
    assert [r.body for r in ours] == [r.body for r in bare]
    for page, request in zip(pages, ours, strict=True):
        assert f"page={page.page_id}&" in request.fields["Twiml"][0]
