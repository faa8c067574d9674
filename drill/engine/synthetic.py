"""Plans built in code: small ones for engine tests, large ones for benchmarks.

`PlanBuilder` writes people, roles, trees, a scenario and a playbook without YAML, with
fictional numbers (090-00XX-XXXX) and `.example` addresses, so a built plan is a sample
plan: it can never reach a real provider. `synthetic_plan` builds the nationwide shape
(1,741 municipalities × ~10 contacts, under the prefectures) used by `bench/`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from drill.plan.models import (
    Agency,
    ChannelKind,
    ContactPoint,
    ContactTree,
    Inject,
    Level,
    Messages,
    Person,
    Plan,
    PlanInfo,
    Playbook,
    Question,
    Role,
    Scenario,
    ScenarioMessages,
    Site,
    Step,
    Text,
)

__all__ = ["DEFAULT_MESSAGES", "PlanBuilder", "synthetic_plan"]

DEFAULT_MESSAGES = ScenarioMessages(
    ja=Messages(
        voice="{{ organisation }}の{{ scenario }}です。{{ person }}様、{{ role }}として{{ deadline }}までに応答してください。",
        sms="{{ organisation }} {{ scenario }}：{{ deadline }}までに応答してください",
        email_subject="{{ organisation }} {{ scenario }}（{{ role }}）",
        email_body="{{ person }} 様\n{{ site }} {{ role }}\n開始 {{ started }}、{{ deadline }}までに応答してください。\n",
    ),
    en=Messages(
        voice="{{ organisation }}, {{ scenario }}. {{ person }}, as {{ role }}, acknowledge by {{ deadline }}.",
        sms="{{ organisation }} {{ scenario }}: acknowledge by {{ deadline }}",
        email_subject="{{ organisation }} {{ scenario }} ({{ role }})",
        email_body="Dear {{ person }},\n{{ site }} {{ role }}\nStarted {{ started }}; acknowledge by {{ deadline }}.\n",
    ),
)
_SAMPLE = {"sample": True}
Quorum = Literal["all", "any"] | int


class PlanBuilder:
    """Builds a `Plan` step by step; every id is checked when `build()` validates it."""

    def __init__(self, organisation: str = "テスト市", timezone: str = "Asia/Tokyo") -> None:
        self._info = PlanInfo(
            organisation=Text(ja=organisation, en="Test City"),
            title=Text(ja="緊急時対応計画書（テスト）"),
            version="test",
            approved_on=dt.date(2026, 4, 1),
            timezone=timezone,
            sample=True,
        )
        self._people: list[Person] = []
        self._roles: list[Role] = []
        self._sites: list[Site] = []
        self._trees: dict[str, list[Level]] = {}
        self._scenarios: list[Scenario] = []
        self._playbooks: list[Playbook] = []
        self._number = 0

    def site(self, site_id: str, name: str | None = None, *, regional_centre: bool = True) -> str:
        self._sites.append(
            Site(id=site_id, name=Text(ja=name or site_id), regional_centre=regional_centre)
        )
        return site_id

    def person(
        self,
        person_id: str,
        *,
        voice: int = 1,
        sms: int = 1,
        email: int = 1,
        site: str | None = None,
        language: Literal["ja", "en"] = "ja",
        name: str | None = None,
        unavailable: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """A person with `voice` phone numbers, `sms` mobiles and `email` addresses, away
        for the `unavailable` periods ({"from": …, "to": …, "reason": …})."""
        points: list[ContactPoint] = []
        for i in range(voice):
            points.append(self._point(voice=self._mobile(), label=f"voice {i + 1}"))
        for i in range(sms):
            points.append(self._point(sms=self._mobile(), label=f"sms {i + 1}"))
        for i in range(email):
            address = f"{person_id}.{i + 1}@test-city.example"
            points.append(self._point(email=address, label=f"email {i + 1}"))
        self._people.append(
            Person.model_validate(
                {
                    "id": person_id,
                    "name": name or person_id,
                    "language": language,
                    "site": site,
                    "channels": points,
                    "unavailable": list(unavailable),
                },
                context=_SAMPLE,
            )
        )
        return person_id

    def role(
        self,
        role_id: str,
        holder: str | None,
        deputies: Sequence[str] = (),
        *,
        site: str | None = None,
        name: str | None = None,
        rotation: Mapping[str, Any] | None = None,
        agency: str | None = None,
    ) -> str:
        """A role held by `holder`, or by the people of a `rotation` (a mapping as a plan
        file writes it) in turn; an outside agency's desk when `agency` names one."""
        self._roles.append(
            Role.model_validate(
                {
                    "id": role_id,
                    "name": {"ja": name or role_id, "en": name or role_id},
                    "holder": holder,
                    "deputies": tuple(deputies),
                    "site": site,
                    "rotation": rotation,
                    "agency": agency,
                }
            )
        )
        return role_id

    def level(
        self,
        tree: str,
        level_id: str,
        members: Iterable[str | dict[str, Any]],
        *,
        mode: Literal["parallel", "sequential"] = "parallel",
        required: Quorum = "all",
        timeout: float = 5,
        retries: int = 0,
        channels: Sequence[str] = ("voice", "sms", "email"),
        repeat: int = 0,
        repeat_after_minutes: float = 10,
    ) -> str:
        """Add a level to `tree` (created on first use); members are refs or mappings."""
        self._trees.setdefault(tree, []).append(
            Level.model_validate(
                {
                    "id": level_id,
                    "name": {"ja": level_id, "en": level_id},
                    "mode": mode,
                    "required": required,
                    "ack_timeout_minutes": timeout,
                    "retries": retries,
                    "channels": [ChannelKind(c) for c in channels],
                    "members": list(members),
                    "repeat": repeat,
                    "repeat_after_minutes": repeat_after_minutes,
                }
            )
        )
        return level_id

    def playbook(
        self, playbook_id: str, steps: Iterable[tuple[str, float | None, Sequence[str]]]
    ) -> str:
        """Steps as (id, target minutes or None, depends on)."""
        self._playbooks.append(
            Playbook(
                id=playbook_id,
                title=Text(ja=playbook_id),
                steps=tuple(
                    Step(
                        id=step_id,
                        title=Text(ja=step_id),
                        owner="owner",
                        target_minutes=target,
                        depends_on=tuple(depends),
                    )
                    for step_id, target, depends in steps
                ),
            )
        )
        return playbook_id

    def scenario(
        self,
        scenario_id: str = "drill",
        trees: Sequence[str] | None = None,
        *,
        injects: Iterable[tuple[float, str]] = (),
        playbook: str | None = None,
        messages: ScenarioMessages = DEFAULT_MESSAGES,
        title: str = "連絡網訓練",
        activation: Literal["sequential", "parallel"] = "sequential",
        required_agencies: Sequence[str] = (),
        question: Question | None = None,
    ) -> str:
        self._scenarios.append(
            Scenario(
                id=scenario_id,
                kind="drill",
                title=Text(ja=title, en="Contact tree drill"),
                trees=tuple(trees if trees is not None else self._trees),
                activation=activation,
                messages=messages,
                injects=tuple(Inject(at_minutes=at, text=Text(ja=text)) for at, text in injects),
                playbook=playbook,
                required_agencies=tuple(Agency(a) for a in required_agencies),
                question=question,
            )
        )
        return scenario_id

    def build(self) -> Plan:
        if not self._scenarios and self._trees:
            self.scenario()
        trees = tuple(
            ContactTree(id=tree_id, name=Text(ja=tree_id), scope="internal", levels=tuple(levels))
            for tree_id, levels in self._trees.items()
        )
        return Plan(
            info=self._info,
            sites=tuple(self._sites),
            people=tuple(self._people),
            roles=tuple(self._roles),
            trees=trees,
            scenarios=tuple(self._scenarios),
            playbooks=tuple(self._playbooks),
        )

    def _mobile(self) -> str:
        # 090-00XX-XXXX: a subscriber number never starts with 0, so nobody has it.
        self._number += 1
        return f"+81900{self._number:07d}"

    @staticmethod
    def _point(**values: str) -> ContactPoint:
        return ContactPoint.model_validate(values, context=_SAMPLE)


def synthetic_plan(
    municipalities: int,
    per_municipality: int = 10,
    *,
    prefectures: int = 47,
    timeout: float = 5,
    retries: int = 0,
) -> Plan:
    """A nationwide-shaped plan: prefecture desks first, then every municipality's roles.

    Each role has a holder and one deputy; contacts = prefectures + municipalities ×
    per_municipality (1,741 × 10 + 47 ≈ 17,457 for the whole country).
    """
    builder = PlanBuilder(organisation="全国訓練")
    prefecture_roles = []
    for p in range(min(prefectures, municipalities)):
        site = builder.site(f"pref-{p:02d}", regional_centre=False)
        holder = builder.person(f"pref-{p:02d}-h", site=site)
        deputy = builder.person(f"pref-{p:02d}-d", site=site)
        prefecture_roles.append(builder.role(f"pref-{p:02d}", holder, [deputy], site=site))
    roles = []
    for m in range(municipalities):
        site = builder.site(f"muni-{m:04d}")
        for r in range(per_municipality):
            holder = builder.person(f"m{m:04d}-{r:02d}-h", site=site, email=0)
            deputy = builder.person(f"m{m:04d}-{r:02d}-d", site=site, email=0)
            roles.append(builder.role(f"m{m:04d}-{r:02d}", holder, [deputy], site=site))
    builder.level("nation", "prefectures", prefecture_roles, timeout=timeout, retries=retries)
    builder.level(
        "nation",
        "municipalities",
        roles,
        required=max(1, int(len(roles) * 0.9)),
        timeout=timeout,
        retries=retries,
        channels=("voice", "sms"),
    )
    builder.playbook("nationwide", [("report", 30, ()), ("summary", 60, ("report",))])
    builder.scenario(
        "nationwide",
        injects=[(0, "訓練開始"), (30, "中間報告"), (60, "訓練終了")],
        playbook="nationwide",
    )
    return builder.build()
