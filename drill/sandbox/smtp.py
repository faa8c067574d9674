"""The mail half of the sandbox: a real SMTP server whose simulated people answer, and a mailbox.

`SmtpSandbox` runs aiosmtpd on 127.0.0.1 inside the current event loop (port 0 picks a
free port; aiosmtpd's threaded `Controller(port=0)` cannot), optionally with STARTTLS or
implicit TLS on a `trustme` certificate. Every message it accepts is parsed and kept in
`received`, so tests assert on what actually left. For each recipient a `Behaviour`
(`drill.sandbox.people`) decides what the simulated person does, and the sandbox does
it for real: open the acknowledgement link (GET) and press the button (POST) over HTTP,
open it only, reply by mail into the sandbox mailbox, or nothing.

The mailbox is served by a tiny IMAP4rev1 server (`SandboxImap`) with just what the
reply poller uses: LOGIN, SELECT, UID SEARCH, UID FETCH, UID STORE, LOGOUT.

Faults for tests: refuse some recipients (550, or 450 a number of times), answer DATA
with an error, never send the greeting (`fault = "silent"`), or be down (`"down"`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import email.policy
import email.utils
import html
import logging
import re
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from drill.channels.links import peek_token
from drill.config import ImapSettings, SmtpSettings
from drill.sandbox.people import Action, Behaviour, Reaction, always

__all__ = [
    "PersonAction",
    "ReceivedMail",
    "SandboxImap",
    "SandboxMailbox",
    "SmtpSandbox",
    "StoredMail",
    "bounce_of",
    "reply_to",
]

log = logging.getLogger(__name__)

Fault = Literal["silent", "down"] | None
TlsMode = Literal["none", "starttls", "implicit"]
_LINK = re.compile(r"https?://[^\s<>\"']+/a/[A-Za-z0-9_.\-]+")


@dataclasses.dataclass(frozen=True, slots=True)
class ReceivedMail:
    """A message the sandbox accepted, as it arrived."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    tls: bool
    """Whether it arrived over TLS (STARTTLS or implicit)."""
    received_at: float

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)

    def part(self, subtype: str) -> str | None:
        """The decoded text of the first text/<subtype> part."""
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}":
                content = part.get_content()
                return content if isinstance(content, str) else None
        return None

    @property
    def text(self) -> str:
        return self.part("plain") or ""

    @property
    def html(self) -> str:
        return self.part("html") or ""

    @property
    def link(self) -> str | None:
        """The acknowledgement link in the text part."""
        found = _LINK.search(self.text)
        return found.group(0) if found else None


@dataclasses.dataclass(frozen=True, slots=True)
class PersonAction:
    """Something a simulated person did, and what the server answered."""

    address: str
    action: str
    """"open", "confirm", "reply", "bounce"."""
    status: int | None
    """The HTTP status (None for a reply or when the request failed)."""
    at: float


@dataclasses.dataclass(slots=True)
class StoredMail:
    """A message in the sandbox mailbox."""

    uid: int
    raw: bytes
    flags: set[str]


class SandboxMailbox:
    """The mailbox replies land in (the one the reply poller reads over IMAP)."""

    def __init__(self) -> None:
        self.messages: list[StoredMail] = []
        self.uid_validity = int(time.time())
        self._next_uid = 1

    def deliver(self, raw: bytes | EmailMessage, *, seen: bool = False) -> int:
        data = raw.as_bytes(policy=email.policy.SMTP) if isinstance(raw, EmailMessage) else raw
        uid = self._next_uid
        self._next_uid += 1
        self.messages.append(StoredMail(uid, data, {"\\Seen"} if seen else set()))
        return uid

    def unseen(self) -> list[StoredMail]:
        return [m for m in self.messages if "\\Seen" not in m.flags]


class _Handler:
    """aiosmtpd hooks: refusals, faults, and recording what arrived."""

    def __init__(self, sandbox: SmtpSandbox) -> None:
        self.sandbox = sandbox

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self.sandbox._refusal(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sandbox.data_reply is not None:
            return self.sandbox.data_reply
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        transport = server.transport
        tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        self.sandbox._accept(envelope.mail_from or "", tuple(envelope.rcpt_tos), raw, tls)
        return "250 2.0.0 Message accepted for delivery"


class _Silent(asyncio.Protocol):
    """Accepts the connection and never says a word (a hung server)."""

    def __init__(self, sandbox: SmtpSandbox) -> None:
        self.sandbox = sandbox

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.sandbox._transports.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        return None


class SmtpSandbox:
    """A real SMTP server on 127.0.0.1 with simulated recipients.

    `async with SmtpSandbox(ack_http=True) as sandbox:` then point an `EmailNotifier` at
    `sandbox.settings()`. With `tls="starttls"` or `"implicit"` a trustme CA signs the
    server's certificate; `sandbox.ca_file` is a PEM the client can trust (or not).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsMode = "none",
        require_starttls: bool = False,
        behaviour: Behaviour | None = None,
        act: bool = True,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        mailbox: SandboxMailbox | None = None,
        workdir: Path | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tls: TlsMode = tls
        self.require_starttls = require_starttls
        self.behaviour = behaviour or always(Action.IGNORE)
        self.act = act
        """When False nobody reacts (tests that only look at what was sent)."""
        self.mailbox = mailbox or SandboxMailbox()
        self.received: list[ReceivedMail] = []
        self.actions: list[PersonAction] = []
        self.fault: Fault = None
        self.data_reply: str | None = None
        """When set, DATA is answered with this line (e.g. "451 4.3.0 try later")."""
        self.login = login
        """(username, password) the server requires (over TLS), or None for no login."""
        self.connections = 0
        """SMTP connections accepted so far (to check that clients reuse them)."""
        self._refused: dict[str, tuple[int, int | None]] = {}
        self._sleep = sleep or asyncio.sleep
        self._workdir = workdir
        self._server: asyncio.Server | None = None
        self._protocols: list[SMTP] = []
        self._transports: set[asyncio.BaseTransport] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._changed = asyncio.Event()
        self._server_ctx: ssl.SSLContext | None = None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self.ca_pem: bytes | None = None
        """The sandbox CA's certificate (PEM), when TLS is on."""
        self.ca_file: str | None = None
        """A file holding `ca_pem`, for `SmtpSettings.ca_file`."""

    # --- life cycle ----------------------------------------------------------------------

    async def start(self) -> SmtpSandbox:
        if self.tls != "none" and self._server_ctx is None:
            self._make_certificate()
        await self._listen()
        log.info("sandbox SMTP listening on %s:%d (tls: %s)", self.host, self.port, self.tls)
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_listener()
        self._drop_connections()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    async def __aenter__(self) -> SmtpSandbox:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        implicit = self._server_ctx if self.tls == "implicit" else None
        self._server = await loop.create_server(
            self._protocol, self.host, self.port, ssl=implicit, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _close_listener(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1)

    def _drop_connections(self) -> None:
        for protocol in self._protocols:
            transport = protocol.transport
            if transport is not None:
                transport.close()
        self._protocols.clear()
        for transport in self._transports:
            transport.close()
        self._transports.clear()

    def _protocol(self) -> asyncio.BaseProtocol:
        if self.fault == "silent":
            return _Silent(self)
        self._protocols = [p for p in self._protocols if p.transport is not None]
        self.connections += 1
        protocol = SMTP(
            _Handler(self),
            hostname="sandbox.localhost",
            ident="drillkit sandbox SMTP",
            tls_context=self._server_ctx if self.tls == "starttls" else None,
            require_starttls=self.require_starttls and self.tls == "starttls",
            loop=asyncio.get_running_loop(),
            timeout=30,
            authenticator=self._authenticate if self.login is not None else None,
            auth_required=self.login is not None,
            auth_require_tls=self.tls != "none",
        )
        self._protocols.append(protocol)
        return protocol

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        expected = self.login
        if expected is None or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        given = (data.login.decode("utf-8", "replace"), data.password.decode("utf-8", "replace"))
        return AuthResult(success=given == expected, handled=False)

    def drop_connections(self) -> None:
        """Close every open connection (as a server does to idle clients)."""
        self._drop_connections()

    def _make_certificate(self) -> None:
        try:
            import trustme
        except ImportError:  # pragma: no cover - trustme is a runtime dependency
            raise RuntimeError(
                "TLS in the mail sandbox needs trustme (pip install trustme)"
            ) from None
        ca = trustme.CA()
        cert = ca.issue_cert(self.host, "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self._server_ctx = ctx
        self.ca_pem = ca.cert_pem.bytes()
        if self._workdir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="drillkit-sandbox-")
            self._workdir = Path(self._tempdir.name)
        path = self._workdir / f"sandbox-ca-{id(self)}.pem"
        path.write_bytes(self.ca_pem)
        self.ca_file = str(path)

    # --- configuration for clients -------------------------------------------------------

    def settings(self, **overrides: Any) -> SmtpSettings:
        """SMTP settings that reach this sandbox (TLS verified against its CA if known)."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "tls": self.tls,
            "ca_file": self.ca_file,
            "from_address": "drill@city.example",
            "reply_to": "replies@city.example",
            "timeout_seconds": 5,
            "messages_per_second": 10_000,
        }
        values.update(overrides)
        return SmtpSettings(**values)

    # --- fault injection -----------------------------------------------------------------

    def refuse(self, *addresses: str, code: int = 550, times: int | None = None) -> None:
        """Refuse these recipients at RCPT with `code` (`times`: only that many times)."""
        for address in addresses:
            self._refused[address.lower()] = (code, times)

    def accept(self, *addresses: str) -> None:
        """Stop refusing these recipients."""
        for address in addresses:
            self._refused.pop(address.lower(), None)

    async def set_fault(self, fault: Fault) -> None:
        """ "silent": accept connections and never greet; "down": nothing listens; None: normal."""
        previous, self.fault = self.fault, fault
        if fault == "down" and self._server is not None:
            await self._close_listener()
            self._drop_connections()
        elif fault != "down" and (previous == "down" or self._server is None):
            await self._listen()

    def _refusal(self, address: str) -> str | None:
        entry = self._refused.get(address.lower())
        if entry is None:
            return None
        code, times = entry
        if times is not None:
            if times <= 0:
                return None
            self._refused[address.lower()] = (code, times - 1)
        status = "5.1.1" if code >= 500 else "4.2.1"
        return f"{code} {status} <{address}>: recipient refused (sandbox)"

    # --- receiving ------------------------------------------------------------------------

    def _accept(self, mail_from: str, rcpt_tos: tuple[str, ...], raw: bytes, tls: bool) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(mail_from, rcpt_tos, raw, message, tls, time.monotonic())
        self.received.append(mail)
        self._changed.set()
        if self.act:
            link = mail.link
            claim = peek_token(link.rsplit("/", 1)[1]) if link else None
            page_id = claim.page_id if claim is not None else None
            for address in rcpt_tos:
                reaction = self.behaviour(address, page_id)
                if reaction.action is not Action.IGNORE:
                    self._spawn(self._react(address, mail, reaction))

    async def wait_for(self, count: int, seconds: float = 5.0) -> list[ReceivedMail]:
        """Wait until `count` messages arrived; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds):
            while len(self.received) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.received

    async def wait_for_actions(self, count: int, seconds: float = 5.0) -> list[PersonAction]:
        """Wait until simulated people did `count` things; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds):
            while len(self.actions) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.actions

    # --- simulated people -----------------------------------------------------------------

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _react(self, address: str, mail: ReceivedMail, reaction: Reaction) -> None:
        try:
            if reaction.action is Action.REPLY:
                await self._sleep(reaction.after)
                self.mailbox.deliver(reply_to(mail, address, text=_reply_text(mail, reaction)))
                self._record(address, "reply", None)
                return
            if reaction.action is Action.BOUNCE:
                await self._sleep(reaction.after)
                self.mailbox.deliver(bounce_of(mail, address))
                self._record(address, "bounce", None)
                return
            link = mail.link
            if link is None:
                log.warning("sandbox: a mail to %s carries no acknowledgement link", address)
                return
            await self._sleep(reaction.opens_at)
            status, page = await self._http_call("GET", link)
            self._record(address, "open", status)
            if reaction.action is Action.CONFIRM:
                await self._sleep(max(0.0, reaction.after - reaction.opens_at))
                data = {"confirm": "yes", **_answer_button(page, reaction)}
                self._record(address, "confirm", (await self._http_call("POST", link, data))[0])
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sandbox: simulated person %s failed", address)

    async def _http_call(
        self, method: str, url: str, data: dict[str, str] | None = None
    ) -> tuple[int | None, str]:
        """(status, page) of a request to an acknowledgement link ((None, "") if it failed)."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._http.request(method, url, data=data) as response:
                body = await response.read()
                return response.status, body.decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("sandbox: %s of an acknowledgement link failed: %s", method, exc)
            return None, ""

    def _record(self, address: str, action: str, status: int | None) -> None:
        self.actions.append(PersonAction(address, action, status, time.monotonic()))
        self._changed.set()


_NUMBERED_CHOICE = re.compile(r"^\s+(\d)\. \S", re.MULTILINE)


def _reply_text(mail: ReceivedMail, reaction: Reaction) -> str:
    """What the person writes back: the number of their answer on the first line when
    the mail asks a question (its numbered choices), else a plain 確認しました。"""
    offered = len(_NUMBERED_CHOICE.findall(mail.text))
    if not offered:
        return "確認しました。"
    chosen = reaction.answer(offered) if reaction.answer is not None else 1
    return f"{min(max(1, chosen), offered)}\n確認しました。"


_ANSWER_BUTTON = re.compile(r'<button[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"')


def _answer_button(page: str, reaction: Reaction) -> dict[str, str]:
    """The field of the answer button the person presses (none on a plain 了解 page)."""
    buttons = _ANSWER_BUTTON.findall(page)
    if not buttons:
        return {}
    chosen = reaction.answer(len(buttons)) if reaction.answer is not None else 1
    name, value = buttons[min(max(1, chosen), len(buttons)) - 1]
    return {name: html.unescape(value)}


def reply_to(
    mail: ReceivedMail,
    sender: str,
    *,
    text: str = "確認しました。",
    headers: Iterable[tuple[str, str]] = (),
) -> EmailMessage:
    """A reply as a mail client writes one: Re: subject, In-Reply-To, References, quote."""
    original = mail.message
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = sender
    reply["To"] = str(original["Reply-To"] or original["From"] or "")
    subject = mail.subject
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Date"] = email.utils.formatdate(localtime=False)
    reply["Message-ID"] = email.utils.make_msgid(domain="person.sandbox.localhost")
    message_id = original["Message-ID"]
    if message_id:
        reply["In-Reply-To"] = str(message_id)
        references = str(original["References"] or "")
        reply["References"] = f"{references} {message_id}".strip()
    for name, value in headers:
        reply[name] = value
    quoted = "\n".join(f"> {line}" for line in mail.text.splitlines())
    reply.set_content(f"{text}\n\n{quoted}\n", charset="utf-8")
    return reply


def bounce_of(mail: ReceivedMail, recipient: str, *, status: str = "5.1.1") -> bytes:
    """A delivery-status report (RFC 3464) as Postfix writes one, for `mail` to `recipient`."""
    headers = mail.raw.split(b"\r\n\r\n", 1)[0]
    boundary = b"B" + str(int(time.time() * 1000)).encode() + b"/sandbox.localhost"
    return b"\r\n".join(
        [
            b"From: MAILER-DAEMON@sandbox.localhost (Mail Delivery System)",
            b"To: " + (mail.header("Reply-To") or mail.mail_from).encode("ascii", "replace"),
            b"Subject: Undelivered Mail Returned to Sender",
            b"Message-ID: <" + boundary.replace(b"/", b".") + b"@sandbox.localhost>",
            b"Date: " + email.utils.formatdate(localtime=False).encode(),
            b"Auto-Submitted: auto-replied",
            b"MIME-Version: 1.0",
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="'
            + boundary
            + b'"',
            b"",
            b"--" + boundary,
            b"Content-Type: text/plain; charset=us-ascii",
            b"",
            b"This is the mail system at host sandbox.localhost. The message could not be",
            b"delivered to one or more recipients.",
            b"",
            b"--" + boundary,
            b"Content-Type: message/delivery-status",
            b"",
            b"Reporting-MTA: dns; sandbox.localhost",
            b"",
            b"Final-Recipient: rfc822; " + recipient.encode("ascii", "replace"),
            b"Action: failed",
            b"Status: " + status.encode(),
            b"Diagnostic-Code: smtp; 550 " + status.encode() + b" user unknown",
            b"",
            b"--" + boundary,
            b"Content-Type: text/rfc822-headers",
            b"",
            headers,
            b"",
            b"--" + boundary + b"--",
            b"",
        ]
    )


# --- IMAP -------------------------------------------------------------------------------

_ATOM = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


class SandboxImap:
    """A minimal IMAP4rev1 server on a `SandboxMailbox`, for the reply poller's tests.

    One user, one mailbox (any name selects it). Plain TCP, or TLS with `ssl_context`.
    """

    def __init__(
        self,
        mailbox: SandboxMailbox,
        *,
        username: str = "drill",
        password: str = "sandbox-imap-password",
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.commands: list[str] = []
        """Commands received (LOGIN arguments left out), for assertions."""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    def settings(self, **overrides: Any) -> ImapSettings:
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "tls": self.ssl_context is not None,
            "username": self.username,
            "poll_seconds": 0.2,
        }
        values.update(overrides)
        return ImapSettings(**values)

    async def start(self) -> SandboxImap:
        self._server = await asyncio.start_server(
            self._client, self.host, self.port, ssl=self.ssl_context
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=1)
        for task in list(self._handlers):
            task.cancel()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1)

    async def __aenter__(self) -> SandboxImap:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        self._writers.add(writer)
        state = {"auth": False, "selected": False}
        try:
            writer.write(b"* OK [CAPABILITY IMAP4rev1 UIDPLUS] drillkit sandbox IMAP ready\r\n")
            while True:
                line = await reader.readline()
                if not line:
                    return
                parts = line.rstrip(b"\r\n").split(b" ", 2)
                if len(parts) < 2:
                    writer.write(b"* BAD empty command\r\n")
                    continue
                tag, name = parts[0], parts[1].upper()
                rest = parts[2] if len(parts) > 2 else b""
                if name == b"UID":
                    sub = rest.split(b" ", 1)
                    name, rest = b"UID " + sub[0].upper(), sub[1] if len(sub) > 1 else b""
                self.commands.append(name.decode())
                done = await self._command(writer, tag, name, rest, state)
                await writer.drain()
                if done:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            return  # the sandbox is stopping; asyncio's stream callback must not see it
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _command(
        self,
        writer: asyncio.StreamWriter,
        tag: bytes,
        name: bytes,
        rest: bytes,
        state: dict[str, bool],
    ) -> bool:
        def ok(text: bytes = b"completed") -> None:
            writer.write(tag + b" OK " + name + b" " + text + b"\r\n")

        def no(text: bytes) -> None:
            writer.write(tag + b" NO " + text + b"\r\n")

        if name == b"CAPABILITY":
            writer.write(b"* CAPABILITY IMAP4rev1 UIDPLUS\r\n")
            ok()
        elif name == b"NOOP":
            ok()
        elif name == b"LOGOUT":
            writer.write(b"* BYE sandbox IMAP logging out\r\n")
            ok()
            return True
        elif name == b"LOGIN":
            args = [a.decode() for a in _args(rest)]
            if len(args) == 2 and args == [self.username, self.password]:
                state["auth"] = True
                ok(b"logged in")
            else:
                no(b"[AUTHENTICATIONFAILED] invalid credentials")
        elif not state["auth"]:
            writer.write(tag + b" BAD log in first\r\n")
        elif name in (b"SELECT", b"EXAMINE"):
            state["selected"] = True
            messages = self.mailbox.messages
            writer.write(f"* {len(messages)} EXISTS\r\n* 0 RECENT\r\n".encode())
            writer.write(f"* OK [UIDVALIDITY {self.mailbox.uid_validity}] UIDs valid\r\n".encode())
            writer.write(b"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n")
            ok(b"[READ-WRITE] selected")
        elif not state["selected"]:
            writer.write(tag + b" BAD select a mailbox first\r\n")
        elif name in (b"SEARCH", b"UID SEARCH"):
            criteria = rest.upper().split()
            if criteria[:1] == [b"CHARSET"]:
                criteria = criteria[2:]
            found = self._search(criteria, by_uid=name.startswith(b"UID"))
            writer.write(b"* SEARCH" + b"".join(b" %d" % n for n in found) + b"\r\n")
            ok()
        elif name in (b"FETCH", b"UID FETCH"):
            sequence, _, items = rest.partition(b" ")
            for number, stored in self._select(sequence, by_uid=name.startswith(b"UID")):
                self._fetch(writer, number, stored, items.upper())
            ok()
        elif name in (b"STORE", b"UID STORE"):
            sequence, _, change = rest.partition(b" ")
            what, _, flags = change.partition(b" ")
            wanted = {f.decode() for f in flags.strip(b"()").split()}
            for number, stored in self._select(sequence, by_uid=name.startswith(b"UID")):
                if what.upper().startswith(b"+FLAGS"):
                    stored.flags |= wanted
                elif what.upper().startswith(b"-FLAGS"):
                    stored.flags -= wanted
                else:
                    stored.flags = wanted
                if not what.upper().endswith(b".SILENT"):
                    flag_text = " ".join(sorted(stored.flags))
                    writer.write(
                        f"* {number} FETCH (UID {stored.uid} FLAGS ({flag_text}))\r\n".encode()
                    )
            ok()
        elif name == b"CLOSE":
            state["selected"] = False
            ok()
        else:
            writer.write(tag + b" BAD command not supported by the sandbox\r\n")
        return False

    def _search(self, criteria: list[bytes], *, by_uid: bool) -> list[int]:
        out = []
        for number, stored in enumerate(self.mailbox.messages, start=1):
            seen = "\\Seen" in stored.flags
            if (b"UNSEEN" in criteria and seen) or (
                b"SEEN" in criteria and b"UNSEEN" not in criteria and not seen
            ):
                continue
            out.append(stored.uid if by_uid else number)
        return out

    def _select(self, sequence: bytes, *, by_uid: bool) -> list[tuple[int, StoredMail]]:
        messages = self.mailbox.messages
        highest = (messages[-1].uid if by_uid else len(messages)) if messages else 0
        wanted: set[int] = set()
        for chunk in sequence.decode().split(","):
            low, _, high = chunk.partition(":")
            start = highest if low == "*" else int(low)
            end = start if not high else (highest if high == "*" else int(high))
            wanted.update(range(min(start, end), max(start, end) + 1))
        return [
            (number, stored)
            for number, stored in enumerate(messages, start=1)
            if (stored.uid if by_uid else number) in wanted
        ]

    def _fetch(
        self, writer: asyncio.StreamWriter, number: int, stored: StoredMail, items: bytes
    ) -> None:
        fields = [b"UID %d" % stored.uid]
        if b"FLAGS" in items:
            fields.append(b"FLAGS (" + " ".join(sorted(stored.flags)).encode() + b")")
        body = b"BODY[]" in items or b"RFC822" in items or b"BODY.PEEK[]" in items
        head = b"* %d FETCH (" % number + b" ".join(fields)
        if body:
            label = b"RFC822" if b"RFC822" in items and b"BODY" not in items else b"BODY[]"
            writer.write(head + b" " + label + b" {%d}\r\n" % len(stored.raw) + stored.raw)
            writer.write(b")\r\n")
            if b"PEEK" not in items:
                stored.flags.add("\\Seen")
        else:
            writer.write(head + b")\r\n")


def _args(text: bytes) -> list[bytes]:
    out = []
    for quoted, atom in _ATOM.findall(text):
        out.append(re.sub(rb"\\(.)", rb"\1", quoted) if quoted or not atom else atom)
    return out
