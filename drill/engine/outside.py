"""Pages outside the ladder (今すぐ呼出), and people marked away from the console.

The duty officer in a real outage acts on the drill, not only watches it:

- **Page someone now**: a person of the plan, or every holder of a role, once on each
  kind of contact method they have that the drill has a channel for; a person not in
  the plan (ad hoc, 臨時: a name and a number and/or an address, checked with
  phonenumbers / email-validator); or every contact not answered yet, once more (not a
  loop). Each order is an `OperatorPaged` event (who, from which console, what was
  asked, every page it asks for), idempotent by its key; each page an
  `OutsidePageQueued`, sent through the drill's channels with the drill marker, and
  answered through the same acknowledgement path as any page.
- **What an answer counts for**: a page outside the tree is outside the tree: its
  answer (`OutsideAcknowledged`) is shown with its time and counted by no level, tree,
  site or target. A tree contact paged again (unanswered) is that contact's own page:
  its answer is an `Acknowledged` of the contact, counted as any other (late if the
  contact had been given up).
- **Resume**: the orders and pages are rebuilt from the events; a page queued is never
  sent again (its notifier may `recover` it); a page an order asked for and not yet
  queued when the process died is sent then, once.
- **Ad hoc numbers** never enter the journal (it is copied into reports and backups):
  events keep them masked, and the full contact methods are kept beside the journal by
  the sink (`AdHocBook`: the event store's `ad_hoc_points` table), before the order is
  recorded, so that a resumed engine can still reach the person.
- **Marked away** (`PersonMarkedUnavailable`): from then until `until`, the ladder
  passes the person over exactly as a plan `unavailable` period does (`absence`), until
  the mark is taken back (`PersonMarkedAvailable`, 復帰).
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from drill.engine.events import (
    Acknowledged,
    DeliveryFailed,
    DrillMode,
    OperatorPaged,
    OutsideAcknowledged,
    OutsidePageQueued,
    PageSent,
    PersonMarkedAvailable,
    PersonMarkedUnavailable,
)
from drill.engine.inputs import Entry
from drill.engine.notifier import (
    AckOutcome,
    FailureReason,
    Page,
    SendResult,
    reaches_real_people,
    send_page,
)
from drill.engine.roster import LiveStatus, kept_address
from drill.errors import EngineError
from drill.plan.contact import is_mobile, normalise_address, normalise_number
from drill.plan.models import ChannelKind, Person

if TYPE_CHECKING:
    from drill.engine.roster import LiveMember
    from drill.engine.runner import DrillRunner

__all__ = ["ASKED", "AdHocBook", "Outside", "OutsidePage", "ad_hoc_points"]

log = logging.getLogger("drill.engine.runner")

ASKED = ("person", "role", "ad_hoc", "unanswered")
"""What an operator may ask to have paged now."""
ANSWER_MINUTES = 15.0
"""The answer time a page outside the ladder states (`{{ deadline }}` in a message); no
timer runs on it: such a page waits for its answer until the drill ends."""
_KINDS = (ChannelKind.VOICE, ChannelKind.SMS, ChannelKind.EMAIL)

Point = tuple[str, str]
"""A contact method as (kind, full address): `("voice", "+81901234...")`."""


@runtime_checkable
class AdHocBook(Protocol):
    """Where a sink keeps ad hoc people's full contact methods, beside the journal."""

    async def keep_ad_hoc(
        self, drill_id: str, ref: str, name: str, points: Sequence[Point]
    ) -> None: ...

    async def ad_hoc_people(self, drill_id: str) -> dict[str, tuple[str, tuple[Point, ...]]]: ...


def ad_hoc_points(
    phone: str | None, email: str | None, *, allow_fictional: bool
) -> tuple[Point, ...]:
    """The contact methods of an ad hoc person: a number (voice, and SMS for a mobile)
    and/or an address; EngineError says what is wrong, the number masked."""
    points: list[Point] = []
    if phone is not None and phone.strip():
        try:
            number = normalise_number(phone, allow_fictional=allow_fictional)
        except ValueError as exc:
            raise EngineError(f"the number is not valid: {exc}") from None
        points.append((ChannelKind.VOICE.value, number))
        if is_mobile(number):
            points.append((ChannelKind.SMS.value, number))
    if email is not None and email.strip():
        try:
            points.append((ChannelKind.EMAIL.value, normalise_address(email)))
        except ValueError as exc:
            raise EngineError(f"the e-mail address is not valid: {exc}") from None
    if not points:
        raise EngineError("give the person's phone number or e-mail address (or both)")
    return tuple(points)


class OutsidePage:
    """One page outside the ladder, from its `OutsidePageQueued` on."""

    __slots__ = (
        "acked",
        "ad_hoc",
        "address",
        "channel",
        "contact",
        "language",
        "n",
        "name",
        "outcome",
        "page_id",
        "queued_elapsed",
        "ref",
        "request",
        "role_id",
        "sent",
    )

    def __init__(self, n: int, e: OutsidePageQueued, address: str, language: str) -> None:
        self.n = n
        self.page_id = e.page_id
        self.request = e.request
        self.ref = e.person_id
        self.name = e.person_name
        self.ad_hoc = e.ad_hoc
        self.channel = e.channel
        self.address = address
        self.language = language
        self.contact = e.contact
        self.role_id = e.role_id
        self.queued_elapsed = e.elapsed
        self.sent: bool | None = None
        self.outcome: str | None = None
        self.acked = False


class Outside:
    """The operator's orders and pages outside the ladder, and the people marked away."""

    def __init__(self, drill: DrillRunner) -> None:
        self._drill = drill
        self.pages: dict[str, OutsidePage] = {}
        self.orders: dict[str, OperatorPaged] = {}
        self._queued: set[tuple[str, int]] = set()
        self._answered: set[tuple[str, str]] = set()
        """(request, person) that answered."""
        self.ad_hoc: dict[str, tuple[str, tuple[Point, ...]]] = {}
        """Ad hoc people by ref: name and full contact methods (this engine's copy)."""
        self.marks: dict[str, PersonMarkedUnavailable] = {}

    # == applying events ===============================================================

    def on_ordered(self, e: OperatorPaged) -> None:
        self.orders[e.request] = e

    def on_queued(self, e: OutsidePageQueued) -> None:
        n = int(e.page_id.rsplit("-p", 1)[1])
        paging = self._drill._paging
        paging._page_count = max(paging._page_count, n)
        self._queued.add((e.request, e.index))
        self.pages[e.page_id] = OutsidePage(n, e, self._address(e), self._language(e))

    def on_sent(self, e: PageSent) -> None:
        page = self.pages[e.page_id]
        page.sent = e.accepted
        if not e.accepted and page.outcome is None:
            page.outcome = "failed"

    def on_failed(self, e: DeliveryFailed) -> None:
        page = self.pages[e.page_id]
        if page.outcome is None:
            page.outcome = "failed"

    def on_acknowledged(self, page_id: str | None, person: str) -> None:
        page = self.pages.get(page_id) if page_id is not None else None
        if page is not None:
            page.acked = True
            self._answered.add((page.request, person))

    def on_marked(self, e: PersonMarkedUnavailable) -> None:
        self.marks[e.person_id] = e

    def on_back(self, e: PersonMarkedAvailable) -> None:
        self.marks.pop(e.person_id, None)

    def _address(self, e: OutsidePageQueued) -> str:
        """The full address of a queued page: from the plan, or the ad hoc book."""
        if e.ad_hoc:
            found = self.ad_hoc.get(e.person_id)
            points = found[1] if found is not None else ()
            if 0 <= e.point < len(points):
                return points[e.point][1]
            log.warning("page %s: no contact method of %s is kept", e.page_id, e.person_id)
            return e.address  # masked: a resend fails as an invalid number
        person = self._drill.plan.person(e.person_id)
        if 0 <= e.point < len(person.channels):
            return person.channels[e.point].address
        return e.address

    def _language(self, e: OutsidePageQueued) -> str:
        if e.ad_hoc or not self._drill.plan.has("person", e.person_id):
            return "ja"
        return self._drill.plan.person(e.person_id).language

    # == who is away ===================================================================

    def absence(self, person: Person, at: dt.datetime) -> str | None:
        """Why `person` cannot be paged at `at`: a plan period, or a mark from the console."""
        plan = self._drill.plan
        away = person.absence_at(at, plan.info.zone)
        if away is not None:
            return away.reason
        mark = self.marks.get(person.id)
        if mark is not None and mark.at <= at and (mark.until is None or at < mark.until):
            return mark.reason
        return None

    async def mark_unavailable(
        self,
        person_id: str,
        reason: str,
        until: dt.datetime | None,
        by: str,
        key: str | None,
        origin: str | None,
    ) -> PersonMarkedUnavailable:
        drill = self._drill
        self._check_open()
        person = self._person(person_id)
        reason = reason.strip()
        if not reason or len(reason) > 40:
            raise EngineError("say why they are away (休暇, 出張, 異動, その他), in 40 characters")
        stamp = drill._stamp()
        if until is not None:
            if until.tzinfo is None:
                raise EngineError("give the time they are back with its time zone")
            if until <= stamp["at"]:
                raise EngineError("the time they are back has already passed")
            until = until.astimezone(dt.UTC)
        event = PersonMarkedUnavailable(
            **stamp,
            person_id=person.id,
            person_name=person.name,
            reason=reason,
            until=until,
            by=by,
            origin=origin,
        )
        await drill._operator_event(event, key)
        return event

    async def mark_available(
        self, person_id: str, by: str, key: str | None, origin: str | None
    ) -> PersonMarkedAvailable:
        drill = self._drill
        self._check_open()
        person = self._person(person_id)
        stamp = drill._stamp()
        mark = self.marks.get(person.id)
        if mark is None or (mark.until is not None and mark.until <= stamp["at"]):
            raise EngineError(f"{person.name} is not marked away from a console")
        event = PersonMarkedAvailable(
            **stamp, person_id=person.id, person_name=person.name, by=by, origin=origin
        )
        await drill._operator_event(event, key)
        return event

    # == ordering pages ================================================================

    async def order(
        self,
        asked: str,
        *,
        by: str,
        target: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        key: str | None = None,
        origin: str | None = None,
    ) -> OperatorPaged:
        """Record the order (`OperatorPaged`), then send every page it asks for."""
        drill = self._drill
        self._check_open()
        if key is not None and key in drill._seen_keys:
            done = next((o for o in self.orders.values() if o.request == key), None)
            if done is not None:
                return done
        request = f"{drill.drill_id}-o{len(self.orders) + 1}"
        points: tuple[Point, ...] = ()
        if asked == "person":
            person = self._person(target or "")
            planned = self._plan_person(person, None)
            target_name: str | None = person.name
        elif asked == "role":
            planned, target_name = self._plan_role(target or "")
        elif asked == "ad_hoc":
            name = (name or "").strip()
            if not name:
                raise EngineError("give the ad hoc person's name")
            local = not any(reaches_real_people(n) for n in drill._unique_notifiers())
            points = ad_hoc_points(phone, email, allow_fictional=local)
            target = f"adhoc:{sum(1 for o in self.orders.values() if o.asked == 'ad_hoc') + 1}"
            target_name = name
            planned = [
                (target, name, ChannelKind(kind), i, "", None)
                for i, (kind, _) in enumerate(points)
                if ChannelKind(kind) in drill._notifiers
            ]
        elif asked == "unanswered":
            planned, target, target_name = self._plan_unanswered(), None, None
        else:
            raise EngineError(f"unknown page request {asked!r}; use one of {', '.join(ASKED)}")
        if not planned:
            raise EngineError(self._nothing_to_page(asked, target_name))
        if points:
            # The full contact methods are kept beside the journal, before the order is
            # recorded: a resumed engine finds them, and the journal never holds them.
            assert target is not None and name is not None
            self.ad_hoc[target] = (name, points)
            book = drill._ad_hoc_book
            if book is not None:
                await book.keep_ad_hoc(drill.drill_id, target, name, points)
        event = OperatorPaged(
            **drill._stamp(),
            request=key if key is not None else request,
            by=by,
            asked=asked,
            target=target,
            target_name=target_name,
            people=tuple(p[0] for p in planned),
            names=tuple(p[1] for p in planned),
            channels=tuple(p[2] for p in planned),
            points=tuple(p[3] for p in planned),
            contacts=tuple(p[4] for p in planned),
            ad_hoc_points=tuple(f"{k}:{kept_address(ChannelKind(k), a)}" for k, a in points),
            origin=origin,
        )
        if drill.over:
            raise EngineError(f"drill '{drill.drill_id}' has already ended")
        if await drill._emit(event, key):  # a key already recorded pages nobody again
            await self.send_ordered(event)
        return event

    async def send_ordered(self, order: OperatorPaged) -> None:
        """Send each page `order` asks for that is not queued yet (after a resume too)."""
        for index in range(len(order.people)):
            if (order.request, index) not in self._queued and not self._drill.over:
                await self._send(order, index)

    async def load_book(self) -> None:
        """Before a resume replays the events: ad hoc people's full contact methods."""
        drill = self._drill
        book = drill._ad_hoc_book
        if book is not None:
            self.ad_hoc.update(await book.ad_hoc_people(drill.drill_id))

    async def resume(self) -> None:
        """After a resume: send the pages the orders asked for that were not queued."""
        for order in list(self.orders.values()):
            await self.send_ordered(order)

    def _check_open(self) -> None:
        drill = self._drill
        if drill.over:
            raise EngineError(f"drill '{drill.drill_id}' has already ended")
        if not drill.started:
            raise EngineError(f"drill '{drill.drill_id}' has not started")

    def _person(self, person_id: str) -> Person:
        plan = self._drill.plan
        if not plan.has("person", person_id):
            known = [p.id for p in plan.people]
            hint = difflib.get_close_matches(person_id, known, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise EngineError(f"'{person_id}' is not a person of the plan{suggestion}")
        return plan.person(person_id)

    _Planned = tuple[str, str, ChannelKind, int, str, str | None]
    """(person ref, name, channel, point, contact, role id) of one page asked for."""

    def _plan_person(
        self, person: Person, role_id: str | None, contact: str = ""
    ) -> list[_Planned]:
        """One page on the first contact method of each kind the drill has a channel for."""
        out: list[Outside._Planned] = []
        for kind in _KINDS:
            if kind not in self._drill._notifiers:
                continue
            for i, point in enumerate(person.channels):
                if point.kind is kind:
                    out.append((person.id, person.name, kind, i, contact, role_id))
                    break
        return out

    def _plan_role(self, role_id: str) -> tuple[list[_Planned], str]:
        drill = self._drill
        plan = drill.plan
        if not plan.is_role(role_id):
            hint = difflib.get_close_matches(role_id, [r.id for r in plan.roles], n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise EngineError(f"'{role_id}' is not a role of the plan{suggestion}")
        role = plan.role(role_id)
        at = drill._stamp()["at"]
        people: list[Person] = []
        for holder in role.holders(at, plan.info.zone):
            found = plan.candidates(holder, at)
            if found and all(p.id != found[0].id for p in people):
                people.append(found[0])
        if not people:
            raise EngineError(f"role '{role_id}' has no holder now; page a deputy by name")
        planned = [p for person in people for p in self._plan_person(person, role_id)]
        return planned, role.name.ja

    def _plan_unanswered(self) -> list[_Planned]:
        """Every contact being paged or given up without an answer, and everyone paged
        outside the tree who has not answered: the person paged (last) for each, once."""
        drill = self._drill
        planned: list[Outside._Planned] = []
        seen: set[tuple[str, str]] = set()
        for member in drill._levels.members.values():
            if member.status not in (LiveStatus.PAGING, LiveStatus.UNREACHED):
                continue
            person = self._last_paged(member)
            if person is None:
                continue
            level = member.level
            contact = f"{level.tree.tree.id}/{level.level.id}/{member.ref}"
            if (person.id, contact) in seen:
                continue
            seen.add((person.id, contact))
            planned.extend(self._plan_person(person, member.role_id, contact))
        for order in self.orders.values():
            for i, ref in enumerate(order.people):
                if order.contacts[i] or (order.request, ref) in self._answered:
                    continue
                if any(p.ref == ref and p.acked for p in self.pages.values()):
                    continue
                if (ref, "") in seen:
                    continue
                seen.add((ref, ""))
                if order.asked == "ad_hoc":
                    name, points = self.ad_hoc.get(ref, (order.names[i], ()))
                    planned.extend(
                        (ref, name, ChannelKind(kind), j, "", None)
                        for j, (kind, _) in enumerate(points)
                        if ChannelKind(kind) in drill._notifiers
                    )
                elif drill.plan.has("person", ref):
                    planned.extend(self._plan_person(drill.plan.person(ref), None))
        return planned

    @staticmethod
    def _last_paged(member: LiveMember) -> Person | None:
        if member.current is not None:
            return member.current.person
        if not member.candidates:
            return None
        return member.candidates[min(member.cand, len(member.candidates) - 1)]

    @staticmethod
    def _nothing_to_page(asked: str, name: str | None) -> str:
        if asked == "unanswered":
            return "nobody is waiting for an answer: there is no one to page again"
        return (
            f"{name or 'they'} cannot be reached on any channel this drill has "
            "(no contact method of a kind it sends)"
        )

    # == sending =======================================================================

    async def _send(self, order: OperatorPaged, index: int) -> None:
        drill = self._drill
        paging = drill._paging
        n = paging._page_count + 1
        ref = order.people[index]
        ad_hoc = order.asked == "ad_hoc" or ref.startswith("adhoc:")
        channel = order.channels[index]
        point = order.points[index]
        if ad_hoc:
            found = self.ad_hoc.get(ref)
            full = found[1][point][1] if found is not None and point < len(found[1]) else ""
        else:
            full = drill.plan.person(ref).channels[point].address
        contact = order.contacts[index] or None
        role_id = None
        if contact is not None:
            role_id = next(
                (m.role_id for m in drill._levels.members.values() if self._key(m) == contact),
                None,
            )
        elif order.asked == "role":
            role_id = order.target
        queued = OutsidePageQueued(
            **drill._stamp(),
            page_id=f"{drill.drill_id}-p{n}",
            request=order.request,
            index=index,
            person_id=ref,
            person_name=order.names[index],
            ad_hoc=ad_hoc,
            channel=channel,
            address=kept_address(channel, full) if full else "",
            point=point,
            contact=contact,
            role_id=role_id,
        )
        await drill._emit(queued)
        page = self.pages[queued.page_id]
        if not full:
            result = SendResult.failed(FailureReason.INVALID_NUMBER, "no contact method kept")
        else:
            result = await send_page(drill._notifiers[channel], self.page_for(page), log)
        await self.record_send(page, result)

    async def record_send(self, page: OutsidePage, result: SendResult) -> None:
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
            )
        )

    @staticmethod
    def _key(member: LiveMember) -> str:
        level = member.level
        return f"{level.tree.tree.id}/{level.level.id}/{member.ref}"

    def page_for(self, page: OutsidePage) -> Page:
        """The page a notifier sends: the scenario's message, with the drill marker."""
        drill = self._drill
        plan = drill.plan
        language = page.language
        role = plan.role(page.role_id).name.get(language) if page.role_id else ""
        renderer = drill._renderer
        assert renderer is not None
        deadline = drill.clock.now() + dt.timedelta(minutes=ANSWER_MINUTES)
        message = renderer.render(
            language=language, person=page.name, role=role, site="", deadline=deadline
        )
        return Page(
            page_id=page.page_id,
            drill_id=drill.drill_id,
            mode="incident" if drill.mode is DrillMode.INCIDENT else "drill",
            person_id=page.ref,
            person_name=page.name,
            language=language,
            role_name=role or None,
            channel=page.channel,
            address=page.address,
            attempt=1,
            message=message,
            deadline=deadline,
            role_id=page.role_id,
        )

    # == answers =======================================================================

    def ack_entry(
        self,
        page: OutsidePage,
        source: str,
        key: str | None,
        received_at: dt.datetime | None,
        entered_by: str | None,
    ) -> Entry:
        """The event an answer to `page` records: the contact's `Acknowledged` for a tree
        contact paged again, else an `OutsideAcknowledged`."""
        drill = self._drill
        if page.contact is not None:
            member = next(
                (m for m in drill._levels.members.values() if self._key(m) == page.contact),
                None,
            )
            if member is not None:
                person = drill.plan.person(page.ref)
                entry = drill._inputs._ack_entry(
                    member, person, None, source, key, received_at, entered_by, None
                )
                assert isinstance(entry.event, Acknowledged)
                entry.event = replace(
                    entry.event, page_id=page.page_id, channel=page.channel, late=False
                )
                return entry
        stamp = drill._stamp()
        received = (received_at or stamp["at"]).astimezone(dt.UTC)
        event = OutsideAcknowledged(
            **stamp,
            page_id=page.page_id,
            request=page.request,
            person_id=page.ref,
            person_name=page.name,
            ad_hoc=page.ad_hoc,
            channel=page.channel,
            source=source,
            entered_by=entered_by,
            received_at=received,
            first=(page.request, page.ref) not in self._answered,
        )

        async def then(applied: bool) -> AckOutcome:
            if not applied:
                return AckOutcome.DUPLICATE
            return AckOutcome.ACCEPTED if event.first else AckOutcome.ALREADY_ACKNOWLEDGED

        return Entry(event, key, then)
