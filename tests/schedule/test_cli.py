"""The schedule commands as a user runs them: JSON, decisions shown, mistakes explained."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from drill.cli import cli

SCENARIO = "scenarios/annual-roll-call.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_next_shows_the_holiday_decision(db: str, plan_dir: Path) -> None:
    code, _, err = run(
        "schedule", "add", str(plan_dir / SCENARIO), "--at", "2099-01-01 10:00",
        "--id", "new-year", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = run("schedule", "next", "--db", db)
    assert code == 0
    assert "2099-01-01 (Thu) 10:00 JST" in out
    assert "moved to 2099-01-05 (Mon) 10:00 JST" in out
    assert "年末年始" in out and "元日" in out


def test_list_json_shows_times_in_the_plans_zone(db: str, plan_dir: Path) -> None:
    run(
        "schedule",
        "add",
        str(plan_dir / SCENARIO),
        "--cron",
        "0 10 * 1 FRI#5",
        "--id",
        "fifth",
        "--db",
        db,
    )
    code, out, _ = run("schedule", "list", "--db", db, "--json")
    (item,) = json.loads(out)["schedules"]
    assert code == 0
    assert item["when"] == {"kind": "cron", "text": "0 10 * 1 FRI#5"}
    assert item["next_run"].endswith("10:00:00+09:00")
    assert item["timezone"] == "Asia/Tokyo"


def test_a_drill_that_would_never_run_is_refused_with_the_reason(db: str, plan_dir: Path) -> None:
    (plan_dir / "calendar.yaml").write_text("on_closed_day: skip\n", encoding="utf-8")
    code, _, err = run(
        "schedule", "add", str(plan_dir / SCENARIO), "--at", "2099-05-04 10:00", "--db", db
    )
    assert code != 0
    assert "みどりの日" in err and "on_closed_day: skip" in err
    assert "Traceback" not in err


def test_real_channels_are_refused_for_the_sample_plan(db: str) -> None:
    code, _, err = run(
        "schedule",
        "add",
        "annual-roll-call",
        "--every",
        "last friday of january 10:00",
        "--real-channels",
        "--db",
        db,
    )
    assert code != 0
    assert "sample plan can never be drilled with real channels" in err


def test_one_when_is_required(db: str) -> None:
    code, _, err = run("schedule", "add", "annual-roll-call", "--db", db)
    assert code != 0 and "exactly one of --at, --cron or --every" in err


def test_an_unknown_coordinator_gets_a_suggestion(db: str) -> None:
    code, _, err = run(
        "schedule",
        "add",
        "annual-roll-call",
        "--at",
        "2099-06-01 10:00",
        "--remind",
        "sysadmn",
        "--db",
        db,
    )
    assert code != 0 and "did you mean 'sysadmin'" in err


def test_the_log_is_empty_then_json(db: str) -> None:
    code, out, _ = run("schedule", "log", "--db", db, "--json")
    assert code == 0 and json.loads(out) == {"entries": []}
