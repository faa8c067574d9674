"""Simulated people of the sandbox: what a person does with a page, and after how long.

A `Behaviour` is asked once per delivered page (recipient address, and the page id read
from the mail's link) and answers with a `Reaction`: confirm the acknowledgement link
(open it, then press the button), only open it, reply by mail, bounce, or do nothing.
The sandbox then does it for real, over HTTP or SMTP, after `after` seconds of the
sandbox's clock. `from_response_model` lets the engine's `ResponseModel` decide, so the
real path and the simulated channel agree on who answers and when.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping
from enum import StrEnum

from drill.engine.simulation import OutcomeKind, ResponseModel, simulated_answer
from drill.plan.models import ChannelKind

__all__ = [
    "Action",
    "Behaviour",
    "Reaction",
    "always",
    "by_address",
    "from_response_model",
    "mixed",
]


class Action(StrEnum):
    """What a simulated person does with a page."""

    CONFIRM = "confirm"
    """Opens the link (GET), then presses the button (POST): acknowledges."""
    OPEN = "open"
    """Opens the link and never presses the button (like a mail scanner): no acknowledgement."""
    REPLY = "reply"
    """Replies to the e-mail (closed networks: the reply poller acknowledges)."""
    BOUNCE = "bounce"
    """The address does not exist: the mail system sends back a delivery-status report."""
    IGNORE = "ignore"
    """Does nothing."""


@dataclasses.dataclass(frozen=True, slots=True)
class Reaction:
    """One person's reaction to one page."""

    action: Action
    after: float = 0.0
    """Seconds from delivery until they confirm or reply (their response time)."""
    open_after: float | None = None
    """Seconds from delivery until they open the link (default: half of `after`)."""
    answer: Callable[[int], int] | None = dataclasses.field(default=None, compare=False)
    """When the link's page asks a question: given how many answer buttons it shows,
    the number (1…) of the one the person presses; None: the first."""

    @property
    def opens_at(self) -> float:
        return self.after / 2 if self.open_after is None else min(self.open_after, self.after)


Behaviour = Callable[[str, str | None], Reaction]
"""(recipient address, page id or None) -> what that person does."""


def always(action: Action = Action.CONFIRM, after: float = 0.0) -> Behaviour:
    """Everybody does the same."""
    reaction = Reaction(action, after)
    return lambda address, page_id: reaction


def by_address(reactions: Mapping[str, Reaction], default: Reaction | None = None) -> Behaviour:
    """Per-address reactions (addresses compared case-insensitively); `default` for others."""
    table = {address.lower(): reaction for address, reaction in reactions.items()}
    fallback = default or Reaction(Action.IGNORE)
    return lambda address, page_id: table.get(address.lower(), fallback)


def mixed(
    *,
    confirm: float = 0.8,
    reply: float = 0.0,
    open_only: float = 0.05,
    mean_seconds: float = 60.0,
    seed: int | None = None,
) -> Behaviour:
    """A seeded crowd: shares of people who confirm, reply, only open; the rest ignore.

    Response times are exponential with mean `mean_seconds` (most answer quickly, a few
    late), the shape the engine's response models use.
    """
    if min(confirm, reply, open_only) < 0 or confirm + reply + open_only > 1:
        raise ValueError("shares must be non-negative and add up to at most 1")
    rng = random.Random(seed)

    def decide(address: str, page_id: str | None) -> Reaction:
        draw = rng.random()
        after = rng.expovariate(1 / mean_seconds) if mean_seconds > 0 else 0.0
        if draw < confirm:
            return Reaction(Action.CONFIRM, after)
        if draw < confirm + reply:
            return Reaction(Action.REPLY, after)
        if draw < confirm + reply + open_only:
            return Reaction(Action.OPEN, after)
        return Reaction(Action.IGNORE)

    return decide


def from_response_model(
    model: ResponseModel,
    *,
    drill_id: str | None = None,
    people: Mapping[str, tuple[str, str | None]] | None = None,
) -> Behaviour:
    """The engine's response model deciding for e-mail recipients.

    `people` maps an address to (person id, role id) so per-person and per-role overrides
    apply; the page id keys the draw exactly as `ResponseModel.outcome` does, so a page
    gets the same outcome in the sandbox as in a simulated run with the same seed.
    """
    directory = {address.lower(): who for address, who in (people or {}).items()}

    def decide(address: str, page_id: str | None) -> Reaction:
        person_id, role_id = directory.get(address.lower(), (None, None))
        key = page_id or address
        if drill_id and key.startswith(f"{drill_id}-"):
            key = key[len(drill_id) + 1 :]
        elif "-p" in key:
            key = key[key.rindex("-p") + 1 :]
        outcome = model.outcome_for(ChannelKind.EMAIL, key, person_id=person_id, role_id=role_id)
        who = person_id or address

        def answer(count: int) -> int:  # as the simulated channel's person answers
            return 1 + simulated_answer(model.seed, who, count)

        if outcome.kind is OutcomeKind.ANSWER:
            return Reaction(Action.CONFIRM, outcome.after_seconds, answer=answer)
        if outcome.kind is OutcomeKind.INVALID_NUMBER:
            return Reaction(Action.BOUNCE, outcome.after_seconds)
        return Reaction(Action.IGNORE)

    return decide
