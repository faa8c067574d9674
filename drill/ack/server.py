"""The acknowledgement server: link pages, Twilio webhooks and `/healthz`, in the engine's loop.

`build_app` makes the aiohttp application; `AckServer` starts and stops it inside an
already running event loop (the engine's or the TUI's), and can bind port 0 and report
the real port. Drills are found through a `DrillRegistry` (drill id -> the engine's
`Inbox`): a drill is registered while it runs in this process. With a `StoreRelay`
(`drillkit ack-server`, `drillkit serve`), a drill another process runs — live in the
event store — is answered too: its callbacks are recorded in the store for its engine
(`drill.ack.relay`), so several instances can serve one database. A link or callback for
a drill that is neither records nothing. A short link names its drill by a hint that is
resolved against those drills; one that matches none gets the "ended" page (410).

Every handler turns what arrived into a `drill.engine.callback.Callback` and hands it to
`DrillRegistry.deliver`, the one door to the engine on both paths.

Link routes (`/a/<token>`): GET shows a small confirmation page and records only that the
link was opened — mail scanners and link previewers open links, so GET must never
acknowledge. Only the POST of that page's form acknowledges, and the thank-you page is
sent only after the engine's inbox has recorded the acknowledgement durably. A link
acknowledges only for the channels that send links (SMS and e-mail): a token of another
channel (a voice page's) is refused here, so it can never be recorded as an e-mail
acknowledgement.

When the scenario asks a question (出社可否, 安否), the page shows one button per choice
instead of the single 了解 button, and the POST carries the choice (`choice=<key>`); a
choice the question does not offer is a 400 and records nothing. The inbox says which
question a page asked (`PageFacts`); an inbox that cannot say gets the plain page.

Hostile or broken requests get a 4xx and a short page, never a 500: a form body that is
not UTF-8, names an unknown charset or is malformed multipart is a 400 (`read_form`); a
method the server does not serve (CONNECT, PROPFIND, …) is a 405 with `Allow`.
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDict, MultiDictProxy

from drill.channels.links import LINK_PATH, ExpiredLink, LinkClaim, LinkError, Links, UnknownDrill
from drill.config import AckSettings
from drill.engine.callback import Callback, CallbackKind, apply_callback
from drill.engine.notifier import AckOutcome, DeliveryStatus, Inbox, PageFacts
from drill.plan.models import ChannelKind, Question

if TYPE_CHECKING:  # the relay needs the store (SQLAlchemy): only servers given one load it
    from drill.ack.relay import StoreRelay

__all__ = [
    "LINKS_KEY",
    "REGISTRY_KEY",
    "SETTINGS_KEY",
    "AckServer",
    "DrillRegistry",
    "InboxLookup",
    "RouteHook",
    "build_app",
    "deliver",
    "drills_of",
    "facts_of",
    "question_of",
    "read_form",
    "redact_path",
    "serves",
]

log = logging.getLogger(__name__)

RouteHook = Callable[[web.Application], None]
"""Something that adds routes to the app (the Twilio webhooks, for instance)."""


class DrillRegistry:
    """The running drills this server answers for: drill id -> the engine's `Inbox`, and,
    with a `relay`, the drills other processes run on the same event store."""

    def __init__(self, relay: StoreRelay | None = None) -> None:
        self._inboxes: dict[str, Inbox] = {}
        # Whether each inbox can say what its pages asked, found once when it is registered:
        # a runtime Protocol check walks the protocol's members on every call, which cost
        # more than verifying the link itself on each acknowledgement.
        self._facts: dict[str, PageFacts | None] = {}
        self.relay = relay
        """Where callbacks for a drill not run here go (None: nowhere, they are refused)."""

    def register(self, drill_id: str, inbox: Inbox) -> None:
        """Answer for `drill_id` from now on (when the drill starts or resumes)."""
        self._inboxes[drill_id] = inbox
        self._facts[drill_id] = inbox if isinstance(inbox, PageFacts) else None

    def unregister(self, drill_id: str) -> None:
        """Stop answering for `drill_id` (when the drill ends); unknown ids are ignored."""
        self._inboxes.pop(drill_id, None)
        self._facts.pop(drill_id, None)

    def get(self, drill_id: str) -> Inbox | None:
        return self._inboxes.get(drill_id)

    @contextlib.contextmanager
    def registered(self, drill_id: str, inbox: Inbox) -> Iterator[Inbox]:
        """`with registry.registered(drill_id, inbox):` for the lifetime of a drill."""
        self.register(drill_id, inbox)
        try:
            yield inbox
        finally:
            self.unregister(drill_id)

    def __iter__(self) -> Iterator[str]:
        """The registered drill ids (a short link names its drill only by a hint)."""
        return iter(list(self._inboxes))

    def __contains__(self, drill_id: object) -> bool:
        return drill_id in self._inboxes

    def __len__(self) -> int:
        return len(self._inboxes)

    async def drills(self) -> list[str]:
        """The drills answered for: those running here, then those live in the store."""
        local = list(self._inboxes)
        if self.relay is None:
            return local
        return list(dict.fromkeys([*local, *await self.relay.live_drills()]))

    async def serves(self, drill_id: str) -> bool:
        """True when a callback for `drill_id` would reach an engine (here or via the store)."""
        if drill_id in self._inboxes:
            return True
        return self.relay is not None and await self.relay.serves(drill_id)

    async def facts(self, drill_id: str, page_id: str) -> PageFacts | None:
        """What `page_id` asked and on which channel it went: from the engine when the
        drill runs here, else from the drill's events in the store (None: not known)."""
        if drill_id in self._inboxes:
            return self._facts[drill_id]
        if self.relay is not None and await self.relay.serves(drill_id):
            return await self.relay.pages(drill_id, page_id)
        return None

    async def deliver(self, callback: Callback) -> AckOutcome | None:
        """Hand `callback` to its drill's engine: directly when it runs here, else through
        the store (durable when this returns). FINISHED for a drill answered nowhere;
        None for a status or failure that reached an engine."""
        inbox = self._inboxes.get(callback.drill_id)
        if inbox is not None:
            return await apply_callback(inbox, callback)
        if self.relay is not None and await self.relay.serves(callback.drill_id):
            return await self.relay.deliver(callback)
        return AckOutcome.FINISHED


class InboxLookup(Protocol):
    """Where the webhooks and the reply poller find a drill: a `DrillRegistry`, or for
    tests anything with `get` (then only the drills it returns an inbox for)."""

    def get(self, drill_id: str) -> Inbox | None: ...


async def deliver(lookup: InboxLookup, callback: Callback) -> AckOutcome | None:
    """`lookup.deliver(callback)` for a registry; for a bare lookup, through the inbox it
    gives (FINISHED when none)."""
    if isinstance(lookup, DrillRegistry):
        return await lookup.deliver(callback)
    inbox = lookup.get(callback.drill_id)
    if inbox is None:
        return AckOutcome.FINISHED
    return await apply_callback(inbox, callback)


async def facts_of(lookup: InboxLookup, drill_id: str, page_id: str) -> PageFacts | None:
    """`lookup.facts(drill_id, page_id)` for a registry; for a bare lookup, its inbox when
    that can say (`PageFacts`)."""
    if isinstance(lookup, DrillRegistry):
        return await lookup.facts(drill_id, page_id)
    inbox = lookup.get(drill_id)
    return inbox if isinstance(inbox, PageFacts) else None


async def question_of(lookup: InboxLookup, drill_id: str, page_id: str) -> Question | None:
    """The question `page_id` asked (None: a plain 了解, or nobody can say)."""
    facts = await facts_of(lookup, drill_id, page_id)
    return facts.question_for(page_id) if facts is not None else None


async def serves(lookup: InboxLookup, drill_id: str) -> bool:
    """Whether a callback for `drill_id` would reach an engine through `lookup`."""
    if isinstance(lookup, DrillRegistry):
        return await lookup.serves(drill_id)
    return lookup.get(drill_id) is not None


async def drills_of(lookup: InboxLookup) -> list[str]:
    """The drill ids short tokens are resolved against (none for a bare lookup)."""
    if isinstance(lookup, DrillRegistry):
        return await lookup.drills()
    if isinstance(lookup, Iterable):
        return [drill for drill in lookup if isinstance(drill, str)]
    return []


REGISTRY_KEY = web.AppKey("drillkit.registry", DrillRegistry)
SETTINGS_KEY = web.AppKey("drillkit.ack_settings", AckSettings)
LINKS_KEY = web.AppKey("drillkit.links", Links)

_TOKEN_ROUTE = LINK_PATH + "{token}"


def build_app(
    settings: AckSettings,
    registry: DrillRegistry,
    *,
    links: Links | None = None,
    route_hooks: Iterable[RouteHook] | None = None,
) -> web.Application:
    """The aiohttp application: link pages, `/healthz`, and the Twilio webhooks.

    `route_hooks` add more routes; when it is None, the Twilio webhooks from
    `drill.ack.twilio_hooks` are mounted if that module is present.
    """
    app = web.Application(client_max_size=64 * 1024, middlewares=[_answer_every_request])
    app[REGISTRY_KEY] = registry
    app[SETTINGS_KEY] = settings
    app[LINKS_KEY] = links or Links.from_settings(settings)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/robots.txt", _robots)
    app.router.add_get(_TOKEN_ROUTE, _open_link)
    app.router.add_post(_TOKEN_ROUTE, _confirm_link)
    app.on_response_prepare.append(_security_headers)
    hooks = list(route_hooks) if route_hooks is not None else _default_hooks()
    for hook in hooks:
        hook(app)
    return app


def _default_hooks() -> list[RouteHook]:
    """The Twilio webhooks, when that module exists (it is optional at import time)."""
    try:
        module = importlib.import_module("drill.ack.twilio_hooks")
    except ModuleNotFoundError as exc:
        if exc.name != "drill.ack.twilio_hooks":
            raise
        return []
    add = getattr(module, "add_twilio_routes", None)
    if add is None:
        return []
    return [add]


class AckServer:
    """Runs the app on `listen_host:listen_port` inside the current event loop.

    Port 0 binds any free port; `port` and `url` give the real address after `start()`.
    """

    def __init__(
        self,
        settings: AckSettings,
        registry: DrillRegistry | None = None,
        *,
        links: Links | None = None,
        route_hooks: Iterable[RouteHook] | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry if registry is not None else DrillRegistry()
        self.app = build_app(settings, self.registry, links=links, route_hooks=route_hooks)
        self._host = host if host is not None else settings.listen_host
        self._port = port if port is not None else settings.listen_port
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def links(self) -> Links:
        return self.app[LINKS_KEY]

    @property
    def url(self) -> str:
        """The local address (`http://host:port`); people reach the public URL instead."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> str:
        """Bind and serve; returns the local URL. OSError when the port is taken."""
        if self._runner is not None:
            return self.url
        runner = web.AppRunner(
            self.app,
            access_log_class=_RedactingAccessLogger,
            handle_signals=False,
            logger=_ServerLog(logging.getLogger("aiohttp.server"), {}),
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        log.info("acknowledgement server listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Stop accepting, finish requests in flight, release the port."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> AckServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


# --- handlers ---------------------------------------------------------------------------


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"service": "drillkit-ack", "status": "ok"})


async def _robots(request: web.Request) -> web.Response:
    return web.Response(text="User-agent: *\nDisallow: /\n")


async def _open_link(request: web.Request) -> web.Response:
    """GET: show the confirmation page; record only that the link was opened."""
    claim, problem = await _resolve(request)
    if problem is not None:
        return problem
    assert claim is not None
    opened = Callback(
        CallbackKind.STATUS,
        claim.drill_id,
        claim.page_id,
        f"open:{claim.token_id}",
        status=DeliveryStatus.OPENED,
    )
    try:
        await request.app[REGISTRY_KEY].deliver(opened)
    except Exception:  # the open is informational; the page must still let them confirm
        log.exception("could not record that link %s was opened", claim.token_id)
    question = await question_of(request.app[REGISTRY_KEY], claim.drill_id, claim.page_id)
    return _page(200, _CONFIRM if question is None else _ANSWER, form=True, question=question)


async def _confirm_link(request: web.Request) -> web.Response:
    """POST: acknowledge, durably, then thank."""
    claim, problem = await _resolve(request)
    if problem is not None:
        return problem
    assert claim is not None
    form = await read_form(request)
    question = await question_of(request.app[REGISTRY_KEY], claim.drill_id, claim.page_id)
    if form.get("confirm") != "yes":
        return _page(400, _NOT_CONFIRMED, form=True, question=question)
    choice = form.get("choice") or None
    if choice is not None and (question is None or question.choice(choice) is None):
        log.info("link %s: an answer the question does not offer; nothing recorded", claim.token_id)
        return _page(400, _BAD_CHOICE, form=True, question=question)
    source = "sms" if claim.channel is ChannelKind.SMS else "email"
    # Another answer through the same link is a change of answer, not a repeat.
    key = f"link:{claim.token_id}" + (f":{choice}" if choice is not None else "")
    callback = Callback(
        CallbackKind.ACK, claim.drill_id, claim.page_id, key, source=source, choice=choice
    )
    try:
        outcome = await request.app[REGISTRY_KEY].deliver(callback)
    except Exception:
        log.exception("acknowledgement through link %s could not be recorded", claim.token_id)
        return _not_recorded(question)
    outcome = outcome or AckOutcome.RECORDED
    log.info("link %s: %s", claim.token_id, outcome.value)
    status, text = _OUTCOME_PAGES[outcome]
    if outcome is AckOutcome.ALREADY_ACKNOWLEDGED and choice is not None:
        text = _ANSWER_CHANGED
    elif outcome is AckOutcome.INVALID_CHOICE:
        return _page(status, text, form=True, question=question)
    return _page(status, text)


async def _resolve(request: web.Request) -> tuple[LinkClaim | None, web.Response | None]:
    token = request.match_info["token"]
    registry = request.app[REGISTRY_KEY]
    try:
        drills = await registry.drills()
    except Exception:  # the store unreachable: nothing can be recorded, say so
        log.exception("could not read the running drills")
        return None, _not_recorded()
    try:
        claim = request.app[LINKS_KEY].verify(token, drills)
    except ExpiredLink:
        return None, _page(410, _EXPIRED)
    except UnknownDrill:
        return None, _page(410, _ENDED)
    except LinkError:
        return None, _page(400, _INVALID)
    if claim.channel not in _LINK_CHANNELS:
        # A voice page's token is never sent as a link; accepting it here would record a
        # keypress-only page as an e-mail acknowledgement.
        log.warning("link %s of a %s page refused on the link path", claim.token_id, claim.channel)
        return None, _page(400, _INVALID)
    try:
        served = await registry.serves(claim.drill_id)
    except Exception:
        log.exception("could not look up drill %s", claim.drill_id)
        return None, _not_recorded()
    if not served:
        return claim, _page(410, _ENDED)
    return claim, None


def _not_recorded(question: Question | None = None) -> web.Response:
    response = _page(503, _NOT_RECORDED, form=True, question=question)
    response.headers["Retry-After"] = "5"
    return response


_LINK_CHANNELS = frozenset({ChannelKind.SMS, ChannelKind.EMAIL})
"""The channels whose pages carry a link: only their tokens acknowledge on `/a/`."""


# --- hostile requests -------------------------------------------------------------------

_SERVED_METHODS = frozenset({"GET", "HEAD", "POST"})
_ALLOW = "GET, HEAD, POST"


async def read_form(request: web.Request) -> MultiDictProxy[str]:
    """The request's form fields (text only); `HTTPBadRequest` with a short page when the
    body cannot be read as a form (not UTF-8, an unknown charset, broken multipart)."""
    try:
        form = await request.post()
    except web.HTTPException:
        raise  # already a 4xx answer (413: body too large)
    except (
        UnicodeError,
        LookupError,
        ValueError,
        AssertionError,
        HttpProcessingError,
        web.RequestPayloadError,  # a Content-Encoding that does not decode
    ) as exc:
        # aiohttp raises these while parsing a body it was sent; none of them is our fault.
        log.info("unreadable form body on %s: %s", redact_path(request.path), type(exc).__name__)
        raise _bad_request() from None
    fields: MultiDict[str] = MultiDict()
    for name, value in form.items():
        if isinstance(value, str):  # uploaded files are never part of a form we serve
            fields.add(name, value)
    return MultiDictProxy(fields)


def _bad_request() -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=_document(_BAD_REQUEST, form=False), content_type="text/html")


@web.middleware
async def _answer_every_request(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Odd methods get 405 with Allow; a body aiohttp cannot frame gets 400, not 500."""
    if request.method not in _SERVED_METHODS:
        return _page(405, _NOT_ALLOWED, headers={"Allow": _ALLOW})
    try:
        return await handler(request)
    except HttpProcessingError as exc:
        log.info("malformed request on %s: %s", redact_path(request.path), exc.message)
        return _page(400, _BAD_REQUEST)
    except web.RequestPayloadError:
        log.info("undecodable request body on %s", redact_path(request.path))
        return _page(400, _BAD_REQUEST)


class _ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server log, where a request it could not even parse (a bad header, a
    line too long, broken chunks, a body that does not decode) is one line, not a traceback: it answers those with 400
    itself, and they are the sender's fault. Anything else keeps its traceback."""

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, HttpProcessingError | web.RequestPayloadError):
            # RequestPayloadError: a body whose Content-Encoding does not decode, found
            # while aiohttp drains what a handler left unread.
            text = exc.message if isinstance(exc, HttpProcessingError) else str(exc)
            first = (text or "").strip().splitlines()[-1:]
            self.logger.info("malformed request refused with 400: %s", first[0] if first else "")
            return
        kwargs.setdefault("exc_info", True)
        self.logger.error(msg, *args, **kwargs)


# --- pages ------------------------------------------------------------------------------

_Text = tuple[str, str, str, str]
"""(Japanese title, English title, Japanese text, English text)."""

_CONFIRM: _Text = (
    "受信確認",
    "Confirm receipt",
    "下のボタンを押すと、この連絡を受け取ったことが記録されます。",
    "Press the button to record that you received this message.",
)
_THANKS: _Text = (
    "確認しました",
    "Confirmed",
    "受信確認を記録しました。ご協力ありがとうございます。このページは閉じてかまいません。",
    "Your confirmation has been recorded. Thank you; you may close this page.",
)
_ALREADY: _Text = (
    "確認済みです",
    "Already confirmed",
    "この連絡は別の方法ですでに確認されています。今回の操作も記録しました。",
    "This message had already been confirmed another way; this confirmation was noted too.",
)
_DUPLICATE: _Text = (
    "確認済みです",
    "Already confirmed",
    "このリンクによる確認はすでに記録されています。新たに記録したものはありません。",
    "This link has already been used to confirm; nothing new was recorded.",
)
_ENDED: _Text = (
    "この訓練・連絡は終了しています",
    "This drill has ended or is unknown",
    "この連絡はすでに終了しているか、見つかりません。何も記録していません。",
    "This drill has ended or is unknown. Nothing was recorded.",
)
_UNKNOWN_PAGE: _Text = (
    "連絡が見つかりません",
    "Message not found",
    "このリンクに対応する連絡が見つかりません。何も記録していません。",
    "No message matches this link. Nothing was recorded.",
)
_EXPIRED: _Text = (
    "リンクの有効期限切れ",
    "This link has expired",
    "このリンクは有効期限が切れています。何も記録していません。必要な場合は担当者に電話で連絡してください。",
    "This link has expired. Nothing was recorded; if needed, call the duty officer.",
)
_INVALID: _Text = (
    "無効なリンク",
    "Invalid link",
    "このリンクは無効です(途中で切れているか、変更されています)。何も記録していません。受信したメッセージのリンクをそのまま開いてください。",
    "This link is not valid (cut short or altered). Nothing was recorded; open the link exactly as received.",
)
_NOT_CONFIRMED: _Text = (
    "確認ボタンを押してください",
    "Please press the button",
    "受信確認はボタンを押したときだけ記録されます。",
    "A confirmation is recorded only when the button is pressed.",
)
_NOT_RECORDED: _Text = (
    "記録できませんでした",
    "Could not record",
    "一時的な問題で記録できませんでした。少し待ってからもう一度ボタンを押してください。",
    "A temporary problem prevented recording. Please wait a moment and press the button again.",
)

_ANSWER: _Text = (
    "受信確認と回答",
    "Confirm receipt and answer",
    "下の回答のボタンを一つ押すと、この連絡を受け取ったことと回答が記録されます。",
    "Press one of the answers below to record that you received this message, and your answer.",
)
_BAD_CHOICE: _Text = (
    "回答を選んでください",
    "Please choose an answer",
    "送信された回答は、この連絡の選択肢にありません。何も記録していません。下のボタンから選んでください。",
    "That answer is not one of this message's choices. Nothing was recorded; choose one below.",
)
_ANSWER_CHANGED: _Text = (
    "回答を記録しました",
    "Answer recorded",
    "この連絡はすでに確認されています。集計には最初の回答を使い、今回の回答は変更として記録しました。",
    "This message had already been confirmed. The first answer is counted; this one was recorded as a change.",
)
_BAD_REQUEST: _Text = (
    "読み取れない送信内容",
    "Bad request",
    "送信された内容を読み取れませんでした。何も記録していません。受信したメッセージのリンクをそのまま開いてください。",
    "The request could not be read. Nothing was recorded; open the link exactly as received.",
)
_NOT_ALLOWED: _Text = (
    "この操作はできません",
    "Method not allowed",
    "このアドレスでは、この操作を受け付けていません。何も記録していません。",
    "This address does not accept that method. Nothing was recorded.",
)

_OUTCOME_PAGES: dict[AckOutcome, tuple[int, _Text]] = {
    AckOutcome.ACCEPTED: (200, _THANKS),
    AckOutcome.ALREADY_ACKNOWLEDGED: (200, _ALREADY),
    AckOutcome.DUPLICATE: (409, _DUPLICATE),
    AckOutcome.UNKNOWN_PAGE: (404, _UNKNOWN_PAGE),
    AckOutcome.FINISHED: (410, _ENDED),
    AckOutcome.INVALID_CHOICE: (400, _BAD_CHOICE),
    AckOutcome.RECORDED: (200, _THANKS),
}

_STYLE = (
    "body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.6;color:#222}h1{font-size:1.4rem}.en{color:#555}"
    "button{font-size:1.2rem;padding:.8rem 2rem;border-radius:.4rem;border:0;"
    "background:#0b5cad;color:#fff}"
)


def _page(
    status: int,
    text: _Text,
    *,
    form: bool = False,
    headers: dict[str, str] | None = None,
    question: Question | None = None,
) -> web.Response:
    if question is None:  # the same few pages over and over: each made once
        return web.Response(
            status=status,
            body=_plain_document(text, form),
            content_type="text/html",
            charset="utf-8",
            headers=headers,
        )
    return web.Response(
        status=status,
        text=_document(text, form=form, question=question),
        content_type="text/html",
        charset="utf-8",
        headers=headers,
    )


@functools.lru_cache(maxsize=64)
def _plain_document(text: _Text, form: bool) -> bytes:
    """`_document` of a page that asks no question, encoded (what a `text=` page sends)."""
    return _document(text, form=form).encode("utf-8")


def _document(text: _Text, *, form: bool, question: Question | None = None) -> str:
    title_ja, title_en, body_ja, body_en = (html.escape(part) for part in text)
    button = (
        '<form method="post"><input type="hidden" name="confirm" value="yes">'
        '<p><button type="submit">確認しました / I confirm</button></p></form>'
        if form and question is None
        else _choice_form(question)
        if form and question is not None
        else ""
    )
    document = (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex,nofollow">'
        f"<title>{title_ja} / {title_en}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{title_ja}</h1><p class="en" lang="en">{title_en}</p>'
        f'<p>{body_ja}</p><p class="en" lang="en">{body_en}</p>{button}</body></html>'
    )
    return document


def _choice_form(question: Question) -> str:
    """The question and one button per choice (numbered as on the telephone's keypad)."""
    asked = html.escape(question.text.ja)
    asked_en = (
        f'<p class="en" lang="en">{html.escape(question.text.en)}</p>' if question.text.en else ""
    )
    buttons = "".join(
        f'<p><button type="submit" name="choice" value="{html.escape(c.key, quote=True)}">'
        f"{n}. {html.escape(c.label.ja)}"
        + (f" / {html.escape(c.label.en)}" if c.label.en else "")
        + "</button></p>"
        for n, c in enumerate(question.choices, start=1)
    )
    return (
        f'<h2>{asked}</h2>{asked_en}<form method="post">'
        f'<input type="hidden" name="confirm" value="yes">{buttons}</form>'
    )


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("Referrer-Policy", "no-referrer")  # the token is in the URL
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    )


# --- logging ----------------------------------------------------------------------------

_TOKEN_IN_PATH = re.compile(r"(/a/)[^/?#\s]+")


def redact_path(path: str) -> str:
    """A request path with link tokens hidden (a token is as good as a confirmation)."""
    return _TOKEN_IN_PATH.sub(r"\1<token>", path)


class _RedactingAccessLogger(AbstractAccessLogger):
    """An access log that never contains a link token nor a query string."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.1fms',
            request.remote,
            request.method,
            redact_path(request.path),
            response.status,
            time * 1000,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
