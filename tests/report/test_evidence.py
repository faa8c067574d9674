"""Self-inspection scores, honestly: 3 only for real channels, 2 for a rehearsal, 1 if absent.

The drills run through the real engine with simulated people; a drill "recorded with real
channels" is the same events with `DrillStarted` saying so (the report is a function of
the events alone, and this is what a real run records). Expected scores are derived here
from the raw events, never by calling the report code.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from drill.engine.events import DrillStarted, StepCompleted
from drill.engine.sink import StoredEvent
from drill.plan.models import Plan
from drill.report import build, render_markdown

THEFT = "stolen-terminal"


def recorded_as_real(events: list[StoredEvent]) -> list[StoredEvent]:
    """The same drill, as a run through real providers records it."""
    out = []
    for item in events:
        if isinstance(item.event, DrillStarted):
            real = dataclasses.replace(item.event, channels="real", simulated=False, seed=None)
            item = dataclasses.replace(item, event=real)
        out.append(item)
    return out


def step_items(plan: Plan, playbook: str) -> dict[str, set[str]]:
    """Checklist item -> the steps that carry it."""
    out: dict[str, set[str]] = {}
    for step in plan.playbook(playbook).steps:
        for number in step.checklist:
            out.setdefault(number, set()).add(step.id)
    return out


async def test_a_simulated_run_is_a_rehearsal_and_never_scores_3(
    kit: SimpleNamespace, plan: Plan
) -> None:
    events = await kit.simulate(plan, seed=4, scenario=THEFT)
    report = build(events, plan)

    assert report.checklist
    assert all(item.score is not None and item.score <= 2 for item in report.checklist)
    assert all(item.rehearsal for item in report.checklist)
    # What a rehearsal did exercise is cited, and said to be a rehearsal.
    exercised = [item for item in report.checklist if item.evidence and item.score == 2]
    assert exercised
    assert all("予行" in item.reason.ja for item in exercised)
    ja = render_markdown(report, "ja")
    assert "予行（模擬の応答者）" in ja
    assert "実際に行われ" not in ja


async def test_a_run_with_real_channels_scores_3_with_the_proving_events_cited(
    kit: SimpleNamespace, plan: Plan
) -> None:
    events = recorded_as_real(await kit.simulate(plan, seed=4, scenario=THEFT))
    report = build(events, plan)

    completed = {
        item.event.step: item.seq for item in events if isinstance(item.event, StepCompleted)
    }
    carried = step_items(plan, THEFT)
    scores = {item.number: item for item in report.checklist}
    for number in ("16-3", "16-4", "18-1"):
        steps = carried[number]
        item = scores[number]
        assert not item.rehearsal
        if steps <= completed.keys():
            assert item.score == 3, (number, item.reason)
            cited = {e.seq for e in item.evidence if e.type == "StepCompleted"}
            assert cited == {completed[s] for s in steps}
        else:
            assert item.score == 2
    assert any(item.score == 3 for item in report.checklist)
    en = render_markdown(report, "en")
    assert "rehearsal" not in en.lower().split("## ")[1]  # the summary says nothing of it


async def test_an_item_the_plan_lacks_scores_1(kit: SimpleNamespace, plan: Plan) -> None:
    """The theft cites 16-4 (revoke the card); a plan whose playbook no longer carries it
    does not define it: 1 整備していない, whatever the run did."""
    playbook = plan.playbook(THEFT)
    stripped = playbook.model_copy(
        update={
            "steps": tuple(
                step.model_copy(
                    update={"checklist": tuple(n for n in step.checklist if n != "16-4")}
                )
                for step in playbook.steps
            )
        }
    )
    fields = {name: getattr(plan, name) for name in type(plan).model_fields}
    fields["playbooks"] = tuple(stripped if p.id == THEFT else p for p in plan.playbooks)
    lacking = Plan(**fields)

    events = recorded_as_real(await kit.simulate(plan, seed=4, scenario=THEFT))
    report = build(events, lacking)
    (item,) = [c for c in report.checklist if c.number == "16-4"]
    assert item.score == 1 and not item.defined
    assert item.score_label is not None and item.score_label.ja == "整備していない"


async def test_the_roll_call_is_compared_with_nagasaki_and_an_incident_with_its_playbook(
    kit: SimpleNamespace, plan: Plan
) -> None:
    roll_call = build(await kit.simulate(plan, seed=4), plan)
    assert roll_call.benchmark.kind == "nagasaki"
    assert "長崎市の訓練" in render_markdown(roll_call, "ja")

    theft = build(await kit.simulate(plan, seed=4, scenario=THEFT), plan)
    timed = [s for s in plan.playbook(THEFT).steps if s.target_minutes is not None]
    b = theft.benchmark
    assert b.kind == "playbook" and b.steps == len(timed)
    assert b.last_target_minutes == max(s.target_minutes or 0 for s in timed)
    assert b.on_time + b.late + b.not_done == b.steps
    ja = render_markdown(theft, "ja")
    assert "長崎" not in ja.split("## ")[1]  # not in the summary
    assert "対応手順の目標時間との比較" in ja
