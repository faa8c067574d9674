"""Status updates (第N報): the duty officer's numbered situation updates, sent and acknowledged.

- `DrillRunner.issue_update` records `UpdateIssued` (the engine gives the number, the
  n-th update of the drill) with the people it goes to, then sends each of them one copy
  (`UpdateQueued` before the channel is called, `UpdateSent` with its answer), one
  after another.
- Who gets it (`audience`): `reached` (the default: everyone who acknowledged so far),
  `tree:<tree>`, `level:<tree>/<level>` (each member's person: who acknowledged, else
  who is or was paged, else the holder), or `agency` (every outside agency the scenario
  pages). A person is sent one copy, on the channel and address they acknowledged on,
  else on their first contact method a channel is configured for.
- A copy is a page of the drill for the channels: its id is numbered with the level's
  pages (`<drill_id>-p<n>`), so its SMS or e-mail link, keypress or reply comes back to
  the engine the way a page's does (`Inputs.acknowledge_page`) and is recorded as
  `UpdateAcknowledged`, which counts for that update only: never for a contact, a level
  or a tree. It has no timeout and no ladder: nobody is paged again for an update.
- The text is the scenario's template (`Scenario.updates`) for the recipient's audience
  (staff, or an outside agency) and the update's kind (first, followup, final), or
  drillkit's own (`drill.plan.updates`); the channels add the drill marker.
- Idempotent by key; after a final update none can follow. On resume the copies are
  rebuilt from the events; a copy queued without a recorded answer is never sent again,
  and the people of an update not yet queued when the drill stopped are sent theirs.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from typing import TYPE_CHECKING

from drill.engine.events import (
    DrillMode,
    UpdateAcknowledged,
    UpdateIssued,
    UpdateQueued,
    UpdateSent,
)
from drill.engine.messages import callback_text, clock_time
from drill.engine.notifier import (
    AckOutcome,
    FailureReason,
    Page,
    RecoverableNotifier,
    RenderedMessage,
    SendResult,
    send_page,
)
from drill.engine.roster import LiveMember, kept_address
from drill.errors import EngineError
from drill.plan.models import (
    Audience,
    ChannelKind,
    ContactPoint,
    Person,
    Plan,
    Scenario,
    UpdateKind,
)
from drill.plan.templates import render_template
from drill.plan.updates import update_texts

if TYPE_CHECKING:
    from drill.engine.inputs import Entry
    from drill.engine.runner import DrillRunner

__all__ = ["LiveUpdatePage", "Updates", "audience_of", "render_update"]

log = logging.getLogger("drill.engine.runner")

MAX_TEXT = 2000
"""Most characters of an update's text: an SMS of it is already many segments."""


def audience_of(*, tree: str | None = None, level: str | None = None, agency: bool = False) -> str:
    """The `audience` of `issue_update` for a choice of tree, level (of that tree) or
    agencies; `reached` when nothing is chosen."""
    if agency:
        return "agency"
    if level is not None:
        if tree is None:
            raise EngineError("name the tree of the level (tree and level)")
        return f"level:{tree}/{level}"
    if tree is not None:
        return f"tree:{tree}"
    return "reached"


class LiveUpdatePage:
    """One person's copy of one update, from its `UpdateQueued` on."""

    __slots__ = (
        "address",
        "audience",
        "channel",
        "n",
        "number",
        "page_id",
        "person",
        "queued_elapsed",
        "sent",
    )

    def __init__(self, n: int, e: UpdateQueued, person: Person, address: str) -> None:
        self.n = n
        self.page_id = e.page_id
        self.number = e.number
        self.person = person
        self.channel = e.channel
        self.address = address
        self.audience = Audience(e.audience)
        self.queued_elapsed = e.elapsed
        self.sent: bool | None = None


class Updates:
    """The status updates of a drill and their copies; one per runner."""

    def __init__(self, drill: DrillRunner) -> None:
        self._drill = drill
        self.issued: dict[int, UpdateIssued] = {}
        self.pages: dict[str, LiveUpdatePage] = {}
        self._queued: dict[int, dict[str, LiveUpdatePage]] = {}
        """By update number, by person id."""
        self._audiences: dict[tuple[int, str], Audience] = {}
        """Which text each person of an update gets (staff or agency), as chosen when it
        was issued; rebuilt from the plan after a resume (`_audience_of`)."""

    # == applying events ===============================================================

    def on_issued(self, e: UpdateIssued) -> None:
        self.issued[e.number] = e
        self._queued.setdefault(e.number, {})

    def on_queued(self, e: UpdateQueued) -> None:
        drill = self._drill
        person = drill.plan.person(e.person_id)
        n = int(e.page_id.rsplit("-p", 1)[1])
        drill._paging.claim(n)  # the next page of a level takes the number after it
        address = e.address
        if e.point is not None and 0 <= e.point < len(person.channels):
            point = person.channels[e.point]
            if kept_address(point.kind, point.address) == e.address:
                address = point.address
        page = LiveUpdatePage(n, e, person, address)
        self.pages[e.page_id] = page
        self._queued.setdefault(e.number, {})[e.person_id] = page

    def on_sent(self, e: UpdateSent) -> None:
        page = self.pages.get(e.page_id)
        if page is not None:
            page.sent = e.accepted

    # == the operator's update =========================================================

    @property
    def final_issued(self) -> bool:
        return any(e.kind is UpdateKind.FINAL for e in self.issued.values())

    async def issue(
        self,
        text: str,
        kind: UpdateKind | str | None,
        audience: str,
        by: str,
        key: str | None,
        origin: str | None,
    ) -> int | None:
        """Record the update and send it; its number, or None when `key` was seen."""
        drill = self._drill
        if drill.over:
            raise EngineError(f"drill '{drill.drill_id}' has already ended")
        if key is not None and key in drill._seen_keys:
            return None
        text = text.strip()
        if not text:
            raise EngineError("the update has no text; write what has happened since")
        if len(text) > MAX_TEXT:
            raise EngineError(
                f"the update has {len(text):,} characters; at most {MAX_TEXT:,}: shorten it"
            )
        number = len(self.issued) + 1
        if self.final_issued:
            raise EngineError("the final update (最終報) was issued; no update can follow it")
        chosen = self._kind(kind, number)
        recipients = self._recipients(audience)
        if not recipients:
            raise EngineError(
                f"nobody to send the update to ({audience}): nobody has acknowledged yet; "
                "choose a tree, a level or the agencies"
            )
        issued = UpdateIssued(
            **drill._stamp(),
            number=number,
            kind=chosen,
            text=text,
            by=by,
            audience=audience,
            recipients=tuple(person.id for person, _ in recipients),
            origin=origin,
        )
        for person, member_audience in recipients:
            self._audiences[(number, person.id)] = member_audience
        if not await drill._emit(issued, key):
            return None
        await self.send_all(number)
        return number

    @staticmethod
    def _kind(kind: UpdateKind | str | None, number: int) -> UpdateKind:
        if kind is None or kind == "":
            return UpdateKind.FIRST if number == 1 else UpdateKind.FOLLOWUP
        try:
            chosen = UpdateKind(kind)
        except ValueError:
            raise EngineError(
                f"unknown kind of update {kind!r}; use first, followup or final"
            ) from None
        if chosen is UpdateKind.FIRST and number != 1:
            raise EngineError(f"the first update was issued already; this one is number {number}")
        return chosen

    # == who gets it ===================================================================

    def _recipients(self, audience: str) -> list[tuple[Person, Audience]]:
        """(person, which text they get), in the order they are sent it."""
        drill = self._drill
        members = drill._levels.members
        found: list[tuple[Person, Audience]] = []
        seen: set[str] = set()

        def add(person: Person, member: LiveMember) -> None:
            if person.id not in seen and person.channels:
                seen.add(person.id)
                found.append((person, member.audience))

        if audience == "reached":
            acked = [
                c
                for c in drill.state.contacts.values()
                if c.ack is not None and c.acknowledged_by is not None
            ]
            acked.sort(key=lambda c: c.acknowledged_elapsed or 0.0)
            for contact in acked:
                member = members.get((contact.tree, contact.level, contact.member))
                if member is None:
                    continue
                assert contact.acknowledged_by is not None
                add(drill.plan.person(contact.acknowledged_by), member)
            return found
        for member in self._members_of(audience):
            person = self._person_of(member)
            if person is not None:
                add(person, member)
        return found

    def _members_of(self, audience: str) -> list[LiveMember]:
        drill = self._drill
        members = list(drill._levels.members.values())
        if audience == "agency":
            return [m for m in members if m.audience is Audience.AGENCY]
        kind, _, rest = audience.partition(":")
        trees = [t.tree.id for t in drill._levels.trees]
        if kind == "tree":
            _known(rest, trees, "tree")
            return [m for m in members if m.level.tree.tree.id == rest]
        if kind == "level":
            tree, _, level = rest.partition("/")
            _known(tree, trees, "tree")
            levels = [lv.level.id for lv in drill._levels.tree(tree).levels]
            _known(level, levels, f"level of tree '{tree}'")
            return [
                m for m in members if m.level.tree.tree.id == tree and m.level.level.id == level
            ]
        raise EngineError(
            f"unknown audience {audience!r}; use reached, tree:<tree>, level:<tree>/<level> "
            "or agency"
        )

    def _person_of(self, member: LiveMember) -> Person | None:
        """Who stands for a member: who acknowledged, else who is or was paged, else the
        first candidate (the holder, or the deputy of a vacant role)."""
        drill = self._drill
        contact = drill.state.contacts.get(
            (member.level.tree.tree.id, member.level.level.id, member.ref)
        )
        for person_id in (
            contact.acknowledged_by if contact is not None else None,
            contact.person_id if contact is not None else None,
        ):
            if person_id is not None:
                return drill.plan.person(person_id)
        return member.candidates[0] if member.candidates else None

    def _point_for(self, person: Person) -> tuple[ChannelKind, str, int | None]:
        """Where a person is sent an update: the channel and address of the page they
        acknowledged on (their first such acknowledgement), else their first contact
        method a channel is configured for (else their first one: its send then fails
        for want of a channel)."""
        drill = self._drill
        acked = sorted(
            (
                c
                for c in drill.state.contacts.values()
                if c.acknowledged_by == person.id and c.ack is not None and c.ack.page_id
            ),
            key=lambda c: c.acknowledged_elapsed or 0.0,
        )
        for contact in acked:
            assert contact.ack is not None and contact.ack.page_id is not None
            page = drill._paging.pages.get(contact.ack.page_id)
            record = drill.state.page_records.get(contact.ack.page_id)
            if page is not None and page.channel in drill._notifiers:
                point = record.queued.point if record is not None else None
                return page.channel, page.address, point
        notifiers = drill._notifiers
        usable: ContactPoint = next(
            (p for p in person.channels if p.kind in notifiers), person.channels[0]
        )
        return usable.kind, usable.address, person.channels.index(usable)

    # == sending ========================================================================

    async def send_all(self, number: int) -> None:
        """Send the update to each of its people not queued yet (never one twice)."""
        drill = self._drill
        issued = self.issued[number]
        queued = self._queued.setdefault(number, {})
        for person_id in issued.recipients:
            if person_id in queued or drill.over:
                continue
            await self._send(number, drill.plan.person(person_id))

    async def _send(self, number: int, person: Person) -> None:
        drill = self._drill
        channel, address, index = self._point_for(person)
        member_audience = self._audiences.get((number, person.id)) or self._audience_of(person)
        n = drill._paging.next_number()
        queued = UpdateQueued(
            **drill._stamp(),
            page_id=f"{drill.drill_id}-p{n}",
            number=number,
            person_id=person.id,
            person_name=person.name,
            channel=channel,
            address=kept_address(channel, address),
            point=index,
            audience=member_audience.value,
        )
        await drill._emit(queued)
        page = self.pages[queued.page_id]
        notifier = drill._notifiers.get(channel)
        if notifier is None:
            result = SendResult.failed(FailureReason.CONFIG, f"no {channel.value} channel")
        else:
            result = await send_page(notifier, self.page_for(page), log)
        await self.record_send(page, result)

    def _audience_of(self, person: Person) -> Audience:
        """Which text a person gets when the update's own record does not say (resume):
        agency when any member they stand for is an outside agency."""
        for member in self._drill._levels.members.values():
            if member.audience is Audience.AGENCY and any(
                c.id == person.id for c in member.candidates
            ):
                return Audience.AGENCY
        return Audience.STAFF

    async def record_send(self, page: LiveUpdatePage, result: SendResult) -> None:
        drill = self._drill
        failure = None if result.accepted else (result.failure or FailureReason.PROVIDER_ERROR)
        await drill._emit(
            UpdateSent(
                **drill._stamp(),
                page_id=page.page_id,
                number=page.number,
                accepted=result.accepted,
                provider_id=result.provider_id,
                failure=failure,
                detail=result.detail,
            )
        )

    def page_for(self, page: LiveUpdatePage) -> Page:
        """The copy a notifier sends: the update's text for this person, in their language."""
        drill = self._drill
        person = page.person
        issued = self.issued[page.number]
        message = self.render(issued, person, page.audience)
        return Page(
            page_id=page.page_id,
            drill_id=drill.drill_id,
            mode="incident" if drill.mode is DrillMode.INCIDENT else "drill",
            person_id=person.id,
            person_name=person.name,
            language=person.language,
            role_name=None,
            channel=page.channel,
            address=page.address,
            attempt=1,
            message=message,
            update=page.number,
        )

    def render(self, issued: UpdateIssued, person: Person, audience: Audience) -> RenderedMessage:
        """The update's text for `person` (without the drill marker: the channel adds it)."""
        drill = self._drill
        started = drill._started.at if drill._started is not None else issued.at
        return render_update(
            drill.plan,
            drill.scenario,
            started=started,
            number=issued.number,
            kind=issued.kind,
            text=issued.text,
            at=issued.at,
            person=person,
            audience=audience,
        )

    # == acknowledgements ===============================================================

    def ack_entry(
        self,
        page: LiveUpdatePage,
        source: str,
        key: str | None,
        received_at: dt.datetime | None,
    ) -> Entry:
        from drill.engine.inputs import Entry

        drill = self._drill
        stamp = drill._stamp()
        if received_at is not None and received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=dt.UTC)
        received = (received_at or stamp["at"]).astimezone(dt.UTC)
        update = drill.state.update(page.number)
        first = update is None or page.person.id not in update.acknowledged_by
        event = UpdateAcknowledged(
            **stamp,
            page_id=page.page_id,
            number=page.number,
            person_id=page.person.id,
            person_name=page.person.name,
            channel=page.channel,
            source=source,
            received_at=received,
            first=first,
        )

        async def then(applied: bool) -> AckOutcome:
            if not applied:
                return AckOutcome.DUPLICATE
            return AckOutcome.ACCEPTED if first else AckOutcome.ALREADY_ACKNOWLEDGED

        return Entry(event, key, then, reads=page, writes=page if first else None)

    # == resume =========================================================================

    def in_flight(self) -> list[LiveUpdatePage]:
        """Copies queued whose send has no recorded answer (never sent again)."""
        return [p for p in self.pages.values() if p.sent is None]

    async def rearm(self) -> None:
        """After a resume: offer each copy to its notifier (callbacks still to come; a
        copy in flight may be found sent), then send each update to the people it had
        not been queued for when the drill stopped."""
        drill = self._drill
        for page in sorted(self.pages.values(), key=lambda p: p.n):
            if page.sent is False:
                continue
            notifier = drill._notifiers.get(page.channel)
            if isinstance(notifier, RecoverableNotifier):
                result = await notifier.recover(self.page_for(page))
                if page.sent is None and result is not None:
                    await self.record_send(page, result)
        for number in sorted(self.issued):
            await self.send_all(number)


def render_update(
    plan: Plan,
    scenario: Scenario,
    *,
    started: dt.datetime,
    number: int,
    kind: UpdateKind,
    text: str,
    at: dt.datetime,
    person: Person,
    audience: Audience,
) -> RenderedMessage:
    """An update's text for one person, from the scenario's templates or drillkit's own
    (without the drill marker: the channel adds it). The console's preview uses it too."""
    language = person.language
    zone = plan.info.zone
    values = {
        "number": str(number),
        "text": text,
        "time": clock_time(at, zone),
        "person": person.name,
        "scenario": scenario.title.get(language),
        "organisation": plan.info.organisation.get(language),
        "started": clock_time(started, zone),
        "callback": callback_text(plan, scenario, "en" if language == "en" else "ja"),
    }
    message = update_texts(scenario, audience, kind).get(language)
    subject = render_template(message.subject, values).strip()
    body = render_template(message.body, values)
    return RenderedMessage(
        voice=f"{subject}\n{body}", sms=f"{subject}\n{body}", email_subject=subject, email_body=body
    )


def _known(value: str, known: list[str], what: str) -> None:
    if value in known:
        return
    hint = difflib.get_close_matches(value, known, n=1)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else f" (known: {', '.join(known)})"
    raise EngineError(f"'{value}' is not a {what} of this scenario{suggestion}")
