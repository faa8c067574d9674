"""Hostile CLI: `drillkit doctor` checks what the next command needs (found: exit 0 with
nothing configured while `serve` ran; a raw `ClientConnectorError`; a failure before a
`run` because the ack server that `run` starts was not up yet)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from drill.ack.server import AckServer
from drill.config import AckSettings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _doctor(tmp_path: Path, config: str, *args: str) -> tuple[int, str, str]:
    file = tmp_path / "config.toml"
    file.write_text(config, encoding="utf-8")
    env = {
        **os.environ,
        "DRILLKIT_HOME": str(tmp_path / "home"),
        "DRILLKIT_CONFIG": str(file),
        "DRILLKIT_LINK_KEY": "hostile-test-link-key-0123456789",
        "DRILLKIT_TWILIO_AUTH_TOKEN": "hostile-token",
        "COLUMNS": "300",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "drill",
        "doctor",
        "--seconds",
        "3",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def _checks(stdout: str) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in json.loads(stdout)}


async def test_nothing_configured_while_serve_runs_is_a_failure(tmp_path: Path) -> None:
    async with AckServer(AckSettings(listen_port=0)) as serve:
        config = f'[ack]\npublic_url = "{serve.url}"\nlisten_port = {serve.port}\n'
        code, stdout, stderr = await _doctor(tmp_path, config)
    assert code == 1
    assert "Traceback" not in stderr
    assert "✘ channels: no channel is configured: a real run could not page anyone" in stdout
    assert "configure [twilio] or [smtp]" in stdout  # markup-free, brackets shown


async def test_before_a_run_the_public_url_is_checked_the_way_run_serves_it(
    tmp_path: Path,
) -> None:
    port = _free_port()
    config = f'[ack]\npublic_url = "http://127.0.0.1:{port}"\nlisten_port = {port}\n'
    _, stdout, stderr = await _doctor(tmp_path, config, "--for", "run", "--json")
    public = _checks(stdout)["public url"]
    assert public["ok"] is True, public
    assert "checked with a temporary one" in public["detail"]
    with socket.socket() as probe:  # and the temporary server is gone again
        probe.bind(("127.0.0.1", port))
    assert "Traceback" not in stderr


async def test_a_run_cannot_listen_where_serve_already_does(tmp_path: Path) -> None:
    async with AckServer(AckSettings(listen_port=0)) as serve:
        config = f'[ack]\npublic_url = "{serve.url}"\nlisten_port = {serve.port}\n'
        code, stdout, _ = await _doctor(tmp_path, config, "--for", "run", "--json")
        _, stdout_serve, _ = await _doctor(tmp_path, config, "--for", "serve", "--json")
    public = _checks(stdout)["public url"]
    assert code == 1 and public["ok"] is False
    assert "`drillkit run` starts its own ack server there" in public["detail"]
    assert "stop `drillkit serve`" in public["fix"]
    assert _checks(stdout_serve)["public url"]["ok"] is True


async def test_a_configured_channel_that_cannot_work_fails_in_one_plain_line(
    tmp_path: Path,
) -> None:
    dead = _free_port()
    port = _free_port()
    config = (
        f'[twilio]\naccount_sid = "AC0123456789abcdef0123456789abcdef"\n'
        f'from_number = "+81300000000"\napi_base_url = "http://127.0.0.1:{dead}"\n'
        f'[ack]\npublic_url = "http://127.0.0.1:{port}"\nlisten_port = {port}\n'
    )
    code, stdout, stderr = await _doctor(tmp_path, config)
    assert code == 1
    assert "Traceback" not in stderr
    assert "ClientConnectorError" not in stdout + stderr
    line = next(line for line in stdout.splitlines() if line.startswith("✘ twilio:"))
    assert line == (
        f"✘ twilio: cannot reach Twilio: cannot connect at http://127.0.0.1:{dead}: "
        "connection refused: nothing listens there"
    )
    assert "✔ channels: configured: voice/SMS" in stdout
