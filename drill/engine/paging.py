"""Paging one member of a level: the candidates, the channel ladder, each page sent.

- Each member is paged holder first, then deputies (`Plan.candidates`); each person
  through the level's channel ladder (see `drill.engine.escalation`), waiting
  `ack_timeout_minutes` after each accepted page. A failed send, or busy, no answer, a
  bounce, moves to the next page at once; a contact point found invalid is not tried
  again in the drill. A person with no rung left → `Escalated` to the next candidate;
  nobody left → `MemberUnreached`.
- A page is recorded (`PageQueued`) before it is given to its notifier, and what the
  notifier answered is recorded next (`PageSent`, with the deadline of an accepted page).
- An acknowledgement the fold counts (in time, of any page of the member, from any
  source, even after escalation) stops exactly that member's paging; a late one (after
  the member's paging ended) is recorded and changes nothing here.
- A candidate marked away at the moment their turn comes (`Person.unavailable`: 休暇,
  出張, 異動) is passed over to the next one (`Escalated`, reason unavailable, with the
  plan's word for why), unless nobody is left after them.
- A level with `repeat` pages a member again from the holder `repeat_after_minutes`
  after everyone was tried without an answer (`RepeatScheduled`, then `RoundStarted`),
  up to `repeat` more rounds, before the member counts as unreached.
- `PagingCancelled` stops a member's paging when its level is satisfied or the drill
  ends.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from drill.engine.escalation import BAD_POINT_REASONS, Rung, next_rung
from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    CancelReason,
    DeliveryFailed,
    DrillMode,
    Escalated,
    EscalationReason,
    MemberUnreached,
    PageQueued,
    PageSent,
    PagingCancelled,
    RepeatScheduled,
    RoundStarted,
)
from drill.engine.notifier import FailureReason, Page, SendResult, send_page
from drill.engine.roster import LiveMember, LivePage, LiveStatus, PageOutcome, kept_address
from drill.engine.timers import REPEAT, TIMEOUT
from drill.plan.models import ChannelKind, Person

if TYPE_CHECKING:
    from drill.engine.runner import DrillRunner

__all__ = ["Paging"]

log = logging.getLogger("drill.engine.runner")  # the runner's log, as before the split


class Paging:
    """The pages of a drill and the ladder of each member; one per runner."""

    def __init__(self, drill: DrillRunner, members: dict[tuple[str, str, str], LiveMember]):
        self._drill = drill
        self._members = members
        self.pages: dict[str, LivePage] = {}
        self._page_count = 0
        self._bad_points: set[tuple[ChannelKind, str]] = set()

    # == applying events ===============================================================

    def on_page_queued(self, e: PageQueued) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        person = self._drill.plan.person(e.person_id)
        n = int(e.page_id.rsplit("-p", 1)[1])
        page = LivePage(n, e, member, person, self._drill._timers.active(e.elapsed))
        self.pages[e.page_id] = page
        self._page_count = max(self._page_count, n)
        if member.status is LiveStatus.WAITING:
            member.set(LiveStatus.PAGING)
        member.cand = e.candidate_index
        member.cursor = (page.kind_index, e.attempt)
        member.current = page

    def on_page_sent(self, e: PageSent) -> None:
        page = self.pages.get(e.page_id)
        if page is None:  # a page outside the ladder
            self._drill._outside.on_sent(e)
            return
        page.sent = e.accepted
        if e.accepted:
            self.arm_timeout(page)
        else:
            self._page_failed(page, e.failure)

    def on_delivery_failed(self, e: DeliveryFailed) -> None:
        page = self.pages.get(e.page_id)
        if page is None:  # a page outside the ladder
            self._drill._outside.on_failed(e)
            return
        self._page_failed(page, e.reason)

    def on_timed_out(self, e: AttemptTimedOut) -> None:
        page = self.pages[e.page_id]
        if page.outcome is None:
            page.outcome = PageOutcome.TIMED_OUT

    def on_acknowledged(self, e: Acknowledged) -> None:
        # Only an acknowledgement the fold counted stops paging and counts for the level;
        # a late one (after the contact's paging ended) is recorded and changes nothing.
        if e.page_id is not None and e.page_id not in self.pages:
            self._drill._outside.on_acknowledged(e.page_id, e.person_id)  # a page again
        member = self._members[(e.tree, e.level, e.member)]
        counted = self._drill.state.contacts[(e.tree, e.level, e.member)].acknowledged
        if counted and member.status is not LiveStatus.ACKED:
            member.set(LiveStatus.ACKED)

    def on_escalated(self, e: Escalated) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        if member.status is LiveStatus.WAITING:
            member.set(LiveStatus.PAGING)
        member.cand = e.candidate_index
        member.cursor = None
        member.current = None

    def on_unreached(self, e: MemberUnreached) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        if member.status is not LiveStatus.ACKED:
            member.set(LiveStatus.UNREACHED)

    def on_repeat_scheduled(self, e: RepeatScheduled) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        due = self._drill._timers.active(e.elapsed) + e.wait_seconds
        member.resting = (e.round, due)
        self._drill._timers.arm(due, REPEAT, e.round, member)

    def on_round_started(self, e: RoundStarted) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        member.round, member.resting = e.round, None
        member.cand, member.cursor, member.current = 0, None, None

    def next_number(self) -> int:
        """The n of the next page id (`<drill_id>-p<n>`), shared with status updates."""
        return self._page_count + 1

    def claim(self, n: int) -> None:
        """A status update's copy took page number `n` (see `drill.engine.updates`)."""
        self._page_count = max(self._page_count, n)

    @staticmethod
    def resting(member: LiveMember) -> bool:
        """Whether `member` still waits for its next round (its timer is live)."""
        return member.resting is not None and member.status is LiveStatus.PAGING

    async def start_round(self, member: LiveMember) -> None:
        """The wait between rounds is over: page the member again from the holder."""
        assert member.resting is not None
        level = member.level
        await self._drill._emit(
            RoundStarted(
                **self._drill._stamp(),
                tree=level.tree.tree.id,
                level=level.level.id,
                member=member.ref,
                round=member.resting[0],
            )
        )

    def on_cancelled(self, e: PagingCancelled) -> None:
        member = self._members[(e.tree, e.level, e.member)]
        if member.status is LiveStatus.PAGING:
            member.set(LiveStatus.CANCELLED)

    def _page_failed(self, page: LivePage, reason: FailureReason | None) -> None:
        if reason in BAD_POINT_REASONS:
            self._bad_points.add((page.channel, page.address))
        if page.outcome is None:
            page.outcome = PageOutcome.FAILED

    # == timeouts ======================================================================

    def arm_timeout(self, page: LivePage) -> None:
        """Time the page out `ack_timeout_minutes` of active time after it was queued."""
        self._drill._timers.arm(page.queued_active + page.timeout, TIMEOUT, page.n, page)

    @staticmethod
    def waiting(page: LivePage) -> bool:
        """Whether `page` still waits for its answer (its timeout timer is live)."""
        member = page.member
        return (
            page.outcome is None and member.current is page and member.status is LiveStatus.PAGING
        )

    # == paging ========================================================================

    async def advance(self, member: LiveMember) -> None:
        """Send the member's next page, escalating to the next candidate when needed."""
        drill = self._drill
        level = member.level
        tree_id, level_id = level.tree.tree.id, level.level.id
        while member.needs_page and not drill.over:
            candidates = member.candidates
            if not candidates:
                await drill._emit(
                    MemberUnreached(
                        **drill._stamp(),
                        tree=tree_id,
                        level=level_id,
                        member=member.ref,
                        reason=EscalationReason.NO_CANDIDATES,
                        people_tried=(),
                    )
                )
                return
            person = candidates[member.cand]
            if member.cursor is None and member.cand + 1 < len(candidates):
                # Someone marked away is not paged while another candidate is left; the
                # last one is paged all the same (better a call on leave than nobody).
                stamp = drill._stamp()
                # Away in the plan, or marked away from the console: the same rule.
                absence = drill._outside.absence(person, stamp["at"])
                if absence is not None:
                    await self._escalate(
                        member, person, EscalationReason.UNAVAILABLE, stamp, absence
                    )
                    continue
            rung = next_rung(level.level, person, member.cursor, self._bad_points)
            if rung is not None:
                await self._send(member, person, rung)
                continue  # a failed send leaves the member needing its next page
            reason = (
                EscalationReason.LADDER_EXHAUSTED
                if member.cursor is not None
                else EscalationReason.NO_CONTACT_POINT
            )
            if member.cand + 1 < len(candidates):
                await self._escalate(member, person, reason, drill._stamp())
                continue
            if reason is EscalationReason.LADDER_EXHAUSTED and member.round <= level.level.repeat:
                await drill._emit(
                    RepeatScheduled(
                        **drill._stamp(),
                        tree=tree_id,
                        level=level_id,
                        member=member.ref,
                        round=member.round + 1,
                        wait_seconds=level.level.repeat_after_minutes * 60.0,
                        people_tried=tuple(p.id for p in candidates),
                    )
                )
                return
            await drill._emit(
                MemberUnreached(
                    **drill._stamp(),
                    tree=tree_id,
                    level=level_id,
                    member=member.ref,
                    reason=reason,
                    people_tried=tuple(p.id for p in candidates),
                )
            )
            return

    async def _escalate(
        self,
        member: LiveMember,
        person: Person,
        reason: EscalationReason,
        stamp: dict[str, Any],
        absence: str | None = None,
    ) -> None:
        """Move `member`'s paging from `person` to the next candidate, saying why."""
        level = member.level
        await self._drill._emit(
            Escalated(
                **stamp,
                tree=level.tree.tree.id,
                level=level.level.id,
                member=member.ref,
                from_person=person.id,
                to_person=member.candidates[member.cand + 1].id,
                candidate_index=member.cand + 1,
                reason=reason,
                absence=absence,
            )
        )

    async def _send(self, member: LiveMember, person: Person, rung: Rung) -> None:
        drill = self._drill
        level = member.level
        n = self._page_count + 1
        stamp = drill._stamp()
        timeout = level.level.ack_timeout_minutes * 60.0
        queued = PageQueued(
            **stamp,
            page_id=f"{drill.drill_id}-p{n}",
            tree=level.tree.tree.id,
            level=level.level.id,
            member=member.ref,
            role_id=member.role_id,
            site=member.site,
            person_id=person.id,
            person_name=person.name,
            channel=rung.channel,
            address=kept_address(rung.channel, rung.point.address),
            attempt=rung.attempt,
            candidate_index=member.cand,
            timeout_seconds=timeout,
            point=person.channels.index(rung.point),
        )
        await drill._emit(queued)
        page = self.pages[queued.page_id]
        result = await send_page(drill._notifiers[page.channel], self.page_for(page), log)
        await self.record_send(page, result)

    async def record_send(self, page: LivePage, result: SendResult) -> None:
        """Record what the notifier said of `page` (on send, or recovered after a crash)."""
        drill = self._drill
        failure = None if result.accepted else (result.failure or FailureReason.PROVIDER_ERROR)
        await drill._emit(
            PageSent(
                **drill._stamp(),
                page_id=page.page_id,
                accepted=result.accepted,
                provider_id=result.provider_id,
                failure=failure,
                detail=result.detail,
                deadline=page.deadline_at if result.accepted else None,
            )
        )

    def page_for(self, page: LivePage) -> Page:
        """The page a notifier sends: who, where, and the message in their language."""
        drill = self._drill
        plan = drill.plan
        member = page.member
        person = page.person
        language = person.language
        if member.role_id is not None:
            role = plan.role(member.role_id).name.get(language)
        else:
            role = member.level.level.name.get(language)
        site = plan.site(member.site).name.get(language) if member.site else ""
        renderer = drill._renderer
        assert renderer is not None
        message = renderer.render(
            language=language,
            person=person.name,
            role=role,
            site=site,
            deadline=page.deadline_at,
            audience=member.audience,
        )
        return Page(
            page_id=page.page_id,
            drill_id=drill.drill_id,
            mode="incident" if drill.mode is DrillMode.INCIDENT else "drill",
            person_id=person.id,
            person_name=person.name,
            language=language,
            role_name=role if member.role_id is not None else None,
            channel=page.channel,
            address=page.address,
            attempt=page.attempt,
            message=message,
            deadline=page.deadline_at,
            role_id=member.role_id,
            question=drill.scenario.question,
        )

    async def cancel(self, member: LiveMember, why: CancelReason) -> None:
        """Stop the member's paging (its level is satisfied, or the drill ended)."""
        drill = self._drill
        page = member.current
        waiting = page.page_id if page is not None and page.outcome is None else None
        level = member.level
        await drill._emit(
            PagingCancelled(
                **drill._stamp(),
                tree=level.tree.tree.id,
                level=level.level.id,
                member=member.ref,
                why=why,
                page_id=waiting,
            )
        )
