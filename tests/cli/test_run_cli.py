"""`drillkit run --simulate`, `drills`, `verify`, `report` as a user runs them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from drill.cli import cli
from drill.engine.clock import VirtualClock
from drill.engine.notifier import FailureReason, Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.plan import load_plan, sample_plan_dir
from drill.plan.models import ChannelKind
from drill.store import EventStore


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_simulated_roll_call_runs_to_the_end_and_writes_its_report(tmp_path: Path) -> None:
    db = str(tmp_path / "events.db")
    code, out, err = invoke(
        "run",
        "scenarios/annual-roll-call.yaml",
        "--simulate",
        "--seed",
        "3",
        "--db",
        db,
        "--json",
        "--lang",
        "ja",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "completed"
    assert summary["contacts"] > 20
    assert 0 < summary["acknowledged"] <= summary["contacts"]
    assert summary["duration_seconds"] > 60  # simulated minutes, in well under that
    reports = [Path(p) for p in summary["reports"]]
    assert sorted(p.name for p in reports) == ["report.html", "report.json", "report.md"]
    assert "サンプル市" in reports[0].parent.joinpath("report.md").read_text(encoding="utf-8")

    code, out, _ = invoke("drills", "--db", db, "--json")
    (row,) = json.loads(out)
    assert row["drill_id"] == summary["drill_id"]
    assert row["scenario"] == "annual-roll-call" and row["mode"] == "drill"
    assert row["percent_acknowledged"] == summary["percent_acknowledged"]
    assert row["outcome"] == "completed"

    code, out, _ = invoke("verify", summary["drill_id"], "--db", db)
    assert code == 0 and "chain intact" in out


def test_same_seed_same_drill(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        code, out, err = invoke(
            "run",
            "annual-roll-call",
            "--simulate",
            "--seed",
            "5",
            "--no-report",
            "--json",
            "--db",
            str(tmp_path / f"{name}.db"),
        )
        assert code == 0, err
        data = json.loads(out)
        runs.append((data["acknowledged"], data["escalations"], data["duration_seconds"]))
    assert runs[0] == runs[1]


def test_unknown_scenario_suggests_the_nearest(tmp_path: Path) -> None:
    code, _, err = invoke("run", "stolen-termnal", "--simulate", "--db", str(tmp_path / "e.db"))
    assert code == 2
    assert "did you mean 'stolen-terminal'?" in err


def test_real_channels_without_configuration_say_what_to_set(tmp_path: Path) -> None:
    code, _, err = invoke("run", "annual-roll-call", "--db", str(tmp_path / "e.db"))
    assert code == 2
    assert "No channel is configured" in err and "--simulate" in err


def test_sample_plan_is_refused_by_a_real_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[twilio]\naccount_sid = "AC0123"\nfrom_number = "+81501234567"\n'
        '[smtp]\nhost = "smtp.city.example.lg.jp"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DRILLKIT_CONFIG", str(config))
    monkeypatch.setenv("DRILLKIT_TWILIO_AUTH_TOKEN", "not-a-real-token")
    code, _, err = invoke("run", "annual-roll-call", "--db", str(tmp_path / "e.db"))
    assert code == 2
    assert "Sample plan" in err or "sample plan" in err
    assert "not-a-real-token" not in err


def test_a_real_incident_needs_the_organisation_typed(tmp_path: Path) -> None:
    db = str(tmp_path / "e.db")
    code, _, err = invoke("run", "stolen-terminal", "--incident", "--db", db)
    assert code == 2
    assert "will NOT say 【訓練】" in err and "--confirm 'サンプル市'" in err
    code, _, err = invoke(
        "run", "stolen-terminal", "--incident", "--confirm", "サンプル", "--db", db
    )
    assert code == 2 and "Not confirmed" in err
    # Nothing was started either time.
    code, out, _ = invoke("drills", "--db", db, "--json")
    assert json.loads(out) == []


def test_an_incident_playbook_can_be_rehearsed_with_simulated_people(tmp_path: Path) -> None:
    code, out, err = invoke(
        "run",
        "stolen-terminal",
        "--incident",
        "--simulate",
        "--seed",
        "2",
        "--no-report",
        "--json",
        "--db",
        str(tmp_path / "e.db"),
    )
    assert code == 0, err
    code, out, _ = invoke("drills", "--db", str(tmp_path / "e.db"), "--json")
    assert json.loads(out)[0]["mode"] == "incident"


def test_resume_of_an_unknown_drill_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = invoke("resume", "nope", "--db", str(tmp_path / "e.db"))
    assert code == 2
    assert "no drill 'nope'" in err
    assert "Traceback" not in err


class _RefusingProvider:
    """Every send refused, as a provider does with wrong credentials."""

    kinds = frozenset(ChannelKind)
    local = True  # a test double on the virtual clock: nobody is paged

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, page: Page) -> SendResult:
        return SendResult.failed(FailureReason.CONFIG, "Twilio refused the credentials (HTTP 401)")

    async def close(self) -> None:
        return None


async def _failed_and_aborted(url: str) -> None:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    async with EventStore.open(url) as store:
        for drill_id, notifier, abort in (
            ("no-provider", _RefusingProvider(), False),
            ("stopped", SimulatedNotifier(), True),
        ):
            sink = MemorySink()
            clock = VirtualClock()
            runner = DrillRunner(
                plan, "annual-roll-call", sink=sink, notifiers=[notifier], clock=clock,
                drill_id=drill_id,
            )  # fmt: skip
            if abort:
                await runner.run_until(2)
                await runner.abort(by="当番", reason="本番対応")
            else:
                await runner.run()
            stored = await sink.read(drill_id)
            await store.append_many(drill_id, [(s.event, s.key) for s in stored])


def test_drills_lists_the_outcome_of_failed_and_aborted_drills(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    asyncio.run(_failed_and_aborted(url))
    code, out, err = invoke("drills", "--db", url, "--json")
    assert code == 0, err
    outcomes = {row["drill_id"]: row["outcome"] for row in json.loads(out)}
    assert outcomes == {"no-provider": "failed", "stopped": "aborted"}
    code, out, _ = invoke("drills", "--db", url)
    assert "失敗（送信できず）" in out and "中止" in out  # the catalogue's words, not codes
    assert "failed" not in out and "訓練ID" in out
    code, out, _ = invoke("drills", "--db", url, "--lang", "en")
    assert "failed (nothing delivered)" in out and "aborted" in out and "Outcome" in out


async def _open_drill(url: str) -> None:
    """A drill stopped halfway, its process gone: open, nobody runs it."""
    plan = load_plan(sample_plan_dir(), lint=False).plan
    sink = MemorySink()
    runner = DrillRunner(
        plan, "annual-roll-call", sink=sink, notifiers=[SimulatedNotifier()],
        clock=VirtualClock(), drill_id="halfway",
    )  # fmt: skip
    await runner.run_until(2)
    async with EventStore.open(url) as store:
        stored = await sink.read("halfway")
        await store.append_many("halfway", [(s.event, s.key) for s in stored])


def _kept_entry(home: Path, drill_id: str) -> Path:
    (entry,) = [
        path
        for path in (home / "cache" / "history").glob("*.json")
        if f'"drill_id": "{drill_id}"' in path.read_text(encoding="utf-8")
    ]
    return entry


def _set_outcome(entry: Path, outcome: str) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["outcome"] = outcome
    entry.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_drills_reads_an_ended_drills_kept_figures_and_folds_an_open_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    asyncio.run(_failed_and_aborted(url))
    asyncio.run(_open_drill(url))
    home = tmp_path / "home"
    monkeypatch.setenv("DRILLKIT_HOME", str(home))

    first = invoke("drills", "--db", url, "--json")  # folds each drill, keeps its figures
    again = invoke("drills", "--db", url, "--json")  # reads the ended drills' kept figures
    monkeypatch.setenv("DRILLKIT_HOME", str(tmp_path / "another-home"))
    folded = invoke("drills", "--db", url, "--json")
    monkeypatch.setenv("DRILLKIT_HOME", str(home))

    assert first == again == folded and first[0] == 0
    outcomes = {row["drill_id"]: row["outcome"] for row in json.loads(first[1])}
    assert outcomes == {"no-provider": "failed", "stopped": "aborted", "halfway": "interrupted"}
    # What is kept of an ended drill is what the listing shows (the cache folder is the
    # user's own, like the reports beside it); an open drill is folded every time.
    _set_outcome(_kept_entry(home, "stopped"), "completed")
    _set_outcome(_kept_entry(home, "halfway"), "completed")
    code, out, err = invoke("drills", "--db", url, "--json")
    assert code == 0, err
    outcomes = {row["drill_id"]: row["outcome"] for row in json.loads(out)}
    assert outcomes == {"no-provider": "failed", "stopped": "completed", "halfway": "interrupted"}


def test_progress_lines_speak_japanese_unless_english_is_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRILLKIT_LANG", raising=False)
    args = ("run", "annual-roll-call", "--simulate", "--seed", "5", "--no-report")
    code, out, err = invoke(*args, "--db", str(tmp_path / "ja.db"))
    assert code == 0, err
    # The catalogue's words: the same as the console's log and the report.
    assert "開始: 緊急時連絡網 年次訓練（訓練・模擬、" in out
    assert "段充足: " in out and "応答あり: " in out
    assert "連絡網完了" in out and "\n完了 " in out
    assert "started (" not in out and " via " not in out  # no English left over

    monkeypatch.setenv("DRILLKIT_LANG", "en")
    code, out, err = invoke(*args, "--db", str(tmp_path / "en.db"))
    assert code == 0, err
    assert "Started: " in out and "Level satisfied: " in out and "Acknowledged: " in out
    assert "開始:" not in out
