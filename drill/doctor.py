"""`drillkit doctor` and `drillkit config show`: check the configuration without paging anyone.

`run_doctor(config)` runs every check concurrently, each under its own timeout, and
returns one `Check` per question a duty officer would ask before a drill:

- are the secrets where drillkit looks (environment or keyring)? (values never shown)
- does Twilio accept the credentials? (GET the account resource; nothing is created)
- is the SMTP server reachable, is its TLS certificate valid, is the login accepted?
  (EHLO, STARTTLS, AUTH, NOOP, QUIT; no mail is sent)
- can the reply mailbox be opened? (IMAP login and SELECT; nothing is flagged)
- does the public URL answer `/healthz` as the ack server, and is it HTTPS? Before a
  `run` (which starts its own ack server) nothing answers yet, so doctor starts the same
  server on `[ack] listen_host:listen_port` for the check, and stops it; `--for run` also
  fails when that port is taken (a running `drillkit serve` would stop `run` from
  listening).
- does the event store open at the schema this version writes, durably? On PostgreSQL:
  which server, and may the role append but not change the record (privileges beside
  the triggers)?
- is any channel configured at all? (a real run with none cannot page anyone)

Every failure is one line that says what is wrong in words (never a library's exception
name) and one line of what to do.

`config_text(config)` is what `drillkit config show` prints: the configuration as TOML,
with every secret shown only as set / not set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import json
import secrets
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib

from drill.ack.replies import PollError, build_reply_poller
from drill.ack.server import AckServer, DrillRegistry
from drill.channels.email import (
    SmtpFailure,
    classify_smtp_error,
    is_loopback_host,
    open_smtp,
    tls_context,
)
from drill.channels.links import Links
from drill.config import SECRET_ENV, Config, config_path, secret
from drill.errors import DrillError

__all__ = ["Check", "Purpose", "config_text", "network_problem", "run_doctor"]

Purpose = Literal["run", "serve"]
"""The command the checks are for: what it will need is what is checked."""

_TWILIO_API = "https://api.twilio.com"


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    """The answer to one question about the configuration."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    skipped: bool = False
    """True when the thing is not configured (not an error: that channel is just off)."""


async def run_doctor(
    config: Config,
    *,
    seconds: float = 10.0,
    purpose: Purpose | None = None,
    db: str | None = None,
) -> list[Check]:
    """Check everything `config` describes (each within `seconds`), for `purpose` when
    given, and the event store (`db`, else DRILLKIT_DB, else the default file); never pages
    anyone and never shows a secret."""
    checks: list[Callable[[], Awaitable[Check]]] = [
        lambda: _channels(config),
        lambda: _secrets(config),
        lambda: _twilio(config, seconds),
        lambda: _smtp(config, seconds),
        lambda: _imap(config, seconds),
        lambda: _public_url(config, seconds, purpose),
        lambda: _store(db),
    ]
    names = ["channels", "secrets", "twilio", "smtp", "imap", "public url", "store"]

    async def guarded(name: str, check: Callable[[], Awaitable[Check]]) -> Check:
        try:
            async with asyncio.timeout(seconds + 2):
                return await check()
        except TimeoutError:
            return Check(name, False, f"no answer within {seconds:g} s", "check the network")
        except DrillError as exc:
            return Check(name, False, exc.message)
        except Exception as exc:  # a check must never take the others down
            return Check(name, False, network_problem(exc))

    results = await asyncio.gather(
        *(guarded(name, check) for name, check in zip(names, checks, strict=True))
    )
    return list(results)


# --- checks -----------------------------------------------------------------------------


async def _channels(config: Config) -> Check:
    if config.twilio.account_sid or config.smtp.host:
        kinds = [
            k
            for k, on in (("voice/SMS", config.twilio.account_sid), ("e-mail", config.smtp.host))
            if on
        ]
        return Check("channels", True, f"configured: {', '.join(kinds)}")
    return Check(
        "channels",
        False,
        "no channel is configured: a real run could not page anyone",
        f"configure [twilio] or [smtp] in {config_path()} (`drillkit demo` and "
        "`drillkit run --simulate` need none)",
    )


def network_problem(exc: BaseException, where: str = "") -> str:
    """One line, in words, for a failed network request (never a library's class name)."""
    at = f" {where}" if where else ""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"no answer{at} in time"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"the TLS certificate{at} is not trusted ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return f"the TLS handshake{at} failed"
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return f"the host name{at} does not resolve (check the spelling and DNS)"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or "cannot connect"
        if exc.os_error.errno == errno.ECONNREFUSED:
            reason = "connection refused: nothing listens there"
        return f"cannot connect{at}: {reason.lower()}"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return f"the server{at} closed the connection without a full answer"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"not a valid URL{at}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"the server{at} answered {exc.status}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot connect{at}: {exc.strerror.lower()}"
    text = " ".join(str(exc).split())[:120]
    return f"unexpected error{at}: {text}" if text else f"unexpected error{at}"


async def _store(db: str | None) -> Check:
    from drill.store import EventStore, postgres
    from drill.store.migrate import head_revision

    async with EventStore.open(db) as store:
        revision = await store.schema_revision()
        schema = f"schema {revision}" + (" (current)" if revision == head_revision() else "")
        if store.engine.dialect.name != "postgresql":
            settings = await store.settings()
            durable = settings.get("journal_mode") == "wal" and settings.get("synchronous") == 2
            detail = f"SQLite {store.where}: {schema}; " + (
                "WAL, synchronous=FULL" if durable else f"settings {settings}"
            )
            return Check("store", durable, detail, None if durable else "see the log")
        rights = await store.read_with(postgres.privileges)
    detail = f"PostgreSQL {rights.server_version} at {store.where}: {schema}; role {rights.role}"
    if not rights.can_write:
        return Check(
            "store",
            False,
            detail + " may not append events or keep drill leases",
            "GRANT SELECT, INSERT ON drills, events, drill_lease_log, drillkit_schema_version, "
            "operator_requests, operator_answers; "
            "GRANT SELECT, INSERT, UPDATE ON drill_leases, console_watchers; "
            "GRANT USAGE ON SEQUENCE "
            "drill_lease_log_id_seq (to this role, as the tables' owner)",
        )
    if rights.superuser or rights.owner:
        who = "a superuser" if rights.superuser else "the tables' owner"
        detail += (
            f" is {who}: the triggers refuse changes to the record, but this role could "
            "disable them; run engines and ack servers as a role granted only SELECT and "
            "INSERT (UPDATE on drill_leases)"
        )
    else:
        detail += " may append but not change the record (triggers and privileges)"
    return Check("store", True, detail)


async def _secrets(config: Config) -> Check:
    present = {name: secret(name) is not None for name in SECRET_ENV}
    shown = ", ".join(f"{name}: {'set' if ok else 'not set'}" for name, ok in present.items())
    uses_links = bool(config.smtp.host) or bool(config.twilio.account_sid)
    if uses_links and not present["link_key"]:
        return Check(
            "secrets",
            False,
            f"{shown}. Without a link-signing key each process signs links with its own "
            "random key, so links stop working when it exits and `drillkit serve` cannot "
            "check links sent by another process",
            'set DRILLKIT_LINK_KEY to a long random value (e.g. `python -c "import '
            "secrets; print(secrets.token_urlsafe(32))\"`) or store 'link_key' in the "
            "keyring (service drillkit)",
        )
    return Check("secrets", True, shown)


async def _twilio(config: Config, seconds: float) -> Check:
    settings = config.twilio
    if not settings.account_sid:
        return Check("twilio", True, "not configured: voice and SMS are off", skipped=True)
    token = secret("twilio_auth_token")
    if token is None:
        return Check(
            "twilio",
            False,
            "the auth token is not set",
            "set DRILLKIT_TWILIO_AUTH_TOKEN or store 'twilio_auth_token' in the keyring",
        )
    base = (settings.api_base_url or _TWILIO_API).rstrip("/")
    url = f"{base}/2010-04-01/Accounts/{settings.account_sid}.json"
    headers = {
        "Authorization": aiohttp.encode_basic_auth(settings.account_sid, token.get_secret_value())
    }
    client_timeout = aiohttp.ClientTimeout(total=min(seconds, settings.timeout_seconds))
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as http,
            http.get(url, headers=headers) as response,
        ):
            status = response.status
            body = await response.json(content_type=None) if status < 500 else {}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return Check(
            "twilio",
            False,
            f"cannot reach Twilio: {network_problem(exc, f'at {base}')}",
            "check the network, a proxy, or [twilio] api_base_url",
        )
    where = "the sandbox" if settings.api_base_url else "Twilio"
    if status == 401:
        return Check(
            "twilio",
            False,
            f"{where} refused the credentials for account {settings.account_sid} (401)",
            "check [twilio] account_sid and DRILLKIT_TWILIO_AUTH_TOKEN",
        )
    if status != 200 or not isinstance(body, dict):
        return Check("twilio", False, f"{where} answered {status} for the account", None)
    state = str(body.get("status", "active"))
    name = str(body.get("friendly_name", "") or "")
    senders = _twilio_senders(config)
    if state != "active":
        return Check(
            "twilio", False, f"account {name or settings.account_sid} is {state}", "see Twilio"
        )
    if senders is not None:
        return Check("twilio", False, senders, "set [twilio] from_number (E.164)")
    detail = f"credentials accepted by {where}; account {name or settings.account_sid} is active"
    return Check("twilio", True, detail)


def _twilio_senders(config: Config) -> str | None:
    if not config.twilio.from_number and not config.twilio.sms_sender_id:
        return "credentials accepted, but no sender: [twilio] from_number is not set"
    return None


async def _smtp(config: Config, seconds: float) -> Check:
    settings = config.smtp
    if not settings.host:
        return Check("smtp", True, "not configured: e-mail is off", skipped=True)
    where = f"{settings.host}:{settings.port}"
    password = secret("smtp_password") if settings.username else None
    if settings.username and password is None:
        return Check(
            "smtp",
            False,
            f"[smtp] username is '{settings.username}' but no password is set",
            "set DRILLKIT_SMTP_PASSWORD or store 'smtp_password' in the keyring",
        )
    limit = min(seconds, settings.timeout_seconds)
    try:
        context = tls_context(settings)
        async with asyncio.timeout(limit):
            client = await open_smtp(
                settings, password=password, context=context, command_timeout=limit
            )
            try:
                await client.noop()
                security = _smtp_security(client, settings.tls)
            finally:
                try:
                    await client.quit()
                except aiosmtplib.SMTPException:
                    client.close()
    except DrillError as exc:
        return Check("smtp", False, exc.message, "fix [smtp] ca_file")
    except Exception as exc:
        failure: SmtpFailure = classify_smtp_error(exc, settings, "connect")
        return Check("smtp", False, failure.detail, _smtp_fix(failure, settings.tls))
    detail = f"{where} answered; {security}"
    if settings.username:
        detail += f"; login as {settings.username} accepted"
    if settings.tls == "none" and not is_loopback_host(settings.host):
        return Check(
            "smtp",
            False,
            detail + ", but tls = 'none' sends mail and logins unencrypted",
            "use tls = 'starttls' (port 587) or 'implicit' (port 465)",
        )
    if settings.tls != "none" and not settings.verify_certificates:
        return Check(
            "smtp",
            False,
            detail.replace("certificate verified", "certificate NOT verified"),
            "set verify_certificates = true (and ca_file for an internal CA)",
        )
    return Check("smtp", True, detail)


def _smtp_security(client: aiosmtplib.SMTP, mode: str) -> str:
    if mode == "none":
        return "no TLS (local test server)"
    ssl_object = client.get_transport_info("ssl_object")
    version = ssl_object.version() if ssl_object is not None else "TLS"
    how = "STARTTLS" if mode == "starttls" else "implicit TLS"
    return f"{how} ({version}), certificate verified"


def _smtp_fix(failure: SmtpFailure, mode: str) -> str:
    if "certificate" in failure.detail:
        return "set [smtp] ca_file to your internal CA, or fix the server's certificate"
    if "STARTTLS" in failure.detail:
        return "use the submission port with STARTTLS, or tls = 'implicit' for port 465"
    if "login" in failure.detail:
        return "check [smtp] username and DRILLKIT_SMTP_PASSWORD"
    return "check [smtp] host, port and tls, and that the server is running"


async def _imap(config: Config, seconds: float) -> Check:
    if not config.imap.host:
        return Check("imap", True, "not configured: reply polling is off", skipped=True)
    try:
        poller = build_reply_poller(config, DrillRegistry(), timeout_seconds=seconds)
        assert poller is not None
        detail = await poller.check()
    except PollError as exc:
        return Check("imap", False, exc.message, "check [imap] host, port, tls and username")
    except DrillError as exc:
        return Check("imap", False, exc.message)
    return Check("imap", True, detail)


async def _public_url(config: Config, seconds: float, purpose: Purpose | None = None) -> Check:
    url = config.ack.public_url.rstrip("/")
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = is_loopback_host(host)
    listen = f"{config.ack.listen_host}:{config.ack.listen_port}"
    port_free = _port_is_free(config.ack.listen_host, config.ack.listen_port)
    status, body, problem = await _healthz(url, seconds)
    temporary = False
    if problem is not None and port_free:
        # Nothing answers yet: `run` and `serve` start the ack server themselves, so
        # check the way they will serve it, with the same server on the same address.
        try:
            # A throw-away key: this server only answers /healthz, and the secrets check
            # already reports a missing link key.
            links = Links(
                public_url=config.ack.public_url, key=secrets.token_bytes(32), ttl_seconds=60
            )
            async with AckServer(config.ack, links=links):
                status, body, problem = await _healthz(url, seconds)
            temporary = True
        except OSError:
            port_free = False
    if problem is not None:
        if not port_free:
            return Check(
                "public url",
                False,
                f"{url}/healthz does not answer ({problem}), and {listen} is taken by "
                "another program",
                f"stop what listens on {listen} or change [ack] listen_port, then start "
                f"`drillkit serve` (or `drillkit run`) and forward {url} to it",
            )
        return Check(
            "public url",
            False,
            f"{url}/healthz does not answer ({problem}), even with the ack server "
            f"listening on {listen}",
            f"make the reverse proxy forward {url} to {listen}, where `drillkit run` and "
            "`drillkit serve` listen (or set [ack] public_url to that address)",
        )
    try:
        service = json.loads(body).get("service") if status == 200 else None
    except (ValueError, AttributeError):
        service = None
    if service != "drillkit-ack":
        return Check(
            "public url",
            False,
            f"{url}/healthz answered {status}, but not as the drillkit ack server",
            f"make the reverse proxy forward {url} to the ack server on {listen}",
        )
    if parts.scheme != "https" and not local:
        return Check(
            "public url",
            False,
            f"{url} answers, but over plain HTTP: links and Twilio callbacks would cross "
            "the network unencrypted",
            "put the ack server behind a reverse proxy with TLS and set [ack] public_url "
            "to its https:// address",
        )
    if purpose == "run" and not temporary and not port_free and config.ack.listen_port:
        return Check(
            "public url",
            False,
            f"{url} answers, but from a server already listening on {listen}: `drillkit "
            "run` starts its own ack server there and could not",
            "stop `drillkit serve` before a run (or schedule the drill, which `serve` runs)",
        )
    note = " (loopback: reachable from this machine only)" if local else ""
    how = (
        f" when the ack server listens on {listen} (checked with a temporary one)"
        if temporary
        else ""
    )
    return Check("public url", True, f"{url} answers as the drillkit ack server{how}{note}")


async def _healthz(url: str, seconds: float) -> tuple[int, str, str | None]:
    """GET `<url>/healthz`: status, body, or a one-line problem."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as http,
            http.get(f"{url}/healthz", allow_redirects=False) as response,
        ):
            return response.status, await response.text(), None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return 0, "", network_problem(exc)


def _port_is_free(host: str, port: int) -> bool:
    """Whether the ack server could listen on host:port now (port 0 always can)."""
    if port == 0:
        return True
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


# --- config show ------------------------------------------------------------------------


def config_text(config: Config, path: Path | None = None) -> str:
    """The configuration as TOML, secrets shown only as set / not set (for `config show`)."""
    data = config.redacted()
    secrets_state = data.pop("secrets")
    source = path or config_path()
    lines = [
        f"# {source}" + ("" if source.exists() else " (not found: defaults)"),
        "# Secrets are never read from this file; see [secrets] below.",
    ]
    for section, values in data.items():
        lines += ["", f"[{section}]"]
        lines += [_toml_line(key, value) for key, value in values.items()]
    lines += ["", "# [secrets]: environment variable or keyring (service drillkit)"]
    lines += [f"# {name} = {state}" for name, state in secrets_state.items()]
    return "\n".join(lines) + "\n"


def _toml_line(key: str, value: Any) -> str:
    if value is None:
        return f"# {key} = (not set)"
    if isinstance(value, bool):
        return f"{key} = {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"{key} = {value}"
    return f"{key} = {json.dumps(str(value), ensure_ascii=False)}"
