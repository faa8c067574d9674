"""What every section of the report reads: one drill's fold, and the plan that names it.

The outcome (who acknowledged, in time or late, which level, tree, site and target was
satisfied) comes only from the one fold, `drill.engine.state.DrillState`. The plan is
consulted only for what the events do not hold: role and site names, which sites are
regional centres (支所), the targets, the playbook's step titles and owners, and the
self-inspection items. What the events carry (the scenario's title, tree and level names,
who was paged through which address) is preferred over the plan.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from drill.engine.events import DrillStarted, Event
from drill.engine.sink import StoredEvent
from drill.engine.state import DrillState, SiteProgress, regional_centres, sites_reached
from drill.engine.state import Summary as FoldSummary
from drill.plan.models import Plan, Scenario
from drill.report.types import Label, same

__all__ = ["Input", "Source", "fold"]

Input = StoredEvent | Event


def fold(events: Iterable[Input]) -> DrillState:
    """The one fold of a drill's events. Stored events keep their seqs (duplicates are
    counted, not applied); bare events are numbered 1, 2, … as the store numbers them, so
    a report cites the same seqs either way."""
    state = DrillState()
    for index, item in enumerate(events, start=1):
        if isinstance(item, StoredEvent):
            state.take(item)
        else:
            state.apply(item, index)
    return state


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


class _Asked:
    """The fold's answers that several sections read, each asked of it once (for a
    large drill each one walks every contact), and names looked up once each."""

    __slots__ = ("all_centres", "centres", "levels", "sites", "summary")

    def __init__(self) -> None:
        self.summary: FoldSummary | None = None
        self.centres: dict[str, SiteProgress] | None = None
        self.all_centres: tuple[dict[str, float | None], float | None] | None = None
        self.sites: dict[str, Label] = {}
        """Each site's name: ten or so contacts of a municipality share one."""
        self.levels: dict[tuple[str, str], Label] = {}
        """Each level's name: thousands of contacts share one."""


@dataclass(frozen=True, slots=True)
class Source:
    """One drill's fold and the plan that names its parts (None when it is missing)."""

    state: DrillState
    started: DrillStarted
    plan: Plan | None
    zone: dt.tzinfo
    regional: frozenset[str] | None
    """The plan's regional centres; None without a plan (then every site counts)."""
    asked: _Asked = field(default_factory=_Asked, compare=False, repr=False)

    @classmethod
    def of(cls, state: DrillState, plan: Plan | None) -> Source:
        if state.started is None:
            raise ValueError("a drill's events begin with DrillStarted")
        return cls(
            state,
            state.started,
            plan,
            _zone(state.started.timezone),
            regional_centres(plan) if plan is not None else None,
        )

    def summary(self) -> FoldSummary:
        """The fold's `summary()`."""
        if self.asked.summary is None:
            self.asked.summary = self.state.summary()
        return self.asked.summary

    def centres(self) -> dict[str, SiteProgress]:
        """The fold's progress of each regional centre: `sites(regional)`."""
        if self.asked.centres is None:
            self.asked.centres = self.state.sites(self.regional)
        return self.asked.centres

    def all_centres_reached(self) -> tuple[dict[str, float | None], float | None]:
        """The fold's `all_sites_reached(regional)`, of the progress `centres` asked."""
        if self.asked.all_centres is None:
            self.asked.all_centres = sites_reached(self.centres())
        return self.asked.all_centres

    def local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(self.zone)

    @property
    def scenario(self) -> Scenario | None:
        plan, scenario_id = self.plan, self.started.scenario_id
        if plan is None or not plan.has("scenario", scenario_id):
            return None
        return plan.scenario(scenario_id)

    def is_regional(self, site: str) -> bool:
        return self.regional is None or site in self.regional

    def role_name(self, ref: str) -> Label:
        plan = self.plan
        if plan is not None:
            if plan.is_role(ref):
                name = plan.role(ref).name
                return Label(name.ja, name.en)
            if plan.has("person", ref):
                return same(plan.person(ref).name)
        return same(ref)

    def person_name(self, person_id: str) -> str:
        """The person's name as the plan writes it (the id, without a plan)."""
        plan = self.plan
        if plan is not None and plan.has("person", person_id):
            return plan.person(person_id).name
        return person_id

    def site_name(self, site: str) -> Label:
        found = self.asked.sites.get(site)
        if found is None:
            found = self.asked.sites[site] = self._site_name(site)
        return found

    def _site_name(self, site: str) -> Label:
        if self.plan is not None and self.plan.has("site", site):
            name = self.plan.site(site).name
            return Label(name.ja, name.en)
        return same(site)

    def level_name(self, tree: str, level: str) -> Label:
        """As recorded when the level started; from the plan for a level never started."""
        found = self.asked.levels.get((tree, level))
        if found is None:
            found = self.asked.levels[(tree, level)] = self._level_name(tree, level)
        return found

    def _level_name(self, tree: str, level: str) -> Label:
        found = self.state.levels.get((tree, level))
        if found is not None:
            return Label(found.name_ja, found.name_en)
        if self.plan is not None and self.plan.has("tree", tree):
            for item in self.plan.tree(tree).levels:
                if item.id == level:
                    return Label(item.name.ja, item.name.en)
        return same(level)

    def step_title(self, step: str) -> Label:
        """A playbook step's title (never its id inside a sentence); the id without a plan."""
        plan, scenario = self.plan, self.scenario
        book = scenario.playbook if scenario is not None else None
        if plan is not None and book is not None and plan.has("playbook", book):
            for item in plan.playbook(book).steps:
                if item.id == step:
                    return Label(item.title.ja, item.title.en)
        return same(step)

    def tree_name(self, tree: str) -> Label:
        found = self.state.trees.get(tree)
        if found is not None and found.name_ja is not None:
            return Label(found.name_ja, found.name_en)
        if self.plan is not None and self.plan.has("tree", tree):
            name = self.plan.tree(tree).name
            return Label(name.ja, name.en)
        return same(tree)
