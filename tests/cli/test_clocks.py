"""Clocks as a user meets them on the command line.

- `--speed` (and `--start-at`) without `--simulate` are refused: exit 2, a message that
  says what to do, no traceback, nothing started.
- A simulated drill is dated today (marked 模擬) unless `--start-at` gives a date.
- `drillkit resume` without an id offers the interrupted drills of the plan at hand and
  no other, and resumes the one it finds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import shutil
import zoneinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

from drill.cli import cli
from drill.cli.run_commands import ConsoleProgress
from drill.engine.clock import VirtualClock
from drill.engine.events import DrillInterrupted
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore

MINIMAL = Path(__file__).resolve().parents[1] / "plan" / "fixtures" / "minimal"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def drills_in(db: str) -> list[dict[str, object]]:
    code, out, err = invoke("drills", "--db", db, "--json")
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


@pytest.mark.parametrize("speed", ["10", "60", "0.5"])
def test_speed_with_real_channels_is_refused(tmp_path: Path, speed: str) -> None:
    db = str(tmp_path / "e.db")
    code, out, err = invoke("run", "annual-roll-call", "--speed", speed, "--db", db)

    assert code == 2
    assert "Traceback" not in out + err
    assert "real clock" in err and "実時間" in err
    assert "--simulate" in err and "drillkit demo" in err  # what to do instead
    assert drills_in(db) == []  # nobody was paged, nothing recorded


def test_speed_one_is_the_real_clock_and_is_not_refused_for_its_speed(tmp_path: Path) -> None:
    code, _, err = invoke("run", "annual-roll-call", "--speed", "1", "--db", str(tmp_path / "e"))
    assert code == 2
    assert "real clock" not in err and "No channel is configured" in err


def test_a_bad_speed_and_a_date_for_a_real_drill_are_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "e.db")
    code, out, err = invoke("run", "annual-roll-call", "--simulate", "--speed", "0", "--db", db)
    assert code == 2 and "--speed 0" in err and "Traceback" not in out + err
    code, out, err = invoke("run", "annual-roll-call", "--start-at", "2026-04-01", "--db", db)
    assert code == 2 and "--simulate" in err and "Traceback" not in out + err
    code, out, err = invoke(
        "run", "annual-roll-call", "--simulate", "--start-at", "April", "--db", db
    )
    assert code == 2 and "2026-04-01" in err and "Traceback" not in out + err
    assert drills_in(db) == []


def test_a_simulated_drill_carries_todays_date_marked_simulated(tmp_path: Path) -> None:
    db = str(tmp_path / "e.db")
    before = dt.datetime.now(TOKYO).date()
    code, out, err = invoke("run", "annual-roll-call", "--simulate", "--seed", "2", "--db", db)
    after = dt.datetime.now(TOKYO).date()
    assert code == 0, err

    assert "訓練・模擬" in out and "\n完了 模擬 " in out  # the start line and the summary say so
    (row,) = drills_in(db)
    started = dt.datetime.fromisoformat(str(row["started"])).date()
    assert started in (before, after)
    assert row["simulated"] is True
    # The summary says where the report is in the language spoken (報告書: PATH).
    (report,) = [line.split(": ", 1)[1] for line in out.splitlines() if line.endswith(".md")]
    text = Path(report).read_text(encoding="utf-8")
    assert "模擬" in text
    assert f"{started.year}年{started.month}月{started.day}日" in text


def test_a_simulated_drill_is_dated_as_asked(tmp_path: Path) -> None:
    db = str(tmp_path / "e.db")
    code, out, err = invoke(
        "run",
        "annual-roll-call",
        "--simulate",
        "--seed",
        "2",
        "--start-at",
        "2026-04-01",
        "--no-report",
        "--json",
        "--db",
        db,
    )
    assert code == 0, err
    assert json.loads(out)["started_at"] == "2026-04-01T00:00:00+00:00"  # 09:00 in Tokyo
    (row,) = drills_in(db)
    assert row["started"] == "2026-04-01T09:00+09:00"


# --- resume without an id ---------------------------------------------------------------


async def _interrupt(db: Path, plan_dir: Path, scenario: str, *, finish: bool = False) -> str:
    """A simulated drill of `plan_dir` that stops after two minutes without ending."""
    plan = load_plan(plan_dir, lint=False).plan
    async with EventStore.open(db) as store:
        runner = DrillRunner(
            plan,
            scenario,
            sink=store,
            notifiers=[SimulatedNotifier()],
            clock=VirtualClock(),
            seed=1,
        )
        if finish:
            await runner.run()
        else:
            await runner.run_until(2)
        await runner.close()
        return runner.drill_id


def _listed(db: Path, *plan: str) -> list[str]:
    code, out, err = invoke("resume", "--list", "--json", "--db", str(db), *plan)
    assert code == 0, err
    return [row["drill_id"] for row in json.loads(out)["interrupted"]]


def test_resume_offers_only_the_interrupted_drills_of_the_plan_at_hand(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    ours = tmp_path / "ours"
    shutil.copytree(MINIMAL, ours)
    moved = tmp_path / "moved"  # the same plan in another folder: still ours
    shutil.copytree(MINIMAL, moved)
    other = tmp_path / "other"  # another plan: a different organisation file
    shutil.copytree(MINIMAL, other)
    plan_file = other / "plan.yaml"
    plan_file.write_text(
        plan_file.read_text(encoding="utf-8").replace("テスト町", "よその町"), encoding="utf-8"
    )

    mine = asyncio.run(_interrupt(db, ours, "theft"))
    asyncio.run(_interrupt(db, ours, "theft", finish=True))  # finished: nothing to resume
    theirs = asyncio.run(_interrupt(db, other, "theft"))
    sample = asyncio.run(_interrupt(db, sample_plan_dir(), "annual-roll-call"))

    assert _listed(db, "--plan", str(ours)) == [mine]
    assert _listed(db, "--plan", str(moved)) == [mine]
    assert _listed(db, "--plan", str(other)) == [theirs]
    assert _listed(db) == [sample]  # no --plan: the sample plan, as every command

    code, out, err = invoke("resume", "--plan", str(ours), "--db", str(db), "--json")
    assert code == 0, err
    result = json.loads(out[out.index("{") :])
    assert result["drill_id"] == mine and result["status"] == "completed"
    assert _listed(db, "--plan", str(ours)) == []
    assert _listed(db, "--plan", str(other)) == [theirs]  # untouched


def test_resume_offers_what_the_kept_figures_of_each_drill_say_is_open(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    ours = tmp_path / "ours"
    shutil.copytree(MINIMAL, ours)
    mine = asyncio.run(_interrupt(db, ours, "theft"))
    code, _, err = invoke("report", mine, "--db", str(db), "--plan", str(ours), "--format", "md")
    assert code == 0, err
    (entry,) = (Path(os.environ["DRILLKIT_HOME"]) / "cache" / "history").glob("*.json")
    assert json.loads(entry.read_text(encoding="utf-8"))["status"] == "running"
    assert _listed(db, "--plan", str(ours)) == [mine]

    # What the report kept of the drill's fold is what the list goes by (the cache folder
    # is the user's own): the drill is not read again.
    data = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(json.dumps({**data, "status": "completed"}), encoding="utf-8")
    assert _listed(db, "--plan", str(ours)) == []


def test_resume_without_an_id_says_what_to_do_when_there_is_none_or_several(
    tmp_path: Path,
) -> None:
    db = tmp_path / "e.db"
    code, out, err = invoke("resume", "--plan", str(MINIMAL), "--db", str(db))
    assert code == 2 and "No interrupted drill" in err and "Traceback" not in out + err

    first = asyncio.run(_interrupt(db, MINIMAL, "theft"))
    second = asyncio.run(_interrupt(db, MINIMAL, "theft"))
    code, out, err = invoke("resume", "--plan", str(MINIMAL), "--db", str(db))
    assert code == 2 and "say which one" in err
    assert first in out and second in out  # listed to choose from
    assert _listed(db, "--plan", str(MINIMAL)) == [first, second]  # neither was resumed


def test_the_resume_line_tells_the_real_gap_and_the_drill_time_that_passed() -> None:
    at = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    common = {"at": at, "elapsed": 900.0, "last_seq": 9, "last_event": "PageSent"}
    scaled = DrillInterrupted(
        **common,
        last_elapsed=300.0,
        downtime_seconds=10.0,
        drill_downtime_seconds=600.0,
        pages_in_flight=(),
        clock="scaled",
        speed=60.0,
    )
    line = ConsoleProgress(lang="en").describe(scaled) or ""
    assert "down for 10 s" in line and "10 min 00 s of drill time at 60×" in line, line
    ja = ConsoleProgress(lang="ja").describe(scaled) or ""
    assert "停止していた時間 10秒" in ja and "60倍速の訓練時間で 10分00秒" in ja, ja
    virtual = dataclasses.replace(
        scaled, downtime_seconds=0.0, drill_downtime_seconds=0.0, clock="virtual", speed=None
    )
    assert "where it stopped" in (ConsoleProgress(lang="en").describe(virtual) or "")
