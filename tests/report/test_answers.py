"""The report's tally of answers (出社可否) in every format, against an oracle that reads
the raw `Acknowledged` events: each contact's first answer counts, a later different one
is listed as a change."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from drill.engine.events import Acknowledged, DrillCompleted, DrillStarted, Event
from drill.plan import Plan
from drill.report.csv_report import render_contacts_csv
from drill.report.html_report import render_html
from drill.report.json_report import render_json
from drill.report.markdown_report import render_markdown
from drill.report.model import build

from .conftest import simulate

LABELS = {"now": "出社可能", "within30": "30分以内", "cannot": "不可"}


def first_answers(events: list[Event]) -> dict[tuple[str, str, str], str]:
    """The oracle: per contact, the choice of its first acknowledgement carrying one."""
    found: dict[tuple[str, str, str], str] = {}
    for e in events:
        if isinstance(e, Acknowledged) and e.choice is not None:
            found.setdefault((e.tree, e.level, e.member), e.choice)
    return found


async def test_every_format_tallies_the_first_answers_and_lists_a_change(plan: Plan) -> None:
    stored = await simulate(plan, seed=11)
    events = [s.event for s in stored]
    acks = [e for e in events if isinstance(e, Acknowledged) and e.choice is not None]
    assert len(acks) > 5
    # Someone answers again, differently, a minute later: kept, never counted.
    first = acks[0]
    other = "cannot" if first.choice != "cannot" else "now"
    end = next(i for i, e in enumerate(events) if isinstance(e, DrillCompleted))
    events.insert(
        end,
        dataclasses.replace(
            first,
            at=events[end - 1].at,
            elapsed=events[end - 1].elapsed,
            received_at=events[end - 1].at,
            first=False,
            choice=other,
        ),
    )
    oracle = first_answers(events)
    counts = {key: sum(1 for c in oracle.values() if c == key) for key in LABELS}
    contacts = next(e.contacts for e in events if isinstance(e, DrillStarted))
    report = build(events, plan)

    data = json.loads(render_json(report))["answers"]
    assert [c["key"] for c in data["choices"]] == ["now", "within30", "cannot"]
    assert {c["key"]: c["count"] for c in data["choices"]} == counts
    assert data["unanswered"] == contacts - len(oracle)
    assert data["coming"] == counts["now"] + counts["within30"]
    assert [(c["member"], c["first"], c["later"]) for c in data["changes"]] == [
        (first.member, first.choice, other)
    ]
    assert sum(sum(level["counts"]) for level in data["levels"]) == len(oracle)

    for lang in ("ja", "en"):
        text = render_markdown(report, lang)
        heading = "## 回答の集計" if lang == "ja" else "## Answers"
        assert heading in text
    ja = render_markdown(report, "ja")
    for key, label in LABELS.items():
        assert f"| {list(LABELS).index(key) + 1}. {label} | {counts[key]} |" in ja
    assert f"| 未回答 | {contacts - len(oracle)} |" in ja
    assert f"→ {LABELS[other]}" in ja and "回答の変更（集計は最初の回答）" in ja

    page = render_html(report, "ja")
    assert '<section id="answers">' in page and 'href="#answers"' in page
    assert f"{first.person_name}" in page.split('<section id="answers">')[1]

    rows = list(csv.reader(io.StringIO(render_contacts_csv(report, "ja"))))
    assert rows[0][-1] == "回答"
    by_contact = {(r[1], r[2], r[4]): r[-1] for r in rows[1:]}
    assert {k: v for k, v in by_contact.items() if v} == {
        key: LABELS[choice] for key, choice in oracle.items()
    }


async def test_a_scenario_without_a_question_has_no_tally(plan: Plan) -> None:
    stored = await simulate(plan, seed=3, scenario="stolen-terminal")
    report = build(stored, plan)
    assert report.answers is None
    assert json.loads(render_json(report))["answers"] is None
    assert "回答の集計" not in render_markdown(report, "ja")
    assert '<section id="answers">' not in render_html(report, "ja")
