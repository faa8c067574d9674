"""Reply polling for closed networks: a reply to a drill e-mail acknowledges its page.

Where nothing outside can reach the ack server, people reply to the drill e-mail instead
of opening its link. `ReplyPoller` reads the `Reply-To` mailbox over IMAP (aioimaplib),
matches each new message to a page and tells the drill's inbox:

- the page is named by the signed token in the reply's `In-Reply-To`/`References`
  (our Message-ID is `<dk-<token>@domain>`), else by our link quoted in the body; a
  short token names its drill by a hint, resolved against the drills of `inboxes`;
- `acknowledge(page_id, source="reply", key="reply:<Message-ID>")`: the idempotency key
  makes a message read twice (a restart, two pollers) count once;
- a delivery-status report (a bounce) of a drill e-mail is `delivery_failed(BOUNCED)`;
- when the scenario asks a question (出社可否, 安否), a reply whose first line is a
  choice's number (1, ２ …) or label (出社可能) carries that choice; any other reply is
  a plain 了解 (the answer missing), never refused;
- automatic replies (out of office: `Auto-Submitted`, `X-Autoreply`, `Precedence`) never
  acknowledge — a person must have answered.

Messages it handled are flagged `\\Seen` (fetched with BODY.PEEK, so reading does not
flag them). Messages that are not about a drill stay unseen for people to read; those
for a drill this process does not run are looked at again later. Use a mailbox dedicated
to drill replies: a person reading it in a mail client marks messages seen first.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import email.policy
import hashlib
import logging
import re
import ssl
import time
from collections.abc import Iterable, Iterator
from email.message import EmailMessage, Message
from enum import StrEnum
from typing import Any

from aioimaplib import IMAP4, IMAP4_SSL
from pydantic import SecretStr

from drill.ack.server import InboxLookup, deliver, drills_of, question_of, serves
from drill.channels.links import LINK_PATH, ExpiredLink, LinkClaim, LinkError, Links, UnknownDrill
from drill.config import Config, ImapSettings, secret
from drill.engine.callback import Callback, CallbackKind
from drill.engine.notifier import AckOutcome, FailureReason
from drill.errors import ChannelError, ConfigError
from drill.plan.models import ChannelKind, Question

__all__ = [
    "Match",
    "PollReport",
    "ReplyKind",
    "ReplyPoller",
    "build_reply_poller",
    "match_reply",
    "reply_choice",
]

log = logging.getLogger(__name__)

_MESSAGE_ID_TOKEN = re.compile(r"<dk-([A-Za-z0-9_.\-]+)@[^>\s]+>")
_LINK_TOKEN = re.compile(re.escape(LINK_PATH) + r"([A-Za-z0-9_.\-]+)")
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}


class ReplyKind(StrEnum):
    REPLY = "reply"
    """A person's reply to a drill e-mail."""
    BOUNCE = "bounce"
    """A delivery-status report: the drill e-mail could not be delivered."""
    AUTOMATIC = "automatic"
    """An automatic reply (out of office, vacation): never an acknowledgement."""
    EXPIRED = "expired"
    """About a drill e-mail whose token has expired: nothing recorded."""
    OTHER_DRILL = "other-drill"
    """About a drill e-mail of a drill not known here (short tokens need the running
    drills to be read): looked at again later."""
    UNRELATED = "unrelated"
    """Not about a drill e-mail (or its token is not ours)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Match:
    """What a message in the mailbox is."""

    kind: ReplyKind
    claim: LinkClaim | None
    message_id: str
    """The message's own Message-ID (a digest of it when it has none)."""
    detail: str = ""


def match_reply(raw: bytes, links: Links, drills: Iterable[str] = ()) -> Match:
    """Classify one RFC 5322 message and find the page it answers.

    `drills` are the running drills that short tokens are checked against (besides the
    drills this process made links for)."""
    drills = list(drills)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    own_id = str(message.get("Message-ID", "") or "").strip()
    if not own_id:
        own_id = "sha256:" + hashlib.sha256(raw).hexdigest()[:32]
    if _is_bounce(message):
        claim, _, other = _first_claim(_bounce_tokens(message), links, drills)
        if claim is None and other:
            return Match(ReplyKind.OTHER_DRILL, None, own_id, "a bounce for another drill")
        if claim is None:
            return Match(ReplyKind.UNRELATED, None, own_id, "a bounce of some other message")
        return Match(ReplyKind.BOUNCE, claim, own_id, _bounce_detail(message))
    automatic = _automatic(message)
    claim, expired, other = _first_claim(_reply_tokens(message), links, drills)
    if automatic:
        return Match(ReplyKind.AUTOMATIC, claim, own_id, automatic)
    if claim is not None:
        return Match(ReplyKind.REPLY, claim, own_id)
    if expired is not None:
        return Match(ReplyKind.EXPIRED, None, own_id, "the drill e-mail's token has expired")
    if other:
        return Match(ReplyKind.OTHER_DRILL, None, own_id, "a drill not running here")
    return Match(ReplyKind.UNRELATED, None, own_id)


def reply_choice(raw: bytes, question: Question | None) -> str | None:
    """The key of the choice a reply's first line names (its number or its label); None
    when the page asked no question or the first line names none of its choices."""
    if question is None:
        return None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for text in _texts(message, prefer_plain=True):
        for line in text.splitlines():
            if line.strip():
                found = question.match(line)
                return found.key if found is not None else None
        return None
    return None


def _reply_tokens(message: Message) -> Iterator[str]:
    """Candidate tokens, most specific first: In-Reply-To, References (newest first), body."""
    yield from _MESSAGE_ID_TOKEN.findall(str(message.get("In-Reply-To", "") or ""))
    yield from reversed(_MESSAGE_ID_TOKEN.findall(str(message.get("References", "") or "")))
    for text in _texts(message):
        yield from _LINK_TOKEN.findall(text)


def _bounce_tokens(message: Message) -> Iterator[str]:
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list):
                for inner in payload:
                    if isinstance(inner, Message):
                        yield from _MESSAGE_ID_TOKEN.findall(str(inner.get("Message-ID", "")))
            else:
                text = part.get_payload(decode=True) or b""
                if isinstance(text, bytes):
                    yield from _MESSAGE_ID_TOKEN.findall(text.decode("utf-8", "replace"))


def _first_claim(
    tokens: Iterator[str], links: Links, drills: list[str]
) -> tuple[LinkClaim | None, str | None, bool]:
    """The first good token's claim; else the first expired token, and whether a token was
    for a drill not known here."""
    expired: str | None = None
    other = False
    seen: set[str] = set()
    for token in tokens:
        if token in seen:
            continue
        seen.add(token)
        try:
            claim = links.verify(token, drills)
        except ExpiredLink:
            expired = expired or token
            continue
        except UnknownDrill:
            other = True
            continue
        except LinkError:
            continue
        if claim.channel is ChannelKind.EMAIL:
            return claim, None, False
        # A token of another channel's page quoted in a mail: not an e-mail's reply.
        log.info("reply poll: a %s page's token in a reply ignored", claim.channel.value)
    return None, expired, other


def _texts(message: Message, *, prefer_plain: bool = False) -> Iterator[str]:
    parts = [p for p in message.walk() if p.get_content_maintype() == "text"]
    if prefer_plain:  # the first line a person wrote: plain text before HTML
        parts.sort(key=lambda p: p.get_content_subtype() != "plain")
    for part in parts:
        try:
            content = part.get_content() if isinstance(part, EmailMessage) else None
        except (LookupError, ValueError):  # an unknown or broken charset
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None
        if isinstance(content, str):
            yield content


def _is_bounce(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "") or "").lower() == "delivery-status"
    )


def _bounce_detail(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            text = str(part)
            status = re.search(r"(?im)^Status:\s*([0-9.]+)", text)
            diagnostic = re.search(r"(?im)^Diagnostic-Code:\s*(.+)$", text)
            bits = [
                f"status {status.group(1)}" if status else "",
                diagnostic.group(1) if diagnostic else "",
            ]
            return "bounced: " + "; ".join(b.strip() for b in bits if b) if any(bits) else "bounced"
    return "bounced"


def _bounce_failed(message: Message) -> bool:
    """False for a "delayed" report (the server is still trying)."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            actions = re.findall(r"(?im)^Action:\s*(\w+)", str(part))
            return not actions or any(a.lower() == "failed" for a in actions)
    return True


def _automatic(message: Message) -> str:
    """Why the message is an automatic reply ("" for a person's)."""
    auto = str(message.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse"):
        if message.get(name) is not None:
            return f"{name} header"
    precedence = str(message.get("Precedence", "") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    return ""


@dataclasses.dataclass(slots=True)
class PollReport:
    """What one poll did."""

    examined: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    bounces: int = 0
    automatic: int = 0
    unrelated: int = 0
    waiting: int = 0
    """Replies for drills not running here (looked at again later)."""
    errors: int = 0


class PollError(ChannelError):
    """The mailbox could not be read (connection, login, mailbox)."""


class ReplyPoller:
    """Polls one IMAP mailbox and acknowledges the pages people replied to."""

    def __init__(
        self,
        settings: ImapSettings,
        inboxes: InboxLookup,
        links: Links,
        *,
        password: SecretStr | None,
        ca_file: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout_seconds: float = 15.0,
        recheck_seconds: float = 300.0,
    ) -> None:
        if not settings.host:
            raise ConfigError("reply polling needs [imap] host in the config file")
        if not settings.username or password is None:
            raise ConfigError(
                "reply polling needs [imap] username and a password in DRILLKIT_IMAP_PASSWORD "
                "or the keyring ('imap_password', service drillkit)"
            )
        self.settings = settings
        self.inboxes = inboxes
        self.links = links
        self.timeout_seconds = timeout_seconds
        self.recheck_seconds = recheck_seconds
        self._password = password
        self._context = ssl_context
        if self._context is None and settings.tls:
            self._context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
            if ca_file:
                self._context.load_verify_locations(cafile=ca_file)
        self._skip: dict[tuple[int, int], float] = {}  # (uidvalidity, uid) -> recheck at
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        _guard_imap_logging(password.get_secret_value())

    # --- running -------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Poll every `poll_seconds` in the background until `stop()`."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.ensure_future(self.run())
        return self._task

    async def stop(self) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Poll until stopped; a failed poll is logged and tried again (with backoff)."""
        failures = 0
        while not self._stopping.is_set():
            try:
                await self.poll_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("reply polling failed (%d in a row): %s", failures, _describe(exc))
            pause = self.settings.poll_seconds * min(2 ** max(0, failures - 1), 8)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def poll_once(self) -> PollReport:
        """Read the unseen messages once; PollError when the mailbox cannot be read."""
        report = PollReport()
        client = await self._connect()
        try:
            validity = await self._select(client)
            for uid in await self._unseen(client):
                if self._skip.get((validity, uid), 0) > time.monotonic():
                    continue
                raw = await self._fetch(client, uid)
                if raw is None:
                    continue
                report.examined += 1
                if await self._handle(raw, report):
                    await self._mark_seen(client, uid)
                    self._skip.pop((validity, uid), None)
                else:
                    self._skip[(validity, uid)] = time.monotonic() + self.recheck_seconds
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.logout(), 2)
        if report.examined:
            log.info(
                "reply poll: %d examined, %d acknowledged, %d duplicates, %d bounces, "
                "%d automatic, %d unrelated, %d for other drills",
                report.examined,
                report.acknowledged,
                report.duplicates,
                report.bounces,
                report.automatic,
                report.unrelated,
                report.waiting,
            )
        return report

    async def check(self) -> str:
        """Log in and open the mailbox without touching a message; PollError if that fails."""
        client = await self._connect()
        try:
            await self._select(client)
            unseen = len(await self._unseen(client))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.logout(), 2)
        return (
            f"logged in to {self.settings.host}:{self.settings.port} as "
            f"{self.settings.username}; mailbox '{self.settings.mailbox}' has {unseen} unseen"
        )

    async def _handle(self, raw: bytes, report: PollReport) -> bool:
        """Act on one message; True when it is done with (flag it seen)."""
        match = match_reply(raw, self.links, await drills_of(self.inboxes))
        if match.kind is ReplyKind.UNRELATED:
            report.unrelated += 1
            return False
        if match.kind is ReplyKind.OTHER_DRILL:
            report.waiting += 1
            return False
        if match.kind is ReplyKind.AUTOMATIC:
            report.automatic += 1
            log.info("reply poll: automatic reply ignored (%s)", match.detail)
            return True
        if match.kind is ReplyKind.EXPIRED or match.claim is None:
            log.info("reply poll: a reply to an expired drill e-mail; nothing recorded")
            return True
        claim = match.claim
        if not await serves(self.inboxes, claim.drill_id):
            report.waiting += 1
            return False
        key = f"{match.kind.value}:{match.message_id}"
        if match.kind is ReplyKind.BOUNCE:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if _bounce_failed(message):
                bounced = Callback(
                    CallbackKind.FAILED,
                    claim.drill_id,
                    claim.page_id,
                    key,
                    reason=FailureReason.BOUNCED,
                    detail=match.detail,
                )
                await deliver(self.inboxes, bounced)
                report.bounces += 1
            return True
        question = await question_of(self.inboxes, claim.drill_id, claim.page_id)
        choice = reply_choice(raw, question) if question is not None else None
        callback = Callback(
            CallbackKind.ACK, claim.drill_id, claim.page_id, key, source="reply", choice=choice
        )
        try:
            outcome = await deliver(self.inboxes, callback) or AckOutcome.RECORDED
        except Exception:
            report.errors += 1
            log.exception("reply poll: acknowledgement could not be recorded; will retry")
            return False
        if outcome is AckOutcome.DUPLICATE:
            report.duplicates += 1
        elif outcome in (
            AckOutcome.ACCEPTED,
            AckOutcome.ALREADY_ACKNOWLEDGED,
            AckOutcome.RECORDED,
        ):
            report.acknowledged += 1
        log.info("reply poll: reply for page %s: %s", claim.page_id, outcome.value)
        return True

    # --- IMAP ----------------------------------------------------------------------------

    async def _connect(self) -> IMAP4:
        settings = self.settings
        where = f"{settings.host}:{settings.port}"
        client: IMAP4
        if settings.tls:
            client = IMAP4_SSL(
                host=settings.host,
                port=settings.port,
                timeout=self.timeout_seconds,
                ssl_context=self._context,
            )
        else:
            client = IMAP4(host=settings.host, port=settings.port, timeout=self.timeout_seconds)
        try:
            await client.wait_hello_from_server()
        except ssl.SSLCertVerificationError as exc:
            raise PollError(
                f"the TLS certificate of the IMAP server {where} is not trusted "
                f"({exc.verify_message}); for an internal CA set [smtp] ca_file"
            ) from None
        except (OSError, TimeoutError) as exc:
            raise PollError(f"cannot reach the IMAP server {where}: {_describe(exc)}") from None
        assert settings.username is not None
        response = await client.login(settings.username, self._password.get_secret_value())
        if response.result != "OK":
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.logout(), 2)
            raise PollError(
                f"the IMAP server {where} refused the login for '{settings.username}': check "
                "[imap] username and DRILLKIT_IMAP_PASSWORD"
            )
        return client

    async def _select(self, client: IMAP4) -> int:
        response = await client.select(self.settings.mailbox)
        if response.result != "OK":
            raise PollError(f"cannot open the mailbox '{self.settings.mailbox}'")
        for line in response.lines:
            found = re.search(rb"UIDVALIDITY (\d+)", bytes(line))
            if found:
                return int(found.group(1))
        return 0

    async def _unseen(self, client: IMAP4) -> list[int]:
        response = await client.uid_search("UNSEEN", charset=None)
        if response.result != "OK":
            raise PollError("the IMAP server refused to search the mailbox")
        uids: list[int] = []
        for line in response.lines[:-1]:
            uids.extend(int(word) for word in bytes(line).split() if word.isdigit())
        return sorted(uids)

    async def _fetch(self, client: IMAP4, uid: int) -> bytes | None:
        response = await client.uid("fetch", str(uid), "(BODY.PEEK[])")
        if response.result != "OK":
            return None
        for line in response.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        return None

    async def _mark_seen(self, client: IMAP4, uid: int) -> None:
        response = await client.uid("store", str(uid), "+FLAGS.SILENT", "(\\Seen)")
        if response.result != "OK":
            log.warning("reply poll: could not flag message %d as seen", uid)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:300] + "…"


class _ScrubSecret(logging.Filter):
    """Removes a password from aioimaplib's debug lines (its own scrub misses quoted forms)."""

    def __init__(self, secret_value: str) -> None:
        super().__init__()
        escaped = secret_value.replace("\\", "\\\\").replace('"', '\\"')
        self.forms = {form for form in (secret_value, escaped) if form}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        if any(form in text for form in self.forms):
            for form in self.forms:
                text = text.replace(form, "*" * 8)
            record.msg, record.args = text, None
        return True


_guarded: set[str] = set()


def _guard_imap_logging(secret_value: str) -> None:
    fingerprint = hashlib.sha256(secret_value.encode()).hexdigest()
    if fingerprint in _guarded:
        return
    _guarded.add(fingerprint)
    logging.getLogger("aioimaplib.aioimaplib").addFilter(_ScrubSecret(secret_value))


def build_reply_poller(
    config: Config, inboxes: InboxLookup, links: Links | None = None, **options: Any
) -> ReplyPoller | None:
    """The poller `config` describes, or None when [imap] host is not set."""
    if not config.imap.host:
        return None
    return ReplyPoller(
        config.imap,
        inboxes,
        links if links is not None else Links.from_settings(config.ack),
        password=secret("imap_password"),
        ca_file=config.smtp.ca_file,
        **options,
    )
