"""Trees and levels of a running drill: which level pages now, and when it is over.

- Trees run in the scenario's order, each starting when the one before it has finished;
  with `activation: parallel` they all start at T+0 (tree by tree, in that order) and
  run side by side (what `DrillStarted` recorded wins on resume). Within a tree, levels
  run in order, a level starting when the one before it finished: satisfied (its quorum
  acknowledged), or exhausted (everyone tried; `LevelCompleted` says why) — the drill
  goes on either way.
- Members of a level are paged in parallel or one after another; `required` is all,
  any, or a number. When the quorum is met, the remaining paging of that level stops
  (`PagingCancelled`). Whether it is met is the fold's count (`drill.engine.state`):
  acknowledgements that arrived while the level was open, late ones never.
- A tree is reported satisfied when every one of its levels is.
- A role's holder is resolved when its level starts: for a rotating duty role (当番),
  the person on duty at `LevelStarted.at`.
- The scenario says who of each tree is paged (`drill.plan.audience`): its levels run
  in the scenario's order, some with only some members, some waiting for an inject or a
  playbook step as well as for the level before them. Members that must each
  acknowledge (every one of them) are recorded with the level (`LevelStarted.each`); the
  fold counts them.

Everything here is decided from the state alone, so the same code settles a drill after
its start, after a resume and after a pause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drill.engine.events import (
    CancelReason,
    LevelCompleted,
    LevelStarted,
    TreeCompleted,
    TreeStarted,
)
from drill.engine.roster import LiveLevel, LiveMember, LiveStatus, LiveTree
from drill.plan.audience import scenario_reach
from drill.plan.models import Plan, Scenario

if TYPE_CHECKING:
    from drill.engine.runner import DrillRunner

__all__ = ["Levels"]


class Levels:
    """The scenario's trees with their levels and members; one per runner."""

    def __init__(self, drill: DrillRunner, plan: Plan, scenario: Scenario) -> None:
        self._drill = drill
        self.trees = [
            LiveTree(i, reach, plan) for i, reach in enumerate(scenario_reach(plan, scenario))
        ]
        self.parallel = scenario.activation == "parallel"
        """All trees start at T+0; else each when the one before it has finished. What
        `DrillStarted` recorded wins on resume."""
        self.members: dict[tuple[str, str, str], LiveMember] = {
            (tree.tree.id, level.level.id, member.ref): member
            for tree in self.trees
            for level in tree.levels
            for member in level.members
        }

    def level(self, tree: str, level: str) -> LiveLevel:
        return next(lv for lv in self.tree(tree).levels if lv.level.id == level)

    def tree(self, tree: str) -> LiveTree:
        return next(t for t in self.trees if t.tree.id == tree)

    def set_level(self, tree: str, level: str, status: LiveStatus) -> None:
        self.level(tree, level).status = status

    def on_level_started(self, e: LevelStarted) -> None:
        """A level starts: its members' candidates are who holds each role at that moment
        (a rotating duty role's person on duty then), the same on resume."""
        level = self.level(e.tree, e.level)
        level.status = LiveStatus.RUNNING
        plan = self._drill.plan
        for member in level.members:
            member.candidates = plan.candidates(member.ref, e.at)

    def set_tree(self, tree: str, status: LiveStatus) -> None:
        self.tree(tree).status = status

    @property
    def done(self) -> bool:
        """Every tree has finished."""
        return all(tree.status is LiveStatus.DONE for tree in self.trees)

    # == settling ======================================================================

    async def settle_all(self) -> None:
        """Do whatever is due now, from the state alone: after start, resume and unpause."""
        drill = self._drill
        if drill.over or drill.paused:
            return
        if self.trees[0].status is LiveStatus.WAITING:
            await drill._script.fire_t0_injects()
        for tree in self.trees:
            if drill.over or drill.paused:
                return
            if tree.status is LiveStatus.DONE:
                continue
            if tree.status is LiveStatus.WAITING:
                await self._start_tree(tree)
            for level in tree.levels:
                if level.status is LiveStatus.DONE:
                    continue
                if level.status is LiveStatus.WAITING:
                    if not self.may_start(level):
                        break  # it waits for its inject or step; the tree waits with it
                    await self._start_level(level)
                for member in level.members:
                    if member.needs_page:
                        await drill._paging.advance(member)
                await self._cascade(level)
                break
            else:
                await self._complete_tree(tree)
                continue
            if not self.parallel:
                break  # the trees after it start when it has finished
        await drill._check_complete()

    async def member_changed(self, member: LiveMember) -> None:
        """After an input or timer touched `member`: page on, and let its level react."""
        drill = self._drill
        if drill.over or drill.paused:
            return
        if member.needs_page:
            await drill._paging.advance(member)
        level = member.level
        if level.status is LiveStatus.RUNNING:
            await self._cascade(level)
        await drill._check_complete()

    async def _cascade(self, level: LiveLevel) -> None:
        """Settle `level`; when it finishes, start the next level, or tree, and so on."""
        drill = self._drill
        current: LiveLevel | None = level
        while current is not None and not drill.over and not drill.paused:
            await self._settle_level(current)
            if current.status is not LiveStatus.DONE:
                return
            current = await self._next_level(current)

    async def _next_level(self, level: LiveLevel) -> LiveLevel | None:
        tree = level.tree
        if level.index + 1 < len(tree.levels):
            following = tree.levels[level.index + 1]
            if not self.may_start(following):
                return None  # settle_all starts it once its inject or step has come
            await self._start_level(following)
            return following
        await self._complete_tree(tree)
        if not self.parallel and tree.index + 1 < len(self.trees):
            next_tree = self.trees[tree.index + 1]
            await self._start_tree(next_tree)
            first = next_tree.levels[0]
            if not self.may_start(first):
                return None
            await self._start_level(first)
            return first
        return None

    def may_start(self, level: LiveLevel) -> bool:
        """Whether what `level` waits for besides the level before it has happened."""
        stage = level.stage
        script = self._drill._script
        if stage.at_inject is not None and not script.inject_fired(stage.at_inject):
            return False
        return stage.after_step is None or stage.after_step in script.completed_steps

    async def _settle_level(self, level: LiveLevel) -> None:
        drill = self._drill
        paging = drill._paging
        tree_id, level_id = level.tree.tree.id, level.level.id
        counted = drill.state.levels[(tree_id, level_id)].acknowledged
        if drill.state.levels[(tree_id, level_id)].met:
            for member in level.members:
                if member.status is LiveStatus.PAGING:
                    await paging.cancel(member, CancelReason.LEVEL_SATISFIED)
            await drill._emit(
                LevelCompleted(
                    **drill._stamp(),
                    tree=tree_id,
                    level=level_id,
                    acknowledged=counted,
                    required=level.required,
                    satisfied=True,
                    unreached=_unreached(level),
                    reason=None,
                )
            )
            return
        count = level.count
        if level.level.mode == "parallel":
            if count[LiveStatus.WAITING]:
                for member in level.members:
                    if member.status is LiveStatus.WAITING:
                        member.set(LiveStatus.PAGING)
                        await paging.advance(member)
        else:
            while not count[LiveStatus.PAGING] and count[LiveStatus.WAITING]:
                waiting = next(m for m in level.members if m.status is LiveStatus.WAITING)
                waiting.set(LiveStatus.PAGING)
                await paging.advance(waiting)
        if level.finished_members == len(level.members):
            counted = drill.state.levels[(tree_id, level_id)].acknowledged
            unreached = _unreached(level)
            await drill._emit(
                LevelCompleted(
                    **drill._stamp(),
                    tree=tree_id,
                    level=level_id,
                    acknowledged=counted,
                    required=level.required,
                    satisfied=False,
                    unreached=unreached,
                    reason=(
                        f"{counted} of {level.required} required acknowledged; "
                        f"not reached: {', '.join(unreached)}"
                    ),
                )
            )

    # == starting and completing =======================================================

    async def _start_tree(self, tree: LiveTree) -> None:
        drill = self._drill
        t = tree.tree
        name = t.name
        await drill._emit(
            TreeStarted(
                **drill._stamp(), tree=t.id, name_ja=name.ja, name_en=name.en, scope=t.scope
            )
        )

    async def _complete_tree(self, tree: LiveTree) -> None:
        drill = self._drill
        members = [m for level in tree.levels for m in level.members]
        await drill._emit(
            TreeCompleted(
                **drill._stamp(),
                tree=tree.tree.id,
                satisfied=drill.state.levels_satisfied(tree.tree.id),
                contacts=len(members),
                acknowledged=sum(1 for m in members if m.status is LiveStatus.ACKED),
            )
        )

    async def _start_level(self, level: LiveLevel) -> None:
        drill = self._drill
        lv = level.level
        await drill._emit(
            LevelStarted(
                **drill._stamp(),
                tree=level.tree.tree.id,
                level=lv.id,
                name_ja=lv.name.ja,
                name_en=lv.name.en,
                mode=lv.mode,
                required=level.required,
                members=tuple(m.ref for m in level.members),
                member_sites=tuple(m.site for m in level.members),
                ack_timeout_minutes=lv.ack_timeout_minutes,
                retries=lv.retries,
                channels=lv.channels,
                each=level.each,
            )
        )


def _unreached(level: LiveLevel) -> tuple[str, ...]:
    return tuple(m.ref for m in level.members if m.status is LiveStatus.UNREACHED)
