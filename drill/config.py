"""Configuration: providers, sender ids, the public URL, rate limits — and where secrets live.

The config file is TOML (location from platformdirs, overridden by `DRILLKIT_CONFIG`).
Secrets never live in it nor in plan files: the Twilio auth token, the SMTP and IMAP
passwords and the link-signing key come from environment variables or the OS keyring
(service "drillkit"), are held as `SecretStr`, and `redacted()` never shows them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from drill.errors import ConfigError

__all__ = [
    "SECRET_ENV",
    "AckSettings",
    "Config",
    "ImapSettings",
    "SmtpSettings",
    "TwilioSettings",
    "config_path",
    "data_dir",
    "load_config",
    "secret",
]

# The fields' docstrings document the file for its readers; no JSON Schema is made of these
# models, so pydantic is not asked to read them (`use_attribute_docstrings` parses each
# class's source: 12-20 ms of every command that imports this module).
_MODEL = ConfigDict(extra="forbid", frozen=True)

SECRET_ENV: dict[str, str] = {
    "twilio_auth_token": "DRILLKIT_TWILIO_AUTH_TOKEN",
    "smtp_password": "DRILLKIT_SMTP_PASSWORD",
    "imap_password": "DRILLKIT_IMAP_PASSWORD",
    "link_key": "DRILLKIT_LINK_KEY",
    "anchor_key": "DRILLKIT_ANCHOR_KEY",  # signs the chain head in reports (drill.store.anchor)
}


def data_dir() -> Path:
    """Where drillkit keeps its data (event store, reports): `DRILLKIT_HOME` or platformdirs."""
    override = os.environ.get("DRILLKIT_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir("drillkit"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_path() -> Path:
    override = os.environ.get("DRILLKIT_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("drillkit")) / "config.toml"


def secret(name: str) -> SecretStr | None:
    """A secret from the environment, else the OS keyring (if `keyring` is installed)."""
    env_name = SECRET_ENV[name]
    value = os.environ.get(env_name)
    if value:
        return SecretStr(value)
    try:
        import keyring  # optional: not every server has a keyring back-end
    except ImportError:
        return None
    try:
        stored = keyring.get_password("drillkit", name)
    except Exception:  # a missing or locked back-end is "no secret", not a crash
        return None
    return SecretStr(stored) if stored else None


class AckSettings(BaseModel):
    """The acknowledgement server (webhooks and links)."""

    model_config = _MODEL

    public_url: str = "http://127.0.0.1:8750"
    """The URL people and Twilio reach the ack server at (behind a proxy: the proxy's URL).
    Twilio signatures are checked against this, never against the URL a request arrived on."""
    listen_host: str = "127.0.0.1"
    """Address the server binds to."""
    listen_port: int = Field(default=8750, ge=0, le=65535)
    """Port the server binds to (0: any free port)."""
    link_ttl_hours: float = Field(default=24, gt=0)
    """How long an acknowledgement link stays valid."""


class TwilioSettings(BaseModel):
    """Twilio voice and SMS."""

    model_config = _MODEL

    account_sid: str | None = None
    """The account SID (AC…). The auth token comes from DRILLKIT_TWILIO_AUTH_TOKEN or the
    keyring, never from this file."""
    from_number: str | None = None
    """The caller id / SMS sender number, E.164."""
    sms_sender_id: str | None = None
    """An alphanumeric sender id for SMS (e.g. SampleCity), if the account allows it."""
    calls_per_second: float = Field(default=1.0, gt=0)
    """Rate limit for creating calls (Twilio's default is one per second per account)."""
    messages_per_second: float = Field(default=1.0, gt=0)
    """Rate limit for creating messages."""
    api_base_url: str | None = None
    """Override of the API address; only for the local sandbox (http://127.0.0.1:PORT)."""
    timeout_seconds: float = Field(default=10, gt=0)
    """Per-request timeout (the async client's own timeout is ignored; ours is enforced)."""
    voice_language: str = "ja-JP"
    """Language of the spoken message."""
    voice: str = "Polly.Mizuki"
    """Text-to-speech voice."""


class SmtpSettings(BaseModel):
    """Outgoing e-mail."""

    model_config = _MODEL

    host: str | None = None
    """SMTP server host name."""
    port: int = Field(default=587, ge=1, le=65535)
    """SMTP port (587 STARTTLS, 465 implicit TLS)."""
    tls: Literal["starttls", "implicit", "none"] = "starttls"
    """Transport security; "none" only for a local test server."""
    verify_certificates: bool = True
    """Verify the server's certificate (on by default)."""
    ca_file: str | None = None
    """A CA bundle to trust in addition to the system's (for an internal CA)."""
    username: str | None = None
    """Login name; the password comes from DRILLKIT_SMTP_PASSWORD or the keyring."""
    from_address: str = "drillkit@localhost"
    """The From address."""
    reply_to: str | None = None
    """Reply-To address whose mailbox the IMAP poller reads (a reply acknowledges)."""
    messages_per_second: float = Field(default=10, gt=0)
    """Rate limit."""
    timeout_seconds: float = Field(default=15, gt=0)
    """Connect and command timeout (aiosmtplib's default of 60 s is too long in a drill)."""


class ImapSettings(BaseModel):
    """Reply polling for closed networks: read replies from an IMAP mailbox."""

    model_config = _MODEL

    host: str | None = None
    """IMAP server; polling is off when empty."""
    port: int = Field(default=993, ge=1, le=65535)
    """IMAP port."""
    tls: bool = True
    """Use implicit TLS."""
    username: str | None = None
    """Login name; the password comes from DRILLKIT_IMAP_PASSWORD or the keyring."""
    mailbox: str = "INBOX"
    """Mailbox to read."""
    poll_seconds: float = Field(default=20, gt=0)
    """How often to poll."""


class Config(BaseModel):
    """The whole configuration file."""

    model_config = _MODEL

    ack: AckSettings = AckSettings()
    """The acknowledgement server."""
    twilio: TwilioSettings = TwilioSettings()
    """Twilio voice and SMS."""
    smtp: SmtpSettings = SmtpSettings()
    """Outgoing e-mail."""
    imap: ImapSettings = ImapSettings()
    """Reply polling."""

    def redacted(self) -> dict[str, Any]:
        """The configuration with every secret shown only as set / not set."""
        data = self.model_dump(mode="json")
        data["secrets"] = {
            name: ("set" if secret(name) is not None else "not set") + f" (${env})"
            for name, env in SECRET_ENV.items()
        }
        return data


def load_config(path: Path | None = None) -> Config:
    """Read the config file (defaults when it does not exist); ConfigError when it is wrong."""
    file = path or config_path()
    if not file.exists():
        return Config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    for section in data.values():
        if isinstance(section, dict):
            for key in section:
                if any(word in key.lower() for word in ("token", "password", "secret", "key")):
                    if key.lower() == "link_ttl_hours":
                        continue
                    raise ConfigError(
                        f"{file}: '{key}' looks like a secret; secrets are never read from "
                        "files. Set it in the environment ("
                        + ", ".join(SECRET_ENV.values())
                        + ") or the OS keyring, and remove it from the file."
                    )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{file}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors(include_url=False)
        ]
        raise ConfigError("\n".join(lines)) from None
