"""`config show` never prints a secret; `doctor` says what is wrong and exits 1."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from drill.cli import cli


def test_config_show_redacts_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[twilio]\naccount_sid = "AC123"\n', encoding="utf-8")
    monkeypatch.setenv("DRILLKIT_TWILIO_AUTH_TOKEN", "tok-9f8e7d6c5b4a")
    result = CliRunner().invoke(cli, ["config", "show", "--config", str(config)])
    assert result.exit_code == 0
    assert "tok-9f8e7d6c5b4a" not in result.output
    assert "twilio_auth_token = set" in result.output
    assert 'account_sid = "AC123"' in result.output


def test_a_secret_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[smtp]\npassword = "hunter2"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "show", "--config", str(config)])
    assert result.exit_code == 2
    assert "hunter2" not in result.output + result.stderr
    assert "never read from files" in result.stderr


def test_doctor_reports_an_unreachable_public_url(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text(f'[ack]\npublic_url = "http://127.0.0.1:{port}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["doctor", "--config", str(config), "--seconds", "2", "--json"]
    )
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["public url"]["ok"] is False and checks["public url"]["fix"]
    assert checks["twilio"]["skipped"] is True
