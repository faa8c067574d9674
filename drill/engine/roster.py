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
import functools
import logging
import weakref
from enum import Enum
from typing import ClassVar

from drill.engine.events import PageQueued
from drill.errors import EngineError
from drill.plan.audience import Reach, Stage
from drill.plan.contact import mask_number
from drill.plan.models import Audience, ChannelKind, Level, Member, Person, Plan

__all__ = [
    "LiveLevel",
    "LiveMember",
    "LivePage",
    "LiveStatus",
    "LiveTree",
    "PageOutcome",
    "kept_address",
    "resolve_address",
]

log = logging.getLogger(__name__)


_EMAIL = ChannelKind.EMAIL
"""Read off the class once: on Python 3.11 each `ChannelKind.X` is a call through
EnumType.__getattr__'s hook, and every page keeps its address twice."""


def kept_address(channel: ChannelKind, address: str) -> str:
    """What a `PageQueued` keeps of an address: numbers masked, e-mail addresses as is.

    The journal is copied into reports, CSV exports and backups; a full phone number has
    no business there. The engine finds the number again from the plan (`point`)."""
    return address if channel is _EMAIL else _masked(address)


@functools.lru_cache(maxsize=4096)
def _masked(number: str) -> str:
    """`mask_number`, kept for the numbers paged lately: each page masks its number twice
    (its `PageQueued`, then the page checked against it), and the next rung of a ladder
    pages the same number again; a real number is parsed (`phonenumbers`) to be masked."""
    return mask_number(number)


def resolve_address(person: Person, e: PageQueued) -> str:
    """The full address of a queued page: the person's contact method `e.point` in the
    plan, checked against what the event kept of it.

    Drills recorded before `point` existed kept the full address: it is used as it is. A
    plan edited since (the method moved or its number changed) is found by kind and
    masked form; failing that, the kept (masked) form is returned and a warning logged,
    so a resend fails as an invalid number instead of reaching someone else.
    """
    if e.point is None:
        return e.address
    points = person.channels
    if 0 <= e.point < len(points):
        point = points[e.point]
        if point.kind is e.channel and kept_address(e.channel, point.address) == e.address:
            return point.address
    same = [
        p.address
        for p in points
        if p.kind is e.channel and kept_address(e.channel, p.address) == e.address
    ]
    if len(same) == 1:
        return same[0]
    log.warning(
        "page %s: contact method %s of %s is no longer in the plan as recorded (%s)",
        e.page_id,
        e.point,
        person.id,
        e.address,
    )
    return e.address


class LiveStatus:
    """Where a tree, level or member of a running drill stands; compared by identity.

    Not an Enum: on Python 3.11 a member read off an Enum class (`LiveStatus.PAGING`)
    goes through `EnumType.__getattr__`'s hook, some ten times the cost of a plain class
    attribute, and an Enum is hashed by a call in Python; the runner reads and counts
    these some 10^5 times a drill.
    """

    __slots__ = ("name",)

    WAITING: ClassVar[LiveStatus]
    PAGING: ClassVar[LiveStatus]
    ACKED: ClassVar[LiveStatus]
    UNREACHED: ClassVar[LiveStatus]
    CANCELLED: ClassVar[LiveStatus]
    RUNNING: ClassVar[LiveStatus]  # levels and trees
    DONE: ClassVar[LiveStatus]  # levels and trees
    ALL: ClassVar[tuple[LiveStatus, ...]]

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<LiveStatus.{self.name}>"


LiveStatus.ALL = tuple(
    LiveStatus(name)
    for name in ("WAITING", "PAGING", "ACKED", "UNREACHED", "CANCELLED", "RUNNING", "DONE")
)
for _status in LiveStatus.ALL:
    setattr(LiveStatus, _status.name, _status)


class PageOutcome(Enum):
    FAILED = 1
    TIMED_OUT = 2


class LivePage:
    """One page (one attempt on one contact point), from its `PageQueued` on."""

    __slots__ = (
        "_member",
        "address",
        "attempt",
        "candidate",
        "channel",
        "deadline_at",
        "kind_index",
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
        self._member = weakref.ref(member)
        self.person = person
        self.candidate = e.candidate_index
        self.channel = e.channel
        self.address = resolve_address(person, e)
        self.attempt = e.attempt
        self.kind_index = member.level.level.channels.index(e.channel)
        self.timeout = e.timeout_seconds
        self.queued_active = active
        self.queued_elapsed = e.elapsed
        self.deadline_at = e.at + dt.timedelta(seconds=e.timeout_seconds)
        self.sent: bool | None = None
        self.outcome: PageOutcome | None = None

    @property
    def member(self) -> LiveMember:
        """The member paged. Held weakly, as every reference back up the roster (a member
        to its level, a level to its tree): the roster is then a tree of references,
        freed by reference counting as soon as its runner is dropped. With cycles, a
        nationwide drill's 10^5 live objects would wait for the cycle collector, whose
        full collections walk them all, in the middle of whatever runs next."""
        member = self._member()
        assert member is not None, "a page outlived its drill's roster"
        return member


class LiveMember:
    """A member of a level: its candidates (holder, deputies) and where its paging is."""

    __slots__ = (
        "__weakref__",
        "_level",
        "audience",
        "cand",
        "candidates",
        "current",
        "cursor",
        "member",
        "ref",
        "resting",
        "role_id",
        "round",
        "site",
        "status",
    )

    def __init__(self, level: LiveLevel, member: Member, plan: Plan, audience: Audience) -> None:
        self._level = weakref.ref(level)
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

    @property
    def level(self) -> LiveLevel:
        """The level this member is of (held weakly: see `LivePage.member`)."""
        level = self._level()
        assert level is not None, "a member outlived its drill's roster"
        return level

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
        "__weakref__",
        "_tree",
        "count",
        "each",
        "index",
        "level",
        "members",
        "required",
        "stage",
        "status",
    )

    def __init__(self, tree: LiveTree, index: int, stage: Stage, plan: Plan) -> None:
        self._tree = weakref.ref(tree)
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
        self.count = dict.fromkeys(LiveStatus.ALL, 0)
        """Members by status, kept by `LiveMember.set` so that no check walks the level."""
        self.count[LiveStatus.WAITING] = count

    @property
    def tree(self) -> LiveTree:
        """The tree this level is of (held weakly: see `LivePage.member`)."""
        tree = self._tree()
        assert tree is not None, "a level outlived its drill's roster"
        return tree

    @property
    def finished_members(self) -> int:
        return self.count[LiveStatus.ACKED] + self.count[LiveStatus.UNREACHED]


class LiveTree:
    """A contact tree of the scenario, in the scenario's order, with the stages it pages."""

    __slots__ = ("__weakref__", "index", "levels", "status", "tree")

    def __init__(self, index: int, reach: Reach, plan: Plan) -> None:
        self.index = index
        self.tree = reach.tree
        self.status = LiveStatus.WAITING
        self.levels = [LiveLevel(self, i, stage, plan) for i, stage in enumerate(reach.stages)]
