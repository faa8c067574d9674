"""The runner's timers: what is due when, in which order, on which time.

Two heaps. **Engine timers** (acknowledgement timeouts, injects, step targets, the
simulated operator) run on *active* time: the drill's elapsed time minus the time spent
paused, so a pause stops them and `DrillResumed` shifts them by the pause. **People's
timers** (the answers of simulated people, `PageTimers.after_page`) run on elapsed time:
people do not pause, so their answers are recorded during a pause, and paging reacts to
them on resume.

Timers at the same instant run in the order of their **rank** (injects first, then step
targets, the operator, people's answers, and acknowledgement timeouts last: an answer
exactly at the deadline counts), then of what they are about (the page's or step's
number, the callback's key), never of when they were armed. That is what lets a resumed
drill, whose timers are armed again in another order, continue exactly as an
uninterrupted one would. A timer whose reason has gone (a page acknowledged before its
timeout, a step completed before its target) is not removed when that happens: the owner
says whether it is still **live**, and a stale one is dropped when it reaches the top.

After a resume, an engine timer that came due while the process was down fires once,
marked `overdue` (`overdue_before`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "CALLBACK",
    "EPS",
    "INJECT",
    "OPERATOR",
    "REPEAT",
    "STEP_DUE",
    "TIMEOUT",
    "Timer",
    "Timers",
]

EPS = 1e-6  # seconds; absorbs float rounding between elapsed and active time

# Timer ranks: at one instant, injects first, then step targets, the operator, people's
# answers, and acknowledgement timeouts (an answer exactly at the deadline counts), and
# repeated rounds of a level last.
INJECT, STEP_DUE, OPERATOR, CALLBACK, TIMEOUT, REPEAT = range(6)

Timer = tuple[float, int, int, str, Any]
"""(due, rank, n, key, payload): due in active time (engine) or elapsed time (people)."""


class Timers:
    """The two heaps, the pause that holds the engine's, and which timers are overdue.

    `is_live(rank, payload)` says whether an engine timer still has a reason to fire.
    """

    def __init__(self, is_live: Callable[[int, Any], bool]) -> None:
        self._is_live = is_live
        self._engine: list[Timer] = []
        self._people: list[Timer] = []
        self.paused_at: float | None = None
        """Elapsed time the drill was paused at; None when it runs."""
        self.paused_total = 0.0
        self.overdue_before: float | None = None
        """After a resume: engine timers due before this active time are overdue."""

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def pause(self, elapsed: float) -> None:
        self.paused_at = elapsed

    def resume(self, paused_seconds: float) -> None:
        self.paused_total += paused_seconds
        self.paused_at = None

    def active(self, elapsed: float) -> float:
        """Active time at `elapsed`: paused time does not count for timers."""
        if self.paused_at is not None:
            elapsed = self.paused_at
        return elapsed - self.paused_total

    def arm(self, due: float, rank: int, n: int, payload: Any) -> None:
        """An engine timer, `due` in active time."""
        heapq.heappush(self._engine, (due, rank, n, "", payload))

    def arm_person(self, due: float, n: int, key: str, action: Any) -> None:
        """What a person does at `due`, in elapsed time (`CALLBACK` rank)."""
        heapq.heappush(self._people, (due, CALLBACK, n, key, action))

    def next(self) -> tuple[tuple[float, int, int, str], list[Timer]] | None:
        """The next live timer as (elapsed, rank, n, key) and its heap; stale ones dropped."""
        best: tuple[tuple[float, int, int, str], list[Timer]] | None = None
        while not self.paused and self._engine:
            due, rank, n, key, payload = self._engine[0]
            if self._is_live(rank, payload):
                best = ((due + self.paused_total, rank, n, key), self._engine)
                break
            heapq.heappop(self._engine)
        if self._people:
            due, rank, n, key, _ = self._people[0]
            if best is None or (due, rank, n, key) < best[0]:
                best = ((due, rank, n, key), self._people)
        return best

    def next_due(self) -> float | None:
        """Elapsed time of the next live timer; None if there is none."""
        found = self.next()
        return found[0][0] if found is not None else None

    def pop_next(self) -> tuple[Timer, bool]:
        """Take the next live timer (there must be one); and whether it is overdue."""
        found = self.next()
        assert found is not None
        timer = heapq.heappop(found[1])
        due = timer[0]
        overdue = self.overdue_before is not None and due < self.overdue_before - EPS
        return timer, overdue

    def overdue(self) -> int:
        """How many live engine timers are overdue (after a resume)."""
        assert self.overdue_before is not None
        before = self.overdue_before
        return sum(
            1
            for due, rank, _, _, payload in self._engine
            if due < before - EPS and self._is_live(rank, payload)
        )

    def pending(self) -> Iterable[Timer]:
        return iter(self._engine)
