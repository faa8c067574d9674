"""A scenario's status-update templates (`updates:`) are checked like its messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from drill.plan import PlanError, load_plan, sample_plan_dir
from drill.plan.models import Audience, UpdateKind
from drill.plan.updates import DEFAULT_UPDATES, update_texts


def test_the_sample_scenarios_carry_japanese_update_templates() -> None:
    plan = load_plan(sample_plan_dir()).plan
    for scenario in plan.scenarios:
        texts = update_texts(scenario, Audience.STAFF, UpdateKind.FINAL)
        assert scenario.updates is not None
        assert "最終報" in texts.ja.subject
    # an agency gets the agency text where the scenario has one, else its staff text
    scenario = plan.scenarios[0]
    assert scenario.updates is not None and scenario.updates.agency is not None
    agency = update_texts(scenario, Audience.AGENCY, UpdateKind.FOLLOWUP)
    assert agency == scenario.updates.agency.followup and "お問い合わせ先" in agency.ja.body
    assert scenario.updates.staff is not None
    assert update_texts(scenario, Audience.AGENCY, UpdateKind.FIRST) == scenario.updates.staff.first
    # a scenario without any: drillkit's own, per audience
    bare = scenario.model_copy(update={"updates": None})
    assert update_texts(bare, Audience.AGENCY, UpdateKind.FIRST) == (
        DEFAULT_UPDATES.agency.first  # type: ignore[union-attr]
    )


def test_a_bad_placeholder_in_an_update_names_file_line_and_key(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    shutil.copytree(sample_plan_dir(), root)
    target = root / "scenarios" / "stolen-terminal.yaml"
    text = target.read_text(encoding="utf-8")
    old = 'subject: "{{ scenario }} 第{{ number }}報（{{ time }}）"'
    assert old in text
    target.write_text(text.replace(old, 'subject: "第{{ numbr }}報"', 1), encoding="utf-8")
    with pytest.raises(PlanError) as raised:
        load_plan(root)
    [finding] = [f for f in raised.value.findings if "numbr" in f.render(root)]
    rendered = finding.render(root)
    assert finding.file == target
    lines = target.read_text(encoding="utf-8").splitlines()
    assert "numbr" in lines[(finding.line or 0) - 1]
    assert "unknown placeholder" in rendered and "{{ number }}" in rendered
    assert "updates" in rendered and "subject" in rendered
