"""Fixtures of the engine tests: small plans built in code and a runner in virtual time.

People's behaviour is scripted with the response model's own mapping, or a shorthand:
"absent" (answers nothing), "voice@30" (answers the first voice call after 30 s),
"sms@120", "email@600", "busy", "invalid" (every number and address is wrong).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Literal

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import Event, to_record
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier, SimulatedOperator
from drill.engine.sink import EventSink, MemorySink
from drill.engine.synthetic import PlanBuilder
from drill.plan.models import Plan

Spec = str | Mapping[str, Any]
_NEVER = {
    "voice": {"no_answer": 1, "fail_seconds": [30, 30]},
    "sms": {"ignore": 1},
    "email": {"ignore": 1},
}


def behaviour(spec: Spec) -> Mapping[str, Any]:
    """A response-model entry from the shorthand (or a mapping, passed through)."""
    if not isinstance(spec, str):
        return spec
    if spec == "absent":
        return {"absent": True}
    if spec == "busy":
        return {**_NEVER, "voice": {"busy": 1, "fail_seconds": [5, 5]}}
    if spec == "invalid":
        return {kind: {"invalid_number": 1, "fail_seconds": [10, 10]} for kind in _NEVER}
    channel, seconds = spec.split("@")
    return {**_NEVER, channel: {"answer": 1, "answer_seconds": [float(seconds)] * 2}}


class Harness:
    """One drill of a plan in virtual time, with a memory sink and simulated people."""

    def __init__(
        self,
        plan: Plan,
        *,
        people: Mapping[str, Spec] | None = None,
        roles: Mapping[str, Spec] | None = None,
        seed: int = 0,
        sink: EventSink | None = None,
        clock: VirtualClock | None = None,
        scenario: str | None = None,
        drill_id: str = "d1",
        operator: bool = False,
        mode: str = "drill",
        batched: bool = False,
    ) -> None:
        self.plan = plan
        self.sink = sink if sink is not None else MemorySink()
        self.clock = clock or VirtualClock()
        self.model = ResponseModel.from_mapping(
            {
                "seed": seed,
                "people": {k: behaviour(v) for k, v in (people or {}).items()},
                "roles": {k: behaviour(v) for k, v in (roles or {}).items()},
            }
        )
        self.notifier = SimulatedNotifier(self.model)
        self.drill_id = drill_id
        self.seed = seed
        self.runner = DrillRunner(
            plan,
            scenario or plan.scenarios[0].id,
            sink=self.sink,
            notifiers=[self.notifier],
            clock=self.clock,
            drill_id=drill_id,
            mode=mode,
            simulated_operator=SimulatedOperator(seed) if operator else None,
            commit_in_batches=batched,
        )

    async def events(self) -> list[Event]:
        return [item.event for item in await self.sink.read(self.drill_id) if not item.duplicate]

    async def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in await self.events() if isinstance(e, kind)]

    async def names(self) -> list[str]:
        return [e.type_name for e in await self.events()]


def records(events: Sequence[Event], *, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Events as (type, JSON payload) for byte-for-byte comparison."""
    out = []
    for item in events:
        name, payload = to_record(item)
        if name in skip:
            continue
        out.append((name, json.dumps(payload, ensure_ascii=False, sort_keys=True)))
    return out


def two_level_plan(
    *,
    first: Sequence[str] = ("chief",),
    second: Sequence[str] = ("admin",),
    timeout: float = 3,
    retries: int = 0,
    channels: Sequence[str] = ("voice", "sms", "email"),
    **level: Any,
) -> Plan:
    """Roles chief (alice, deputy bob), admin (carol, deputy dave), north (erin, frank),
    east (gina, hank); two levels in one tree."""
    b = PlanBuilder()
    b.site("north", "北部支所")
    b.site("east", "東部支所")
    for person in ("alice", "bob", "carol", "dave"):
        b.person(person)
    for person in ("erin", "frank"):
        b.person(person, site="north")
    for person in ("gina", "hank"):
        b.person(person, site="east")
    b.role("chief", "alice", ["bob"], name="統括責任者")
    b.role("admin", "carol", ["dave"], name="システム管理者")
    b.role("north", "erin", ["frank"], site="north", name="北部支所セキュリティ責任者")
    b.role("east", "gina", ["hank"], site="east", name="東部支所セキュリティ責任者")
    b.level("t", "first", first, timeout=timeout, retries=retries, channels=channels, **level)
    b.level("t", "second", second, timeout=timeout, retries=retries, channels=channels)
    return b.build()


@functools.cache
def rich_plan(activation: Literal["sequential", "parallel"] = "sequential") -> Plan:
    """Two trees using every feature: parallel/sequential, all/any/N, retries, deputies,
    two deputies, a person with no e-mail, injects and a playbook with dependencies;
    the trees activated one after the other, or (`activation="parallel"`) together."""
    b = PlanBuilder()
    for site in ("north", "east", "south"):
        b.site(site)
    people = {
        "alice": {},
        "bob": {},
        "carol": {"email": 0},
        "dave": {"voice": 2},
        "erin": {"site": "north"},
        "frank": {"site": "north"},
        "gina": {"site": "east"},
        "hank": {"site": "east", "language": "en"},
        "ivy": {"site": "south"},
        "jack": {"site": "south"},
        "kate": {},
        "liam": {},
        "mia": {},
        "noah": {},
        "pref": {"sms": 0},
        "jlis": {"sms": 0},
    }
    for person, options in people.items():
        b.person(person, **options)
    b.role("chief", "alice", ["bob", "kate"])
    b.role("admin", "carol", ["dave"])
    b.role("north", "erin", ["frank"], site="north")
    b.role("east", "gina", ["hank"], site="east")
    b.role("south", "ivy", ["jack"], site="south")
    b.role("site-a", "liam", ["mia"])
    b.role("site-b", "noah", ["kate"])
    b.role("prefecture", "pref", ["bob"])
    b.role("j-lis", "jlis", ["noah"])
    b.level("internal", "leaders", ["chief", "admin"], timeout=3, retries=1)
    b.level("internal", "centres", ["north", "east", "south"], required=2, timeout=2)
    b.level("internal", "sites", ["site-a", "site-b"], mode="sequential", required="any", timeout=2)
    b.level("external", "agencies", ["prefecture", "j-lis"], timeout=4, channels=("voice", "email"))
    b.playbook("pb", [("report", 5, ()), ("check", 12, ("report",)), ("close", None, ("check",))])
    b.scenario(
        injects=[(0, "開始"), (5, "状況付与"), (30, "終了")], playbook="pb", activation=activation
    )
    return b.build()


RICH_PEOPLE: Mapping[str, Spec] = {"alice": "absent", "gina": "busy", "pref": "invalid"}


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import this conftest)."""
    return SimpleNamespace(
        Harness=Harness,
        PlanBuilder=PlanBuilder,
        behaviour=behaviour,
        records=records,
        two_level_plan=two_level_plan,
        rich_plan=rich_plan,
        RICH_PEOPLE=RICH_PEOPLE,
    )
