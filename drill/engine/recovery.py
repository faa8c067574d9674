"""Resuming an interrupted drill: state from the stored events, the clock, the timers.

`DrillRunner.resume` checks that the drill can be resumed (it exists, has not ended,
and its plan has not changed), then, holding the drill's lease, reads its events again
and `recover`s it:

- State is rebuilt from the stored events alone, by the same code that applies them
  live; every acknowledgement is kept, and no idempotency key is applied twice.
- The drill goes on on the clock it started on. The clock says what time it is now; the
  drill was down since its last event. A scaled clock is put where real time × speed
  since the start says (downtime included); a virtual one exactly where the last event
  left it, so it reads the times an uninterrupted run would have read. Time never goes
  backwards: no event is stamped before the last one recorded, even if the machine's
  clock was set back meanwhile.
- `DrillInterrupted` records what was found (the real gap and the drill time that
  passed); `DrillRecovered` what was re-armed.
- Timers are re-armed from when they were due: one that came due while the process was
  down fires once, marked `overdue`. An attempt with a `PageQueued` event is never sent
  again: without a recorded outcome it is assumed sent and waits for its timeout, unless
  its notifier can `recover` what happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from drill.engine.clock import ScaledClock, VirtualClock, clock_kind
from drill.engine.events import (
    DrillInterrupted,
    DrillRecovered,
)
from drill.engine.notifier import RecoverableNotifier
from drill.engine.roster import LiveStatus
from drill.engine.sink import StoredEvent

if TYPE_CHECKING:
    from drill.engine.runner import DrillRunner

__all__ = ["recover"]


async def recover(drill: DrillRunner, stored: Sequence[StoredEvent], by: str | None) -> None:
    """Rebuild `drill` from `stored` (read under its lease), restore its clock, re-arm."""
    await drill._outside.load_book()
    for item in stored:
        drill._last_seq = item.seq
        if item.key is not None:
            drill._seen_keys.add(item.key)
        drill._inputs.recall(item)
        drill.state.take(item)  # a duplicate is counted, as the stored record's fold counts it
        if not item.duplicate:
            drill._apply(item.event)
    started = drill._started
    assert started is not None
    last_elapsed = max(item.event.elapsed for item in stored)
    drill._at_floor = max(item.event.at for item in stored)
    zero = started.at - dt.timedelta(seconds=started.elapsed)  # wall time at elapsed 0
    clock = drill.clock
    # The clock says what time it is now; the drill was down since its last event.
    if isinstance(clock, ScaledClock) and started.real_at is not None:
        # Scaled drill time is real time × speed since the start, downtime included.
        since = (clock.real_now() - started.real_at).total_seconds() * clock.speed
    else:
        since = (clock.now() - zero).total_seconds()
    now_elapsed = max(last_elapsed, since)
    if isinstance(clock, VirtualClock | ScaledClock):
        # Read the times an uninterrupted run would have read from here on; in virtual
        # time exactly those. The restored clock reads drill time: elapsed 0 is 0.
        clock.restore(zero, now_elapsed)
        drill._origin = 0.0
    else:
        drill._origin = clock.monotonic() - now_elapsed
    drill._check_notifiers()
    await drill._start_notifiers()

    await drill._locked(lambda: _rearm(drill, stored[-1], last_elapsed, now_elapsed, by))


async def _rearm(
    drill: DrillRunner,
    last: StoredEvent,
    last_elapsed: float,
    now_elapsed: float,
    by: str | None,
) -> None:
    paging = drill._paging
    timers = drill._timers
    in_flight = [p for p in paging.pages.values() if p.sent is None and p.outcome is None]
    kind = clock_kind(drill.clock)
    drill_gap = now_elapsed - last_elapsed
    await drill._emit(
        DrillInterrupted(
            **drill._stamp(),
            last_seq=last.seq,
            last_event=last.event.type_name,
            last_elapsed=last_elapsed,
            downtime_seconds=drill_gap / drill.clock.speed if kind == "scaled" else drill_gap,
            drill_downtime_seconds=drill_gap,
            pages_in_flight=tuple(page.page_id for page in in_flight)
            + tuple(page.page_id for page in drill._updates.in_flight()),
            clock=kind,
            speed=drill.clock.speed if kind == "scaled" else None,
        )
    )
    timers.overdue_before = timers.active(now_elapsed)
    # Pages in flight are never sent again. A notifier that knows what became of one
    # says so (and re-arms its callbacks); otherwise it is taken as sent and waits for
    # its timeout. Every other page is offered too, for callbacks still to come.
    for page in sorted(paging.pages.values(), key=lambda p: p.n):
        if page.sent is False:
            continue
        notifier = drill._notifiers.get(page.channel)
        result = None
        if isinstance(notifier, RecoverableNotifier):
            result = await notifier.recover(paging.page_for(page))
        if page.sent is None and page.outcome is None:
            if result is not None:
                await paging.record_send(page, result)
            else:
                paging.arm_timeout(page)
    # Status updates: copies in flight are never sent again; people not yet sent theirs are.
    await drill._updates.rearm()
    # Pages the operator ordered outside the ladder: never sent again either; their
    # notifier may say what became of them (and re-arm their callbacks).
    outside = drill._outside
    for found in sorted(outside.pages.values(), key=lambda p: p.n):
        if found.sent is False or found.acked:
            continue
        notifier = drill._notifiers.get(found.channel)
        if isinstance(notifier, RecoverableNotifier):
            result = await notifier.recover(outside.page_for(found))
            if found.sent is None and result is not None:
                await outside.record_send(found, result)
    overdue = timers.overdue()
    members = drill._levels.members.values()
    await drill._emit(
        DrillRecovered(
            **drill._stamp(),
            by=by,
            acknowledged=sum(1 for m in members if m.status is LiveStatus.ACKED),
            pages_waiting=sum(
                1
                for m in members
                if m.status is LiveStatus.PAGING
                and m.current is not None
                and m.current.outcome is None
            ),
            overdue_timers=overdue,
            paused=drill.paused,
        )
    )
    await outside.resume()  # the ad hoc book read; pages ordered and not yet queued sent
    await drill._levels.settle_all()
    await drill._flush()
