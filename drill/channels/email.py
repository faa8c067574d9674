"""E-mail pages over SMTP (aiosmtplib): Japanese text and HTML, a link and a reply to acknowledge.

Each page is one multipart/alternative message (text and HTML, UTF-8, headers encoded
per RFC 2047) with the drill marker added here, never by templates; the acknowledgement
link (`drill.channels.links`); and a `Reply-To` whose mailbox the reply poller reads. The
page's signed token is in `X-Drillkit-Page` and in the `Message-ID`
(`<dk-<token>@domain>`), so a reply's `In-Reply-To`/`References` names the page.

Header injection is impossible by construction: every text that goes into a header
(names, subjects, addresses) has its line breaks and control characters replaced, the
envelope recipient is the page's address alone, and `email.policy.SMTP` refuses any
header value that would still contain a line break.

Transport security is what `SmtpSettings.tls` says — STARTTLS (required, never
opportunistic), implicit TLS, or none for a local test server — with certificates
verified unless turned off. Timeouts are enforced (aiosmtplib's default is 60 s): each
command gets `timeout_seconds` and a whole send never takes longer than that. Only
failures where the server certainly did not take the message (no connection, a 4xx
answer) are tried again; a refused recipient (5xx) is REFUSED; nothing is lost silently.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.policy
import email.utils
import html
import ipaddress
import logging
import re
import secrets
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage

import aiosmtplib
from pydantic import SecretStr

from drill.channels.links import Links, token_id
from drill.channels.marker import mark_email_body, mark_email_subject
from drill.channels.ratelimit import RateLimiter
from drill.config import Config, SmtpSettings, secret
from drill.engine.notifier import FailureReason, Inbox, Page, SendResult
from drill.errors import ChannelError
from drill.plan.models import ChannelKind, Plan

__all__ = [
    "PAGE_HEADER",
    "EmailNotifier",
    "SmtpFailure",
    "build_email_notifier",
    "build_message",
    "classify_smtp_error",
    "clean_header_text",
    "encode_header_text",
    "is_loopback_host",
    "mask_address",
    "message_id_for",
    "open_smtp",
    "render_message",
    "tls_context",
    "token_from_message_id",
]

log = logging.getLogger(__name__)

PAGE_HEADER = "X-Drillkit-Page"
"""Carries the id of the page's token (the token itself is in the Message-ID: a header
line holding only one long word would be folded into encoded words)."""
_MESSAGE_ID_PREFIX = "dk-"
_MESSAGE_ID = re.compile(r"<" + _MESSAGE_ID_PREFIX + r"([A-Za-z0-9_.\-]+)@[^>\s]+>")
# Line breaks of every kind, C0/C1 controls, and bidi overrides (they can disguise text).
_UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_UNSAFE_IN_BODY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+$")

LinkMaker = Callable[[Page], str]


def clean_header_text(text: str, *, limit: int = 400) -> str:
    """One line of text safe for a header: no line breaks or control characters."""
    return " ".join(_UNSAFE_IN_HEADER.sub(" ", text).split())[:limit]


def _clean_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return _UNSAFE_IN_BODY.sub("", text.replace("\u2029", "\n\n"))


def mask_address(address: str) -> str:
    """For logs: `tanaka@city.example` -> `t***@city.example`."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (no name resolution: a name is not trusted)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def message_id_for(token: str, domain: str) -> str:
    """The Message-ID that carries the page's token, so replies can be matched."""
    return f"<{_MESSAGE_ID_PREFIX}{token}@{domain}>"


def token_from_message_id(text: str) -> list[str]:
    """Tokens in Message-ID-like text (In-Reply-To, References), most recent last."""
    return _MESSAGE_ID.findall(text)


def _domain_of(address: str) -> str:
    domain = address.rpartition("@")[2].strip().lower()
    return domain if re.fullmatch(r"[a-z0-9.\-]+", domain or "-") else "drillkit.invalid"


def _address(address: str, *, what: str) -> str:
    """The address as it goes on the wire (IDNA domain); ValueError when it is unusable."""
    candidate = address.strip()
    if not _ADDRESS.match(candidate) or _UNSAFE_IN_HEADER.search(candidate):
        raise ValueError(f"{what} '{clean_header_text(candidate)}' is not a valid e-mail address")
    local, _, domain = candidate.rpartition("@")
    if not local.isascii():
        raise ValueError(f"{what} has a non-ASCII local part, which drillkit cannot send to")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{what} has a domain that cannot be encoded") from None
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError(f"{what} '{candidate}' is not a valid e-mail address")
    return f"{local}@{ascii_domain}"


_ENCODED_WORD_BYTES = 42
"""UTF-8 bytes per RFC 2047 encoded word: 56 base64 characters, 68 with the wrapper, so
a header line stays under 78 characters with its name in front."""
_QUOTE_NEEDED = re.compile(r"[()<>\[\]:;@\\,.\"]")


def encode_header_text(text: str) -> str:
    """`text` as a header value: plain when short ASCII, else UTF-8 encoded words, folded."""
    if text.isascii() and len(text) <= 70:
        return text
    return _encoded_words(text)


def _encoded_words(text: str) -> str:
    words: list[str] = []
    chunk = bytearray()
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _ENCODED_WORD_BYTES:
            words.append(_encoded_word(bytes(chunk)))
            chunk.clear()
        chunk += encoded
    if chunk:
        words.append(_encoded_word(bytes(chunk)))
    return "\r\n ".join(words)


def _encoded_word(data: bytes) -> str:
    return "=?utf-8?b?" + base64.b64encode(data).decode("ascii") + "?="


def _mailbox(display_name: str, addr_spec: str) -> str:
    """`Name <addr>` with the name encoded (non-ASCII) or quoted (specials) as needed."""
    if not display_name:
        return addr_spec
    if not display_name.isascii():
        name = _encoded_words(display_name)
    elif _QUOTE_NEEDED.search(display_name):
        name = '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        name = display_name
    last_line = name.rsplit("\n", 1)[-1]
    # Fold before the address when the line would pass 78 characters ("Reply-To: " + …).
    separator = "\r\n " if len(last_line) + len(addr_spec) + 14 > 78 else " "
    return f"{name}{separator}<{addr_spec}>"


def _base64_body(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")


def render_message(
    page: Page,
    *,
    link: str,
    token: str,
    from_address: str,
    sender_name: str | None = None,
    reply_to: str | None = None,
    now: float | None = None,
) -> tuple[bytes, str]:
    """The page as a multipart text + HTML message on the wire, and its Message-ID.

    Built directly rather than through `email.message.EmailMessage` (five times faster,
    which matters when a whole contact tree is paged at once). Every header value is
    either fixed ASCII, an address checked by `_address`, or text passed through
    `clean_header_text` and then RFC 2047 encoding: no value can hold a line break.
    Bodies are UTF-8 in base64. ValueError for an unusable address.
    """
    to = _address(page.address, what="the recipient")
    sender = _address(from_address, what="smtp.from_address")
    name = clean_header_text(page.person_name, limit=120)
    subject_text = clean_header_text(page.message.email_subject, limit=300)
    subject = clean_header_text(mark_email_subject(page, subject_text), limit=320)
    body = _clean_body(mark_email_body(page, _clean_body(page.message.email_body)))
    can_reply = reply_to is not None
    message_id = message_id_for(token, sender.rpartition("@")[2])
    boundary = "=_dk_" + secrets.token_hex(12)
    headers = [
        f"Subject: {encode_header_text(subject)}",
        f"From: {_mailbox(clean_header_text(sender_name or '', limit=120), sender)}",
        f"To: {_mailbox(name, to)}",
    ]
    if reply_to is not None:
        headers.append(f"Reply-To: {_address(reply_to, what='smtp.reply_to')}")
    headers += [
        f"Date: {email.utils.formatdate(now, localtime=False)}",
        f"Message-ID: {message_id}",
        f"{PAGE_HEADER}: {token_id(token)}",
        f"X-Drillkit-Mode: {'drill' if page.mode == 'drill' else 'incident'}",
        # RFC 3834: ask responders not to answer automatically (an out-of-office reply
        # is not an acknowledgement, and the poller would only have to skip it).
        "Auto-Submitted: auto-generated",
        "X-Auto-Response-Suppress: OOF, AutoReply",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    parts = [
        ("plain", _text_body(page, body, link, can_reply)),
        ("html", _html_body(page, subject, body, link, can_reply)),
    ]
    lines = ["\r\n".join(headers), ""]
    for subtype, content in parts:
        lines += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: base64",
            "",
            _base64_body(content),
        ]
    lines.append(f"--{boundary}--\r\n")
    return "\r\n".join(lines).encode("ascii"), message_id


def build_message(
    page: Page,
    *,
    link: str,
    token: str,
    from_address: str,
    sender_name: str | None = None,
    reply_to: str | None = None,
    now: float | None = None,
) -> EmailMessage:
    """`render_message` parsed back into an `EmailMessage` (for callers who want one)."""
    raw, _ = render_message(
        page,
        link=link,
        token=token,
        from_address=from_address,
        sender_name=sender_name,
        reply_to=reply_to,
        now=now,
    )
    message = email.message_from_bytes(raw, policy=email.policy.SMTP)
    assert isinstance(message, EmailMessage)
    return message


_INSTRUCTIONS = {
    "ja": (
        "受信確認:次のリンクを開き、「確認しました」ボタンを押してください。",
        "このメールに返信しても受信確認になります(本文は空でかまいません)。",
        "確認しました / I confirm",
    ),
    "en": (
        "Confirm receipt: open this link and press the “I confirm” button.",
        "Replying to this e-mail also confirms receipt (the reply may be empty).",
        "I confirm / 確認しました",
    ),
}


_ANSWERING = {
    "ja": (
        "回答：次のリンクを開き、回答のボタンを一つ押してください。",
        "返信で答える場合は、1行目に回答の番号だけを書いてください。",
    ),
    "en": (
        "To answer, open this link and press one of the answer buttons.",
        "To answer by reply, write only the number of your answer on the first line.",
    ),
}


def _question_lines(page: Page, can_reply: bool) -> list[str]:
    """The question and its numbered choices, and how to answer (empty without one)."""
    question = page.question
    if question is None:
        return []
    language = "en" if page.language == "en" else "ja"
    lines = [question.text.get(language)]
    lines += [f"  {n}. {c.label.get(language)}" for n, c in enumerate(question.choices, 1)]
    lines.append(_ANSWERING[language][0])
    if can_reply:
        lines.append(_ANSWERING[language][1])
    return lines


def _instructions(page: Page) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    first = "en" if page.language == "en" else "ja"
    second = "ja" if first == "en" else "en"
    return _INSTRUCTIONS[first], _INSTRUCTIONS[second]


def _text_body(page: Page, body: str, link: str, can_reply: bool) -> str:
    first, second = _instructions(page)
    asked = _question_lines(page, can_reply)
    lines = [body.rstrip(), "", "―" * 20, *([*asked, link, ""] if asked else []), first[0], link]
    if can_reply:
        lines.append(first[1])
    lines += ["", second[0], link]
    if can_reply:
        lines.append(second[1])
    return "\n".join(lines) + "\n"


def _html_body(page: Page, subject: str, body: str, link: str, can_reply: bool) -> str:
    first, second = _instructions(page)
    paragraphs = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in block.split("\n")) + "</p>"
        for block in re.split(r"\n\s*\n", body.strip())
        if block.strip()
    )
    href = html.escape(link, quote=True)
    replies = f"<p>{html.escape(first[1])}<br>{html.escape(second[1])}</p>" if can_reply else ""
    asked = _question_lines(page, can_reply)
    question = (
        "<p>" + "<br>".join(html.escape(line.strip()) for line in asked) + "</p>" if asked else ""
    )
    lang = "en" if page.language == "en" else "ja"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        '<body style="font-family:sans-serif;line-height:1.6">'
        f"{paragraphs}<hr>{question}"
        f"<p>{html.escape(first[0])}<br>{html.escape(second[0])}</p>"
        f'<p><a href="{href}" style="display:inline-block;padding:.6em 1.4em;'
        'background:#0b5cad;color:#fff;text-decoration:none;border-radius:.3em">'
        f"{html.escape(first[2])}</a></p>"
        f'<p style="font-size:small;color:#555">{href}</p>'
        f"{replies}</body></html>"
    )


def tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    """The client TLS context the settings ask for (None when TLS is off)."""
    if settings.tls == "none":
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if settings.ca_file:
        try:
            context.load_verify_locations(cafile=settings.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ChannelError(
                f"[smtp] ca_file '{settings.ca_file}' cannot be read as a CA bundle: {exc}"
            ) from None
    if not settings.verify_certificates:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def open_smtp(
    settings: SmtpSettings,
    *,
    password: SecretStr | None,
    context: ssl.SSLContext | None,
    command_timeout: float,
) -> aiosmtplib.SMTP:
    """Connect, greet, secure (as configured) and log in; raises aiosmtplib/ssl errors."""
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        local_hostname=_domain_of(settings.from_address),
        timeout=command_timeout,
        use_tls=settings.tls == "implicit",
        start_tls=False,  # done below, explicitly: never opportunistic
        validate_certs=settings.verify_certificates,
        tls_context=context,
    )
    await client.connect()
    try:
        await client.ehlo()
        if settings.tls == "starttls":
            if not client.supports_extension("starttls"):
                raise _StartTlsMissing()
            await client.starttls(tls_context=context)
            await client.ehlo()
        if settings.username:
            if password is None:
                raise _NoPassword()
            await client.login(settings.username, password.get_secret_value())
    except BaseException:
        client.close()
        raise
    return client


class _StartTlsMissing(Exception):
    pass


class _NoPassword(Exception):
    pass


class SmtpFailure(Exception):
    """A classified failure; `retry` when the server certainly did not take the message."""

    def __init__(self, reason: FailureReason, detail: str, *, retry: bool) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry = retry


class EmailNotifier:
    """E-mail pages through one SMTP server, over a few reused connections."""

    kinds: frozenset[ChannelKind] = frozenset({ChannelKind.EMAIL})

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        make_link: LinkMaker | Links,
        sample_plan: bool,
        password: SecretStr | None = None,
        sender_name: str | None = None,
        limiter: RateLimiter | None = None,
        connections: int = 2,
        attempts: int = 3,
        retry_delay: float = 0.25,
        sandbox: bool = False,
    ) -> None:
        if not settings.host:
            raise ChannelError(
                "E-mail pages need an SMTP server: set [smtp] host (and port, tls, "
                "from_address) in the config file.",
            )
        if sample_plan and not is_loopback_host(settings.host):
            raise ChannelError(
                f"The sample plan cannot send e-mail through '{settings.host}': a sample "
                "plan may only use a local test server (127.0.0.1 or localhost, such as "
                "the sandbox of `drillkit demo`). Use your own plan for real drills.",
                title="Sample plan: real e-mail refused",
            )
        if settings.username and password is None:
            raise ChannelError(
                "[smtp] username is set but no password: set DRILLKIT_SMTP_PASSWORD or "
                "store 'smtp_password' in the keyring (service drillkit)."
            )
        if sandbox and not is_loopback_host(settings.host):
            raise ChannelError(
                f"'{settings.host}' is not the local sandbox: only a server on 127.0.0.1 or "
                "localhost can stand in for people's mailboxes."
            )
        self.local = sandbox
        """True for the sandbox's SMTP server, whose mailboxes are simulated people
        (`LocalNotifier`). A loopback host alone is not enough: a local relay delivers
        to real people."""
        self.settings = settings
        if isinstance(make_link, Links):
            self._links: Links | None = make_link
            self._make_link: LinkMaker = make_link.make_link
        else:
            self._links = None
            self._make_link = make_link
        self.sample_plan = sample_plan
        self.sender_name = sender_name
        self.limiter = limiter or RateLimiter(settings.messages_per_second, name="smtp")
        self.attempts = max(1, attempts)
        self.retry_delay = retry_delay
        self.inbox: Inbox | None = None
        self._password = password
        self._context = tls_context(settings)
        self._slots = asyncio.Semaphore(max(1, connections))
        self._idle: list[aiosmtplib.SMTP] = []
        self._closed = False
        if settings.tls == "none" and not is_loopback_host(settings.host):
            log.warning(
                "[smtp] tls = 'none' for %s: drill e-mail and any login cross the network "
                "unencrypted",
                settings.host,
            )
        if settings.tls != "none" and not settings.verify_certificates:
            log.warning("[smtp] verify_certificates = false: the server's identity is not checked")

    async def start(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.quit(), 1)
            client.close()

    # --- sending -------------------------------------------------------------------------

    async def send(self, page: Page) -> SendResult:
        if page.channel is not ChannelKind.EMAIL:
            return SendResult.failed(FailureReason.CONFIG, f"not an e-mail page ({page.channel})")
        label = f"e-mail page {page.page_id} to {mask_address(page.address)}"
        try:
            recipient = _address(page.address, what="the recipient")
            sender = _address(self.settings.from_address, what="smtp.from_address")
        except ValueError as exc:
            log.warning("%s: not sent: %s", label, exc)
            return SendResult.failed(FailureReason.REFUSED, str(exc))
        built: tuple[bytes, str] | None = None
        for attempt in range(1, self.attempts + 1):
            await self.limiter.acquire()
            try:
                async with self._slots:
                    # Built here, a few at a time, so that a thousand pages handed over at
                    # once do not starve the loop while connections wait for answers.
                    if built is None:
                        made = self._build(page, label)
                        if isinstance(made, SendResult):
                            return made
                        built = made
                    payload, message_id = built
                    await self._deliver(sender, recipient, payload)
            except SmtpFailure as failure:
                if failure.retry and attempt < self.attempts and not self._closed:
                    log.info("%s: %s; trying again", label, failure.detail)
                    await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
                    continue
                log.warning("%s: %s (%s)", label, failure.detail, failure.reason.value)
                return SendResult.failed(failure.reason, failure.detail)
            log.info("%s: accepted by %s", label, self.settings.host)
            return SendResult.ok(message_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _build(self, page: Page, label: str) -> tuple[bytes, str] | SendResult:
        """The message as bytes and its Message-ID, or the failure that prevents it."""
        try:
            link = self._make_link(page)
            return render_message(
                page,
                link=link,
                token=link.rsplit("/", 1)[1],
                from_address=self.settings.from_address,
                sender_name=self.sender_name,
                reply_to=self.settings.reply_to,
            )
        except ValueError as exc:
            log.warning("%s: not sent: %s", label, exc)
            return SendResult.failed(FailureReason.REFUSED, str(exc))
        except Exception as exc:  # a missing key or setting must not crash the drill
            log.error("%s: could not build the message: %s", label, type(exc).__name__)
            return SendResult.failed(FailureReason.CONFIG, "could not build the message")

    async def _deliver(self, sender: str, recipient: str, payload: bytes) -> None:
        """One try under one deadline; raises SmtpFailure (classified) when it fails."""
        timeout = self.settings.timeout_seconds
        deadline = time.monotonic() + timeout
        client: aiosmtplib.SMTP | None = None
        phase = "connect"
        try:
            async with asyncio.timeout(timeout):
                client, reused = await self._checkout()
                try:
                    phase = "envelope"
                    await client.mail(sender, timeout=_left(deadline))
                    await client.rcpt(recipient, timeout=_left(deadline))
                except aiosmtplib.SMTPServerDisconnected:
                    if not reused:
                        raise
                    # A reused connection the server had closed: nothing was sent yet.
                    client.close()
                    client, _ = await self._checkout(fresh=True)
                    await client.mail(sender, timeout=_left(deadline))
                    await client.rcpt(recipient, timeout=_left(deadline))
                phase = "data"
                await client.data(payload, timeout=_left(deadline))
        except Exception as exc:  # TimeoutError included: asyncio's deadline or aiosmtplib's
            failure = classify_smtp_error(exc, self.settings, phase)
            if client is not None:
                await self._recycle(client, exc)
            raise failure from None
        self._checkin(client)

    async def _recycle(self, client: aiosmtplib.SMTP, exc: BaseException) -> None:
        """After a refusal the connection is fine once the envelope is reset (RSET)."""
        if isinstance(exc, aiosmtplib.SMTPResponseException) and client.is_connected:
            try:
                await client.rset(timeout=min(2.0, self.settings.timeout_seconds))
            except Exception:
                client.close()
            else:
                self._checkin(client)
                return
        client.close()

    # --- connections ---------------------------------------------------------------------

    async def _checkout(self, *, fresh: bool = False) -> tuple[aiosmtplib.SMTP, bool]:
        while self._idle and not fresh:
            client = self._idle.pop()
            if client.is_connected:
                return client, True
            client.close()
        client = await open_smtp(
            self.settings,
            password=self._password,
            context=self._context,
            command_timeout=self.settings.timeout_seconds,
        )
        return client, False

    def _checkin(self, client: aiosmtplib.SMTP | None) -> None:
        if client is None:
            return
        if self._closed or not client.is_connected:
            client.close()
        else:
            self._idle.append(client)


def classify_smtp_error(exc: BaseException, settings: SmtpSettings, phase: str) -> SmtpFailure:
    """Why an SMTP exchange failed, for people; `retry` when the server surely took nothing.

    `phase` is "connect" (greeting, TLS, login), "envelope" (MAIL, RCPT) or "data".
    """
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        temporary = 400 <= exc.code < 500
        return SmtpFailure(
            FailureReason.REFUSED,
            f"recipient refused by {where}: {exc.code} {exc.message}",
            retry=temporary,
        )
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        temporary = 400 <= exc.code < 500
        return SmtpFailure(
            FailureReason.PROVIDER_ERROR,
            f"sender {settings.from_address} refused by {where}: {exc.code} "
            f"{exc.message}; check [smtp] from_address",
            retry=temporary,
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SmtpFailure(
            FailureReason.CONFIG,
            f"login to {where} refused ({exc.code}): check [smtp] username and "
            "DRILLKIT_SMTP_PASSWORD",
            retry=False,
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        temporary = 400 <= exc.code < 500
        return SmtpFailure(
            FailureReason.PROVIDER_ERROR,
            f"{where} answered {exc.code} {exc.message}",
            retry=temporary,
        )
    if isinstance(exc, _StartTlsMissing):
        return SmtpFailure(
            FailureReason.CONFIG,
            f"{where} does not offer STARTTLS, and [smtp] tls = 'starttls' requires it: "
            "use the server's submission port with STARTTLS, tls = 'implicit' for port "
            "465, or tls = 'none' only for a local test server",
            retry=False,
        )
    if isinstance(exc, _NoPassword):
        return SmtpFailure(FailureReason.CONFIG, "no SMTP password", retry=False)
    if isinstance(exc, ssl.SSLCertVerificationError) or _is_cert_error(exc):
        return SmtpFailure(
            FailureReason.PROVIDER_ERROR,
            f"the TLS certificate of {where} is not trusted "
            f"({_cert_reason(exc)}): if the server uses an internal CA, set [smtp] "
            "ca_file to that CA's certificate",
            retry=False,
        )
    if isinstance(exc, ssl.SSLError):
        return SmtpFailure(
            FailureReason.PROVIDER_ERROR,
            f"TLS with {where} failed ({exc.reason or exc}); check [smtp] tls and port",
            retry=False,
        )
    if isinstance(exc, TimeoutError):
        waited = settings.timeout_seconds
        if phase == "connect":
            detail = (
                f"{where} did not answer within {waited:g} s while connecting (greeting, "
                "TLS or login); the server may be hung, overloaded, or behind a filter"
            )
        elif phase == "data":
            detail = (
                f"{where} did not confirm the message within {waited:g} s; it may or "
                "may not have been delivered (not sent again)"
            )
        else:
            detail = f"{where} stopped answering for {waited:g} s"
        return SmtpFailure(FailureReason.TIMEOUT, detail, retry=False)
    if isinstance(exc, aiosmtplib.SMTPConnectError | ConnectionRefusedError):
        return SmtpFailure(
            FailureReason.PROVIDER_ERROR,
            f"cannot connect to the SMTP server {where}: {exc}",
            retry=True,
        )
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | ConnectionError):
        return SmtpFailure(
            FailureReason.PROVIDER_ERROR,
            f"{where} closed the connection during {phase}"
            + ("; the message may have been delivered (not sent again)" if phase == "data" else ""),
            retry=phase != "data",
        )
    if isinstance(exc, OSError):
        return SmtpFailure(FailureReason.PROVIDER_ERROR, f"cannot reach {where}: {exc}", retry=True)
    return SmtpFailure(
        FailureReason.PROVIDER_ERROR,
        f"unexpected error with {where}: {type(exc).__name__}: {exc}",
        retry=False,
    )


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


def _is_cert_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        current = current.__cause__ or current.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _cert_reason(exc: BaseException) -> str:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLCertVerificationError):
            return str(current.verify_message or current.reason or "verification failed")
        current = current.__cause__ or current.__context__
    return "certificate verify failed"


def build_email_notifier(
    config: Config,
    plan: Plan,
    *,
    links: Links | None = None,
    limiter: RateLimiter | None = None,
    connections: int = 2,
    sandbox: bool = False,
) -> EmailNotifier:
    """The e-mail channel for `plan` as `config` describes it; ChannelError if it cannot be.

    `sandbox` says the server is the local sandbox's (`drill.sandbox`), not a relay."""
    settings = config.smtp
    password = secret("smtp_password") if settings.username else None
    return EmailNotifier(
        settings,
        make_link=links if links is not None else Links.from_settings(config.ack),
        sample_plan=plan.info.sample,
        password=password,
        sender_name=plan.info.organisation.get(plan.info.language),
        limiter=limiter,
        connections=connections,
        sandbox=sandbox,
    )
