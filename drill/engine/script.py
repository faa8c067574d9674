"""The scenario's script in a running drill: injects, playbook steps and their targets.

- An inject (状況付与) fires at its minute of active time (`InjectFired`); those at
  T+0 are told before the first page goes out.
- A playbook step is completed by the operator (`StepCompleted`, on time or late
  against its target, in active time), only after the steps it depends on. A step with
  a target that is not completed by then is recorded as due (`StepDue`).
- A simulated operator completes the steps on its own schedule, waiting for the steps
  a step depends on as a person would.
- The script is settled when every inject has fired and every step is completed or past
  its target; a step without a target keeps the drill open until it is completed.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from drill.engine.events import InjectFired, StepCompleted, StepDue, StepTiming
from drill.engine.simulation import SimulatedOperator
from drill.engine.timers import EPS, INJECT, OPERATOR, STEP_DUE, Timers
from drill.errors import EngineError
from drill.plan.models import Plan, Scenario, Step

if TYPE_CHECKING:
    from drill.engine.runner import DrillRunner

__all__ = ["Script"]


class Script:
    """Injects and playbook steps of one drill: what has fired, what is done or due."""

    def __init__(
        self,
        drill: DrillRunner,
        plan: Plan,
        scenario: Scenario,
        operator: SimulatedOperator | None,
    ) -> None:
        self._drill = drill
        self._scenario = scenario
        self._operator = operator
        self.playbook = plan.playbook(scenario.playbook) if scenario.playbook is not None else None
        self.steps: list[Step] = list(self.playbook.steps) if self.playbook else []
        self._step_index = {step.id: i for i, step in enumerate(self.steps)}
        self.completed_steps: set[str] = set()
        self.due_steps: set[str] = set()
        self.fired_injects: set[int] = set()

    # == applying events ===============================================================

    def arm(self, timers: Timers) -> None:
        """Arm the injects, the step targets and the simulated operator (on `DrillStarted`)."""
        for i, inject in enumerate(self._scenario.injects):
            timers.arm(inject.at_minutes * 60.0, INJECT, i, i)
        for i, step in enumerate(self.steps):
            if step.target_minutes is not None:
                timers.arm(step.target_minutes * 60.0, STEP_DUE, i, i)
        if self._operator is not None and self.playbook is not None:
            for at, step in self._operator.schedule(self.playbook):
                i = self._step_index[step.id]
                timers.arm(at, OPERATOR, i, i)

    def inject_fired(self, inject_id: str) -> bool:
        """Whether the inject with this id has happened."""
        return any(
            self._scenario.injects[i].id == inject_id
            for i in self.fired_injects
            if i < len(self._scenario.injects)
        )

    def on_inject_fired(self, e: InjectFired) -> None:
        self.fired_injects.add(e.index)

    def on_step_due(self, e: StepDue) -> None:
        self.due_steps.add(e.step)

    def on_step_completed(self, e: StepCompleted) -> None:
        self.completed_steps.add(e.step)

    # == what is left ==================================================================

    def is_live(self, rank: int, index: Any) -> bool:
        """Whether an inject, step-target or operator timer still has a reason to fire."""
        if rank == INJECT:
            return index not in self.fired_injects
        if rank == STEP_DUE:
            step_id = self.steps[index].id
            return step_id not in self.completed_steps and step_id not in self.due_steps
        if rank == OPERATOR:
            return self.steps[index].id not in self.completed_steps
        return True

    @property
    def settled(self) -> bool:
        """Every inject has fired, every step is completed or past its target."""
        if len(self.fired_injects) < len(self._scenario.injects):
            return False
        settled = self.completed_steps | self.due_steps
        return all(step.id in settled for step in self.steps)

    def outstanding(self) -> tuple[str, ...]:
        """Steps neither completed nor past their target."""
        return tuple(
            step.id
            for step in self.steps
            if step.id not in self.completed_steps and step.id not in self.due_steps
        )

    # == firing ========================================================================

    async def fire_t0_injects(self) -> None:
        """What the scenario says at T+0 is told before the first page goes out."""
        for index, inject in enumerate(self._scenario.injects):
            if inject.at_minutes == 0 and index not in self.fired_injects:
                await self.fire_inject(index, overdue=False)

    async def fire_inject(self, index: int, *, overdue: bool) -> None:
        drill = self._drill
        inject = self._scenario.injects[index]
        await drill._emit(
            InjectFired(
                **drill._stamp(),
                index=index,
                at_minutes=inject.at_minutes,
                text_ja=inject.text.ja,
                text_en=inject.text.en,
                overdue=overdue,
            )
        )

    async def step_due(self, index: int, *, overdue: bool) -> None:
        drill = self._drill
        step = self.steps[index]
        assert step.target_minutes is not None
        await drill._emit(
            StepDue(
                **drill._stamp(),
                step=step.id,
                owner=step.owner,
                target_minutes=step.target_minutes,
                overdue=overdue,
            )
        )

    async def operator_step(self, index: int, due: float, timers: Timers) -> None:
        """The simulated operator's turn at step `index`."""
        step = self.steps[index]
        missing = [d for d in step.depends_on if d not in self.completed_steps]
        if missing:  # wait for what it depends on, as a person would
            timers.arm(due + 30.0, OPERATOR, index, index)
            return
        assert self._operator is not None
        await self.complete_step(step.id, self._operator.name, None)

    async def complete_step(
        self,
        step_id: str,
        by: str,
        note: str | None,
        key: str | None = None,
        origin: str | None = None,
    ) -> StepTiming:
        drill = self._drill
        if drill.over:
            raise EngineError(f"drill '{drill.drill_id}' has already ended")
        if step_id not in self._step_index:
            hint = difflib.get_close_matches(step_id, list(self._step_index), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise EngineError(f"the playbook has no step '{step_id}'{suggestion}")
        if step_id in self.completed_steps:
            raise EngineError(f"step '{step_id}' is already completed")
        step = self.steps[self._step_index[step_id]]
        missing = [d for d in step.depends_on if d not in self.completed_steps]
        if missing:
            raise EngineError(f"complete {', '.join(missing)} before '{step_id}'")
        stamp = drill._stamp()
        timing = StepTiming.ON_TIME
        if step.target_minutes is not None:
            late = drill._timers.active(stamp["elapsed"]) > step.target_minutes * 60.0 + EPS
            timing = StepTiming.LATE if late else StepTiming.ON_TIME
        await drill._emit(
            StepCompleted(
                **stamp,
                step=step_id,
                by=by,
                timing=timing,
                target_minutes=step.target_minutes,
                note=note,
                origin=origin,
            ),
            key,
        )
        await drill._levels.settle_all()  # a level may have waited for this step
        await drill._check_complete()
        return timing
