"""The twilio client as drillkit uses it: an enforced timeout, no warnings, errors classified.

`AsyncTwilioHttpClient(timeout=…)` ignores its timeout and, with aiohttp 3.14, warns
about BasicAuth on every request. `TwilioTransport` sets the Authorization header itself
and bounds each request with `asyncio.timeout`. It also notes whether the request left
this machine, because that decides what may be retried: a request that never reached
Twilio (connection refused, connect timeout) can be sent again, but one that reached it
and got no answer may have created a call, and redialling blindly would ring a person
twice (GoAlert #1599). Those fail as TIMEOUT and the engine escalates instead.

`classify` turns whatever a request raised into a `FailureReason`, a retry decision and a
detail safe to show in a report (phone numbers masked, no URL with credentials).

The transport also writes the form body itself (`form_body`): byte for byte what aiohttp
would send for the same fields, without its per-request `FormData` and `urlencode`, which
quote a long TwiML byte by byte in Python and cost as much as the rest of the request. A
value that is a `FormText` brings its encoding along, worked out by the notifier from
parts shared by many pages (the TwiML around one message).
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import dataclasses
import functools
import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, urlsplit

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from drill.config import TwilioSettings
from drill.engine.notifier import FailureReason
from drill.errors import ConfigError
from drill.plan.contact import mask_number

__all__ = [
    "FORM_CONTENT_TYPE",
    "Classified",
    "FormText",
    "PageLabel",
    "RequestLost",
    "RequestNotSent",
    "RequestTimeout",
    "TwilioTransport",
    "classify",
    "describe_code",
    "form_body",
    "form_quote",
    "is_loopback_url",
    "make_client",
    "scrub",
]

log = logging.getLogger(__name__)

# Twilio error codes (https://www.twilio.com/docs/api/errors) -> what the report shows.
_CODES: dict[int, tuple[FailureReason, str]] = {
    20003: (FailureReason.CONFIG, "authentication failed: check the account SID and auth token"),
    20404: (FailureReason.CONFIG, "resource not found: check the account SID"),
    21210: (FailureReason.CONFIG, "the caller id is not a verified number of this account"),
    21211: (FailureReason.INVALID_NUMBER, "the number is not a valid phone number"),
    21212: (FailureReason.CONFIG, "the caller id / sender is not valid"),
    21213: (FailureReason.CONFIG, "a caller id is required"),
    21214: (FailureReason.UNREACHABLE, "the number cannot be reached"),
    21215: (FailureReason.CONFIG, "the account may not call this region (geo permissions)"),
    21216: (FailureReason.BLOCKED, "the account may not call this number (blocked)"),
    21217: (FailureReason.INVALID_NUMBER, "the number does not look like a phone number"),
    21219: (FailureReason.CONFIG, "a trial account may only call verified numbers"),
    21408: (FailureReason.CONFIG, "the account may not send SMS to this region (geo permissions)"),
    21606: (FailureReason.CONFIG, "the sender number cannot send SMS"),
    21610: (FailureReason.BLOCKED, "the recipient has blocked or unsubscribed from this sender"),
    21612: (FailureReason.UNREACHABLE, "the number cannot be reached by SMS"),
    21614: (FailureReason.LANDLINE, "the number is not a mobile number (no SMS to landlines)"),
    13223: (FailureReason.INVALID_NUMBER, "the number is not in a valid format"),
    13224: (FailureReason.INVALID_NUMBER, "the number is not a valid phone number"),
    # delivery errors reported later by status callbacks (ErrorCode)
    30003: (FailureReason.UNREACHABLE, "the handset is off or out of coverage"),
    30004: (FailureReason.BLOCKED, "the message was blocked"),
    30005: (FailureReason.WRONG_NUMBER, "the number is unknown or no longer in service"),
    30006: (FailureReason.LANDLINE, "the number is a landline or cannot receive SMS"),
    30007: (FailureReason.BLOCKED, "the carrier filtered the message"),
    30008: (FailureReason.PROVIDER_ERROR, "unknown delivery error"),
}
_RATE_LIMIT_CODES = frozenset({20429, 14107})

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# quote_plus's encoding of each ASCII character: letters, digits and _.-~ as they are, the
# space as +, anything else as %XX. quote_plus loops over the bytes in Python; translate
# does it in C: twice as fast on the URLs and ids that every request carries.
_UNQUOTED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_FORM_ASCII = tuple(
    chr(c) if chr(c) in _UNQUOTED else "+" if c == 0x20 else f"%{c:02X}" for c in range(128)
)


def form_quote(text: str) -> str:
    """`urllib.parse.quote_plus(text)`: what a form field's name or value is sent as."""
    if text.isascii():
        return text.translate(_FORM_ASCII)
    return quote_plus(text)


class FormText(str):
    """A form value that carries its encoding: `form` is `form_quote(self)`, put together
    from parts encoded once (the TwiML around one message) instead of again per page."""

    form: str

    def __new__(cls, text: str, form: str) -> FormText:
        value = super().__new__(cls, text)
        value.form = form
        return value


def form_body(data: Mapping[str, object]) -> bytes | None:
    """The urlencoded body aiohttp makes of `data` (`urlencode(items, doseq=True)`: a list
    repeats its key), or None for a value it would not urlencode that way (bytes, files)."""
    fields: list[str] = []
    for key, value in data.items():
        name = form_quote(key)
        if type(value) is FormText:
            fields.append(f"{name}={value.form}")
        elif isinstance(value, str):
            fields.append(f"{name}={form_quote(value)}")
        elif isinstance(value, int | float):
            fields.append(f"{name}={form_quote(str(value))}")
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
            fields.extend(f"{name}={form_quote(str(v))}" for v in value)
        else:
            return None
    return "&".join(fields).encode("ascii")


class RequestTimeout(Exception):
    """No reply within the timeout; `sent` tells whether the request reached the server."""

    def __init__(self, seconds: float, *, sent: bool) -> None:
        where = "after the request was sent" if sent else "before the request was sent"
        super().__init__(f"no reply within {seconds:g} s ({where})")
        self.seconds = seconds
        self.sent = sent


class RequestNotSent(Exception):
    """The connection failed before the request left: safe to send again."""


class RequestLost(Exception):
    """The connection broke after the request was sent: Twilio may have acted on it."""


@dataclasses.dataclass(slots=True)
class _Progress:
    sent: bool = False


_REQUEST: contextvars.ContextVar[_Progress | None] = contextvars.ContextVar(
    "drillkit_twilio_request", default=None
)
"""The progress of the request the current task is making (read by `_Connector`)."""


class _Connector(aiohttp.TCPConnector):
    """A connection pool that notes when the request being made got its connection.

    aiohttp writes the request as soon as it has a connection, so from then on it may
    reach Twilio: counted as sent, it is not sent again blindly. (Tracing the moment the
    headers are written says the same a little later, but aiohttp's tracing costs a
    dozen awaits a request: a quarter of an SMS fan-out's throughput.)
    """

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Any],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109  # aiohttp's signature
    ) -> Any:
        connection = await super().connect(req, traces, timeout)
        progress = _REQUEST.get()
        if progress is not None:
            progress.sent = True
        return connection


@functools.lru_cache(maxsize=8)
def _basic(user: str, password: str) -> str:
    # One account's header for every request of a fan-out, encoded once.
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class TwilioTransport(AsyncTwilioHttpClient):  # type: ignore[misc]  # twilio is untyped
    """The twilio client's HTTP layer with a real timeout and our own Authorization header."""

    def __init__(self, timeout: float, *, connections: int = 100) -> None:
        # pool_connections=False: the parent would build a ClientSession outside the loop
        super().__init__(pool_connections=False, timeout=timeout, logger=log)
        self.timeout: float = timeout
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=_Connector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=None),  # ours is enforced below
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  # the twilio client's signature
        allow_redirects: bool = False,
    ) -> Response:
        """One HTTP request; raises RequestTimeout, RequestNotSent or RequestLost."""
        limit = timeout if timeout is not None and timeout > 0 else self.timeout
        all_headers = dict(headers or {})
        if auth is not None:
            all_headers["Authorization"] = _basic(auth[0], auth[1])
        body: dict[str, object] | bytes | None = data
        if data:
            encoded = form_body(data)
            if encoded is not None:
                body = encoded
                all_headers.setdefault("Content-Type", FORM_CONTENT_TYPE)
        progress = _Progress()
        session = self._get_session()
        current = _REQUEST.set(progress)
        try:
            async with asyncio.timeout(limit):
                async with session.request(
                    method.upper(),
                    url,
                    params=params,  # type: ignore[arg-type]
                    data=body,
                    headers=all_headers,
                    allow_redirects=allow_redirects,
                ) as reply:
                    text = await reply.text()
                    return Response(reply.status, text, reply.headers)
        except TimeoutError:
            raise RequestTimeout(limit, sent=progress.sent) from None
        except aiohttp.ClientError as exc:
            if progress.sent:
                raise RequestLost(type(exc).__name__) from None
            raise RequestNotSent(type(exc).__name__) from None
        finally:
            _REQUEST.reset(current)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class PageLabel:
    """ "voice page <id> to 090-****-**67" for log lines, masked only when a line is written.

    Masking parses the number (phonenumbers), which costs as much as a fast request; most
    labels are never printed, so the work is done on first use.
    """

    __slots__ = ("_address", "_kind", "_page_id", "_text")

    def __init__(self, kind: str, page_id: str, address: str) -> None:
        self._kind = kind
        self._page_id = page_id
        self._address = address
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = f"{self._kind} page {self._page_id} to {mask_number(self._address)}"
        return self._text

    __repr__ = __str__


def is_loopback_url(url: str | None) -> bool:
    """True for http(s)://127.x, [::1] or localhost: the local sandbox, never a real provider."""
    if not url:
        return False
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_client(
    settings: TwilioSettings, auth_token: str, *, transport: TwilioTransport | None = None
) -> Client:
    """A twilio `Client` on our transport, pointed at `api_base_url` when one is set."""
    if not settings.account_sid:
        raise ConfigError(
            "Twilio is not configured: set [twilio] account_sid in the config file "
            "(the auth token goes in DRILLKIT_TWILIO_AUTH_TOKEN or the OS keyring)."
        )
    if not auth_token:
        raise ConfigError(
            "The Twilio auth token is missing: set DRILLKIT_TWILIO_AUTH_TOKEN or store it "
            "in the OS keyring (service 'drillkit', name 'twilio_auth_token')."
        )
    client = Client(
        settings.account_sid,
        auth_token,
        http_client=transport or TwilioTransport(settings.timeout_seconds),
    )
    if settings.api_base_url:
        # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host again
        client.edge = None
        client.region = None
        client.api.base_url = settings.api_base_url.rstrip("/")
    return client


_NUMBER = re.compile(r"\+?\d[\d\- ()]{7,}\d")
_URL = re.compile(r"https?://\S+")


def scrub(text: str) -> str:
    """`text` with phone numbers masked and URLs removed (they may carry the account)."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        e164 = "+" + digits if match.group(0).startswith("+") else "+81" + digits.lstrip("0")
        return mask_number(e164)

    return _NUMBER.sub(_mask, _URL.sub("<url>", text))


@dataclasses.dataclass(frozen=True, slots=True)
class Classified:
    """What a failed request means for the page."""

    reason: FailureReason
    retryable: bool
    """True only when the provider certainly did not accept the request."""
    detail: str
    """Safe for logs and reports: numbers masked, no URLs."""
    code: int | None = None


def describe_code(code: int | None) -> tuple[FailureReason, str] | None:
    """The reason and explanation for a Twilio error code, if we know it."""
    if code is None:
        return None
    return _CODES.get(code)


def classify(exc: BaseException) -> Classified:
    """Turn what a Twilio request raised into a failure reason and a retry decision."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status = int(exc.status or 0)
        code = int(exc.code) if isinstance(exc.code, int) else None
        if code in _RATE_LIMIT_CODES or status == 429:
            return Classified(
                FailureReason.RATE_LIMITED, True, f"Twilio rate limit (HTTP {status})", code
            )
        known = describe_code(code)
        if known is not None:
            return Classified(known[0], False, f"Twilio error {code}: {known[1]}", code)
        if status >= 500:
            return Classified(
                FailureReason.PROVIDER_ERROR, True, f"Twilio server error (HTTP {status})", code
            )
        if status in (401, 403):
            return Classified(
                FailureReason.CONFIG,
                False,
                f"Twilio refused the credentials (HTTP {status})",
                code,
            )
        message = scrub(str(getattr(exc, "msg", "") or getattr(exc, "detail", "") or ""))
        label = f"Twilio error {code}" if code is not None else f"Twilio HTTP {status}"
        return Classified(
            FailureReason.PROVIDER_ERROR, False, f"{label}: {message}".rstrip(": "), code
        )
    if isinstance(exc, RequestTimeout):
        if exc.sent:
            return Classified(
                FailureReason.TIMEOUT,
                False,
                f"Twilio did not answer within {exc.seconds:g} s; not retried, because it "
                "may have accepted the request",
            )
        return Classified(
            FailureReason.TIMEOUT, True, f"could not reach Twilio within {exc.seconds:g} s"
        )
    if isinstance(exc, RequestNotSent):
        return Classified(
            FailureReason.PROVIDER_ERROR, True, f"could not connect to Twilio ({exc})"
        )
    if isinstance(exc, RequestLost):
        return Classified(
            FailureReason.PROVIDER_ERROR,
            False,
            f"connection to Twilio lost after sending ({exc}); not retried, because it may "
            "have accepted the request",
        )
    if isinstance(exc, aiohttp.ClientError | OSError):
        return Classified(
            FailureReason.PROVIDER_ERROR, False, f"network error ({type(exc).__name__})"
        )
    return Classified(
        FailureReason.PROVIDER_ERROR, False, f"unexpected error ({type(exc).__name__})"
    )
