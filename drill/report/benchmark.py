"""What the summary compares a drill with: Nagasaki's roll call, or the playbook's targets.

Nagasaki City's contact-tree drill (about 50 minutes whole, about 10 minutes to every
regional centre; seed 002) is the yardstick of the annual roll call only. A 3.5-hour
theft response compared with it means nothing: an incident scenario is compared with its
own playbook's target times (how many steps were done by their target, late, or not at
all), as the fold recorded them (`StepCompleted`, `StepDue`).
"""

from __future__ import annotations

from drill.report.source import Source
from drill.report.types import Benchmark, PlaybookReport

__all__ = ["benchmark"]


def benchmark(source: Source, playbook: PlaybookReport) -> Benchmark:
    scenario = source.scenario
    kind = scenario.kind if scenario is not None else source.started.mode.value
    if kind != "incident":
        return Benchmark("nagasaki")
    timed = [step for step in playbook.steps if step.target_minutes is not None]
    return Benchmark(
        "playbook",
        steps=len(timed),
        on_time=sum(1 for step in timed if step.status == "on_time"),
        late=sum(1 for step in timed if step.status == "late"),
        not_done=sum(1 for step in timed if step.status in ("missed", "not_done")),
        last_target_minutes=max(
            (step.target_minutes for step in timed if step.target_minutes is not None),
            default=None,
        ),
    )
