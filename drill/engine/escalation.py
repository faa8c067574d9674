"""The channel ladder of one person on one level: which page comes next.

A level names a ladder of channel kinds (voice → SMS → e-mail). On each kind, every
contact point the person has of that kind is tried in the order the plan writes them
(庁舎 then 携帯) before the ladder moves to the next kind; `retries` repeats that whole
round, so a kind takes `(1 + retries) × points` pages: with two voice numbers and
`retries: 1` the calls go v1, v2, v1, v2, then SMS. A kind the person has no point for
is skipped, and so are the attempts that would go to a point found invalid (wrong or
unassigned number, bounced address): that point is not tried again anywhere in the
drill, so a later round holds only the points still good.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator

from drill.engine.notifier import FailureReason
from drill.plan.models import ChannelKind, ContactPoint, Level, Person

__all__ = ["BAD_POINT_REASONS", "Rung", "ladder", "next_rung"]

BAD_POINT_REASONS = frozenset(
    {
        FailureReason.INVALID_NUMBER,
        FailureReason.WRONG_NUMBER,
        FailureReason.LANDLINE,
        FailureReason.BOUNCED,
        FailureReason.REFUSED,
    }
)
"""Failures that say the contact point itself is wrong, not that nobody answered."""


@dataclasses.dataclass(frozen=True, slots=True)
class Rung:
    """One page in a person's ladder."""

    kind_index: int
    """Position of the channel kind in the level's ladder."""
    channel: ChannelKind
    attempt: int
    """1 for the first page on this kind, then 2, 3, … across its points and rounds:
    round r (1-based) tries point i (0-based) as attempt `(r - 1) × points + i + 1`.
    An attempt at a bad point is skipped, so its number never appears."""
    point: ContactPoint

    @property
    def position(self) -> tuple[int, int]:
        return (self.kind_index, self.attempt)


def ladder(
    level: Level,
    person: Person,
    bad: Collection[tuple[ChannelKind, str]] = (),
    after: tuple[int, int] | None = None,
) -> Iterator[Rung]:
    """The rungs of `person` on `level` after position `after` (from the start if None)."""
    for kind_index, kind in enumerate(level.channels):
        if after is not None and kind_index < after[0]:
            continue
        points = person.points(kind)
        if not points:
            continue
        for attempt in range(1, 1 + (1 + level.retries) * len(points)):
            if after is not None and (kind_index, attempt) <= after:
                continue
            point = points[(attempt - 1) % len(points)]
            if (kind, point.address) in bad:
                continue
            yield Rung(kind_index, kind, attempt, point)


def next_rung(
    level: Level,
    person: Person,
    after: tuple[int, int] | None,
    bad: Collection[tuple[ChannelKind, str]] = (),
) -> Rung | None:
    """The page to send after position `after`, or None when the ladder is exhausted."""
    return next(ladder(level, person, bad, after), None)
