"""Lint of who a scenario tells: everyone at once in an incident, agencies told as staff.

Rules of `drill.plan.lint` about a scenario's notices (`drill.plan.audience`), kept in
their own module so that each rule stays one function:

- DK-W013: an incident scenario that pages every member of every level of its trees
  from the start (no `notify:`): in a theft the police would hear of a centre outage.
- DK-W014: an outside agency that would get the staff message (instructions meant for
  the city's own staff) instead of a formal notification.
- DK-W006 (also checked by `lint._agencies` for whole trees): an agency the scenario
  requires that its notices leave out.
- DK-W007 (also checked by `lint._targets` for timeouts): a target over a level that
  waits for an inject later than the target's time.
"""

from __future__ import annotations

from collections.abc import Iterator

from drill.plan.audience import scenario_reach
from drill.plan.findings import Finding, Severity, params
from drill.plan.locator import Locator
from drill.plan.models import Agency, Audience, Metric, Plan

__all__ = ["AUDIENCE_RULES"]

_W = Severity.WARNING


def _everyone_at_once(plan: Plan, loc: Locator) -> Iterator[Finding]:
    for scenario in plan.scenarios:
        if scenario.kind != "incident" or scenario.notify:
            continue
        reach = scenario_reach(plan, scenario)
        if not reach or not all(r.whole for r in reach):
            continue
        count = sum(len(stage.members) for r in reach for stage in r.stages)
        yield loc.finding(
            "DK-W013",
            _W,
            f"incident scenario '{scenario.id}' pages all {count} contacts of its trees "
            f"({', '.join(scenario.trees)}) from the start",
            "scenario",
            scenario.id,
            "trees",
            fix="say who is told at which point with `notify:` (tree, level, members, "
            "at_inject or after_step)",
            message_key="lint.pages_everyone",
            fix_key="lint.pages_everyone.fix",
            params=params(scenario=scenario.id, count=count, trees=tuple(scenario.trees)),
        )


def _agencies_told_as_staff(plan: Plan, loc: Locator) -> Iterator[Finding]:
    for scenario in plan.scenarios:
        as_staff: list[str] = []
        for reach in scenario_reach(plan, scenario):
            for stage in reach.stages:
                for ref in stage.members:
                    agency = plan.is_role(ref) and plan.role(ref).agency is not None
                    audience = stage.audiences[ref]
                    staff = audience is Audience.STAFF or scenario.agency_messages is None
                    if agency and staff and ref not in as_staff:
                        as_staff.append(ref)
        if not as_staff:
            continue
        missing = scenario.agency_messages is None
        yield loc.finding(
            "DK-W014",
            _W,
            f"scenario '{scenario.id}' sends outside agencies ({', '.join(as_staff)}) the "
            "message meant for staff",
            "scenario",
            scenario.id,
            "messages" if missing else "notify",
            fix="add `agency_messages:` (who we are, what happened, what we ask, whom to "
            "call back: {{ callback }})"
            if missing
            else "remove `audience: staff` from the notices that page them",
            message_key="lint.agency_as_staff",
            fix_key="lint.agency_messages.fix" if missing else "lint.audience_staff.fix",
            params=params(scenario=scenario.id, roles=tuple(as_staff)),
        )


def _required_agencies_left_out(plan: Plan, loc: Locator) -> Iterator[Finding]:
    for scenario in plan.scenarios:
        if not scenario.notify:
            continue  # whole trees: `lint._agencies` checks them
        in_trees: set[Agency] = set()
        for tree_id in scenario.trees:
            if not plan.has("tree", tree_id):
                continue
            for _, member in plan.members(tree_id):
                if plan.is_role(member.ref) and (agency := plan.role(member.ref).agency):
                    in_trees.add(agency)
        paged: set[Agency] = set()
        for reach in scenario_reach(plan, scenario):
            for stage in reach.stages:
                for ref in stage.members:
                    if plan.is_role(ref) and (agency := plan.role(ref).agency):
                        paged.add(agency)
        for i, agency in enumerate(scenario.required_agencies):
            if agency in in_trees and agency not in paged:
                yield loc.finding(
                    "DK-W006",
                    _W,
                    f"scenario '{scenario.id}' needs {agency.value} but its notices do not page it",
                    "scenario",
                    scenario.id,
                    "required_agencies",
                    i,
                    fix=f"add the role with `agency: {agency.value}` to a notice's members",
                    message_key="lint.agency_not_noticed",
                    fix_key="lint.agency_not_noticed.fix",
                    params=params(
                        scenario=scenario.id, agency=agency.value, agency_id=agency.value
                    ),
                )


def _targets_after_injects(plan: Plan, loc: Locator) -> Iterator[Finding]:
    for scenario in plan.scenarios:
        inject_at = {i.id: i.at_minutes for i in scenario.injects if i.id is not None}
        reach = {r.tree.id: r for r in scenario_reach(plan, scenario)}
        for target_id in scenario.targets:
            if not plan.has("target", target_id):
                continue
            target = plan.target(target_id)
            if target.metric is Metric.SHARE_ACKNOWLEDGED:
                continue
            trees = [target.tree] if target.tree is not None else list(reach)
            for tree_id in trees:
                found = reach.get(tree_id)
                if found is None:
                    continue
                stages = list(found.stages)
                if target.metric is Metric.LEVEL_COMPLETED:
                    ids = [s.level.id for s in stages]
                    if target.level not in ids:
                        continue
                    stages = stages[: ids.index(target.level) + 1]
                waits = [
                    inject_at[s.at_inject]
                    for s in stages
                    if s.at_inject is not None and s.at_inject in inject_at
                ]
                if waits and max(waits) > target.within_minutes:
                    yield loc.finding(
                        "DK-W007",
                        _W,
                        f"target '{target.id}' ({target.within_minutes:g} min) is always "
                        f"missed in scenario '{scenario.id}': tree '{tree_id}' pages a level "
                        f"only at the inject of minute {max(waits):g}",
                        "scenario",
                        scenario.id,
                        "targets",
                        scenario.targets.index(target_id),
                        fix="measure this scenario against another target, or page that "
                        "level earlier",
                        message_key="lint.target_after_inject",
                        fix_key="lint.target_after_inject.fix",
                        params=params(
                            target=target.id,
                            within=target.within_minutes,
                            scenario=scenario.id,
                            tree=tree_id,
                            minute=max(waits),
                        ),
                    )
                    break


AUDIENCE_RULES = (
    _everyone_at_once,
    _agencies_told_as_staff,
    _required_agencies_left_out,
    _targets_after_injects,
)
"""The rules of this module, in the order `lint_plan` runs them."""
