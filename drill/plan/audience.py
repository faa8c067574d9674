"""Who a scenario tells, when, and with which message: its notices resolved on the trees.

A scenario names the trees it activates (`trees`) and, optionally, who of them is told
at which point (`notify`). `scenario_reach` turns both into what the engine pages, the
lint checks and the report shows: per tree, the stages (levels) in the order they run,
each with its members, its quorum, the members that must each acknowledge, what it waits
for (an inject, a playbook step) and each member's audience (staff or an outside agency).

Without notices a tree is paged whole, every level in the tree's order, as before notices
existed. Members whose role is an outside agency the scenario requires
(`required_agencies`) must each acknowledge; so must every member of a level whose
quorum is `all` or `every` (the fold applies the rule: `drill.engine.state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drill.plan.models import (
    Agency,
    Audience,
    ContactTree,
    Level,
    Member,
    Notice,
    Plan,
    Scenario,
)

__all__ = ["Reach", "Stage", "audience_of", "scenario_reach"]


@dataclass(frozen=True, slots=True)
class Stage:
    """One level of a tree as a scenario pages it."""

    tree: ContactTree
    level: Level
    """The level, with only the members this scenario pages and its quorum resolved."""
    each: tuple[str, ...]
    """Members that must each acknowledge, whatever the quorum (every one of them)."""
    audiences: dict[str, Audience] = field(hash=False, compare=False)
    """Each member's audience: which message it gets."""
    at_inject: str | None = None
    """It waits for this inject (by id)."""
    after_step: str | None = None
    """It waits for this playbook step to be completed."""

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(m.ref for m in self.level.members)

    @property
    def gated(self) -> bool:
        """It waits for something besides the stage before it."""
        return self.at_inject is not None or self.after_step is not None


@dataclass(frozen=True, slots=True)
class Reach:
    """A tree as a scenario pages it: its stages, in the order they run."""

    tree: ContactTree
    stages: tuple[Stage, ...]

    @property
    def whole(self) -> bool:
        """Every level and every member of the tree, nothing waiting: the tree as written."""
        return not any(s.gated for s in self.stages) and [
            (s.level.id, s.members) for s in self.stages
        ] == [(lv.id, tuple(m.ref for m in lv.members)) for lv in self.tree.levels]


def audience_of(plan: Plan, tree: ContactTree, member: Member) -> Audience:
    """An outside agency's role, or anyone in an external tree, gets the agency message."""
    if plan.is_role(member.ref) and plan.role(member.ref).agency is not None:
        return Audience.AGENCY
    return Audience.AGENCY if tree.scope == "external" else Audience.STAFF


def scenario_reach(plan: Plan, scenario: Scenario) -> tuple[Reach, ...]:
    """The scenario's trees, in its order, each with the stages it pages."""
    # One look-up table for the whole scenario: a nationwide tree has 17,000 members.
    agency_of = {role.id: role.agency for role in plan.roles}
    out: list[Reach] = []
    for tree_id in scenario.trees:
        if not plan.has("tree", tree_id):
            continue  # a plan that no longer has it (the loader reports it)
        tree = plan.tree(tree_id)
        levels = {level.id for level in tree.levels}
        notices = [n for n in scenario.notify if n.tree == tree_id and n.level in levels]
        if not notices:
            notices = [Notice(tree=tree_id, level=level.id) for level in tree.levels]
        stages = tuple(_stage(scenario, tree, n, agency_of) for n in notices)
        out.append(Reach(tree, stages))
    return tuple(out)


def _stage(
    scenario: Scenario, tree: ContactTree, notice: Notice, agency_of: dict[str, Agency | None]
) -> Stage:
    level = next(lv for lv in tree.levels if lv.id == notice.level)
    members = level.members
    if notice.members:
        chosen = set(notice.members)
        members = tuple(m for m in level.members if m.ref in chosen)
    required = notice.required if notice.required is not None else level.required
    if required == "every":
        required = "all"
    if isinstance(required, int):
        required = min(required, len(members))
    resolved = level.model_copy(update={"members": members, "required": required})
    needed = set(scenario.required_agencies)
    if required == "all":
        each = tuple(m.ref for m in members)
    else:
        each = tuple(m.ref for m in members if agency_of.get(m.ref) in needed)
    external = tree.scope == "external"
    audiences: dict[str, Audience] = {}
    for m in members:
        if notice.audience is not None:
            audiences[m.ref] = notice.audience
        elif external or agency_of.get(m.ref) is not None:
            audiences[m.ref] = Audience.AGENCY
        else:
            audiences[m.ref] = Audience.STAFF
    return Stage(tree, resolved, each, audiences, notice.at_inject, notice.after_step)
