"""Hostile plans: message templates whose rendering is unbounded are refused at validation
(found: `range(999999999)` validated and the run printed 104 tracebacks; `'x'*999999999`
took 59 s and 3.95 GB to validate)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drill.plan.templates import (
    MAX_OUTPUT_CHARACTERS,
    TemplateProblem,
    check_template,
    render_template,
)

MINIMAL = Path(__file__).resolve().parents[1] / "plan" / "fixtures" / "minimal"


def _plan_with_sms(tmp_path: Path, template: str) -> Path:
    plan = tmp_path / "plan"
    shutil.copytree(MINIMAL, plan)
    scenario = plan / "scenarios" / "theft.yaml"
    text = scenario.read_text(encoding="utf-8")
    text = text.replace('sms: "{{ scenario }}。確認を"', "sms: " + _quoted(template))
    scenario.write_text(text, encoding="utf-8")
    return plan


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


HOSTILE = {
    "{% for i in range(999999999) %}x{% endfor %}": "loops",
    "{{ 'x' * 999999999 }}": "arithmetic",
    "{{ 9 ** 9 ** 9 }}": "arithmetic",
    "{{ person|center(999999999) }}": "filter 'center'",
    "{{ lipsum(99999) }}": "function calls",
    "{{ person.__class__ }}": "attributes",
    "{% set a = person ~ person %}{{ a }}": "assignments",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}": "macros",
}


@pytest.mark.parametrize("template", list(HOSTILE))
def test_an_unbounded_template_is_a_validation_error(tmp_path: Path, template: str) -> None:
    plan = _plan_with_sms(tmp_path, template)
    result = subprocess.run(
        [sys.executable, "-m", "drill", "validate", str(plan)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DRILLKIT_HOME": str(tmp_path / "home"),
            "COLUMNS": "250",
            "DRILLKIT_LANG": "en",
        },
        timeout=60,  # a hang guard, not a timing: the check itself takes milliseconds
    )
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert "DK-E013" in result.stderr
    assert "scenarios/theft.yaml:7 messages.ja.sms" in result.stderr
    assert HOSTILE[template] in result.stderr
    assert "not allowed in a message" in result.stderr


def test_what_a_message_needs_still_works() -> None:
    source = (
        "{% if site %}{{ site }}: {% endif %}{{ person|upper }} {{ role|default('—') }}"
        " {{ (scenario ~ '!')|truncate(40) }} {{ deadline[:5] }}"
        "{% if person is defined and role != '' %}.{% endif %}"
    )
    check_template(source)
    text = render_template(
        source,
        {
            "person": "tanaka",
            "role": "係長",
            "site": "北部支所",
            "scenario": "障害",
            "organisation": "市",
            "deadline": "10:35",
            "started": "10:30",
        },
    )
    assert text == "北部支所: TANAKA 係長 障害! 10:35."


def test_a_huge_template_is_refused_by_its_size() -> None:
    with pytest.raises(TemplateProblem, match="at most 20,000"):
        check_template("{{ person }}" * 3_000)


def test_a_template_whose_output_could_be_huge_is_refused() -> None:
    with pytest.raises(TemplateProblem, match="would exceed 50,000 characters"):
        check_template("{{ person }}" * 1_000)  # 12,000 characters, 200,000 rendered


def test_a_rendered_message_is_bounded_even_when_validation_was_skipped() -> None:
    with pytest.raises(TemplateProblem, match="at most"):
        render_template("{{ person }}", {"person": "x" * (MAX_OUTPUT_CHARACTERS + 1)})


def test_a_template_with_conditions_whose_output_could_be_huge_is_refused_too() -> None:
    # Not plain text and placeholders: its length comes from the sandbox's trial render.
    with pytest.raises(TemplateProblem, match=r"would exceed 50,000 characters \(100,000\)"):
        check_template("{% if site %}{{ person }}{% endif %}{{ role }}" * 250)
    check_template("{% if site %}{{ person }}{% endif %}{{ role }}" * 100)  # 40,000: allowed
