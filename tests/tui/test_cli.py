"""`drillkit tui [PLAN_DIR]`, and `drillkit` alone: the console on a terminal, help otherwise."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from drill.cli import cli, tui_commands
from drill.tui.app import DrillApp
from tests.tui.conftest import REPO


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[DrillApp]:
    """Console apps that would have been run (not run: no terminal in tests). `tui` itself
    refuses to start without a terminal, so it is shown one."""
    apps: list[DrillApp] = []

    def run(self: DrillApp, *args: Any, **kwargs: Any) -> None:
        apps.append(self)

    monkeypatch.setattr(DrillApp, "run", run)
    terminal = types.SimpleNamespace(isatty=lambda: True)
    monkeypatch.setattr(tui_commands, "sys", types.SimpleNamespace(stdin=terminal, stdout=terminal))
    return apps


def test_tui_opens_the_console_on_a_plan_directory(opened: list[DrillApp]) -> None:
    plan_dir = REPO / "tests/plan/fixtures/minimal"
    result = CliRunner().invoke(cli, ["tui", str(plan_dir), "--lang", "en", "--db", "x.db"])
    assert result.exit_code == 0, result.output
    (app,) = opened
    assert app.plan_dir == Path(plan_dir)
    assert app.store_url == "x.db"
    from drill.tui import i18n

    assert i18n.language() == "en"


def test_drillkit_alone_prints_help_without_a_terminal(opened: list[DrillApp]) -> None:
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0
    assert "tui" in result.output and "Usage" in result.output
    assert opened == []


def test_drillkit_alone_opens_the_console_on_a_terminal(
    opened: list[DrillApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import drill.cli

    terminal = types.SimpleNamespace(isatty=lambda: True)
    fake_sys = types.SimpleNamespace(stdin=terminal, stdout=terminal, exit=sys.exit)
    monkeypatch.setattr(drill.cli, "sys", fake_sys)
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0, result.output
    assert len(opened) == 1 and opened[0].plan_dir is None
