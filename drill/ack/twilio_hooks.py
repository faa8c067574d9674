"""Twilio's webhooks on the ack server: call TwiML, the keypress, call and message progress.

Every request must carry a valid `X-Twilio-Signature`, computed by Twilio with the auth
token over the URL it was told to call and the form parameters. That URL is rebuilt from
the **configured public URL** plus the path and query the request arrived with — never
from the Host the request arrived on, which behind a reverse proxy or tunnel is
127.0.0.1 and would make every genuine callback fail. A missing or wrong signature gets
403 and changes nothing; a body that is not a readable form (not UTF-8, say) gets 400.

Routes (all POST, query `drill`, `page`, `lang`, and `round` for the keypress):

- `/twilio/voice`: the call's TwiML (for calls too long for inline TwiML).
- `/twilio/gather`: the key pressed. 1 acknowledges (`source="voice"`, idempotency key
  `gather:<CallSid>`) and the reply is sent only after `Inbox.acknowledge` returned, i.e.
  after the acknowledgement is durable; another key repeats the message once. When the
  scenario asks a question, keys 1… acknowledge with their choice and any other key
  repeats. A keypress for a page that was not a call (the inbox knows its channel) is
  refused: nothing is recorded.
- `/twilio/status`: call progress, key `status:<CallSid>:<CallStatus>`. busy, no-answer,
  failed and canceled are delivery failures; a call completed without the key (voicemail,
  hang-up) is NOT_ACKNOWLEDGED.
- `/twilio/message-status`: SMS progress; delivered, or undelivered with Twilio's reason.

Twilio retries callbacks, so duplicates are normal: the idempotency keys make the engine
record each once.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiDictProxy
from twilio.request_validator import RequestValidator

from drill.ack.server import (
    REGISTRY_KEY,
    SETTINGS_KEY,
    DrillRegistry,
    InboxLookup,
    RouteHook,
    deliver,
    facts_of,
    read_form,
    serves,
)
from drill.channels.sms import MESSAGE_STATUS_PATH
from drill.channels.twilio_http import describe_code
from drill.channels.voice import (
    GATHER_PATH,
    SCRIPTS,
    STATUS_PATH,
    VOICE_PATH,
    CallScripts,
    VoiceScript,
    call_twiml,
    ending_twiml,
    gather_reply_twiml,
)
from drill.config import secret
from drill.engine.callback import Callback, CallbackKind
from drill.engine.notifier import AckOutcome, DeliveryStatus, FailureReason
from drill.plan.models import ChannelKind

__all__ = [
    "HOOKS_KEY",
    "InboxLookup",
    "TwilioHooks",
    "add_twilio_routes",
    "twilio_routes",
]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
_TWIML = "application/xml"

_CALL_PROGRESS: dict[str, DeliveryStatus] = {
    "queued": DeliveryStatus.QUEUED,
    "initiated": DeliveryStatus.QUEUED,
    "ringing": DeliveryStatus.RINGING,
    "in-progress": DeliveryStatus.IN_PROGRESS,
    "answered": DeliveryStatus.IN_PROGRESS,
}
_CALL_FAILED: dict[str, tuple[FailureReason, str]] = {
    "busy": (FailureReason.BUSY, "the line was busy"),
    "no-answer": (FailureReason.NO_ANSWER, "nobody answered"),
    "canceled": (FailureReason.NO_ANSWER, "the call was canceled before it was answered"),
    "failed": (FailureReason.UNREACHABLE, "the call could not be connected"),
}
_MESSAGE_FAILED = frozenset({"undelivered", "failed"})
_THANKED = frozenset(
    {
        AckOutcome.ACCEPTED,
        AckOutcome.ALREADY_ACKNOWLEDGED,
        AckOutcome.DUPLICATE,
        AckOutcome.RECORDED,  # durable for the engine that runs the drill
    }
)


Form = MultiDictProxy[str]


class TwilioHooks:
    """The handlers, with what they need: public URL, auth token, drills, call scripts."""

    def __init__(
        self,
        *,
        public_url: str,
        inboxes: InboxLookup,
        auth_token: str | None = None,
        scripts: CallScripts | None = None,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.inboxes = inboxes
        self.scripts = scripts if scripts is not None else SCRIPTS
        self._token = auth_token
        self._validator: RequestValidator | None = None
        self._acknowledged_calls: collections.OrderedDict[str, None] = collections.OrderedDict()

    def configure(self, *, public_url: str | None = None, auth_token: str | None = None) -> None:
        """Change the public URL or the auth token after mounting (e.g. once port 0 is bound,
        or to accept the local sandbox's token): `app[HOOKS_KEY].configure(...)`."""
        if public_url is not None:
            self.public_url = public_url.rstrip("/")
        if auth_token is not None:
            self._token = auth_token
            self._validator = None

    # --- signature -----------------------------------------------------------------------

    def _get_validator(self) -> RequestValidator | None:
        if self._validator is None:
            token = self._token
            if token is None:
                stored = secret("twilio_auth_token")
                token = stored.get_secret_value() if stored is not None else None
            if not token:
                return None
            self._validator = RequestValidator(token)
        return self._validator

    def signed_url(self, request: web.Request) -> str:
        """The URL Twilio signed: the public URL, then the path and query as received."""
        return self.public_url + request.raw_path

    async def _verified_form(self, request: web.Request) -> Form | None:
        """The form parameters when the signature is valid; None otherwise."""
        fields = await read_form(request)  # 400 for a body that is not a readable form
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            log.warning("Twilio webhook %s without a signature: refused", request.path)
            return None
        validator = self._get_validator()
        if validator is None:
            log.error(
                "Twilio webhook %s refused: no auth token to check signatures "
                "(set DRILLKIT_TWILIO_AUTH_TOKEN or the keyring)",
                request.path,
            )
            return None
        if not validator.validate(self.signed_url(request), fields, signature):
            log.warning(
                "Twilio webhook %s with an invalid signature: refused (is [ack] public_url "
                "the address Twilio calls?)",
                request.path,
            )
            return None
        return fields

    def _guarded(
        self, handler: Callable[[web.Request, Form], Awaitable[web.Response]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def guarded(request: web.Request) -> web.Response:
            form = await self._verified_form(request)
            if form is None:
                return web.Response(status=403, text="invalid or missing Twilio signature")
            return await handler(request, form)

        return guarded

    # --- helpers -------------------------------------------------------------------------

    def _script(self, request: web.Request) -> VoiceScript:
        query = request.query
        drill_id = query.get("drill", "")
        page_id = query.get("page", "")
        script = self.scripts.get(page_id)
        if script is not None and script.drill_id == drill_id:
            return script
        return VoiceScript.bare(drill_id, page_id, query.get("lang", "ja"))

    def _remember_ack(self, call_sid: str) -> None:
        self._acknowledged_calls[call_sid] = None
        while len(self._acknowledged_calls) > 100_000:
            self._acknowledged_calls.popitem(last=False)

    # --- handlers ------------------------------------------------------------------------

    async def voice(self, request: web.Request, form: Form) -> web.Response:
        """The call's TwiML, when it was too long to send inline."""
        script = self._script(request)
        if script.drill_id and script.page_id and not script.choices:  # a bare script
            facts = await facts_of(self.inboxes, script.drill_id, script.page_id)
            if facts is not None:
                script = script.with_question(facts.question_for(script.page_id))
        return _twiml(call_twiml(script, self.public_url))

    async def gather(self, request: web.Request, form: Form) -> web.Response:
        """A key was pressed (or none): 1 acknowledges, anything else repeats once."""
        script = self._script(request)
        call_sid = form.get("CallSid", "")
        digits = form.get("Digits", "")
        try:
            round_ = int(request.query.get("round", "1"))
        except ValueError:
            round_ = 2
        if not script.drill_id or not script.page_id or not await self._serves(script.drill_id):
            log.info("keypress for unknown or finished drill (call %s): nothing recorded", call_sid)
            return _twiml(ending_twiml(script, "finished"))
        # The engine's own facts when it runs here, else the drill's recorded events.
        facts = await facts_of(self.inboxes, script.drill_id, script.page_id)
        if facts is not None:
            channel = facts.channel_of(script.page_id)
            if channel is not None and channel is not ChannelKind.VOICE:
                # Only a call is acknowledged by a key: an SMS or e-mail page named here
                # would be recorded as a keypress nobody made.
                log.warning("keypress for a %s page refused (call %s)", channel.value, call_sid)
                return _twiml(ending_twiml(script, "unknown"))
            script = script.with_question(facts.question_for(script.page_id))
        choice = script.choice_for(digits) if script.choices else None
        if (digits != "1" and not script.choices) or (script.choices and choice is None):
            return _twiml(gather_reply_twiml(script, self.public_url, round_))
        callback = Callback(
            CallbackKind.ACK,
            script.drill_id,
            script.page_id,
            f"gather:{call_sid}",
            source="voice",
            choice=choice,
        )
        try:
            outcome = await deliver(self.inboxes, callback) or AckOutcome.RECORDED
        except Exception:
            # Not recorded: ask again rather than thank them for something we lost.
            log.exception("keypress on call %s could not be recorded", call_sid)
            return _twiml(call_twiml(script, self.public_url, first_round=max(1, round_)))
        log.info("keypress on call %s for page %s: %s", call_sid, script.page_id, outcome.value)
        if outcome in _THANKED:
            self._remember_ack(call_sid)
            return _twiml(ending_twiml(script, "thanks"))
        if outcome is AckOutcome.FINISHED:
            return _twiml(ending_twiml(script, "finished"))
        if outcome is AckOutcome.INVALID_CHOICE:
            return _twiml(gather_reply_twiml(script, self.public_url, round_))
        return _twiml(ending_twiml(script, "unknown"))

    async def status(self, request: web.Request, form: Form) -> web.Response:
        """Call progress: ringing, answered, completed (with or without the key), failures."""
        drill_id = request.query.get("drill", "")
        page_id = request.query.get("page", "")
        call_sid = form.get("CallSid", "")
        call_status = form.get("CallStatus", "")
        if not drill_id or not page_id:
            return web.Response(status=204)
        key = f"status:{call_sid}:{call_status}"
        if call_status in _CALL_PROGRESS:
            await self._status(drill_id, page_id, _CALL_PROGRESS[call_status], key)
        elif call_status == "completed":
            if call_sid in self._acknowledged_calls or await self._keypress_recorded(
                drill_id, call_sid
            ):
                await self._status(drill_id, page_id, DeliveryStatus.COMPLETED, key)
            else:
                machine = form.get("AnsweredBy", "").startswith("machine")
                detail = (
                    "an answering machine took the call; the key was not pressed"
                    if machine
                    else "the call ended without the key being pressed"
                )
                log.info("call %s for page %s ended without the key", call_sid, page_id)
                await self._failed(drill_id, page_id, FailureReason.NOT_ACKNOWLEDGED, detail, key)
        elif call_status in _CALL_FAILED:
            reason, detail = _CALL_FAILED[call_status]
            known = describe_code(_int(form.get("ErrorCode")))
            if call_status == "failed" and known is not None:
                reason, detail = known
            log.info("call %s for page %s: %s", call_sid, page_id, call_status)
            await self._failed(drill_id, page_id, reason, detail, key)
        else:
            log.info("call %s: unknown status %r ignored", call_sid, call_status[:32])
        return web.Response(status=204)

    async def message_status(self, request: web.Request, form: Form) -> web.Response:
        """SMS progress: delivered, or undelivered with the carrier's reason."""
        drill_id = request.query.get("drill", "")
        page_id = request.query.get("page", "")
        sid = form.get("MessageSid", "") or form.get("SmsSid", "")
        status = form.get("MessageStatus", "") or form.get("SmsStatus", "")
        if not drill_id or not page_id:
            return web.Response(status=204)
        key = f"status:{sid}:{status}"
        if status == "delivered":
            await self._status(drill_id, page_id, DeliveryStatus.DELIVERED, key)
        elif status in _MESSAGE_FAILED:
            known = describe_code(_int(form.get("ErrorCode")))
            reason, detail = known or (FailureReason.UNREACHABLE, "the SMS was not delivered")
            log.info("message %s for page %s: %s (%s)", sid, page_id, status, reason.value)
            await self._failed(drill_id, page_id, reason, detail, key)
        return web.Response(status=204)

    async def _serves(self, drill_id: str) -> bool:
        return await serves(self.inboxes, drill_id)

    async def _status(self, drill_id: str, page_id: str, status: DeliveryStatus, key: str) -> None:
        callback = Callback(CallbackKind.STATUS, drill_id, page_id, key, status=status)
        await deliver(self.inboxes, callback)

    async def _failed(
        self, drill_id: str, page_id: str, reason: FailureReason, detail: str, key: str
    ) -> None:
        callback = Callback(
            CallbackKind.FAILED, drill_id, page_id, key, reason=reason, detail=detail
        )
        await deliver(self.inboxes, callback)

    async def _keypress_recorded(self, drill_id: str, call_sid: str) -> bool:
        """Whether the call's keypress was recorded by another instance (the completed
        status may reach this one while the keypress reached another)."""
        if not call_sid or not isinstance(self.inboxes, DrillRegistry):
            return False
        relay = self.inboxes.relay
        if relay is None or drill_id in self.inboxes:
            return False
        return await relay.store.seq_of_key(drill_id, f"gather:{call_sid}") is not None

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_post(VOICE_PATH, self._guarded(self.voice))
        router.add_post(GATHER_PATH, self._guarded(self.gather))
        router.add_post(STATUS_PATH, self._guarded(self.status))
        router.add_post(MESSAGE_STATUS_PATH, self._guarded(self.message_status))


HOOKS_KEY = web.AppKey("drillkit.twilio_hooks", TwilioHooks)


def add_twilio_routes(
    app: web.Application,
    *,
    public_url: str | None = None,
    inboxes: InboxLookup | None = None,
    auth_token: str | None = None,
    scripts: CallScripts | None = None,
) -> TwilioHooks:
    """Mount the Twilio webhooks on `app`.

    Defaults come from the app the server factory built: the public URL from its
    `AckSettings`, the drills from its `DrillRegistry`; the auth token from the
    environment or keyring (looked up at the first callback).
    """
    if public_url is None:
        if SETTINGS_KEY not in app:
            raise ValueError("add_twilio_routes needs public_url (no AckSettings on the app)")
        public_url = app[SETTINGS_KEY].public_url
    if inboxes is None:
        if REGISTRY_KEY not in app:
            raise ValueError("add_twilio_routes needs inboxes (no DrillRegistry on the app)")
        inboxes = app[REGISTRY_KEY]
    hooks = TwilioHooks(
        public_url=public_url, inboxes=inboxes, auth_token=auth_token, scripts=scripts
    )
    hooks.add_to(app.router)
    app[HOOKS_KEY] = hooks
    return hooks


def twilio_routes(
    *,
    public_url: str | None = None,
    auth_token: str | None = None,
    scripts: CallScripts | None = None,
) -> RouteHook:
    """A route hook for `build_app(route_hooks=[...])` with explicit settings."""

    def hook(app: web.Application) -> None:
        add_twilio_routes(app, public_url=public_url, auth_token=auth_token, scripts=scripts)

    return hook


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _twiml(xml: str) -> web.Response:
    return web.Response(text=xml, content_type=_TWIML, charset="utf-8")
