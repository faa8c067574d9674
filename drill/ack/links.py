"""Acknowledgement links: signed, expiring tokens that name one page of one drill.

An SMS or e-mail carries `<public_url>/a/<token>`. The token is an itsdangerous
`URLSafeTimedSerializer` payload keyed by the link-signing key (`DRILLKIT_LINK_KEY` or the
keyring) and binds the drill, the page, the attempt and the channel, so a token cannot be
edited to acknowledge someone else, and it expires after `AckSettings.link_ttl_hours`.

Without a configured key a random key is made once per process: links then work only
while that process runs (fine for the sandbox and the demo, not for `drillkit serve` in
another process), and a log line says so without showing the key.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm
from itsdangerous.timed import TimestampSigner

from drill.config import AckSettings, secret
from drill.engine.notifier import Page
from drill.plan.models import ChannelKind

__all__ = [
    "ExpiredLink",
    "InvalidLink",
    "LinkClaim",
    "LinkError",
    "Links",
    "default_links",
    "make_link",
    "peek_token",
    "read_token",
    "token_id",
]

log = logging.getLogger(__name__)

_SALT = "drillkit.ack-link.v1"
_CHANNEL_CODE = {ChannelKind.SMS: "s", ChannelKind.EMAIL: "e", ChannelKind.VOICE: "v"}
_CODE_CHANNEL = {code: kind for kind, code in _CHANNEL_CODE.items()}
LINK_PATH = "/a/"
"""Links are `<public_url>/a/<token>`: a short path keeps SMS short."""


class LinkError(Exception):
    """A token that cannot be used; `reason` is "invalid" or "expired"."""

    reason = "invalid"


class InvalidLink(LinkError):
    """The token was altered, truncated, signed with another key, or is not a token."""

    reason = "invalid"


class ExpiredLink(LinkError):
    """The token's signature is good but it is older than the link lifetime."""

    reason = "expired"


@dataclasses.dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a verified token says."""

    drill_id: str
    page_id: str
    attempt: int
    channel: ChannelKind
    token_id: str
    """A short, stable id of the token (for idempotency keys and logs; not secret)."""
    issued_at: float
    """When the token was signed (seconds since the epoch)."""


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
        """The signed token for `page`."""
        payload: list[Any] = [
            page.drill_id,
            page.page_id,
            page.attempt,
            _CHANNEL_CODE[page.channel],
        ]
        if page.drill_id and page.page_id.startswith(page.drill_id):
            # Page ids usually repeat the drill id; sending it once keeps SMS links short.
            payload[1] = page.page_id[len(page.drill_id) :]
            payload.append(1)
        token = self._serializer.dumps(payload)
        assert isinstance(token, str)
        return token

    def make_link(self, page: Page) -> str:
        """`<public_url>/a/<token>` for `page`."""
        return f"{self.public_url}{LINK_PATH}{self.make_token(page)}"

    def verify(self, token: str) -> LinkClaim:
        """The claim of a good token; InvalidLink or ExpiredLink otherwise."""
        if not token or len(token) > 2048 or not token.isascii():
            raise InvalidLink("not an acknowledgement token")
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
        claim = _claim(payload, token, issued.timestamp())
        if claim is None:
            raise InvalidLink("the acknowledgement link is not valid (unexpected content)")
        return claim

    def read_token(self, token: str) -> tuple[str, str]:
        """(drill id, page id) of a good token; InvalidLink or ExpiredLink otherwise."""
        claim = self.verify(token)
        return claim.drill_id, claim.page_id

    def token_from_url(self, url: str) -> str | None:
        """The token in one of our link URLs (any host: a reply quotes what it saw)."""
        index = url.find(LINK_PATH)
        if index < 0:
            return None
        token = url[index + len(LINK_PATH) :].split("?", 1)[0].split("#", 1)[0]
        return token or None


def peek_token(token: str) -> LinkClaim | None:
    """What a token claims, WITHOUT checking its signature or age: only for the sandbox's
    simulated people (who need to know which page a mail is for), never to acknowledge."""
    reader = URLSafeTimedSerializer(b"unused", salt=_SALT, serializer=_CompactPayload())
    try:
        _, payload = reader.loads_unsafe(token)
    except Exception:
        return None
    return _claim(payload, token, 0.0)


def _claim(payload: Any, token: str, issued: float) -> LinkClaim | None:
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
    """HMAC-SHA256 cut to 120 bits: ample for a link that lives hours, and 20 characters."""

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


def read_token(token: str, settings: AckSettings | None = None) -> tuple[str, str]:
    """(drill id, page id) of a good token; InvalidLink or ExpiredLink otherwise."""
    return default_links(settings).read_token(token)
