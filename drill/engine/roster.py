"""What the runner keeps of a running drill's trees, levels, members and pages.

The plan says who is in each level of each tree; a running drill adds, for each of
them, where it stands: a tree or level waiting, running or done; a member waiting, being
paged, acknowledged, unreached or cancelled, with the candidate (holder or deputy) and
the rung of the channel ladder it is on; a page queued, sent or not, failed or timed
out. These shapes are built from the plan once and changed only by applying events
(`drill.engine.paging`, `drill.engine.levels`), the same live and on resume. They are
the engine's working memory, not the drill's outcome: who counts as reached, and which
level is satisfied, is the fold's (`drill.engine.state`).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from drill.engine.events import PageQueued
from drill.errors import EngineError
from drill.plan.audience import Reach, Stage
from drill.plan.models import Audience, Level, Member, Person, Plan

__all__ = ["LiveLevel", "LiveMember", "LivePage", "LiveStatus", "LiveTree", "PageOutcome"]


class LiveStatus(Enum):
    WAITING = 0
    PAGING = 1
    ACKED = 2
    UNREACHED = 3
    CANCELLED = 4
    RUNNING = 5  # levels and trees
    DONE = 6  # levels and trees


class PageOutcome(Enum):
    FAILED = 1
    TIMED_OUT = 2


class LivePage:
    """One page (one attempt on one contact point), from its `PageQueued` on."""

    __slots__ = (
        "address",
        "attempt",
        "candidate",
        "channel",
        "deadline_at",
        "kind_index",
        "member",
        "n",
        "outcome",
        "page_id",
        "person",
        "queued_active",
        "queued_elapsed",
        "sent",
        "timeout",
    )

    def __init__(self, n: int, e: PageQueued, member: LiveMember, person: Person, active: float):
        self.n = n
        self.page_id = e.page_id
        self.member = member
        self.person = person
        self.candidate = e.candidate_index
        self.channel = e.channel
        self.address = e.address
        self.attempt = e.attempt
        self.kind_index = member.level.level.channels.index(e.channel)
        self.timeout = e.timeout_seconds
        self.queued_active = active
        self.queued_elapsed = e.elapsed
        self.deadline_at = e.at + dt.timedelta(seconds=e.timeout_seconds)
        self.sent: bool | None = None
        self.outcome: PageOutcome | None = None


class LiveMember:
    """A member of a level: its candidates (holder, deputies) and where its paging is."""

    __slots__ = (
        "audience",
        "cand",
        "candidates",
        "current",
        "cursor",
        "level",
        "member",
        "ref",
        "resting",
        "role_id",
        "round",
        "site",
        "status",
    )

    def __init__(self, level: LiveLevel, member: Member, plan: Plan, audience: Audience) -> None:
        self.level = level
        self.member = member
        self.audience = audience
        """Which message this member gets (staff instructions or an agency notification)."""
        self.ref = member.ref
        self.role_id = member.ref if plan.is_role(member.ref) else None
        self.site = plan.site_of(member)
        self.candidates = plan.candidates(member.ref)
        self.status = LiveStatus.WAITING
        self.cand = 0
        self.cursor: tuple[int, int] | None = None
        self.current: LivePage | None = None
        self.round = 1
        """Which round of the level's repeats this member is in (1: the first)."""
        self.resting: tuple[int, float] | None = None
        """Between rounds: (the next round, when it starts in active time)."""

    def set(self, status: LiveStatus) -> None:
        count = self.level.count
        count[self.status] -= 1
        count[status] += 1
        self.status = status

    @property
    def needs_page(self) -> bool:
        """Being paged, and the last page is over (failed, timed out) or there is none."""
        if self.status is not LiveStatus.PAGING or self.resting is not None:
            return False
        return self.current is None or self.current.outcome is not None


class LiveLevel:
    """A level of a tree as the scenario pages it (a `Stage`): its members, how many
    acknowledgements it requires, who must each acknowledge, and what it waits for."""

    __slots__ = (
        "count",
        "each",
        "index",
        "level",
        "members",
        "required",
        "stage",
        "status",
        "tree",
    )

    def __init__(self, tree: LiveTree, index: int, stage: Stage, plan: Plan) -> None:
        self.tree = tree
        self.index = index
        self.stage = stage
        level: Level = stage.level
        self.level = level
        self.each = stage.each
        self.members = [
            LiveMember(self, member, plan, stage.audiences[member.ref]) for member in level.members
        ]
        refs = [m.ref for m in self.members]
        if len(set(refs)) != len(refs):
            raise EngineError(
                f"level '{level.id}' of tree '{tree.tree.id}' names a member twice; "
                "list each role or person once"
            )
        count = len(self.members)
        if level.required == "all":
            self.required = count
        elif level.required == "any":
            self.required = 1
        else:
            self.required = min(int(level.required), count)
        self.status = LiveStatus.WAITING
        self.count = dict.fromkeys(LiveStatus, 0)
        """Members by status, kept by `LiveMember.set` so that no check walks the level."""
        self.count[LiveStatus.WAITING] = count

    @property
    def finished_members(self) -> int:
        return self.count[LiveStatus.ACKED] + self.count[LiveStatus.UNREACHED]


class LiveTree:
    """A contact tree of the scenario, in the scenario's order, with the stages it pages."""

    __slots__ = ("index", "levels", "status", "tree")

    def __init__(self, index: int, reach: Reach, plan: Plan) -> None:
        self.index = index
        self.tree = reach.tree
        self.status = LiveStatus.WAITING
        self.levels = [LiveLevel(self, i, stage, plan) for i, stage in enumerate(reach.stages)]
