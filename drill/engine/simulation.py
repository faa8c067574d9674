"""Simulated people and a simulated operator, for `run --simulate`, the demo and tests.

`ResponseModel` decides how a person answers one page: answers after so many seconds,
does not pick up, is busy, the number is wrong or invalid, or the message is simply
ignored. Its defaults are meant to look like Japanese municipal staff during office
hours: most pick up a phone within 20–90 s, an SMS link is confirmed within 1–5 min
(or never), e-mail is slower. Per-channel defaults, per-role and per-person overrides
can be given as a mapping or YAML (`ResponseModel.from_mapping`).

Every draw comes from a random generator seeded with (seed, page), never from a shared
sequence: the same page gets the same outcome in any order, in any process, so a
resumed drill behaves exactly like an uninterrupted one. The sandbox (fake Twilio and
SMTP) reuses `ResponseModel.outcome` to decide what its simulated people do.

`SimulatedNotifier` is the `Notifier` for all three channel kinds backed by such a
model. `SimulatedOperator` completes playbook steps around their target times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import random
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from drill.engine.clock import Clock, RealClock
from drill.engine.notifier import (
    DeliveryStatus,
    FailureReason,
    Inbox,
    Page,
    PageTimers,
    SendResult,
)
from drill.plan.models import ChannelKind, Playbook, Question, Step

__all__ = [
    "DEFAULT_BEHAVIOUR",
    "ChannelBehaviour",
    "Outcome",
    "OutcomeKind",
    "ResponseModel",
    "SimulatedNotifier",
    "SimulatedOperator",
    "seeded_random",
    "simulated_answer",
    "simulated_choice",
]


def seeded_random(seed: int | None, *parts: str) -> random.Random:
    """A generator that depends only on the seed and `parts` (a stable hash, not `hash()`)."""
    text = "\x1f".join((str(seed), *parts))
    digest = hashlib.sha256(text.encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def simulated_choice(seed: int | None, person_id: str, question: Question | None) -> str | None:
    """The answer a simulated person gives to the scenario's question (None without one).

    Drawn from its own generator, seeded with (seed, person): a question added to a
    scenario changes no other draw, and a person answers the same on every channel. The
    first choice is the likeliest, each next one half as likely.
    """
    if question is None:
        return None
    return question.keys[simulated_answer(seed, person_id, len(question.choices))]


def simulated_answer(seed: int | None, who: str, count: int) -> int:
    """Which of `count` choices (0-based) the simulated person `who` picks: the sandbox's
    people, who see only the buttons or hear only the keys, pick as `simulated_choice`."""
    rng = seeded_random(seed, "choice", who)
    return rng.choices(range(count), [2.0**-i for i in range(count)])[0]


class OutcomeKind(StrEnum):
    """What a simulated person does with one page."""

    ANSWER = "answer"  # picks up and presses the key / confirms the link
    NO_ANSWER = "no_answer"  # the phone rings out
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"  # someone else answers
    INVALID_NUMBER = "invalid_number"  # the number or address does not exist
    IGNORE = "ignore"  # picks up without a keypress; the SMS or e-mail is never confirmed


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """One drawn outcome: what happens, and how many seconds after the send."""

    kind: OutcomeKind
    after_seconds: float


_WEIGHTS = tuple(kind.value for kind in OutcomeKind)
_KINDS = tuple(OutcomeKind)
"""The outcomes in the order of their weights: drawn as they are, without a call of
`OutcomeKind(value)` (`random.choices` only indexes the population: the same draws)."""

# Members read for every page, off their classes once: on Python 3.11 each
# `OutcomeKind.X` (`ChannelKind.X`, `DeliveryStatus.X`) is a call through
# EnumType.__getattr__'s hook.
_ANSWER, _BUSY, _INVALID_NUMBER = OutcomeKind.ANSWER, OutcomeKind.BUSY, OutcomeKind.INVALID_NUMBER
_VOICE, _EMAIL = ChannelKind.VOICE, ChannelKind.EMAIL
_RINGING, _DELIVERED, _OPENED = (
    DeliveryStatus.RINGING,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.OPENED,
)


@dataclasses.dataclass(frozen=True, slots=True)
class ChannelBehaviour:
    """How people respond on one channel: relative weights of each outcome, and timings."""

    answer: float = 0.0
    no_answer: float = 0.0
    busy: float = 0.0
    wrong_number: float = 0.0
    invalid_number: float = 0.0
    ignore: float = 0.0
    answer_seconds: tuple[float, float] = (20.0, 90.0)
    """Range of the time to acknowledge (most answers come early in the range)."""
    fail_seconds: tuple[float, float] = (20.0, 60.0)
    """Range of the time until a failure is reported (rings out, busy tone, bounce)."""
    _cum_weights: tuple[float, ...] = dataclasses.field(
        init=False, repr=False, compare=False, default=()
    )
    """The weights accumulated once, as `random.choices` would for every draw (the same
    floats, so the same outcomes)."""

    def __post_init__(self) -> None:
        weights = [getattr(self, name) for name in _WEIGHTS]
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("outcome weights must be >= 0 and not all 0")
        for lo, hi in (self.answer_seconds, self.fail_seconds):
            if not 0 <= lo <= hi:
                raise ValueError("a time range must be [low, high] with 0 <= low <= high")
        object.__setattr__(self, "_cum_weights", tuple(itertools.accumulate(weights)))

    def draw(self, rng: random.Random) -> Outcome:
        kind = rng.choices(_KINDS, cum_weights=self._cum_weights)[0]
        lo, hi = self.answer_seconds if kind is _ANSWER else self.fail_seconds
        # Triangular with its mode a third of the way in: most people answer early.
        seconds = rng.triangular(lo, hi, lo + (hi - lo) / 3) if hi > lo else lo
        return Outcome(kind, max(1.0, round(seconds, 1)))

    def merged(self, override: Mapping[str, Any]) -> ChannelBehaviour:
        """This behaviour with `override` applied; any weight given replaces all weights."""
        unknown = set(override) - {f.name for f in dataclasses.fields(self) if f.init}
        if unknown:
            raise ValueError(f"unknown response-model keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        if any(name in override for name in _WEIGHTS):
            values = {name: float(override.get(name, 0.0)) for name in _WEIGHTS}
        for name in ("answer_seconds", "fail_seconds"):
            if name in override:
                lo, hi = override[name]
                values[name] = (float(lo), float(hi))
        return dataclasses.replace(self, **values)


DEFAULT_BEHAVIOUR: Mapping[ChannelKind, ChannelBehaviour] = {
    # Office phones and mobiles during the day: most pick up within a minute or so.
    ChannelKind.VOICE: ChannelBehaviour(
        answer=0.78,
        no_answer=0.12,
        busy=0.05,
        ignore=0.03,
        wrong_number=0.01,
        invalid_number=0.01,
        answer_seconds=(20.0, 90.0),
        fail_seconds=(25.0, 60.0),
    ),
    # An SMS is read soon or not at all; the link is confirmed within 1–5 minutes.
    ChannelKind.SMS: ChannelBehaviour(
        answer=0.70,
        ignore=0.28,
        invalid_number=0.02,
        answer_seconds=(60.0, 300.0),
        fail_seconds=(2.0, 10.0),
    ),
    # E-mail is read at the desk, later; a bounce comes back within a minute.
    ChannelKind.EMAIL: ChannelBehaviour(
        answer=0.55,
        ignore=0.43,
        invalid_number=0.02,
        answer_seconds=(120.0, 900.0),
        fail_seconds=(5.0, 60.0),
    ),
}

_ABSENT: Mapping[ChannelKind, ChannelBehaviour] = {
    ChannelKind.VOICE: ChannelBehaviour(no_answer=1.0, fail_seconds=(30.0, 30.0)),
    ChannelKind.SMS: ChannelBehaviour(ignore=1.0, fail_seconds=(3.0, 3.0)),
    ChannelKind.EMAIL: ChannelBehaviour(ignore=1.0, fail_seconds=(10.0, 10.0)),
}


class ResponseModel:
    """How simulated people respond, per channel, with per-role and per-person overrides.

    Precedence: the person's override, then the role's (applied to whoever is paged for
    the role), then the channel default.
    """

    def __init__(
        self,
        seed: int = 0,
        channels: Mapping[ChannelKind, ChannelBehaviour] | None = None,
        roles: Mapping[str, Mapping[ChannelKind, ChannelBehaviour]] | None = None,
        people: Mapping[str, Mapping[ChannelKind, ChannelBehaviour]] | None = None,
    ) -> None:
        self.seed = seed
        self.channels = {**DEFAULT_BEHAVIOUR, **(channels or {})}
        self.roles = {k: dict(v) for k, v in (roles or {}).items()}
        self.people = {k: dict(v) for k, v in (people or {}).items()}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, seed: int | None = None) -> ResponseModel:
        """Build from a mapping (as YAML gives it)::

            seed: 7
            channels:
              voice: {answer: 0.9, no_answer: 0.1, answer_seconds: [15, 60]}
            roles:
              police: {voice: {answer: 1}}
            people:
              yamada-taro: {absent: true}      # answers nothing
              sato-hanako: {voice: {answer: 1, answer_seconds: [30, 30]}}

        A channel entry that names any outcome weight replaces all weights (those not
        named are 0); time ranges not named are kept.
        """
        unknown = set(data) - {"seed", "channels", "roles", "people"}
        if unknown:
            raise ValueError(f"unknown response-model keys: {', '.join(sorted(unknown))}")
        channels = {
            ChannelKind(kind): DEFAULT_BEHAVIOUR[ChannelKind(kind)].merged(spec)
            for kind, spec in (data.get("channels") or {}).items()
        }
        base = {**DEFAULT_BEHAVIOUR, **channels}

        def overrides(section: str) -> dict[str, dict[ChannelKind, ChannelBehaviour]]:
            out: dict[str, dict[ChannelKind, ChannelBehaviour]] = {}
            for name, spec in (data.get(section) or {}).items():
                spec = dict(spec or {})
                entry: dict[ChannelKind, ChannelBehaviour] = {}
                if spec.pop("absent", False):
                    entry.update(_ABSENT)
                for kind, channel_spec in spec.items():
                    kind = ChannelKind(kind)
                    entry[kind] = entry.get(kind, base[kind]).merged(channel_spec or {})
                out[str(name)] = entry
            return out

        chosen = seed if seed is not None else int(data.get("seed", 0))
        return cls(chosen, channels, overrides("roles"), overrides("people"))

    @classmethod
    def from_yaml(cls, path: Path, *, seed: int | None = None) -> ResponseModel:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a response model is a mapping of keys")
        return cls.from_mapping(data, seed=seed)

    def with_seed(self, seed: int) -> ResponseModel:
        return ResponseModel(seed, self.channels, self.roles, self.people)

    def behaviour(
        self, channel: ChannelKind, person_id: str | None = None, role_id: str | None = None
    ) -> ChannelBehaviour:
        for table, name in ((self.people, person_id), (self.roles, role_id)):
            if name is not None and channel in table.get(name, {}):
                return table[name][channel]
        return self.channels[channel]

    def outcome_for(
        self,
        channel: ChannelKind,
        key: str,
        *,
        person_id: str | None = None,
        role_id: str | None = None,
    ) -> Outcome:
        """The outcome of one page identified by `key` (stable across runs)."""
        behaviour = self.behaviour(channel, person_id, role_id)
        return behaviour.draw(seeded_random(self.seed, "page", key))

    def outcome(self, page: Page) -> Outcome:
        """What the person does with `page`; the same page always gets the same outcome.

        The drill id is left out of the key, so two runs with one seed match page for page.
        """
        key = page.page_id.removeprefix(f"{page.drill_id}-")
        return self.outcome_for(page.channel, key, person_id=page.person_id, role_id=page.role_id)


_Action = Callable[[], Awaitable[object]]


class SimulatedNotifier:
    """A `Notifier` for voice, SMS and e-mail whose people follow a `ResponseModel`.

    Answers, statuses and failures come back through the inbox at the drawn times. When
    the inbox is a drill runner (`PageTimers`) they are timers of the runner's own loop,
    in the drill's time; otherwise they are asyncio tasks sleeping on `clock`.
    """

    kinds: frozenset[ChannelKind] = frozenset(ChannelKind)
    local: bool = True
    """Simulated people: nobody real is paged (see `LocalNotifier`)."""

    def __init__(self, model: ResponseModel | None = None, *, clock: Clock | None = None) -> None:
        self.model = model or ResponseModel()
        self._clock = clock or RealClock()
        self._inbox: Inbox | None = None
        self._timers: PageTimers | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent: list[Page] = []
        """Every page given to this notifier, in order (for tests and the demo)."""

    @property
    def seed(self) -> int:
        return self.model.seed

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._timers = inbox if isinstance(inbox, PageTimers) else None

    async def send(self, page: Page) -> SendResult:
        self.sent.append(page)
        return self._play(page)

    async def recover(self, page: Page) -> SendResult | None:
        return self._play(page)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    def _play(self, page: Page) -> SendResult:
        outcome = self.model.outcome(page)
        provider_id = f"sim-{page.page_id}"
        if outcome.kind is _INVALID_NUMBER and page.channel is not _EMAIL:
            return SendResult.failed(FailureReason.INVALID_NUMBER, "simulated: no such number")
        for seconds, key, action in self._script(page, outcome):
            self._later(page, seconds, key, action)
        return SendResult.ok(provider_id)

    def _script(self, page: Page, outcome: Outcome) -> list[tuple[float, str, _Action]]:
        """What the provider reports back, and when, for this outcome on this channel."""
        inbox = self._inbox
        assert inbox is not None, "start() the notifier before sending"
        pid = page.page_id
        after = outcome.after_seconds
        kind = outcome.kind

        def status(value: DeliveryStatus) -> _Action:
            key = f"{pid}:{value.value}"
            return lambda: inbox.delivery_status(pid, value, key=key)

        def failed(reason: FailureReason, detail: str) -> _Action:
            key = f"{pid}:failed"
            return lambda: inbox.delivery_failed(pid, reason, detail=detail, key=key)

        choice = simulated_choice(self.model.seed, page.person_id, page.question)

        def ack(source: str) -> _Action:
            key = f"{pid}:ack"
            return lambda: inbox.acknowledge(pid, source=source, key=key, choice=choice)

        first = min(2.0, after / 2)
        steps: list[tuple[float, str, _Action]] = []
        if page.channel is _VOICE:
            if kind is _BUSY:
                steps.append((after, f"{pid}:failed", failed(FailureReason.BUSY, "busy")))
                return steps
            steps.append((first, f"{pid}:ringing", status(_RINGING)))
            if kind is _ANSWER:
                steps.append((after, f"{pid}:ack", ack("voice")))
            elif kind is OutcomeKind.NO_ANSWER:
                reason = FailureReason.NO_ANSWER
                steps.append((after, f"{pid}:failed", failed(reason, "no answer")))
            elif kind is OutcomeKind.WRONG_NUMBER:
                reason = FailureReason.WRONG_NUMBER
                steps.append((after, f"{pid}:failed", failed(reason, "someone else answered")))
            else:
                reason = FailureReason.NOT_ACKNOWLEDGED
                steps.append((after, f"{pid}:failed", failed(reason, "answered, no keypress")))
            return steps
        if kind is _INVALID_NUMBER:  # e-mail: accepted, then bounced
            reason = FailureReason.BOUNCED
            steps.append((after, f"{pid}:failed", failed(reason, "simulated: no such mailbox")))
            return steps
        steps.append((first, f"{pid}:delivered", status(_DELIVERED)))
        if kind is _ANSWER:
            opened = max(first, after - min(30.0, after / 4))
            steps.append((opened, f"{pid}:opened", status(_OPENED)))
            steps.append((after, f"{pid}:ack", ack(page.channel.value)))
        return steps

    def _later(self, page: Page, seconds: float, key: str, action: _Action) -> None:
        if self._timers is not None:
            self._timers.after_page(page.page_id, seconds, key, action)
            return

        async def wait_then_act() -> None:
            await self._clock.sleep(seconds)
            await action()

        task = asyncio.get_running_loop().create_task(wait_then_act())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@dataclasses.dataclass(frozen=True, slots=True)
class SimulatedOperator:
    """Completes playbook steps around their targets, so a simulated run ends sensibly.

    Each step is done at a time drawn from (seed, step): usually before its target
    (`on_time` of the time), sometimes after it; never before the steps it depends on.
    A step without a target follows its dependencies after one to five minutes.
    """

    seed: int | None = 0
    name: str = "simulated operator"
    on_time: float = 0.85

    def schedule(self, playbook: Playbook) -> list[tuple[float, Step]]:
        """(seconds after the start, step) for every step, in playbook order."""
        done: dict[str, float] = {}
        out: list[tuple[float, Step]] = []
        previous = 0.0
        for step in playbook.steps:
            rng = seeded_random(self.seed, "step", playbook.id, step.id)
            after_deps = max((done[d] for d in step.depends_on if d in done), default=0.0)
            if step.target_minutes is not None:
                target = step.target_minutes * 60
                share = (
                    rng.uniform(0.5, 0.95)
                    if rng.random() < self.on_time
                    else rng.uniform(1.05, 1.4)
                )
                at = max(target * share, after_deps + 30.0)
            else:
                at = max(after_deps, previous) + rng.uniform(60.0, 300.0)
            at = round(at, 1)
            done[step.id] = at
            previous = at
            out.append((at, step))
        return out
