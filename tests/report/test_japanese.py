"""The Japanese report reads as Japanese: 全角 punctuation, no English words in its sentences.

Every sentence and table cell of the Japanese Markdown report that holds Japanese is
checked: no half-width punctuation (, : ; ! ? ( ) and the middle dot ·) and no Latin word
but an allow-listed proper name (J-LIS, SMS, …) or a person's name as the plan writes it.
Times (10:00:05), masked numbers and record numbers (#12) are not words. Code spans
(ids, hashes, commands) are not sentences and are left out. The reports are those of
the golden files' drill and of an incident scenario, so a new sentence anywhere in the
report is checked as soon as it is written.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from drill.plan.models import Plan
from drill.report import build, render_markdown
from drill.report.types import Report

ALLOWED = frozenset({"J-LIS", "SMS", "CS", "ID", "PDF", "CSV", "HTML", "JSON", "URL", "drillkit"})
"""Proper names and abbreviations that are written in Latin letters in Japanese too."""

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
_NOT_WORDS = re.compile(
    r"`[^`]*`"  # code spans: ids, hashes, commands
    r"|\d{1,2}:\d{2}(?::\d{2})?"  # times
    r"|[0-9*]{2,4}-[0-9*]{2,4}-[0-9*]{2,4}"  # (masked) phone numbers
    r"|\S+@\S+"  # (masked) addresses
    r"|#\d+"  # record numbers
)
_HALF_WIDTH = re.compile(r"[,:;!?()·]")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")


def segments(markdown: str) -> list[str]:
    """The report's sentences and table cells that hold Japanese."""
    out: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or set(line.strip()) <= set("|-: "):
            continue
        cells = line.strip().strip("|").split(" | ") if line.startswith("|") else [line]
        for cell in cells:
            text = re.sub(r"^\s*(?:#+|>|-|\d+\.)\s*", "", cell).replace("**", "").strip()
            if _CJK.search(text):
                out.append(text)
    return out


def problems(text: str, names: frozenset[str]) -> list[str]:
    bare = _NOT_WORDS.sub(" ", text)
    found = [f"half-width {m!r}" for m in _HALF_WIDTH.findall(bare)]
    found += [
        f"Latin word {word!r}"
        for word in _LATIN.findall(bare)
        if word not in ALLOWED and word not in names
    ]
    return found


def person_names(plan: Plan) -> frozenset[str]:
    """People's names as the plan writes them are proper names (Kevin Lee)."""
    return frozenset(word for person in plan.people for word in _LATIN.findall(person.name))


def check(report: Report, plan: Plan) -> list[str]:
    names = person_names(plan)
    out = []
    for text in segments(render_markdown(report, "ja")):
        for problem in problems(text, names):
            out.append(f"{problem} in: {text}")
    return out


def test_the_checker_finds_what_it_should() -> None:
    """The rule itself: a test that cannot fail is a defect."""
    names = frozenset({"Kevin"})
    assert problems("状況付与: 端末なし", names) == ["half-width ':'"]
    assert problems("手順 report-at-once 完了", names) == ["Latin word 'report-at-once'"]
    assert problems("応答者 (代理)", names) == ["half-width '('", "half-width ')'"]
    assert problems("J-LIS に 10:05 に連絡（#12）、Kevin が応答", names) == []
    assert problems("電話 095-***-**01 `drillkit verify d1`", names) == []
    assert segments("| 段 | state |\n| --- | --- |\n| 段 | ok |\n```\nコード\n```") == [
        "段",
        "段",
    ]


async def test_the_golden_drill_reads_as_japanese(kit: SimpleNamespace, plan: Plan) -> None:
    people = {kit.holder_of(plan, "juki-chief"): kit.ABSENT}
    for person in kit.everyone_of(plan, "security-island"):
        people[person] = kit.ABSENT
    people[kit.holder_of(plan, "security-east")] = kit.INVALID
    report = build(await kit.simulate(plan, seed=11, people=people), plan)
    assert check(report, plan) == []


@pytest.mark.parametrize("scenario", ["stolen-terminal", "unauthorized-access"])
async def test_an_incident_report_reads_as_japanese(
    kit: SimpleNamespace, plan: Plan, scenario: str
) -> None:
    people = {kit.holder_of(plan, "jlis"): kit.ABSENT}
    report = build(await kit.simulate(plan, seed=4, scenario=scenario, people=people), plan)
    assert check(report, plan) == []
