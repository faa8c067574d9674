"""Hostile plans: numbers that are not finite or not in range are plan errors that name
the file, line and key (found: `at_minutes: .inf` validated, then the run died with an
OverflowError)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _sample(tmp_path: Path) -> Path:
    plan = tmp_path / "plan"
    plan.mkdir()
    for name in ("plan.yaml", "contacts", "scenarios", "playbooks"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, plan / name)
        else:
            shutil.copy(source, plan / name)
    return plan


def _digest(root: Path) -> str:
    return hashlib.sha256(
        b"".join(p.read_bytes() for p in sorted(root.rglob("*.yaml")) if p.is_file())
    ).hexdigest()


def _validate(plan: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DRILLKIT_HOME": str(tmp_path / "home"),
        "COLUMNS": "250",
        "DRILLKIT_LANG": "en",
    }
    return subprocess.run(
        [sys.executable, "-m", "drill", "validate", str(plan)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _replace_line(file: Path, old: str, new: str) -> int:
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        if old in line:
            lines[number - 1] = line.replace(old, new, 1)
            file.write_text("".join(lines), encoding="utf-8")
            return number
    raise AssertionError(f"{old!r} not in {file}")


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e308", "100000000"])
def test_an_inject_time_that_is_not_a_sane_number_is_a_plan_error(
    tmp_path: Path, value: str
) -> None:
    plan = _sample(tmp_path)
    scenario = plan / "scenarios" / "aggregation-centre-outage.yaml"
    line = _replace_line(scenario, "at_minutes: 5", f"at_minutes: {value}")
    before = _digest(plan)
    result = _validate(plan, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    expected = f"scenarios/aggregation-centre-outage.yaml:{line} injects[1].at_minutes"
    assert expected in result.stderr
    assert "finite number" in result.stderr or "up to 10080" in result.stderr
    assert _digest(plan) == before  # validation never changes the plan


def test_target_and_step_minutes_are_bounded_too(tmp_path: Path) -> None:
    plan = _sample(tmp_path)
    playbook = plan / "playbooks" / "stolen-terminal.yaml"
    text = playbook.read_text(encoding="utf-8")
    assert "target_minutes:" in text
    first = text.index("target_minutes:")
    end = text.index("\n", first)
    playbook.write_text(text[:first] + "target_minutes: .inf" + text[end:], encoding="utf-8")
    targets = plan / "plan.yaml"
    text = targets.read_text(encoding="utf-8")
    first = text.index("within_minutes:")
    end = text.index("\n", first)
    targets.write_text(text[:first] + "within_minutes: 1e999" + text[end:], encoding="utf-8")
    result = _validate(plan, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "target_minutes: Input should be a finite number" in result.stderr
    assert "within_minutes" in result.stderr and "write a finite number" in result.stderr
