"""Self-inspection (自己点検) evidence: which checklist items this drill shows working.

For each item the scenario or its playbook cites, the events that show it (steps
completed, trees satisfied — as the fold decides —, the drill run to its end) are listed
by seq, with the score they suggest, honestly:

- **3 運用している** only when a drill with real channels (or a real incident) exercised
  the item and the events that prove it are cited;
- **2 整備している** when the plan defines the item but this run did not exercise it, or
  exercised it only as a rehearsal (予行): simulated people or the local sandbox show the
  procedure works on paper, not that staff and agencies answer;
- **1 整備していない** when the plan lacks it: no contact tree of that scope, no playbook
  step that carries the item.
"""

from __future__ import annotations

from collections.abc import Sequence

from drill.engine.events import DrillCompleted
from drill.plan.checklist import CHECKLIST, SCORES
from drill.report.source import Source
from drill.report.types import (
    ChecklistEvidence,
    Evidence,
    Label,
    PlaybookReport,
    TreeTiming,
    actor,
    same,
)

__all__ = ["checklist"]


def checklist(
    source: Source, playbook: PlaybookReport, trees: Sequence[TreeTiming]
) -> tuple[ChecklistEvidence, ...]:
    scenario = source.scenario
    if scenario is None:
        return ()
    cited: dict[str, list[str]] = {}
    for number in scenario.checklist:
        cited.setdefault(number, []).append("scenario")
    for step in playbook.steps:
        for number in step.checklist:
            cited.setdefault(number, []).append(f"step:{step.step}")
    ordered = sorted(cited, key=_item_order)
    return tuple(_evidence(source, n, cited[n], playbook, trees) for n in ordered)


_FAILED = Label(
    "呼び出しが1件も届かなかった（事業者エラー）", "no page could be delivered (provider errors)"
)
_NOT_TO_THE_END = Label("訓練が最後まで実施されていない", "the drill did not run to the end")


def _item_order(number: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in number.split("-"))
    except ValueError:
        return (999,)


def _evidence(
    source: Source,
    number: str,
    cited_by: list[str],
    playbook: PlaybookReport,
    trees: Sequence[TreeTiming],
) -> ChecklistEvidence:
    state, start = source.state, source.started
    # Run to its end, and not failed: a drill no page reached shows nothing working.
    ended_seq = (
        state.ended_seq if isinstance(state.ended, DrillCompleted) and not state.failed else None
    )
    item = CHECKLIST.get(number)
    label = Label(item.ja, item.en) if item is not None else same(number)
    evidence: list[Evidence] = []
    problems: list[Label] = []
    steps = [s for s in playbook.steps if number in s.checklist]
    for step in steps:
        if step.status in ("on_time", "late") and step.seq is not None:
            evidence.append(
                Evidence(
                    step.seq,
                    "StepCompleted",
                    Label(
                        f"手順「{step.title.ja}」完了（{actor(step.by).ja}）",
                        f"Step '{step.title.get('en')}' completed by {actor(step.by).get('en')}",
                    ),
                )
            )
        else:
            problems.append(
                Label(
                    f"手順「{step.title.ja}」が完了していない",
                    f"step '{step.title.get('en')}' was not completed",
                )
            )
    scope = {"5-2": "internal", "5-3": "external"}.get(number)
    if scope is not None:
        scoped = [t for t in trees if t.scope == scope]
        if not scoped:
            problems.append(
                Label(
                    "この訓練では該当する連絡網を使っていない",
                    "this drill did not page such a tree",
                )
            )
        for tree in scoped:
            tree_state = source.state.trees[tree.tree]
            if tree.satisfied and tree_state.completed_seq is not None:
                evidence.append(
                    Evidence(
                        tree_state.completed_seq,
                        "TreeCompleted",
                        Label(
                            f"{tree.name.ja}：全段が必要な応答数に達して完了（応答 {tree.acknowledged}/{tree.contacts}）",
                            f"{tree.name.get('en')}: every level got its acknowledgements "
                            f"({tree.acknowledged} of {tree.contacts})",
                        ),
                    )
                )
            else:
                problems.append(
                    Label(
                        f"{tree.name.ja}で必要な応答数に達しない段があった",
                        f"a level of {tree.name.get('en')} did not get the acknowledgements it needs",
                    )
                )
    if number == "5-1":
        evidence.append(
            Evidence(
                state.started_seq or 1,
                "DrillStarted",
                Label(
                    f"計画（版 {start.plan_version}）に基づき「{start.scenario_title_ja}」を実施",
                    f"'{start.scenario_title_en or start.scenario_title_ja}' run under "
                    f"the plan (version {start.plan_version})",
                ),
            )
        )
        if ended_seq is not None:
            evidence.append(
                Evidence(ended_seq, "DrillCompleted", Label("訓練を最後まで実施", "Run to the end"))
            )
        else:
            problems.append(_FAILED if state.failed else _NOT_TO_THE_END)
    if not steps and scope is None and number != "5-1":
        if ended_seq is not None:
            evidence.append(
                Evidence(
                    ended_seq,
                    "DrillCompleted",
                    Label("シナリオを最後まで実施", "Scenario run to the end"),
                )
            )
        else:
            problems.append(
                _FAILED
                if state.failed
                else Label(
                    "シナリオが最後まで実施されていない", "the scenario did not run to the end"
                )
            )
    rehearsal = start.channels != "real"
    defined = _defined(source, number)
    if not defined:
        score = 1
        reason = Label(
            "計画に定めがない（この項目を扱う連絡網・手順が計画にない）",
            "Not in the plan: no contact tree or playbook step covers it",
        )
    elif problems:
        score = 2
        reason = Label(
            "計画には定めがあるが、この訓練では確認できなかった（"
            + "、".join(p.ja for p in problems)
            + "）",
            "In the plan, but this drill did not show it working: "
            + "; ".join(p.get("en") for p in problems),
        )
    elif evidence and rehearsal:
        score = 2
        reason = Label(
            "予行（模擬の連絡）で手順を確認した。実際の連絡網による訓練ではないため、"
            "運用している根拠にはならない",
            "Rehearsed with simulated contacts: the procedure works on paper, but a "
            "rehearsal is no evidence that it is operated",
        )
    elif evidence:
        score = 3
        reason = Label(
            "実際の連絡網による訓練で行われ、記録で確認できる",
            "Exercised with real channels in this drill, as the events show",
        )
    else:
        score = 2
        reason = Label("この訓練には根拠となる記録がない", "No event of this drill shows it")
    ja, en = SCORES[score]
    return ChecklistEvidence(
        number=number,
        item=label,
        cited_by=tuple(cited_by),
        evidence=tuple(evidence),
        score=score,
        score_label=Label(ja, en),
        reason=reason,
        rehearsal=rehearsal,
        defined=defined,
    )


def _defined(source: Source, number: str) -> bool:
    """Whether the plan defines the item: the plan itself (5-1), a contact tree of that
    scope (5-2, 5-3: one with an outside agency), or a playbook step that carries it."""
    plan = source.plan
    if plan is None:
        return True  # the plan could not be read: the scenario cited it, so assume so
    if number == "5-1":
        return True  # the emergency response plan is the plan itself
    if number == "5-2":
        return any(tree.scope == "internal" for tree in plan.trees)
    if number == "5-3":
        return any(
            tree.scope == "external"
            and any(
                plan.is_role(m.ref) and plan.role(m.ref).agency is not None
                for level in tree.levels
                for m in level.members
            )
            for tree in plan.trees
        )
    return any(number in step.checklist for pb in plan.playbooks for step in pb.steps)
