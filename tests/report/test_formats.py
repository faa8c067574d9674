"""Markdown golden files, JSON schema, CSV files, and re-rendering a past drill identically."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from drill.engine.events import DrillStarted, from_record, to_record
from drill.engine.sink import StoredEvent
from drill.plan import Plan
from drill.report import (
    SCHEMA_VERSION,
    build,
    render_contacts_csv,
    render_json,
    render_markdown,
    write_csv,
)

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "report-json.md"
UPDATE = os.environ.get("DRILLKIT_UPDATE_GOLDEN") == "1"


async def troubled_drill(kit: SimpleNamespace, plan: Plan) -> list[StoredEvent]:
    people = {kit.holder_of(plan, "juki-chief"): kit.ABSENT}
    for person in kit.everyone_of(plan, "security-island"):
        people[person] = kit.ABSENT
    people[kit.holder_of(plan, "security-east")] = kit.INVALID
    events: list[StoredEvent] = await kit.simulate(plan, seed=11, people=people)
    return events


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_markdown_matches_the_golden_file(
    kit: SimpleNamespace, plan: Plan, lang: str
) -> None:
    """Set DRILLKIT_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change."""
    report = build(await troubled_drill(kit, plan), plan)
    text = render_markdown(report, lang)
    golden = GOLDEN / f"annual-roll-call-seed11.{lang}.md"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


async def theft_in_the_sandbox(kit: SimpleNamespace, plan: Plan) -> list[StoredEvent]:
    """The stolen-terminal scenario as `drillkit demo` records it: pages through the local
    sandbox (a rehearsal), J-LIS's desk silent so its deputy answers."""
    people = {kit.holder_of(plan, "jlis"): kit.ABSENT}
    events: list[StoredEvent] = await kit.simulate(
        plan, seed=4, scenario="stolen-terminal", people=people
    )
    out = []
    for item in events:
        if isinstance(item.event, DrillStarted):
            item = dataclasses.replace(
                item, event=dataclasses.replace(item.event, channels="sandbox", simulated=False)
            )
        out.append(item)
    return out


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_an_incident_rehearsed_in_the_sandbox_matches_its_golden_file(
    kit: SimpleNamespace, plan: Plan, lang: str
) -> None:
    """Set DRILLKIT_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change."""
    report = build(await theft_in_the_sandbox(kit, plan), plan)
    text = render_markdown(report, lang)
    golden = GOLDEN / f"stolen-terminal-sandbox-seed4.{lang}.md"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


async def test_a_past_drill_rerenders_identically_from_stored_records(
    kit: SimpleNamespace, plan: Plan
) -> None:
    stored = await troubled_drill(kit, plan)
    # What the store keeps is JSON; the events come back through from_record.
    revived = [
        StoredEvent(s.seq, from_record(*json.loads(json.dumps(to_record(s.event)))), s.key, False)
        for s in stored
    ]
    first = render_markdown(build(stored, plan))
    assert render_markdown(build(revived, plan)) == first
    assert render_markdown(build([s.event for s in stored], plan)) == first
    assert render_json(build(revived, plan)) == render_json(build(stored, plan))


async def test_without_the_plan_the_report_still_builds_from_events_alone(
    kit: SimpleNamespace, plan: Plan
) -> None:
    report = build(await troubled_drill(kit, plan), None)
    text = render_markdown(report)
    assert "緊急時連絡網 年次訓練" in text  # the scenario title recorded in DrillStarted
    assert "計画ファイルを読み込めなかった" in text
    assert report.summary.contacts == 24
    assert report.summary.targets == ()


async def test_duplicates_are_counted_not_applied(kit: SimpleNamespace, plan: Plan) -> None:
    stored = await troubled_drill(kit, plan)
    ack = next(s for s in stored if type(s.event).__name__ == "Acknowledged")
    doubled = [*stored, StoredEvent(len(stored) + 1, ack.event, "dup", True)]
    report = build(doubled, plan)
    assert report.summary.duplicates == 1
    assert report.summary.acknowledged == build(stored, plan).summary.acknowledged


async def test_json_carries_its_schema_version_and_the_doc_lists_every_field(
    kit: SimpleNamespace, plan: Plan
) -> None:
    data = json.loads(render_json(build(await troubled_drill(kit, plan), plan)))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["summary"]["contacts"] == 24
    assert data["drill"]["started_at"].endswith("+09:00")
    assert data["integrity"]["verify_command"] == f"drillkit verify {data['drill']['drill_id']}"
    doc = DOCS.read_text(encoding="utf-8")
    assert f'`schema_version`: `"{SCHEMA_VERSION}"`' in doc
    documented = set(re.findall(r"`([a-z_0-9]+)`", doc))

    def keys(value: object) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    missing = sorted(keys(data) - documented - {"ja", "en"})
    assert missing == [], f"fields missing from docs/report-json.md: {missing}"


async def test_contacts_csv_has_a_bom_and_masked_numbers(
    kit: SimpleNamespace, plan: Plan, tmp_path: Path
) -> None:
    report = build(await troubled_drill(kit, plan), plan)
    path = write_csv(tmp_path / "contacts.csv", render_contacts_csv(report))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs it for Japanese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "訓練ID"
    assert len(rows) == 1 + 24
    text = raw.decode("utf-8-sig")
    assert "+81" not in text
    assert not re.search(r"0\d0-\d{4}-\d{4}", text)  # no mobile number in full
    english = render_contacts_csv(report, "en").splitlines()[0]
    assert english.startswith("drill_id,tree,level_id")
