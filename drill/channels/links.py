"""Acknowledgement links: signed, expiring tokens that name one page of one drill.

An SMS or e-mail carries `<public_url>/a/<token>`. A Japanese SMS is UCS-2 (70 characters
in one segment), so the token is short: `LINK_TOKEN_LENGTH` (18) characters of the
base64url alphabet, each carrying 6 of these 108 bits, most significant first:

    drill hint   8  first byte of SHA-256 of the drill id: which running drill to try
    channel      2  SMS, e-mail or voice (the acknowledgement's source)
    page        14  n of the page id `<drill_id>-p<n>` (the page implies the attempt)
    minute      20  minutes since the Unix epoch, modulo 2**20 (about two years)
    MAC         64  HMAC-SHA256, keyed by the link key, over the 44 bits above and the
                    full drill id, cut to 64 bits

The drill id itself is not in the token: `verify` tries the drills it is given (the ack
server passes its `DrillRegistry`: the drills running now) and the drills this process
made links for, whose hint matches. No match is `UnknownDrill` (the drill has ended or is
not served here); a match whose MAC differs is `InvalidLink` (altered, or another key). A
token is good for `AckSettings.link_ttl_hours` after the minute it was made in (up to a
minute longer, never shorter); a clock up to five minutes behind is tolerated.

Pages whose id is not `<drill_id>-p<n>` (or n beyond 16383), and a lifetime of a year or
more, get the older long tokens: an itsdangerous `URLSafeTimedSerializer` payload that
holds the drill, the page, the attempt and the channel. Those are still read, so links
already sent keep working.

Without a configured key a random key is made once per process: links then work only
while that process runs (fine for the sandbox and the demo, not for `drillkit serve` in
another process), and a log line says so without showing the key.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import functools
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm
from itsdangerous.timed import TimestampSigner

from drill.config import AckSettings, secret
from drill.engine.notifier import Page
from drill.plan.models import ChannelKind

__all__ = [
    "LINK_TOKEN_LENGTH",
    "ExpiredLink",
    "InvalidLink",
    "LinkClaim",
    "LinkError",
    "Links",
    "UnknownDrill",
    "default_links",
    "make_link",
    "peek_token",
    "read_token",
    "token_id",
]

log = logging.getLogger(__name__)

LINK_PATH = "/a/"
"""Links are `<public_url>/a/<token>`: a short path keeps SMS short."""

# --- short tokens -----------------------------------------------------------------------

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SHORT_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
"""`_ALPHABET`'s characters only (ASCII: no other digit or letter)."""
_HINT_BITS, _CHANNEL_BITS, _PAGE_BITS, _MINUTE_BITS, _MAC_BITS = 8, 2, 14, 20, 64
_HEADER_BITS = _HINT_BITS + _CHANNEL_BITS + _PAGE_BITS + _MINUTE_BITS
LINK_TOKEN_LENGTH = (_HEADER_BITS + _MAC_BITS) // 6
"""Characters in a short token (18): what an SMS link costs beyond `<public_url>/a/`."""
assert LINK_TOKEN_LENGTH * 6 == _HEADER_BITS + _MAC_BITS
_PAD = "A" * (-LINK_TOKEN_LENGTH % 4)
"""Leading zero digits that make a short token whole base64 quanta (4 digits, 3 bytes)."""

_MAX_PAGE = (1 << _PAGE_BITS) - 1
_MINUTE_CYCLE = 1 << _MINUTE_BITS
_SKEW_MINUTES = 5
"""A token up to this many minutes "from the future" (another process's clock) is good."""
_LONGEST_SHORT_TTL = (_MINUTE_CYCLE // 2) * 60.0
"""Beyond this lifetime the minute field could wrap while a token is valid: long tokens."""
_SHORT_CODE = {ChannelKind.SMS: 0, ChannelKind.EMAIL: 1, ChannelKind.VOICE: 2}
_SHORT_CHANNEL = {code: kind for kind, code in _SHORT_CODE.items()}
_MAC_CONTEXT = b"drillkit.ack-link.v2"
_HINT_CONTEXT = b"drillkit.ack-link.v2.drill\x00"

# --- long tokens (before short ones; still read) ----------------------------------------

_SALT = "drillkit.ack-link.v1"
_CHANNEL_CODE = {ChannelKind.SMS: "s", ChannelKind.EMAIL: "e", ChannelKind.VOICE: "v"}
_CODE_CHANNEL = {code: kind for kind, code in _CHANNEL_CODE.items()}


class LinkError(Exception):
    """A token that cannot be used; `reason` is "invalid", "expired" or "unknown"."""

    reason = "invalid"


class InvalidLink(LinkError):
    """The token was altered, truncated, signed with another key, or is not a token."""

    reason = "invalid"


class ExpiredLink(LinkError):
    """The token's signature is good but it is older than the link lifetime."""

    reason = "expired"


class UnknownDrill(LinkError):
    """A short token for none of the drills it was checked against: the drill has ended or
    is not served here (its signature cannot be checked without the drill id)."""

    reason = "unknown"


@dataclasses.dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a verified token says."""

    drill_id: str
    page_id: str
    attempt: int | None
    """The page's attempt, when the token says it (long tokens); short tokens name the page,
    which implies its attempt."""
    channel: ChannelKind
    token_id: str
    """A short, stable id of the token (for idempotency keys and logs; not secret)."""
    issued_at: float
    """When the token was signed (seconds since the epoch; short tokens: to the minute)."""


def token_id(token: str) -> str:
    """A short id of a token: the same token always gives the same id."""
    digest = hashlib.sha256(token.encode("ascii", "replace")).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode("ascii")


class Links:
    """Makes and verifies acknowledgement links with one key.

    `clock` (seconds since the epoch) is injectable so tests can expire a token without
    waiting; the same clock is used to sign and to check the age.
    """

    def __init__(
        self,
        *,
        public_url: str,
        key: str | bytes,
        ttl_seconds: float,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.ttl_seconds = ttl_seconds
        self._key = key
        self._clock = clock or time.time
        raw_key = key.encode("utf-8") if isinstance(key, str) else key
        mac_key = hmac.new(raw_key, _MAC_CONTEXT, hashlib.sha256).digest()
        # Keyed once: each MAC copies it instead of keying a new HMAC, which (with
        # OpenSSL 3) also looks the digest up again: the larger part of verifying a link.
        self._keyed_mac = hmac.new(mac_key, digestmod=hashlib.sha256)
        self._serializer = URLSafeTimedSerializer(
            key,
            salt=_SALT,
            serializer=_CompactPayload(),
            signer=_clocked_signer(self._clock),
            signer_kwargs={"algorithm": _ShortHMAC(hashlib.sha256)},
        )

    @classmethod
    def from_settings(
        cls, settings: AckSettings, *, clock: Callable[[], float] | None = None
    ) -> Links:
        """Links keyed by the configured link key (or this process's random key)."""
        return cls(
            public_url=settings.public_url,
            key=link_key(),
            ttl_seconds=settings.link_ttl_hours * 3600,
            clock=clock,
        )

    def with_public_url(self, public_url: str) -> Links:
        """The same key and lifetime, links pointing at another address."""
        return Links(
            public_url=public_url, key=self._key, ttl_seconds=self.ttl_seconds, clock=self._clock
        )

    def make_token(self, page: Page) -> str:
        """The signed token for `page`: short (`LINK_TOKEN_LENGTH`) for `<drill_id>-p<n>`."""
        number = _page_number(page.drill_id, page.page_id)
        if number is not None and self.ttl_seconds < _LONGEST_SHORT_TTL:
            _remember(page.drill_id)
            minute = int(self._clock() // 60) % _MINUTE_CYCLE
            header = _header(_hint(page.drill_id), _SHORT_CODE[page.channel], number, minute)
            mac = self._mac(header, page.drill_id)
            return _encode((header << _MAC_BITS) | int.from_bytes(mac, "big"))
        return self._long_token(page)

    def make_link(self, page: Page) -> str:
        """`<public_url>/a/<token>` for `page`."""
        return f"{self.public_url}{LINK_PATH}{self.make_token(page)}"

    def verify(self, token: str, drills: Iterable[str] = ()) -> LinkClaim:
        """The claim of a good token; InvalidLink, ExpiredLink or UnknownDrill otherwise.

        A short token is checked against `drills` (the running drills) and the drills this
        process made links for; a long token names its drill itself.
        """
        if not token or len(token) > 2048 or not token.isascii():
            raise InvalidLink("not an acknowledgement token")
        if "." in token:
            return self._verify_long(token)
        fields = _decode(token)
        if fields is None:
            raise InvalidLink("the acknowledgement link is not valid (cut short or altered)")
        header, mac = fields
        hint, code, number, minute = _split(header)
        if code not in _SHORT_CHANNEL or number == 0:
            raise InvalidLink("the acknowledgement link is not valid (unexpected content)")
        candidates = [d for d in _candidates(drills) if _hint(d) == hint]
        if not candidates:
            raise UnknownDrill("the acknowledgement link is for a drill not running here")
        drill_id = next(
            (d for d in candidates if hmac.compare_digest(self._mac(header, d), mac)), None
        )
        if drill_id is None:
            raise InvalidLink("the acknowledgement link is not valid (altered or unknown)")
        now = self._clock()
        now_minute = int(now // 60)
        ahead = (minute - now_minute) % _MINUTE_CYCLE
        age = 0 if ahead <= _SKEW_MINUTES else (now_minute - minute) % _MINUTE_CYCLE
        issued = (now_minute - age) * 60.0
        if now - issued >= self.ttl_seconds + 60:  # from the end of the minute it was made
            raise ExpiredLink("the acknowledgement link has expired")
        page_id = f"{drill_id}-p{number}"
        return LinkClaim(drill_id, page_id, None, _SHORT_CHANNEL[code], token_id(token), issued)

    def read_token(self, token: str, drills: Iterable[str] = ()) -> tuple[str, str]:
        """(drill id, page id) of a good token; a LinkError otherwise."""
        claim = self.verify(token, drills)
        return claim.drill_id, claim.page_id

    def token_from_url(self, url: str) -> str | None:
        """The token in one of our link URLs (any host: a reply quotes what it saw)."""
        index = url.find(LINK_PATH)
        if index < 0:
            return None
        token = url[index + len(LINK_PATH) :].split("?", 1)[0].split("#", 1)[0]
        return token or None

    def _mac(self, header: int, drill_id: str) -> bytes:
        mac = self._keyed_mac.copy()
        mac.update(header.to_bytes(6, "big") + drill_id.encode("utf-8"))
        return mac.digest()[: _MAC_BITS // 8]

    def _long_token(self, page: Page) -> str:
        payload: list[Any] = [
            page.drill_id,
            page.page_id,
            page.attempt,
            _CHANNEL_CODE[page.channel],
        ]
        if page.drill_id and page.page_id.startswith(page.drill_id):
            # Page ids usually repeat the drill id; sending it once keeps links shorter.
            payload[1] = page.page_id[len(page.drill_id) :]
            payload.append(1)
        token = self._serializer.dumps(payload)
        assert isinstance(token, str)
        return token

    def _verify_long(self, token: str) -> LinkClaim:
        try:
            payload, issued = self._serializer.loads(
                token, max_age=max(1, int(self.ttl_seconds)), return_timestamp=True
            )
        except SignatureExpired:
            raise ExpiredLink("the acknowledgement link has expired") from None
        except BadSignature:
            raise InvalidLink(
                "the acknowledgement link is not valid (altered or unknown)"
            ) from None
        claim = _long_claim(payload, token, issued.timestamp())
        if claim is None:
            raise InvalidLink("the acknowledgement link is not valid (unexpected content)")
        return claim


def peek_token(token: str) -> LinkClaim | None:
    """What a token claims, WITHOUT checking its signature or age: only for the sandbox's
    simulated people (who need to know which page a mail is for), never to acknowledge.
    A short token is read only in the process that made it (the drill id is not in it)."""
    if "." in token:
        reader = URLSafeTimedSerializer(b"unused", salt=_SALT, serializer=_CompactPayload())
        try:
            _, payload = reader.loads_unsafe(token)
        except Exception:
            return None
        return _long_claim(payload, token, 0.0)
    fields = _decode(token)
    if fields is None:
        return None
    hint, code, number, _ = _split(fields[0])
    drill_id = next((d for d in reversed(_candidates(())) if _hint(d) == hint), None)
    if drill_id is None or code not in _SHORT_CHANNEL or number == 0:
        return None
    page_id = f"{drill_id}-p{number}"
    return LinkClaim(drill_id, page_id, None, _SHORT_CHANNEL[code], token_id(token), 0.0)


# --- short-token helpers ----------------------------------------------------------------


def _page_number(drill_id: str, page_id: str) -> int | None:
    """n when `page_id` is exactly `<drill_id>-p<n>` with 1 <= n <= 16383, else None."""
    prefix = f"{drill_id}-p"
    digits = page_id[len(prefix) :]
    if not drill_id or not page_id.startswith(prefix):
        return None
    if not (digits.isascii() and digits.isdigit()) or digits.startswith("0"):
        return None
    number = int(digits)
    return number if number <= _MAX_PAGE else None


@functools.lru_cache(maxsize=1024)
def _hint(drill_id: str) -> int:
    return hashlib.sha256(_HINT_CONTEXT + drill_id.encode("utf-8")).digest()[0]


def _header(hint: int, code: int, number: int, minute: int) -> int:
    header = hint
    header = (header << _CHANNEL_BITS) | code
    header = (header << _PAGE_BITS) | number
    return (header << _MINUTE_BITS) | minute


def _split(header: int) -> tuple[int, int, int, int]:
    """(hint, channel code, page number, minute) of a header."""
    minute = header & (_MINUTE_CYCLE - 1)
    header >>= _MINUTE_BITS
    number = header & _MAX_PAGE
    header >>= _PAGE_BITS
    code = header & ((1 << _CHANNEL_BITS) - 1)
    return header >> _CHANNEL_BITS, code, number, minute


def _encode(value: int) -> str:
    return "".join(
        _ALPHABET[(value >> (6 * shift)) & 63] for shift in reversed(range(LINK_TOKEN_LENGTH))
    )


def _decode(token: str) -> tuple[int, bytes] | None:
    """(header, MAC) of a well-formed short token; None when it is not one."""
    if len(token) != LINK_TOKEN_LENGTH or _SHORT_TOKEN.fullmatch(token) is None:
        return None
    # The alphabet is base64url's, most significant digit first: two leading zero
    # digits make whole bytes for the C decoder (a fifth of a loop over the characters).
    value = int.from_bytes(base64.urlsafe_b64decode(_PAD + token), "big")
    mac = (value & ((1 << _MAC_BITS) - 1)).to_bytes(_MAC_BITS // 8, "big")
    return value >> _MAC_BITS, mac


_RECENT_LIMIT = 256
_recent: collections.OrderedDict[str, None] = collections.OrderedDict()
_recent_lock = threading.Lock()


def _remember(drill_id: str) -> None:
    """Note a drill this process made links for (the newest `_RECENT_LIMIT` are kept)."""
    with _recent_lock:
        _recent[drill_id] = None
        _recent.move_to_end(drill_id)
        while len(_recent) > _RECENT_LIMIT:
            _recent.popitem(last=False)


def _candidates(drills: Iterable[str]) -> list[str]:
    """`drills`, then the drills this process made links for (oldest first), once each."""
    with _recent_lock:
        recent = list(_recent)
    return list(dict.fromkeys([*drills, *recent]))


# --- long-token helpers -----------------------------------------------------------------


def _long_claim(payload: Any, token: str, issued: float) -> LinkClaim | None:
    if not isinstance(payload, list) or len(payload) not in (4, 5):
        return None
    drill_id, page_part, attempt, code = payload[:4]
    if not (
        isinstance(drill_id, str)
        and isinstance(page_part, str)
        and isinstance(attempt, int)
        and code in _CODE_CHANNEL
    ):
        return None
    page_id = drill_id + page_part if len(payload) == 5 else page_part
    return LinkClaim(drill_id, page_id, attempt, _CODE_CHANNEL[code], token_id(token), issued)


class _CompactPayload:
    """Fields joined by spaces (JSON when a field holds a space): shorter links than JSON."""

    def dumps(self, obj: Any) -> str:
        if isinstance(obj, list) and all(
            isinstance(item, int) or (isinstance(item, str) and item and " " not in item)
            for item in obj
        ):
            return " ".join(str(item) for item in obj)
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    def loads(self, text: str | bytes) -> Any:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if text.startswith(("[", "{")):
            return json.loads(text)
        fields = text.split(" ")
        if len(fields) not in (4, 5) or not all(f.isdigit() for f in fields[2::2]):
            raise ValueError("malformed payload")
        return [fields[0], fields[1], int(fields[2]), fields[3], *map(int, fields[4:])]


class _ShortHMAC(HMACAlgorithm):
    """HMAC-SHA256 cut to 120 bits (the signature of long tokens)."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return super().get_signature(key, value)[:15]


def _clocked_signer(clock: Callable[[], float]) -> type[TimestampSigner]:
    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return _Signer


_process_key: bytes | None = None
_process_key_lock = threading.Lock()


def link_key() -> str | bytes:
    """The configured link-signing key, else one random key for this process (logged once)."""
    configured = secret("link_key")
    if configured is not None:
        return configured.get_secret_value()
    global _process_key
    with _process_key_lock:
        if _process_key is None:
            _process_key = secrets.token_bytes(32)
            log.warning(
                "no link-signing key is set (DRILLKIT_LINK_KEY or the keyring): using a "
                "random key for this process; its acknowledgement links stop working when "
                "it exits. Set one for real drills."
            )
        return _process_key


_default: dict[tuple[str, float, str], Links] = {}


def default_links(settings: AckSettings | None = None) -> Links:
    """A shared `Links` for the settings and the current key."""
    settings = settings or AckSettings()
    key = link_key()
    fingerprint = hashlib.sha256(key if isinstance(key, bytes) else key.encode()).hexdigest()
    cache_key = (settings.public_url, settings.link_ttl_hours, fingerprint)
    links = _default.get(cache_key)
    if links is None:
        links = _default[cache_key] = Links(
            public_url=settings.public_url, key=key, ttl_seconds=settings.link_ttl_hours * 3600
        )
    return links


def make_link(page: Page, settings: AckSettings | None = None) -> str:
    """`<public_url>/a/<token>` for `page`, signed with the configured key."""
    return default_links(settings).make_link(page)


def read_token(
    token: str, settings: AckSettings | None = None, drills: Iterable[str] = ()
) -> tuple[str, str]:
    """(drill id, page id) of a good token; a LinkError otherwise (see `Links.verify`)."""
    return default_links(settings).read_token(token, drills)
