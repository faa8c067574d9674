"""Voice pages through Twilio: a call that speaks the message and asks for a keypress.

The call's TwiML (built with twilio's own builders, so names and message text are
escaped) speaks the drill marker and the message in the person's language, asks them to
press 1 (了解), repeats once, and ends politely. Pressing 1 posts to the ack server's
`/twilio/gather`, which records the acknowledgement; the call's progress posts to
`/twilio/status`. A call that ends without the key — voicemail, a hang-up — is not an
acknowledgement: the status hook reports it as NOT_ACKNOWLEDGED.

When the scenario asks a question (出社可否, 安否), the prompt reads the choices instead
("1を押すと出社可能、2を押すと30分以内、…") and the keys 1… each record their choice;
any other key repeats the message, as a wrong key does for a plain 了解.

The TwiML goes inline with the call when it fits Twilio's 4,000-character limit, else
the call fetches it from `/twilio/voice`. Both the hook and the gather repeat need the
message again, so the notifier leaves each call's script in a `CallScripts` book shared
with the hooks (same process; after a restart the hooks fall back to the bare prompt).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import logging
import re
from collections.abc import Callable
from xml.sax.saxutils import escape as xml_escape

from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from drill.channels.marker import mark_voice
from drill.channels.ratelimit import RateLimiter
from drill.channels.retry import RetryPolicy, call_with_retries
from drill.channels.twilio_http import FormText, PageLabel, form_quote, is_loopback_url
from drill.config import TwilioSettings
from drill.engine.notifier import FailureReason, Inbox, Page, SendResult
from drill.errors import ChannelError
from drill.plan.models import ChannelKind, Question

__all__ = [
    "GATHER_PATH",
    "INLINE_TWIML_LIMIT",
    "SCRIPTS",
    "STATUS_PATH",
    "VOICE_PATH",
    "CallScripts",
    "VoiceNotifier",
    "VoiceScript",
    "call_twiml",
    "call_twiml_form",
    "callback_url",
    "ending_twiml",
    "gather_reply_twiml",
    "page_query",
    "refuse_sample_plan",
]

log = logging.getLogger(__name__)

VOICE_PATH = "/twilio/voice"
GATHER_PATH = "/twilio/gather"
STATUS_PATH = "/twilio/status"
INLINE_TWIML_LIMIT = 4000
"""Twilio refuses inline TwiML longer than this; longer calls fetch it from the server."""
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
ACK_DIGIT = "1"
GATHER_SECONDS = 8
RING_SECONDS = 30

_WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "prompt": "この連絡を受けたことを確認するには、1を押してください。",
        "repeat": "もう一度繰り返します。",
        "thanks": "了解を受け付けました。ご対応よろしくお願いいたします。失礼いたします。",
        "no_key": "確認の操作がありませんでした。後ほど改めてご連絡する場合があります。失礼いたします。",
        "finished": "この連絡はすでに終了しています。ご協力ありがとうございました。失礼いたします。",
        "unknown": "この連絡を確認できませんでした。失礼いたします。",
    },
    "en": {
        "prompt": "To confirm that you received this message, press 1.",
        "repeat": "Here is the message again.",
        "thanks": "Your confirmation has been recorded. Thank you. Goodbye.",
        "no_key": "No key was pressed. You may be contacted again. Goodbye.",
        "finished": "This drill has already ended. Thank you. Goodbye.",
        "unknown": "This message could not be found. Goodbye.",
    },
}


def _lang(language: str) -> str:
    return "en" if language == "en" else "ja"


@dataclasses.dataclass(frozen=True, slots=True)
class VoiceScript:
    """What one call says, and where its keypress and status go."""

    drill_id: str
    page_id: str
    language: str
    """"ja" or "en": the page's language."""
    text: str
    """The spoken message, marker included."""
    tts_language: str
    """Twilio's language code (ja-JP, en-US)."""
    tts_voice: str
    """Twilio's voice (Polly.Mizuki, Polly.Joanna)."""
    question: str = ""
    """The scenario's question in the page's language ("" for a plain 了解)."""
    choices: tuple[tuple[str, str], ...] = ()
    """Its choices in key order, (key, label in the page's language): key 1 is the first."""

    @classmethod
    def for_page(cls, page: Page, settings: TwilioSettings) -> VoiceScript:
        language = _lang(page.language)
        if language == "en":
            tts_language, tts_voice = "en-US", "Polly.Joanna"
        else:
            tts_language, tts_voice = settings.voice_language, settings.voice
        question = page.question
        return cls(
            page.drill_id,
            page.page_id,
            language,
            mark_voice(page),
            tts_language,
            tts_voice,
            question.text.get(language) if question is not None else "",
            tuple((c.key, c.label.get(language)) for c in question.choices) if question else (),
        )

    def with_question(self, question: Question | None) -> VoiceScript:
        """This script asking `question` (a bare script after a restart, from the inbox)."""
        if question is None or self.choices:
            return self
        return dataclasses.replace(
            self,
            question=question.text.get(self.language),
            choices=tuple((c.key, c.label.get(self.language)) for c in question.choices),
        )

    def choice_for(self, digits: str) -> str | None:
        """The key of the choice a keypress stands for (None: not one of them)."""
        if len(digits) != 1 or not digits.isdigit() or digits == "0":
            return None
        index = int(digits) - 1
        return self.choices[index][0] if index < len(self.choices) else None

    @property
    def prompt(self) -> str:
        """What the call asks for: 1 for 了解, or one key per choice."""
        words = _WORDS[self.language]
        if not self.choices:
            return words["prompt"]
        if self.language == "en":
            keys = ", ".join(
                f"press {n} for {label}" for n, (_, label) in enumerate(self.choices, 1)
            )
            asked = self.question.strip()
            asked = asked if not asked or asked[-1] in ".?!" else asked + "."
            return f"{asked} To answer, {keys}.".strip()
        keys = "、".join(f"{n}を押すと{label}" for n, (_, label) in enumerate(self.choices, 1))
        asked = self.question.strip()
        asked = asked if not asked or asked[-1] in "。？?！!" else asked + "。"
        return f"{asked}{keys}として受け付けます。"

    @classmethod
    def bare(cls, drill_id: str, page_id: str, language: str) -> VoiceScript:
        """A script without the message, for a call whose script was lost (restart)."""
        defaults = TwilioSettings()
        if _lang(language) == "en":
            return cls(drill_id, page_id, "en", "", "en-US", "Polly.Joanna")
        return cls(drill_id, page_id, "ja", "", defaults.voice_language, defaults.voice)


class CallScripts:
    """Scripts of recent calls by page id (bounded: the oldest are forgotten first)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._scripts: collections.OrderedDict[str, VoiceScript] = collections.OrderedDict()

    def add(self, script: VoiceScript) -> None:
        self._scripts[script.page_id] = script
        self._scripts.move_to_end(script.page_id)
        while len(self._scripts) > self._limit:
            self._scripts.popitem(last=False)

    def get(self, page_id: str) -> VoiceScript | None:
        return self._scripts.get(page_id)

    def __len__(self) -> int:
        return len(self._scripts)


SCRIPTS = CallScripts()
"""The process-wide book the notifier and the hooks share unless given another."""


def callback_url(public_url: str, path: str, **query: str | int) -> str:
    """`<public_url><path>?<query>`: exactly the URL Twilio signs and the hooks check.

    The query is what `urllib.parse.urlencode(query)` writes, quoted faster (`form_quote`)."""
    encoded = "&".join(
        f"{form_quote(key)}={form_quote(str(value))}" for key, value in query.items()
    )
    return f"{public_url.rstrip('/')}{path}?{encoded}"


def _query(script: VoiceScript, **extra: str | int) -> dict[str, str | int]:
    return {"drill": script.drill_id, "page": script.page_id, "lang": script.language, **extra}


def page_query(script: VoiceScript) -> str:
    """`urlencode(_query(script))`: the query of the call's status, Gather and TwiML URLs."""
    return (
        f"drill={form_quote(script.drill_id)}&page={form_quote(script.page_id)}"
        f"&lang={form_quote(script.language)}"
    )


def _say(target: VoiceResponse, script: VoiceScript, text: str) -> None:
    target.say(text, language=script.tts_language, voice=script.tts_voice)


def _build_call_twiml(
    script: VoiceScript,
    first_round: int,
    action: Callable[[int], str],
    prompt: str | None = None,
) -> str:
    """The call's TwiML, built with twilio's builders; `action(round)` is the Gather URL;
    `prompt` stands in for the script's own (a slot of the cached template)."""
    response = VoiceResponse()
    words = _WORDS[script.language]
    for round_ in range(first_round, 3):
        gather = response.gather(
            num_digits=1,
            input="dtmf",
            action=action(round_),
            method="POST",
            timeout=GATHER_SECONDS,
            language=script.tts_language,
            action_on_empty_result=False,
        )
        if round_ > 1:
            _say(gather, script, words["repeat"])
        if script.text:
            _say(gather, script, script.text)
        _say(gather, script, script.prompt if prompt is None else prompt)
    _say(response, script, words["no_key"])
    response.hangup()
    return str(response.to_xml())


def _reference_call_twiml(script: VoiceScript, public_url: str, first_round: int) -> str:
    """`call_twiml` without the template cache (what the cache must reproduce exactly)."""
    return _build_call_twiml(
        script,
        first_round,
        lambda round_: callback_url(public_url, GATHER_PATH, **_query(script, round=round_)),
    )


# Building TwiML with the builders costs about a millisecond a call, as much as the HTTP
# request itself. The document's shape depends only on language, voice and public URL, so
# it is built once with placeholders and the page's text and URLs are escaped into it.
_SLOT = re.compile("\ue000(\\w+)\ue001")  # private-use characters: never in our words
_ATTRIBUTE = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}


@functools.lru_cache(maxsize=256)
def _call_template(
    language: str,
    tts_language: str,
    tts_voice: str,
    public_url: str,
    first_round: int,
    has_text: bool,
) -> tuple[str, ...]:
    """The call's TwiML split around its slots: text, slot name, text, slot name, …"""
    shape = VoiceScript(
        drill_id="",
        page_id="",
        language=language,
        text="\ue000text\ue001" if has_text else "",
        tts_language=tts_language,
        tts_voice=tts_voice,
    )
    xml = _build_call_twiml(
        shape,
        first_round,
        lambda round_: f"{public_url}{GATHER_PATH}?\ue000query{round_}\ue001",
        "\ue000prompt\ue001",
    )
    return tuple(_SLOT.split(xml))


@functools.lru_cache(maxsize=256)
def _call_message(
    language: str,
    tts_language: str,
    tts_voice: str,
    public_url: str,
    first_round: int,
    text: str,
    prompt: str,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The call's TwiML for one message and prompt, split around the Gather queries (text,
    slot name, text, …), and the same with the text form-encoded: a fan-out sends one
    message to many people, so the long Japanese text is escaped and encoded once."""
    parts = _call_template(language, tts_language, tts_voice, public_url, first_round, bool(text))
    values = {"text": xml_escape(text), "prompt": xml_escape(prompt)}
    pieces = [parts[0]]
    for index in range(1, len(parts), 2):  # re.split puts the slot names at odd positions
        name, after = parts[index], parts[index + 1]
        if name in values:
            pieces[-1] += values[name] + after
        else:
            pieces += [name, after]
    forms = tuple(piece if index % 2 else form_quote(piece) for index, piece in enumerate(pieces))
    return tuple(pieces), forms


def _call_document(
    script: VoiceScript, public_url: str, first_round: int, query: str | None
) -> tuple[list[str], tuple[str, ...], dict[str, str]]:
    pieces, forms = _call_message(
        script.language,
        script.tts_language,
        script.tts_voice,
        public_url.rstrip("/"),
        first_round,
        script.text,
        script.prompt,
    )
    # `urlencode(_query(script, round=n))` is the page's query with `&round=n` after it
    # (the keys keep their order): escaped once for both rounds.
    escaped = xml_escape(page_query(script) if query is None else query, _ATTRIBUTE)
    values = {f"query{n}": f"{escaped}&amp;round={n}" for n in range(first_round, 3)}
    return [values[p] if i % 2 else p for i, p in enumerate(pieces)], forms, values


def call_twiml(
    script: VoiceScript, public_url: str, *, first_round: int = 1, query: str | None = None
) -> str:
    """The call: message and prompt, repeated once, then a polite goodbye.

    `query`: `page_query(script)` when the caller has it already."""
    return "".join(_call_document(script, public_url, first_round, query)[0])


def call_twiml_form(script: VoiceScript, public_url: str, *, query: str | None = None) -> FormText:
    """`call_twiml(script, public_url)` with its form encoding for the request body."""
    document, forms, values = _call_document(script, public_url, 1, query)
    form = "".join(form_quote(values[p]) if i % 2 else p for i, p in enumerate(forms))
    return FormText("".join(document), form)


def ending_twiml(script: VoiceScript, what: str) -> str:
    """Say one closing sentence ("thanks", "finished", "no_key", "unknown") and hang up."""
    response = VoiceResponse()
    _say(response, script, _WORDS[script.language][what])
    response.hangup()
    return str(response.to_xml())


def gather_reply_twiml(script: VoiceScript, public_url: str, round_: int) -> str:
    """After a wrong key: the message once more (only after the first round), or goodbye."""
    if round_ < 2:
        return call_twiml(script, public_url, first_round=2)
    return ending_twiml(script, "no_key")


def refuse_sample_plan(settings: TwilioSettings, *, sample_plan: bool, what: str) -> bool:
    """True for the sandbox; ChannelError for a sample plan with a real provider."""
    sandbox = is_loopback_url(settings.api_base_url)
    if sample_plan and not sandbox:
        raise ChannelError(
            f"The plan is a sample plan (info.sample: true): {what} through a real Twilio "
            "account is refused. Use the local sandbox (drillkit demo), or make a plan of "
            "your own without `sample: true`.",
            title="Sample plan: real provider refused",
        )
    return sandbox


class VoiceNotifier:
    """Voice pages as Twilio calls with a keypress acknowledgement."""

    kinds: frozenset[ChannelKind] = frozenset({ChannelKind.VOICE})

    def __init__(
        self,
        client: Client,
        settings: TwilioSettings,
        *,
        public_url: str,
        sample_plan: bool,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        scripts: CallScripts | None = None,
        ring_seconds: int = RING_SECONDS,
    ) -> None:
        self.sandbox = refuse_sample_plan(settings, sample_plan=sample_plan, what="calling")
        self.local = self.sandbox
        """A loopback Twilio API is the local sandbox: nobody real is called (`LocalNotifier`)."""
        if not settings.from_number:
            raise ChannelError(
                "Voice pages need a caller id: set [twilio] from_number in the config file."
            )
        self.client = client
        self.settings = settings
        self.public_url = public_url.rstrip("/")
        self.limiter = limiter or RateLimiter(settings.calls_per_second, name="twilio calls")
        self.retry = retry or RetryPolicy()
        self.scripts = scripts if scripts is not None else SCRIPTS
        self.ring_seconds = ring_seconds
        self.inbox: Inbox | None = None

    async def start(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def send(self, page: Page) -> SendResult:
        if page.channel is not ChannelKind.VOICE:
            return SendResult.failed(FailureReason.CONFIG, f"not a voice page ({page.channel})")
        script = VoiceScript.for_page(page, self.settings)
        self.scripts.add(script)
        query = page_query(script)  # as `callback_url` writes it, once for all three
        twiml = call_twiml_form(script, self.public_url, query=query)
        how: dict[str, str] = (
            {"twiml": twiml}
            if len(twiml) <= INLINE_TWIML_LIMIT
            else {"url": f"{self.public_url}{VOICE_PATH}?{query}"}
        )
        status_url = f"{self.public_url}{STATUS_PATH}?{query}"
        label = PageLabel("voice", page.page_id, page.address)
        attempted = await call_with_retries(
            lambda: self.client.calls.create_async(
                to=page.address,
                from_=self.settings.from_number,
                status_callback=status_url,
                status_callback_event=list(STATUS_EVENTS),
                status_callback_method="POST",
                timeout=self.ring_seconds,
                **how,
            ),
            limiter=self.limiter,
            policy=self.retry,
            label=label,
        )
        if attempted.failure is not None:
            failure = attempted.failure
            log.warning("%s failed: %s (%s)", label, failure.reason.value, failure.detail)
            return SendResult.failed(failure.reason, failure.detail)
        sid = getattr(attempted.value, "sid", None)
        log.info("%s: call %s accepted after %d tries", label, sid, attempted.tries)
        return SendResult.ok(sid)

    async def recover(self, page: Page) -> SendResult | None:
        """After a restart: put the call's script back for the hooks; the send is unknown."""
        if page.channel is ChannelKind.VOICE:
            self.scripts.add(VoiceScript.for_page(page, self.settings))
        return None

    async def close(self) -> None:
        await self.client.http_client.close()
