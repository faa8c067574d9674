"""What comes into a running drill: acknowledgements, delivery reports, and their batching.

- An acknowledgement of any page of a member, from any source, even after escalation,
  acknowledges that member and stops exactly its paging (if the fold counts it: see
  `drill.engine.paging`). A second acknowledgement is recorded (`first=False`) and
  answered `ALREADY_ACKNOWLEDGED`; one whose idempotency key the store has seen is not
  applied (`DUPLICATE`). An operator may record that a contact was reached another way
  (`acknowledge_manually`): a member, or a person being paged, found by name.
- Every event is appended to the sink and awaited before it is applied and before any
  handler sees it; `acknowledge` returns only once its event is durable. Inputs that
  queue up while the loop is busy (a burst of acknowledgements, delivery reports) are
  taken together: their first events are built in arrival order and stored by one
  `append_many`, one commit, before any of them is applied; what follows from them
  comes after all of them (see `Inputs.run_batch`).
- Repeats of an acknowledgement already recorded (same key) are stored as duplicates only
  `KEPT_REPEATS` times per key; beyond that they are counted and the count recorded by a
  `DuplicatesCounted` event at most once a minute of drill time and when the drill ends,
  so a replay storm of 1,000 POSTs adds a handful of rows, not 999. The counter lives in
  the engine: a resumed drill counts afresh, and repeats counted in the last minute before
  a crash are lost (they are no-ops; the acknowledgement itself is never lost).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import difflib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from drill.engine.events import (
    Acknowledged,
    AckSource,
    DeliveryFailed,
    DeliveryUpdated,
    DuplicatesCounted,
    Event,
)
from drill.engine.notifier import AckOutcome, DeliveryStatus, FailureReason
from drill.engine.roster import LiveMember, LivePage, LiveStatus
from drill.engine.sink import StoredEvent, append_all
from drill.errors import EngineError
from drill.plan.models import Person

if TYPE_CHECKING:
    from drill.engine.runner import DrillRunner
    from drill.engine.updates import LiveUpdatePage

__all__ = ["BATCH", "KEPT_REPEATS", "REPEAT_CHECKPOINT_SECONDS", "Entry", "Inputs", "Work", "fail"]

log = logging.getLogger("drill.engine.runner")  # the runner's log, as before the split

BATCH = 256
"""Most inputs whose first events are stored by one `append_many` (one commit)."""

KEPT_REPEATS = 3
"""Repeats of one acknowledgement key stored row by row (as duplicates) before counting."""
REPEAT_CHECKPOINT_SECONDS = 60.0
"""How often (drill clock) the count of further repeats of a key is recorded."""


@dataclasses.dataclass(slots=True)
class _Repeats:
    """What this engine saw of one acknowledgement key after its original was stored."""

    page_id: str
    seen: int = 0
    pending: int = 0
    """Counted since the last `DuplicatesCounted` (not yet recorded)."""
    checkpoint: float | None = None
    """Drill-clock seconds of the last `DuplicatesCounted` of this key."""


@dataclasses.dataclass(slots=True)
class Entry:
    """What an input records first, built from the state as it is, nothing applied yet.

    Once `event` is stored, `then(applied)` does what follows from it (applied is False
    when the store found its key already recorded) and gives the caller's answer (None
    without `then`). With no event (an unknown page, a drill that has ended) `answer` is
    the answer and nothing is recorded.
    """

    event: Event | None
    key: str | None = None
    then: Callable[[bool], Awaitable[Any]] | None = None
    answer: Any = None
    reads: LiveMember | LiveUpdatePage | None = None
    """The member whose state `event` was built from (whether it is acknowledged)."""
    writes: LiveMember | LiveUpdatePage | None = None
    """The member whose state applying `event` changes (a first acknowledgement)."""
    applied: bool = False
    """Stored and not a duplicate: applied (set by `Inputs.run_batch`)."""

    async def follow(self, applied: bool) -> Any:
        """What follows once `event` is stored; the caller's answer."""
        if self.event is None:
            return self.answer
        return await self.then(applied) if self.then is not None else None


@dataclasses.dataclass(slots=True)
class Work:
    """A change queued for the loop, and its caller's answer."""

    run: Callable[[], Awaitable[Any]]
    done: asyncio.Future[Any]
    prepare: Callable[[], Entry] | None = None
    """For inputs that may share a commit with others (see `Inputs.run_batch`)."""


def fail(done: asyncio.Future[Any], exc: BaseException) -> None:
    """Give an input's caller `exc` (or cancel it), unless it has its answer already."""
    if done.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        done.cancel()
    else:
        done.set_exception(exc)


class Inputs:
    """Builds the first event of each input, and stores queued inputs together."""

    def __init__(self, drill: DrillRunner) -> None:
        self._drill = drill
        self._repeats: dict[str, _Repeats] = {}

    # == batching ======================================================================

    async def run_batch(self, queue: collections.deque[Work]) -> None:
        """The inputs at the head of the queue that start by recording one event, together.

        Their first events are built in arrival order from the state as it is and stored
        by one `append_many` (one commit); then applied in that order, except those the
        store reports as duplicates, and the handlers told; then each input does what
        follows (`Entry.then`: paging on, a level completing) one after another, event
        by event as always, and its caller gets the answer. Nothing is applied before it
        is stored, and no page goes out before its `PageQueued` is.

        Each first event is the one its input would have recorded after the ones before
        it: the batch ends before an input whose event depends on what an earlier one
        changes (a second acknowledgement of a contact acknowledged earlier in the
        batch). What follows from them comes after all of them, as if they had arrived
        at the same instant: acknowledgements that arrive together all count before
        their level reacts.
        """
        batch: list[tuple[Work, Entry]] = []
        written: set[LiveMember | LiveUpdatePage] = set()
        while queue and len(batch) < BATCH:
            work = queue[0]
            if work.prepare is None:
                break
            try:
                entry = work.prepare()
            except Exception as exc:  # not expected of these inputs; answered alone
                if batch:
                    break
                queue.popleft()
                fail(work.done, exc)
                if isinstance(exc, EngineError):
                    return
                raise
            if entry.reads is not None and entry.reads in written:
                break
            queue.popleft()
            if entry.writes is not None:
                written.add(entry.writes)
            batch.append((work, entry))
        try:
            await self._record_batch(batch)
        except BaseException as exc:  # the store failed, or the loop is being cancelled
            for work, _ in batch:
                fail(work.done, exc)
            raise

    async def _record_batch(self, batch: Sequence[tuple[Work, Entry]]) -> None:
        drill = self._drill
        await drill._flush()  # what a simulated drill kept back goes first, in order
        recorded = [(entry, entry.event) for _, entry in batch if entry.event is not None]
        items = [(event, entry.key) for entry, event in recorded]
        appended = await append_all(drill.sink, drill.drill_id, items) if items else []
        if appended:
            drill._last_seq, drill._head = appended[-1].seq, appended[-1].hash
        for (entry, event), stored in zip(recorded, appended, strict=True):
            if entry.key is not None:
                drill._seen_keys.add(entry.key)
            if stored.duplicate:  # counted, as the stored record's fold counts it
                drill.state.take(StoredEvent(stored.seq, event, entry.key, duplicate=True))
            else:
                entry.applied = True
                drill.state.apply(event, stored.seq)
                drill._apply(event)
        for entry, event in recorded:
            if entry.applied:
                await drill.handlers.publish(drill.drill_id, event)
        failure: BaseException | None = None
        for work, entry in batch:
            try:
                result = await entry.follow(entry.applied)
            except Exception as exc:
                fail(work.done, exc)
                if not isinstance(exc, EngineError) and failure is None:
                    failure = exc
            else:
                if not work.done.done():
                    work.done.set_result(result)
        if failure is not None:
            raise failure

    # == acknowledgements and delivery reports =========================================

    def acknowledge_page(
        self,
        page_id: str,
        source: str,
        key: str | None,
        received_at: dt.datetime | None,
        entered_by: str | None,
        choice: str | None = None,
    ) -> Entry:
        drill = self._drill
        if drill.over:
            return Entry(None, answer=AckOutcome.FINISHED)
        page = drill._paging.pages.get(page_id)
        outside = drill._outside.pages.get(page_id) if page is None else None
        if page is None and outside is None:
            update = drill._updates.pages.get(page_id)  # a status update's copy (第N報)
            if update is not None:
                return drill._updates.ack_entry(update, source, key, received_at)
            return Entry(None, answer=AckOutcome.UNKNOWN_PAGE)
        if not self._offered(choice):
            return Entry(None, answer=AckOutcome.INVALID_CHOICE)
        if key is not None and key in drill._seen_keys:
            repeats = self._repeats.setdefault(key, _Repeats(page_id))
            repeats.seen += 1
            if repeats.seen > KEPT_REPEATS:
                return self._count_repeat(key, repeats)
        if outside is not None:  # a page the operator ordered, outside the ladder
            return drill._outside.ack_entry(outside, source, key, received_at, entered_by)
        assert page is not None
        return self._ack_entry(
            page.member, page.person, page, source, key, received_at, entered_by, None, None, choice
        )

    def _offered(self, choice: str | None) -> bool:
        """No answer (a plain 了解), or one the scenario's question offers."""
        if choice is None:
            return True
        question = self._drill.scenario.question
        return question is not None and question.choice(choice) is not None

    def _ack_entry(
        self,
        member: LiveMember,
        person: Person,
        page: LivePage | None,
        source: str,
        key: str | None,
        received_at: dt.datetime | None,
        entered_by: str | None,
        note: str | None,
        origin: str | None = None,
        choice: str | None = None,
    ) -> Entry:
        drill = self._drill
        stamp = drill._stamp()
        if received_at is not None and received_at.tzinfo is None:
            # An acknowledgement is never dropped for a sloppy timestamp; UTC is the contract.
            log.warning("acknowledgement time without a time zone taken as UTC: %s", received_at)
            received_at = received_at.replace(tzinfo=dt.UTC)
        received = (received_at or stamp["at"]).astimezone(dt.UTC)
        contact = drill.state.contacts.get(
            (member.level.tree.tree.id, member.level.level.id, member.ref)
        )
        first = contact is None or contact.ack is None
        level = member.level
        deadline_page = page or member.current
        event = Acknowledged(
            **stamp,
            page_id=page.page_id if page is not None else None,
            tree=level.tree.tree.id,
            level=level.level.id,
            member=member.ref,
            person_id=person.id,
            person_name=person.name,
            channel=page.channel if page is not None else None,
            source=source,
            entered_by=entered_by,
            received_at=received,
            late=deadline_page is not None and received > deadline_page.deadline_at,
            first=first,
            note=note,
            site=member.site,
            origin=origin,
            choice=choice,
        )

        async def then(applied: bool) -> AckOutcome:
            if not applied:
                return AckOutcome.DUPLICATE
            if first:
                await drill._levels.member_changed(member)
            return AckOutcome.ACCEPTED if first else AckOutcome.ALREADY_ACKNOWLEDGED

        return Entry(event, key, then, reads=member, writes=member if first else None)

    def _count_repeat(self, key: str, repeats: _Repeats) -> Entry:
        """A repeat beyond the kept ones: counted; the count recorded when a checkpoint is due."""
        repeats.pending += 1
        stamp = self._drill._stamp()
        due = (
            repeats.checkpoint is None
            or stamp["elapsed"] - repeats.checkpoint >= REPEAT_CHECKPOINT_SECONDS
        )
        if not due:
            return Entry(None, answer=AckOutcome.DUPLICATE)
        event = DuplicatesCounted(**stamp, page_id=repeats.page_id, key=key, count=repeats.pending)
        repeats.pending, repeats.checkpoint = 0, stamp["elapsed"]

        async def then(applied: bool) -> AckOutcome:
            return AckOutcome.DUPLICATE

        return Entry(event, None, then)

    def recall(self, item: StoredEvent) -> None:
        """Resume: take in what the journal says of repeats (a kept duplicate, a recorded
        count), so a resumed engine goes on counting where the last one stopped instead
        of keeping `KEPT_REPEATS` more rows of every key. What the last engine counted
        but had not recorded yet (less than a checkpoint's worth) died with it."""
        event = item.event
        if item.duplicate and item.key is not None and isinstance(event, Acknowledged):
            if event.page_id is None:  # an operator's repeat: never counted, always kept
                return
            self._repeats.setdefault(item.key, _Repeats(event.page_id)).seen += 1
        elif isinstance(event, DuplicatesCounted):
            repeats = self._repeats.setdefault(event.key, _Repeats(event.page_id))
            repeats.seen += event.count
            repeats.checkpoint = event.elapsed

    def uncounted_repeats(self, at: dt.datetime, elapsed: float) -> list[DuplicatesCounted]:
        """The repeats counted but not yet recorded (the drill is ending), as events."""
        found = [
            DuplicatesCounted(at=at, elapsed=elapsed, page_id=r.page_id, key=key, count=r.pending)
            for key, r in self._repeats.items()
            if r.pending
        ]
        for r in self._repeats.values():
            r.pending = 0
        return found

    def delivery_failed(
        self, page_id: str, reason: FailureReason, detail: str | None, key: str | None
    ) -> Entry:
        drill = self._drill
        page = drill._paging.pages.get(page_id)
        if not drill.over and page is None and page_id in drill._outside.pages:
            # Outside the ladder: recorded, and nobody is paged next because of it.
            return Entry(
                DeliveryFailed(**drill._stamp(), page_id=page_id, reason=reason, detail=detail),
                key,
            )
        if drill.over or page is None:
            return Entry(None)
        event = DeliveryFailed(**drill._stamp(), page_id=page_id, reason=reason, detail=detail)
        member = page.member

        async def then(applied: bool) -> None:
            if applied:
                await drill._levels.member_changed(member)

        return Entry(event, key, then)

    def delivery_status(self, page_id: str, status: DeliveryStatus, key: str | None) -> Entry:
        drill = self._drill
        if drill.over or (
            page_id not in drill._paging.pages and page_id not in drill._outside.pages
        ):
            return Entry(None)
        return Entry(DeliveryUpdated(**drill._stamp(), page_id=page_id, status=status), key)

    # == the operator's acknowledgements ===============================================

    async def acknowledge_manually(
        self,
        ref: str,
        entered_by: str,
        reached_at: dt.datetime | None,
        note: str | None,
        tree: str | None,
        level: str | None,
        key: str | None = None,
        origin: str | None = None,
        choice: str | None = None,
    ) -> AckOutcome:
        drill = self._drill
        if drill.over:
            raise EngineError(f"drill '{drill.drill_id}' has already ended")
        if not self._offered(choice):
            question = drill.scenario.question
            offered = ", ".join(question.keys) if question is not None else ""
            raise EngineError(
                f"'{choice}' is not an answer of this scenario's question"
                + (f" (one of: {offered})" if offered else " (it asks none)")
            )
        member, person = self._find_contact(ref, tree, level)
        entry = self._ack_entry(
            member,
            person,
            None,
            AckSource.MANUAL.value,
            key,
            reached_at,
            entered_by,
            note,
            origin,
            choice,
        )
        assert entry.event is not None
        outcome: AckOutcome = await entry.follow(await drill._emit(entry.event, key))
        return outcome

    def _find_contact(
        self, ref: str, tree: str | None, level: str | None
    ) -> tuple[LiveMember, Person]:
        plan = self._drill.plan
        members = [
            m
            for m in self._drill._levels.members.values()
            if (tree is None or m.level.tree.tree.id == tree)
            and (level is None or m.level.level.id == level)
        ]
        order = (
            LiveStatus.PAGING,
            LiveStatus.UNREACHED,
            LiveStatus.CANCELLED,
            LiveStatus.WAITING,
            LiveStatus.ACKED,
        )

        def best(found: list[LiveMember]) -> LiveMember | None:
            for status in order:
                for member in found:
                    if member.status is status:
                        return member
            return None

        by_ref = best([m for m in members if m.ref == ref])
        if by_ref is not None:
            person = by_ref.candidates[by_ref.cand] if by_ref.candidates else None
            if person is None:
                raise EngineError(f"'{ref}' has nobody to acknowledge (vacant, no deputies)")
            return by_ref, person
        if plan.has("person", ref):
            paged_now = [
                m
                for m in members
                if m.status is LiveStatus.PAGING
                and m.current is not None
                and m.current.person.id == ref
            ]
            holding = [m for m in members if any(p.id == ref for p in m.candidates)]
            chosen = best(paged_now) or best(holding)
            if chosen is not None:
                return chosen, plan.person(ref)
        known = sorted({m.ref for m in members})
        hint = difflib.get_close_matches(ref, known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise EngineError(f"'{ref}' is not a contact or a person paged in this drill{suggestion}")
