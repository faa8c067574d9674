"""Hostile plans: size. A large honest plan loads; an alias bomb, a 50 MB plan and a
250,000-person plan are refused at once with the limit and how to raise it (found: 12,000
people without an alias refused as an alias bomb; a 50 MB plan hung for minutes)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drill.plan import PlanError, load_plan

MINIMAL = Path(__file__).resolve().parents[1] / "plan" / "fixtures" / "minimal"


def _plan(tmp_path: Path) -> Path:
    plan = tmp_path / "plan"
    shutil.copytree(MINIMAL, plan)
    return plan


def _people(file: Path, count: int, pad: int = 0) -> None:
    with file.open("w", encoding="utf-8") as out:
        out.write("people:\n")
        for i in range(count):
            out.write(
                f"  - id: p{i}\n    name: 職員 {i}{'x' * pad}\n"
                f"    channels:\n      - email: p{i}@town.example\n"
            )


def _validate(plan: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drill", "validate", str(plan)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DRILLKIT_HOME": str(tmp_path / "home"),
            "COLUMNS": "250",
            "DRILLKIT_LANG": "en",
            **env,
        },
        timeout=300,  # a hang guard only
    )


def test_twelve_thousand_people_without_an_alias_load(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    _people(plan / "contacts" / "prefecture.yaml", 12_000)
    loaded = load_plan(plan, lint=False)
    assert len(loaded.plan.people) == 12_000 + 6


def test_an_alias_bomb_is_still_refused(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    (plan / "contacts" / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _validate(plan, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "contacts/bomb.yaml" in result.stderr
    assert re.search(
        r"aliases \(\*name, <<: \*name\) add more than 100,\d{3} values", result.stderr
    )


def test_a_fifty_megabyte_plan_is_refused_with_the_limit_and_how_to_raise_it(
    tmp_path: Path,
) -> None:
    plan = _plan(tmp_path)
    _people(plan / "contacts" / "nation.yaml", 250_000, pad=120)
    assert (plan / "contacts" / "nation.yaml").stat().st_size > 50_000_000
    result = _validate(plan, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DK-E017" in result.stderr and "the limit is 32 MB" in result.stderr
    assert "DRILLKIT_MAX_PLAN_MB" in result.stderr


@pytest.mark.slow
def test_a_quarter_million_people_within_the_size_limit_are_refused_by_count(
    tmp_path: Path,
) -> None:
    plan = _plan(tmp_path)
    _people(plan / "contacts" / "nation.yaml", 250_000)
    result = _validate(plan, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "contacts/nation.yaml people: more than 100,000 people" in result.stderr
    assert "DRILLKIT_MAX_PEOPLE=<number>" in result.stderr


def test_the_people_limit_is_raised_by_its_environment_variable(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    _people(plan / "contacts" / "more.yaml", 50)
    refused = _validate(plan, tmp_path, DRILLKIT_MAX_PEOPLE="40")
    assert refused.returncode == 2
    assert "more than 40 people" in refused.stderr
    accepted = _validate(plan, tmp_path, DRILLKIT_MAX_PEOPLE="100")
    assert accepted.returncode == 0, accepted.stderr


def test_a_limit_that_is_not_a_number_is_an_error_not_the_default(tmp_path: Path) -> None:
    result = _validate(_plan(tmp_path), tmp_path, DRILLKIT_MAX_PLAN_MB="lots")
    assert result.returncode == 2
    assert "DRILLKIT_MAX_PLAN_MB='lots' is not a whole number" in result.stderr


def test_the_size_limit_error_comes_from_the_api_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan(tmp_path)
    _people(plan / "contacts" / "more.yaml", 20_000)
    monkeypatch.setenv("DRILLKIT_MAX_PLAN_MB", "1")
    with pytest.raises(PlanError) as raised:
        load_plan(plan)
    assert [f.code for f in raised.value.findings] == ["DK-E017"]


def test_honest_merge_keys_in_every_person_of_a_large_file_load(tmp_path: Path) -> None:
    """Merging shared defaults into 40,000 people adds 160,000 values through aliases:
    honest reuse that grows with the file, not a bomb."""
    plan = _plan(tmp_path)
    with (plan / "contacts" / "merged.yaml").open("w", encoding="utf-8") as out:
        out.write("people:\n  - &defaults {id: d0, name: 既定}\n")
        for i in range(1, 40_000):
            out.write(
                f"  - {{<<: *defaults, id: d{i}, channels: [{{email: d{i}@town.example}}]}}\n"
            )
    loaded = load_plan(plan, lint=False)
    assert len(loaded.plan.people) == 40_000 + 6


@pytest.mark.parametrize("alias", [False, True], ids=["plain", "with-an-alias"])
def test_a_large_file_over_the_people_limit_is_refused_by_count_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alias: bool
) -> None:
    """Over a megabyte, the count stops the read at the limit: on the one pass of a plain
    file, and on the prescan of a file that needs the careful reader (an alias)."""
    plan = _plan(tmp_path)
    nation = plan / "contacts" / "nation.yaml"
    _people(nation, 9_000, pad=60)
    if alias:
        with nation.open("a", encoding="utf-8") as out:
            out.write("  - &extra {id: extra, name: 追加}\n  - *extra\n")
    assert nation.stat().st_size > 1_000_000
    monkeypatch.setenv("DRILLKIT_MAX_PEOPLE", "5000")
    with pytest.raises(PlanError) as raised:
        load_plan(plan, lint=False)
    (finding,) = raised.value.findings
    assert finding.code == "DK-E017"
    assert finding.file is not None and finding.file.name == "nation.yaml"
    assert "more than 5,000 people (5,001 counted)" in finding.message
