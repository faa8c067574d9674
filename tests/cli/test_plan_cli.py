"""The plan commands as a user runs them: exit codes, output, JSON, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from drill.cli import cli

MINIMAL = Path(__file__).parent.parent / "plan" / "fixtures" / "minimal"


def run(*args: str) -> tuple[int, str, str]:
    """`drillkit ARGS` in English: these tests read the core's English messages (the
    Japanese ones: tests/cli/test_validate_japanese.py)."""
    result = CliRunner().invoke(cli, list(args), env={"DRILLKIT_LANG": "en"})
    return result.exit_code, result.stdout, result.stderr


def test_bundled_sample_validates_clean_even_with_strict() -> None:
    code, out, _ = run("validate", "--strict")
    assert code == 0
    assert out.startswith("OK サンプル市")
    assert "no warnings" in out and "(s)" not in out


def test_validate_json_summarises_the_sample() -> None:
    code, out, _ = run("validate", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    counts = data["summary"]["counts"]
    assert counts["people"] >= 30
    assert counts["regional_centres"] == 8
    assert counts["roles_without_deputy"] == 0
    assert data["summary"]["sample"] is True


def test_errors_exit_2_and_name_file_line_key(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    shutil.copytree(MINIMAL, root)
    people = root / "contacts" / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("kana:", "kanna:"), "utf-8")
    code, _, err = run("validate", str(root))
    assert code == 2
    assert "contacts/people.yaml:4 people[0].kanna: unknown key 'kanna'" in err
    assert "did you mean 'kana'?" in err
    assert "Traceback" not in err


def test_warnings_exit_1_only_with_strict(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    shutil.copytree(MINIMAL, root)
    roles = root / "contacts" / "roles.yaml"
    roles.write_text(
        roles.read_text(encoding="utf-8").replace("    deputies: [police-night]\n", ""), "utf-8"
    )
    assert run("validate", str(root))[0] == 0
    code, _, err = run("validate", "--strict", str(root))
    assert code == 1
    assert "DK-W001" in err


def test_tree_masks_numbers_unless_asked() -> None:
    code, out, _ = run("tree", "--tree", "external", "--json")
    assert code == 0
    text = json.dumps(json.loads(out), ensure_ascii=False)
    assert "095-***-**01" in text and "095-000-" not in text
    code, out, _ = run("tree", "--tree", "external", "--json", "--show-numbers")
    assert "095-000-" in out


def test_tree_draws_levels_and_deputies() -> None:
    code, out, _ = run("tree", "--tree", "internal")
    assert code == 0
    assert "庁内" in out and "代理1" in out


def test_unknown_tree_suggests_the_nearest() -> None:
    code, _, err = run("tree", "--tree", "internl")
    assert code == 2
    assert "did you mean 'internal'?" in err


def test_schema_describes_every_field(tmp_path: Path) -> None:
    code, out, _ = run("schema", "--kind", "contacts")
    schema = json.loads(out)
    person = schema["$defs"]["Person"]["properties"]
    assert person["kana"]["description"].startswith("Reading in kana")
    code, out, _ = run("schema", "--out", str(tmp_path))
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "drillkit-contacts.schema.json",
        "drillkit-plan.schema.json",
        "drillkit-playbook.schema.json",
        "drillkit-scenario.schema.json",
    ]


def test_explain_a_code() -> None:
    code, out, _ = run("explain", "w007")
    assert code == 0 and "Target out of reach" in out


def test_python_dash_m_drill_runs_the_same_cli(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    missing.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "drill", "validate", str(missing)],
        capture_output=True,
        text=True,
        env={**os.environ, "DRILLKIT_LANG": "en"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no plan.yaml" in result.stderr
    assert "Traceback" not in result.stderr
