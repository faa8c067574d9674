"""`drillkit doctor` against real loopback servers, and `drillkit config show` redaction."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from drill.ack.server import AckServer
from drill.config import AckSettings, Config, ImapSettings, TwilioSettings
from drill.doctor import Check, config_text, run_doctor
from drill.sandbox.smtp import SandboxImap, SmtpSandbox
from drill.sandbox.twilio_api import TwilioSandbox

SECRETS = {
    "DRILLKIT_TWILIO_AUTH_TOKEN": "twilio-token-Secret-1",
    "DRILLKIT_SMTP_PASSWORD": "smtp-Secret-2",
    "DRILLKIT_IMAP_PASSWORD": "imap-Secret-3",
    "DRILLKIT_LINK_KEY": "link-Secret-4",
}


class World:
    """Every server doctor talks to, on 127.0.0.1."""

    def __init__(self, twilio: TwilioSandbox, smtp: SmtpSandbox, imap: SandboxImap, ack: AckServer):
        self.twilio, self.smtp, self.imap, self.ack = twilio, smtp, imap, ack

    def config(self, **sections: object) -> Config:
        values: dict[str, object] = {
            "twilio": self.twilio.twilio_settings(),
            "smtp": self.smtp.settings(username="drill"),
            "imap": self.imap.settings(username="drill"),
            "ack": AckSettings(public_url=self.ack.url),
        }
        values.update(sections)
        return Config(**values)  # type: ignore[arg-type]


def _account_resource(sandbox: TwilioSandbox) -> None:
    """GET /Accounts/<sid>.json, which doctor uses to check credentials."""

    async def account(request: web.Request) -> web.Response:
        return web.json_response(
            {"sid": sandbox.account_sid, "friendly_name": "Sample City", "status": "active"}
        )

    sandbox.app.router.add_get("/2010-04-01/Accounts/{account}.json", account)


@pytest.fixture
async def world(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    twilio = TwilioSandbox(auth_token=SECRETS["DRILLKIT_TWILIO_AUTH_TOKEN"])
    _account_resource(twilio)
    async with (
        twilio,
        SmtpSandbox(tls="starttls", login=("drill", SECRETS["DRILLKIT_SMTP_PASSWORD"])) as smtp,
        SandboxImap(smtp.mailbox, password=SECRETS["DRILLKIT_IMAP_PASSWORD"]) as imap,
        AckServer(AckSettings(listen_port=0), route_hooks=[]) as ack,
    ):
        yield World(twilio, smtp, imap, ack)


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


async def test_a_good_configuration_passes_without_paging_anyone(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    checks = by_name(await run_doctor(world.config()))
    assert all(check.ok for check in checks.values()), checks
    assert "credentials accepted" in checks["twilio"].detail
    assert "STARTTLS" in checks["smtp"].detail and "certificate verified" in checks["smtp"].detail
    assert "login as drill accepted" in checks["smtp"].detail
    assert "mailbox 'INBOX'" in checks["imap"].detail
    assert "answers as the drillkit ack server" in checks["public url"].detail
    # nobody was paged, nothing was sent
    assert world.twilio.calls == [] and world.twilio.messages == []
    assert world.smtp.received == []
    text = caplog.text + repr(checks)
    for value in SECRETS.values():
        assert value not in text


async def test_unconfigured_channels_are_skipped_not_failed(world: World) -> None:
    config = Config(ack=AckSettings(public_url=world.ack.url))
    checks = by_name(await run_doctor(config))
    for name in ("twilio", "smtp", "imap"):
        assert checks[name].ok and checks[name].skipped


async def test_wrong_twilio_credentials_are_reported(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRILLKIT_TWILIO_AUTH_TOKEN", "wrong-token")
    check = by_name(await run_doctor(world.config()))["twilio"]
    assert not check.ok and "refused the credentials" in check.detail and "(401)" in check.detail
    assert check.fix is not None and "DRILLKIT_TWILIO_AUTH_TOKEN" in check.fix
    assert "wrong-token" not in check.detail


async def test_an_untrusted_smtp_certificate_is_reported_with_the_fix(world: World) -> None:
    config = world.config(smtp=world.smtp.settings(username="drill", ca_file=None))
    check = by_name(await run_doctor(config))["smtp"]
    assert not check.ok and "not trusted" in check.detail
    assert check.fix is not None and "ca_file" in check.fix


async def test_a_wrong_smtp_password_is_reported(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRILLKIT_SMTP_PASSWORD", "not-it")
    check = by_name(await run_doctor(world.config()))["smtp"]
    assert not check.ok and "login" in check.detail and "not-it" not in check.detail


async def test_smtp_without_starttls_is_reported() -> None:
    async with SmtpSandbox() as plain:
        config = Config(smtp=plain.settings(tls="starttls"))
        check = by_name(await run_doctor(config, seconds=3))["smtp"]
    assert not check.ok and "does not offer STARTTLS" in check.detail


async def test_a_public_url_nobody_answers_is_reported(world: World) -> None:
    await world.ack.stop()
    check = by_name(await run_doctor(world.config(), seconds=3))["public url"]
    assert not check.ok and "does not answer" in check.detail
    assert check.fix is not None and "drillkit serve" in check.fix


async def test_a_missing_link_key_is_reported(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRILLKIT_LINK_KEY")
    monkeypatch.setattr("drill.config.secret", _without("link_key"))
    monkeypatch.setattr("drill.doctor.secret", _without("link_key"))
    check = by_name(await run_doctor(world.config()))["secrets"]
    assert not check.ok and "link_key: not set" in check.detail
    assert check.fix is not None and "DRILLKIT_LINK_KEY" in check.fix


async def test_an_unreachable_mailbox_is_reported(world: World) -> None:
    config = world.config(imap=ImapSettings(host="127.0.0.1", port=1, tls=False, username="u"))
    check = by_name(await run_doctor(config, seconds=3))["imap"]
    assert not check.ok and "cannot reach" in check.detail


def _without(name: str):  # type: ignore[no-untyped-def]
    from drill import config as config_module

    real = config_module.secret

    def lookup(asked: str):  # type: ignore[no-untyped-def]
        return None if asked == name else real(asked)

    return lookup


def test_config_show_redacts_every_secret_and_is_valid_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    config = Config(
        twilio=TwilioSettings(account_sid="AC" + "0" * 32, from_number="+81958291124"),
        ack=AckSettings(public_url="https://ack.city.example"),
    )
    text = config_text(config)
    for value in SECRETS.values():
        assert value not in text
    assert "# twilio_auth_token = set ($DRILLKIT_TWILIO_AUTH_TOKEN)" in text
    parsed = tomllib.loads(text)
    assert parsed["twilio"]["account_sid"] == "AC" + "0" * 32
    assert parsed["ack"]["public_url"] == "https://ack.city.example"
    assert "host" not in parsed["smtp"]  # not set: shown as a comment
    assert Config.model_validate(parsed) == config  # what is shown can be loaded back
    redacted = config.redacted()
    assert all(value not in repr(redacted) for value in SECRETS.values())
