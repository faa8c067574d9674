"""A Twilio-compatible API on 127.0.0.1 whose simulated people answer calls and open links.

The **real twilio client** talks to it (`client.api.base_url = sandbox.base_url`): it
serves the endpoints the channels use — create and fetch Calls and Messages under
`/2010-04-01/Accounts/<sid>/` — with replies shaped like Twilio's (sids, statuses,
RFC 2822 dates, Twilio error bodies), checks HTTP Basic credentials, and records every
request, call and message it received, so tests assert on what actually left.

After accepting a call it "rings" the simulated person and calls the ack server back
exactly as Twilio would: status callbacks in order (initiated, ringing, in-progress,
then completed / busy / no-answer / failed), each signed with `X-Twilio-Signature` over
the callback URL and parameters; it runs the call's TwiML (inline, or fetched from its
URL) and posts the Gather action with the key the person pressed — sometimes twice,
sometimes late (after the call has ended), with seeded probabilities. For an SMS, the
person opens the link in the message (GET), then confirms with the page's form (POST)
after their response time, or never.

Fault injection: `fail_next(Fault.rate_limited(), count=2)` makes the next create
requests fail with 429, 500, a Twilio error code, or hang (before or after the resource
was created). Callbacks go only to loopback addresses: a public URL is mapped to the
local ack server with `route(public_url, local_url)`, as a reverse proxy would, while
signatures still cover the public URL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email.utils
import logging
import random
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from drill.channels.sms import segments
from drill.channels.twilio_http import is_loopback_url
from drill.config import TwilioSettings
from drill.plan.contact import is_mobile, mask_number
from drill.plan.models import ChannelKind

if TYPE_CHECKING:
    from drill.engine.simulation import ResponseModel

__all__ = [
    "ApiRequest",
    "Behaviour",
    "Callback",
    "Fault",
    "Paged",
    "People",
    "Reaction",
    "SandboxCall",
    "SandboxMessage",
    "TwilioSandbox",
    "everyone_acknowledges",
    "from_response_model",
]

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
SANDBOX_FROM = "+81950000000"
"""A caller id for the sandbox (an unassignable number: see `drill.plan.contact`)."""
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_LINK = re.compile(r"https?://[^\s　]+")


class Reaction(StrEnum):
    """What a simulated person does with a call or an SMS."""

    ACKNOWLEDGE = "acknowledge"
    """Voice: answers and presses 1. SMS: opens the link, then confirms."""
    WRONG_KEY = "wrong_key"
    """Voice: answers, presses 9, then 1 when the message is repeated."""
    VOICEMAIL = "voicemail"
    """Voice: an answering machine takes the call; no key. SMS: same as OPEN_ONLY."""
    OPEN_ONLY = "open_only"
    """SMS: opens the link but never confirms. Voice: answers, listens, hangs up."""
    IGNORE = "ignore"
    """Voice: lets it ring (no-answer). SMS: delivered, never read."""
    BUSY = "busy"
    """Voice: the line is busy. SMS: delivered, never read."""
    UNREACHABLE = "unreachable"
    """Voice: the call fails. SMS: undelivered (30003, handset off)."""
    INVALID = "invalid"
    """The number does not exist: the create request fails with 21211."""


@dataclasses.dataclass(frozen=True, slots=True)
class Behaviour:
    """One person's reaction to one page, with its timing (sandbox seconds)."""

    reaction: Reaction = Reaction.ACKNOWLEDGE
    ring_seconds: float = 0.02
    """Voice: ringing before the answer (or before no-answer)."""
    respond_seconds: float = 0.02
    """Voice: from the answer to the key. SMS: from delivery to opening the link."""
    confirm_seconds: float = 0.02
    """SMS: from opening the link to pressing the confirm button."""
    answer: Callable[[int], int] | None = dataclasses.field(default=None, compare=False)
    """When the page asks a question: given how many choices it offers, the number
    (1…) the person presses or whose button they press; None: the first."""


@dataclasses.dataclass(frozen=True, slots=True)
class Paged:
    """What the sandbox knows of a page it delivers (ids come from the callback URL)."""

    channel: str
    """"voice" or "sms"."""
    address: str
    drill_id: str | None
    page_id: str | None


People = Callable[[Paged, random.Random], Behaviour]
"""How the person paged reacts this time (the generator is the sandbox's seeded one)."""


def everyone_acknowledges(seconds: float = 0.02) -> People:
    """Everyone answers and confirms after `seconds`."""

    def people(paged: Paged, rng: random.Random) -> Behaviour:
        return Behaviour(Reaction.ACKNOWLEDGE, seconds, seconds, seconds)

    return people


def from_response_model(
    model: ResponseModel, *, directory: Mapping[str, str] | None = None
) -> People:
    """People who behave as the engine's `ResponseModel` says (the same draw per page).

    `directory` maps a number to a person id, so per-person overrides apply; the outcome's
    seconds are sandbox seconds (scale them with `TwilioSandbox(time_scale=…)`).
    """

    from drill.engine.simulation import OutcomeKind, simulated_answer

    voice_reactions = {
        OutcomeKind.ANSWER: Reaction.ACKNOWLEDGE,
        OutcomeKind.NO_ANSWER: Reaction.IGNORE,
        OutcomeKind.BUSY: Reaction.BUSY,
        OutcomeKind.WRONG_NUMBER: Reaction.OPEN_ONLY,  # someone else answers; no key
        OutcomeKind.INVALID_NUMBER: Reaction.INVALID,
        OutcomeKind.IGNORE: Reaction.OPEN_ONLY,  # picks up, never presses the key
    }
    sms_reactions = {
        OutcomeKind.ANSWER: Reaction.ACKNOWLEDGE,
        OutcomeKind.INVALID_NUMBER: Reaction.UNREACHABLE,
    }

    def people(paged: Paged, rng: random.Random) -> Behaviour:
        channel = ChannelKind.VOICE if paged.channel == "voice" else ChannelKind.SMS
        person = (directory or {}).get(paged.address)
        key = paged.page_id or f"{paged.channel}:{paged.address}"
        if paged.drill_id and paged.page_id:
            key = paged.page_id.removeprefix(f"{paged.drill_id}-")
        outcome = model.outcome_for(channel, key, person_id=person)
        after = outcome.after_seconds
        who = person or paged.address

        def answer(count: int) -> int:  # as the simulated channel's person answers
            return 1 + simulated_answer(model.seed, who, count)

        if channel is ChannelKind.VOICE:
            reaction = voice_reactions[outcome.kind]
            ring = min(after, 15.0) if reaction is not Reaction.IGNORE else after
            return Behaviour(reaction, ring, max(0.0, after - ring), 0.0, answer)
        reaction = sms_reactions.get(outcome.kind, Reaction.IGNORE)
        return Behaviour(reaction, 0.0, after * 0.75, after * 0.25, answer)

    return people


@dataclasses.dataclass(frozen=True, slots=True)
class Fault:
    """What the next create request(s) suffer."""

    status: int = 500
    code: int | None = None
    message: str = "Internal Server Error"
    hang_seconds: float | None = None
    """Hang this long before answering (until the sandbox closes when it is very long)."""
    accept: bool = False
    """Create the call / message first (the person is paged), then fail or hang."""

    @classmethod
    def rate_limited(cls) -> Fault:
        return cls(429, 20429, "Too Many Requests")

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls(
            status, None, "Internal Server Error" if status == 500 else "Service Unavailable"
        )

    @classmethod
    def twilio_error(cls, code: int, status: int = 400, message: str | None = None) -> Fault:
        return cls(status, code, message or _ERROR_MESSAGES.get(code, f"Error {code}"))

    @classmethod
    def hang(cls, seconds: float = 3600.0, *, accept: bool = False) -> Fault:
        return cls(504, None, "Gateway Timeout", hang_seconds=seconds, accept=accept)


_ERROR_MESSAGES = {
    21211: "The 'To' number {to} is not a valid phone number.",
    21214: "'To' phone number cannot be reached",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: {from_} via SMS.",
    21614: "'To' number {to} is not a valid mobile number",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}.",
}


@dataclasses.dataclass(slots=True)
class ApiRequest:
    """One request the API received (failed ones too)."""

    method: str
    path: str
    form: dict[str, list[str]]
    status: int = 0
    fault: Fault | None = None


@dataclasses.dataclass(slots=True)
class Callback:
    """One request the sandbox made to the ack server (or refused to make)."""

    kind: str
    """status, voice, gather, message-status, link-open, link-confirm."""
    url: str
    """The URL as Twilio would call it (and sign it): the public URL."""
    params: dict[str, str]
    status: int | None = None
    body: str = ""
    seconds: float = 0.0
    error: str | None = None


@dataclasses.dataclass(slots=True)
class SandboxCall:
    """A call the sandbox accepted, and everything that happened to it."""

    sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    status_callback: str | None
    status_events: tuple[str, ...]
    date_created: dt.datetime
    status: str = "queued"
    statuses: list[str] = dataclasses.field(default_factory=list)
    digits: list[str] = dataclasses.field(default_factory=list)
    twiml_seen: list[str] = dataclasses.field(default_factory=list)
    """Every TwiML document the call executed (the first, then gather replies)."""
    behaviour: Behaviour | None = None
    duration: int = 0

    def spoken(self) -> str:
        """All the text the call said, in order."""
        texts: list[str] = []
        for document in self.twiml_seen:
            try:
                root = ET.fromstring(document)
            except ET.ParseError:
                continue
            texts.extend(el.text or "" for el in root.iter("Say"))
        return "\n".join(texts)


@dataclasses.dataclass(slots=True)
class SandboxMessage:
    """An SMS the sandbox accepted."""

    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    date_created: dt.datetime
    status: str = "queued"
    statuses: list[str] = dataclasses.field(default_factory=list)
    behaviour: Behaviour | None = None
    opened: bool = False
    confirmed_status: int | None = None

    @property
    def link(self) -> str | None:
        match = _LINK.search(self.body)
        return match.group(0) if match else None


def _rfc2822(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.UTC))


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


ANSWER = "answer"
"""In a list of keys: the key of the person's answer (1 without a question)."""
_SPOKEN_KEY = re.compile(r"([1-9])を押すと|press ([1-9]) for")


def spoken_choices(gather: ET.Element) -> int:
    """How many choices a Gather reads out ("1を押すと…", "press 1 for …"); 0 for none."""
    text = " ".join(say.text or "" for say in gather.iter("Say"))
    return max((int(a or b) for a, b in _SPOKEN_KEY.findall(text)), default=0)


def pick(behaviour: Behaviour, offered: int) -> int:
    """The number (1…) of the answer a person picks among `offered`."""
    chosen = behaviour.answer(offered) if behaviour.answer is not None else 1
    return min(max(1, chosen), offered)


class _FormFinder(HTMLParser):
    """The first form of an HTML page: its action, method and fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []
        """Named submit buttons (name, value): one per answer of a question."""
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and not self._in_form:
            self._in_form = True
            self.action = values.get("action", "")
            self.method = values.get("method", "get").lower()
        elif self._in_form and tag == "button" and values.get("name"):
            self.buttons.append((values["name"], values.get("value", "")))
        elif self._in_form and tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


class TwilioSandbox:
    """The Twilio API on 127.0.0.1, with simulated people behind it."""

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        people: People | None = None,
        seed: int = 0,
        duplicate_probability: float = 0.0,
        late_probability: float = 0.0,
        late_seconds: float = 0.2,
        time_scale: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        callback_timeout: float = 15.0,
        simulate: bool = True,
    ) -> None:
        if not is_loopback_url(f"http://{host}/"):
            raise ValueError("the sandbox listens on loopback only (127.0.0.1, ::1)")
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.people = people or everyone_acknowledges()
        self.rng = random.Random(seed)
        self.duplicate_probability = duplicate_probability
        self.late_probability = late_probability
        self.late_seconds = late_seconds
        self.time_scale = time_scale
        self.callback_timeout = callback_timeout
        self.simulate = simulate
        """False: accept and record only; nobody is rung and nothing calls back (benchmarks)."""
        self._host = host
        self._port = port
        self._validator = RequestValidator(self.auth_token)
        self._overrides: dict[str, Behaviour] = {}
        self._routes: list[tuple[str, str]] = []
        self._faults: list[tuple[Fault, str | None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0
        self.requests: list[ApiRequest] = []
        self.calls: list[SandboxCall] = []
        self.messages: list[SandboxMessage] = []
        self.callbacks: list[Callback] = []
        self._by_sid: dict[str, SandboxCall | SandboxMessage] = {}
        self.app = self._build_app()

    # --- configuration ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def twilio_settings(self, **overrides: Any) -> TwilioSettings:
        """Settings that point the channels at this sandbox."""
        values: dict[str, Any] = {
            "account_sid": self.account_sid,
            "from_number": SANDBOX_FROM,
            "api_base_url": self.base_url,
            "calls_per_second": 1000.0,
            "messages_per_second": 1000.0,
            "timeout_seconds": 5.0,
        }
        values.update(overrides)
        return TwilioSettings(**values)

    def behave(self, address: str, behaviour: Behaviour | Reaction) -> None:
        """How the person at `address` reacts from now on (overrides `people`)."""
        if isinstance(behaviour, Reaction):
            behaviour = Behaviour(behaviour)
        self._overrides[address] = behaviour

    def route(self, public_url: str, local_url: str) -> None:
        """Deliver callbacks for `public_url…` to `local_url…` (a reverse proxy's job)."""
        if not is_loopback_url(local_url):
            raise ValueError("callbacks are delivered to loopback addresses only")
        self._routes.append((public_url.rstrip("/"), local_url.rstrip("/")))

    def fail_next(self, fault: Fault, count: int = 1, *, resource: str | None = None) -> None:
        """The next `count` create requests (of "calls", "messages", or any) suffer `fault`."""
        if resource not in (None, "calls", "messages"):
            raise ValueError("resource is 'calls', 'messages' or None")
        self._faults.extend([(fault, resource)] * count)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on loopback; returns the base URL for `TwilioSettings.api_base_url`."""
        if self._runner is not None:
            return self.base_url
        self._closing = asyncio.Event()
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.callback_timeout)
        )
        log.info("Twilio sandbox listening on %s", self.base_url)
        return self.base_url

    async def close(self) -> None:
        self._closing.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> TwilioSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def wait_idle(self, seconds: float = 10.0) -> None:
        """Wait until every simulated person has finished (TimeoutError after `seconds`)."""
        async with asyncio.timeout(seconds):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- the API ---------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        base = f"/{API_VERSION}/Accounts/{{account}}"
        app.router.add_post(f"{base}/Calls.json", self._create_call)
        app.router.add_get(f"{base}/Calls/{{sid}}.json", self._fetch_call)
        app.router.add_post(f"{base}/Messages.json", self._create_message)
        app.router.add_get(f"{base}/Messages/{{sid}}.json", self._fetch_message)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        form: dict[str, list[str]] = {}
        if request.method == "POST":
            for name, value in (await request.post()).items():
                if isinstance(value, str):
                    form.setdefault(name, []).append(value)
        record = ApiRequest(request.method, request.path, form)
        self.requests.append(record)
        response = await self._answer(request, handler, record)
        record.status = response.status
        return response

    async def _answer(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        record: ApiRequest,
    ) -> web.StreamResponse:
        if not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        account = request.match_info.get("account")
        if account is not None and account != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        fault = self._take_fault(request)
        if fault is None:
            return await handler(request)
        record.fault = fault
        response = await handler(request) if fault.accept else None
        if fault.hang_seconds is not None:
            await self._pause(fault.hang_seconds, scaled=False)
            if response is not None:
                return response
        return _error(fault.status, fault.code, self._fault_message(fault, record.form))

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        try:
            auth = aiohttp.BasicAuth.decode(header)
        except ValueError:
            return False
        return secrets.compare_digest(auth.login, self.account_sid) and secrets.compare_digest(
            auth.password, self.auth_token
        )

    def _take_fault(self, request: web.Request) -> Fault | None:
        if request.method != "POST":
            return None
        resource = "calls" if request.path.endswith("/Calls.json") else "messages"
        for index, (fault, applies_to) in enumerate(self._faults):
            if applies_to in (None, resource):
                del self._faults[index]
                return fault
        return None

    @staticmethod
    def _fault_message(fault: Fault, form: dict[str, list[str]]) -> str:
        to = form.get("To", [""])[0]
        from_ = form.get("From", [""])[0]
        return fault.message.replace("{to}", to).replace("{from_}", from_)

    async def _create_call(self, request: web.Request) -> web.Response:
        form = await request.post()
        to = str(form.get("To", ""))
        from_ = str(form.get("From", ""))
        twiml = form.get("Twiml")
        url = form.get("Url")
        if not _E164.match(to):
            return _error(400, 21211, _ERROR_MESSAGES[21211].format(to=to))
        if not from_:
            return _error(400, 21213, "No 'From' number is specified")
        if not twiml and not url:
            return _error(400, 21205, "Url parameter is required.")
        if twiml and len(str(twiml)) > 4000:
            return _error(400, 21234, "Twiml exceeds the maximum length of 4000 characters")
        status_callback = str(form["StatusCallback"]) if form.get("StatusCallback") else None
        behaviour = self._behaviour("voice", to, status_callback)
        if behaviour.reaction is Reaction.INVALID:
            return _error(400, 21211, _ERROR_MESSAGES[21211].format(to=to))
        call = SandboxCall(
            sid=_sid("CA"),
            to=to,
            from_=from_,
            twiml=str(twiml) if twiml else None,
            url=str(url) if url else None,
            status_callback=status_callback,
            status_events=tuple(str(v) for v in form.getall("StatusCallbackEvent", [])),
            date_created=dt.datetime.now(dt.UTC),
            behaviour=behaviour,
        )
        self.calls.append(call)
        self._by_sid[call.sid] = call
        if self.simulate:
            self._spawn(self._run_call(call))
        return web.json_response(self._call_json(call), status=201)

    async def _fetch_call(self, request: web.Request) -> web.Response:
        call = self._by_sid.get(request.match_info["sid"])
        if isinstance(call, SandboxCall):
            return web.json_response(self._call_json(call))
        return _error(404, 20404, f"The requested resource {request.path} was not found")

    async def _create_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        to = str(form.get("To", ""))
        from_ = str(form.get("From", "") or form.get("MessagingServiceSid", ""))
        body = str(form.get("Body", ""))
        if not _E164.match(to):
            return _error(400, 21211, _ERROR_MESSAGES[21211].format(to=to))
        if not from_:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if not is_mobile(to):
            return _error(400, 21614, _ERROR_MESSAGES[21614].format(to=to))
        status_callback = str(form["StatusCallback"]) if form.get("StatusCallback") else None
        behaviour = self._behaviour("sms", to, status_callback)
        if behaviour.reaction is Reaction.INVALID:
            return _error(400, 21211, _ERROR_MESSAGES[21211].format(to=to))
        message = SandboxMessage(
            sid=_sid("SM"),
            to=to,
            from_=from_,
            body=body,
            status_callback=status_callback,
            date_created=dt.datetime.now(dt.UTC),
            behaviour=behaviour,
        )
        self.messages.append(message)
        self._by_sid[message.sid] = message
        if self.simulate:
            self._spawn(self._run_message(message))
        return web.json_response(self._message_json(message), status=201)

    async def _fetch_message(self, request: web.Request) -> web.Response:
        message = self._by_sid.get(request.match_info["sid"])
        if isinstance(message, SandboxMessage):
            return web.json_response(self._message_json(message))
        return _error(404, 20404, f"The requested resource {request.path} was not found")

    def _call_json(self, call: SandboxCall) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{call.sid}.json"
        ended = call.status in ("completed", "busy", "no-answer", "failed", "canceled")
        return {
            "sid": call.sid,
            "account_sid": self.account_sid,
            "to": call.to,
            "to_formatted": call.to,
            "from": call.from_,
            "from_formatted": call.from_,
            "status": call.status,
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "date_created": _rfc2822(call.date_created),
            "date_updated": _rfc2822(dt.datetime.now(dt.UTC)),
            "start_time": None,
            "end_time": _rfc2822(dt.datetime.now(dt.UTC)) if ended else None,
            "duration": str(call.duration) if ended else None,
            "price": None,
            "price_unit": "USD",
            "answered_by": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": uri,
            "subresource_uris": {
                "notifications": uri.replace(".json", "/Notifications.json"),
                "recordings": uri.replace(".json", "/Recordings.json"),
            },
        }

    def _message_json(self, message: SandboxMessage) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message.sid}.json"
        return {
            "sid": message.sid,
            "account_sid": self.account_sid,
            "to": message.to,
            "from": message.from_,
            "body": message.body,
            "status": message.status,
            "num_segments": str(segments(message.body)),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": None,
            "date_created": _rfc2822(message.date_created),
            "date_updated": _rfc2822(dt.datetime.now(dt.UTC)),
            "date_sent": None,
            "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }

    # --- simulated people --------------------------------------------------------------------

    def _behaviour(self, channel: str, address: str, callback: str | None) -> Behaviour:
        override = self._overrides.get(address)
        if override is not None:
            return override
        query = parse_qs(urlsplit(callback).query) if callback else {}
        drill_ids, page_ids = query.get("drill", []), query.get("page", [])
        paged = Paged(
            channel,
            address,
            drill_ids[0] if drill_ids else None,
            page_ids[0] if page_ids else None,
        )
        return self.people(paged, self.rng)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await coroutine
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sandbox: a simulated person failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pause(self, seconds: float, *, scaled: bool = True) -> None:
        delay = seconds * self.time_scale if scaled else seconds
        if delay <= 0:
            await asyncio.sleep(0)
            return
        try:
            async with asyncio.timeout(delay):
                await self._closing.wait()
        except TimeoutError:
            return

    def _call_params(self, call: SandboxCall, status: str) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": "outbound-api",
            "From": call.from_,
            "To": call.to,
        }

    async def _call_status(self, call: SandboxCall, status: str, event: str) -> None:
        call.status = status
        call.statuses.append(status)
        wanted = call.status_events or ("completed",)
        if call.status_callback is None or (event not in wanted and event != "completed"):
            return
        params = self._call_params(call, status)
        params["CallbackSource"] = "call-progress-events"
        params["SequenceNumber"] = str(len(call.statuses) - 1)
        params["Timestamp"] = _rfc2822(dt.datetime.now(dt.UTC))
        if status in ("completed", "busy", "no-answer", "failed"):
            params["CallDuration"] = str(call.duration)
            params["Duration"] = str((call.duration + 59) // 60)
        if status == "failed":
            params["SipResponseCode"] = "404"
        await self._post("status", call.status_callback, params)

    async def _run_call(self, call: SandboxCall) -> None:
        behaviour = call.behaviour or Behaviour()
        reaction = behaviour.reaction
        await self._call_status(call, "initiated", "initiated")
        await self._pause(0.0)
        if reaction is Reaction.UNREACHABLE:
            await self._call_status(call, "failed", "completed")
            return
        await self._call_status(call, "ringing", "ringing")
        if reaction is Reaction.BUSY:
            await self._pause(min(behaviour.ring_seconds, 0.01))
            await self._call_status(call, "busy", "completed")
            return
        await self._pause(behaviour.ring_seconds)
        if reaction is Reaction.IGNORE:
            await self._call_status(call, "no-answer", "completed")
            return
        await self._call_status(call, "in-progress", "answered")
        started = asyncio.get_running_loop().time()
        twiml = call.twiml
        if twiml is None and call.url is not None:
            fetched = await self._post("voice", call.url, self._call_params(call, "in-progress"))
            twiml = fetched.body if fetched.status == 200 else None
        # ANSWER: 1, or the key of the person's answer when the call reads out choices
        keys = {Reaction.ACKNOWLEDGE: [ANSWER], Reaction.WRONG_KEY: ["9", ANSWER]}.get(reaction, [])
        while twiml is not None:
            call.twiml_seen.append(twiml)
            twiml = await self._play(call, twiml, keys, behaviour)
        call.duration = max(1, round(asyncio.get_running_loop().time() - started))
        await self._call_status(call, "completed", "completed")

    async def _play(
        self, call: SandboxCall, twiml: str, keys: list[str], behaviour: Behaviour
    ) -> str | None:
        """Run one TwiML document; return the next one (a Gather action's reply) or None."""
        try:
            root = ET.fromstring(twiml)
        except ET.ParseError:
            log.warning("sandbox: call %s got TwiML that is not XML", call.sid)
            return None
        for verb in root:
            if verb.tag == "Hangup":
                return None
            if verb.tag != "Gather" or not keys:
                continue
            action = verb.get("action")
            if not action:
                continue
            await self._pause(behaviour.respond_seconds)
            digit = keys.pop(0)
            if digit == ANSWER:
                offered = spoken_choices(verb)
                digit = "1" if not offered else str(pick(behaviour, offered))
            call.digits.append(digit)
            params = self._call_params(call, "in-progress")
            params.update({"Digits": digit, "FinishedOnKey": "", "msg": "Gather End"})
            if self.rng.random() < self.duplicate_probability:
                self._spawn(self._duplicate("gather", action, params))
            if self.rng.random() < self.late_probability:
                # The keypress reaches the server only after the call has ended.
                self._spawn(self._late("gather", action, params))
                return None
            reply = await self._post("gather", action, params)
            return reply.body if reply.status == 200 and reply.body else None
        return None

    async def _duplicate(self, kind: str, url: str, params: dict[str, str]) -> None:
        copies = 1 + int(self.rng.random() < 0.3)
        for _ in range(copies):
            await self._pause(self.rng.uniform(0.0, 0.02))
            await self._post(kind, url, params)

    async def _late(self, kind: str, url: str, params: dict[str, str]) -> None:
        await self._pause(self.late_seconds)
        await self._post(kind, url, params)

    async def _run_message(self, message: SandboxMessage) -> None:
        behaviour = message.behaviour or Behaviour()
        reaction = behaviour.reaction
        await self._message_status(message, "sent")
        if reaction is Reaction.UNREACHABLE:
            await self._message_status(message, "undelivered", error_code=30003)
            return
        await self._message_status(message, "delivered")
        if reaction not in (Reaction.ACKNOWLEDGE, Reaction.OPEN_ONLY, Reaction.VOICEMAIL):
            return
        link = message.link
        if link is None:
            return
        await self._pause(behaviour.respond_seconds)
        opened = await self._request("link-open", "GET", link, {})
        message.opened = opened.status == 200
        if reaction is not Reaction.ACKNOWLEDGE or opened.status != 200:
            return
        finder = _FormFinder()
        finder.feed(opened.body)
        target = urljoin(link, finder.action) if finder.action else link
        await self._pause(behaviour.confirm_seconds)
        fields = dict(finder.fields)
        if finder.buttons:  # one button per answer: the person presses theirs
            name, value = finder.buttons[pick(behaviour, len(finder.buttons)) - 1]
            fields[name] = value
        confirmed = await self._request("link-confirm", "POST", target, fields)
        message.confirmed_status = confirmed.status

    async def _message_status(
        self, message: SandboxMessage, status: str, *, error_code: int | None = None
    ) -> None:
        message.status = status
        message.statuses.append(status)
        if message.status_callback is None:
            return
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_,
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        await self._post("message-status", message.status_callback, params)

    # --- delivery ----------------------------------------------------------------------------

    def _local(self, url: str) -> str | None:
        for public, local in self._routes:
            if url == public or url.startswith(public + "/") or url.startswith(public + "?"):
                return local + url[len(public) :]
        return url if is_loopback_url(url) else None

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for `url` and `params`."""
        return str(self._validator.compute_signature(url, dict(params)))

    async def _post(self, kind: str, url: str, params: dict[str, str]) -> Callback:
        return await self._request(kind, "POST", url, params, signed=True)

    async def _request(
        self,
        kind: str,
        method: str,
        url: str,
        params: dict[str, str],
        *,
        signed: bool = False,
    ) -> Callback:
        record = Callback(kind, url, dict(params))
        self.callbacks.append(record)
        target = self._local(url)
        if target is None:
            record.error = "refused: not a loopback address and no route to one"
            log.warning(
                "sandbox: %s callback to %s refused (not loopback)", kind, urlsplit(url).netloc
            )
            return record
        if self._session is None:
            record.error = "sandbox closed"
            return record
        headers: dict[str, str] = {"User-Agent": "TwilioProxy/1.1"}
        if signed:
            headers["X-Twilio-Signature"] = self.sign(url, params)
            headers["I-Twilio-Idempotency-Token"] = secrets.token_hex(16)
        started = asyncio.get_running_loop().time()
        try:
            async with self._session.request(
                method, target, data=params if method == "POST" else None, headers=headers
            ) as reply:
                record.status = reply.status
                record.body = await reply.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            record.error = type(exc).__name__
            log.info("sandbox: %s callback failed: %s", kind, record.error)
        record.seconds = asyncio.get_running_loop().time() - started
        return record

    def masked(self) -> list[str]:
        """The numbers called and texted, masked (for printing in a demo)."""
        return [mask_number(c.to) for c in self.calls] + [mask_number(m.to) for m in self.messages]


def _error(status: int, code: int | None, message: str) -> web.Response:
    body: dict[str, Any] = {"code": code or status, "message": message, "status": status}
    if code is not None:
        body["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
    return web.json_response(body, status=status)
