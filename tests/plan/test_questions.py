"""A scenario's question (出社可否, 安否): 2 to 9 choices with their own keys and labels;
mistakes are errors that name the file, the line and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from drill.plan import PlanError, Severity, load_plan

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
SAFETY = """question:
  text: {ja: 無事ですか, en: Are you safe?}
  choices:
    - {key: safe, label: {ja: 無事, en: Safe}}
    - {key: help, label: {ja: 要支援, en: Need help}, means: needs_help}
"""


def with_question(tmp_path: Path, question: str) -> Path:
    root = tmp_path / "plan"
    shutil.copytree(MINIMAL, root)
    scenario = root / "scenarios" / "theft.yaml"
    scenario.write_text(scenario.read_text(encoding="utf-8") + question, encoding="utf-8")
    return root


def test_a_question_loads_and_matches_numbers_and_labels(tmp_path: Path) -> None:
    loaded = load_plan(with_question(tmp_path, SAFETY))
    question = loaded.plan.scenario("theft").question
    assert question is not None and question.keys == ("safe", "help")
    assert [f.code for f in loaded.findings if f.severity.value == "error"] == []
    assert question.numbered("ja") == "1 無事 / 2 要支援"
    for text, key in (("2", "help"), ("２", "help"), ("要支援", "help"), ("1. 無事", "safe")):
        found = question.match(text)
        assert found is not None and found.key == key, text
    assert question.match("3") is None and question.match("はい") is None


@pytest.mark.parametrize(
    ("question", "offset", "where", "says"),
    [
        (
            SAFETY.replace("key: help", "key: safe"),
            0,
            "question",
            "two choices share the key 'safe'",
        ),
        (
            SAFETY.replace("label: {ja: 要支援, en: Need help}", "label: {ja: 無事}"),
            0,
            "question",
            "two choices share the label '無事'",
        ),
        (SAFETY.replace("needs_help", "needs-help"), 4, "question.choices[1].means", "needs_help"),
        (
            "question:\n  text: 無事ですか\n  choices:\n    - {key: safe, label: 無事}\n",
            2,
            "question.choices",
            "at least 2",
        ),
        (
            "question:\n  text: 無事ですか\n  choices:\n"
            + "".join(f"    - {{key: c{n}, label: 選択{n}}}\n" for n in range(10)),
            2,
            "question.choices",
            "at most 9",
        ),
        (SAFETY + "  choice: []\n", 5, "question.choice", "did you mean 'choices'"),
    ],
)
def test_mistakes_name_the_file_line_and_key(
    tmp_path: Path, question: str, offset: int, where: str, says: str
) -> None:
    root = with_question(tmp_path, question)
    # the line of `question:` in the scenario file, plus the offset of the mistake
    line = len((MINIMAL / "scenarios" / "theft.yaml").read_text(encoding="utf-8").splitlines())
    line += 1 + offset
    with pytest.raises(PlanError) as raised:
        load_plan(root)
    errors = [f for f in raised.value.findings if f.severity is Severity.ERROR]
    text = errors[0].render(root)
    assert f"scenarios/theft.yaml:{line} {where}" in text, text
    assert says in text, text
