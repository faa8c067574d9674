"""Reminders to a drill's coordinator: who gets one, what it says, and how it is sent.

Only the roles or people named in the plan's `calendar.yaml` (`reminders.to`) or with
`schedule add --remind` are reminded, never the drill's participants: drills may be
unannounced. A role is reminded through its holder (its first deputy when vacant).

A reminder is a `Page` in drill mode, sent through the same `Notifier`s as a drill, so
the channel layer puts the drill marker (【訓練】 / [DRILL]) on it like on every drill
message. `LoggedNotifier` is the simulated channel for reminders: it "delivers" a
reminder as a structured log line (address masked).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence

from drill.channels.marker import mark_email_subject, mark_sms, mark_voice
from drill.engine.notifier import (
    AckOutcome,
    DeliveryStatus,
    FailureReason,
    Inbox,
    Notifier,
    Page,
    RenderedMessage,
    SendResult,
)
from drill.plan import Person, Plan
from drill.plan.contact import mask_number
from drill.plan.models import ChannelKind

__all__ = [
    "IgnoringInbox",
    "LoggedNotifier",
    "ReminderDelivery",
    "coordinators",
    "reminder_message",
    "send_reminder",
]

log = logging.getLogger(__name__)


def coordinators(plan: Plan, refs: Sequence[str]) -> list[tuple[Person, str | None]]:
    """(person, role name) to remind for each ref, each person once."""
    out: list[tuple[Person, str | None]] = []
    seen: set[str] = set()
    for ref in refs:
        candidates = plan.candidates(ref)
        if not candidates:
            log.warning("reminder recipient %s has nobody to reach (vacant role?)", ref)
            continue
        person = candidates[0]
        role = plan.role(ref).name.get(person.language) if plan.is_role(ref) else None
        if person.id not in seen:
            seen.add(person.id)
            out.append((person, role))
    return out


def _when(moment: dt.datetime, language: str) -> str:
    if language == "en":
        return f"{moment:%A %d %B %Y, %H:%M} ({moment:%Z})"
    weekday = "月火水木金土日"[moment.weekday()]
    return f"{moment.year}年{moment.month}月{moment.day}日({weekday}) {moment:%H:%M}（{moment:%Z}）"


def reminder_message(
    *,
    person: Person,
    scenario_title: str,
    run_at: dt.datetime,
    schedule_id: str,
    moved_from: dt.datetime | None = None,
) -> RenderedMessage:
    """The reminder text in the person's language, without the marker (the channel adds it)."""
    when = _when(run_at, person.language)
    if person.language == "en":
        moved = f" (moved from {_when(moved_from, 'en')}: a closed day)" if moved_from else ""
        line = f"The drill '{scenario_title}' is scheduled for {when}{moved}."
        body = (
            f"{person.name},\n\n{line}\n"
            "Participants are not told in advance; this reminder goes to the drill's "
            f"coordinator only.\nSchedule: {schedule_id}\n"
        )
        return RenderedMessage(
            voice=line,
            sms=f"Drill reminder: {scenario_title}, {when}.",
            email_subject=f"Drill reminder: {scenario_title} on {run_at:%Y-%m-%d %H:%M}",
            email_body=body,
        )
    moved = f"（閉庁日のため {_when(moved_from, 'ja')} から変更）" if moved_from else ""
    line = f"「{scenario_title}」の訓練を {when} に実施する予定です{moved}。"
    body = (
        f"{person.name} 様\n\n{line}\n"
        "参加者には事前に知らせない訓練です。この連絡は訓練の担当者にのみ送っています。\n"
        f"予定ID: {schedule_id}\n"
    )
    return RenderedMessage(
        voice=line,
        sms=f"訓練予定: {scenario_title} {when}",
        email_subject=f"訓練予定のお知らせ: {scenario_title}（{run_at:%Y-%m-%d %H:%M}）",
        email_body=body,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class ReminderDelivery:
    """How a reminder to one person went."""

    person_id: str
    channel: ChannelKind | None
    accepted: bool
    detail: str | None = None


async def send_reminder(
    *,
    notifiers: Sequence[Notifier],
    person: Person,
    role_name: str | None,
    message: RenderedMessage,
    drill_id: str,
    page_key: str,
    channels: Sequence[ChannelKind],
) -> ReminderDelivery:
    """Try the person's contact points on `channels`, in order, until one is accepted."""
    by_kind: dict[ChannelKind, Notifier] = {}
    for notifier in notifiers:
        for kind in notifier.kinds:
            by_kind.setdefault(kind, notifier)
    problems: list[str] = []
    for kind in channels:
        found = by_kind.get(kind)
        if found is None:
            continue
        for n, point in enumerate(person.points(kind), start=1):
            page = Page(
                page_id=f"{page_key}/{kind.value}/{n}",
                drill_id=drill_id,
                mode="drill",  # a reminder is about a drill: always marked
                person_id=person.id,
                person_name=person.name,
                language=person.language,
                role_name=role_name,
                channel=kind,
                address=point.address,
                attempt=1,
                message=message,
            )
            result = await found.send(page)
            if result.accepted:
                return ReminderDelivery(person.id, kind, True, result.provider_id)
            problems.append(f"{kind.value}: {result.failure} {result.detail or ''}".strip())
    detail = "; ".join(problems) or "no contact point on the reminder channels"
    return ReminderDelivery(person.id, None, False, detail)


class IgnoringInbox:
    """The inbox reminders are sent with: a reminder asks for no acknowledgement."""

    async def acknowledge(
        self,
        page_id: str,
        *,
        source: str,
        key: str | None = None,
        received_at: dt.datetime | None = None,
        entered_by: str | None = None,
        choice: str | None = None,
    ) -> AckOutcome:
        return AckOutcome.UNKNOWN_PAGE

    async def delivery_failed(
        self,
        page_id: str,
        reason: FailureReason,
        *,
        detail: str | None = None,
        key: str | None = None,
    ) -> None:
        log.info("reminder %s failed later: %s", page_id, reason)

    async def delivery_status(
        self, page_id: str, status: DeliveryStatus, *, key: str | None = None
    ) -> None:
        return None


class LoggedNotifier:
    """Simulated delivery of reminders: a structured log line with the marked text."""

    kinds: frozenset[ChannelKind] = frozenset(ChannelKind)

    def __init__(self) -> None:
        self.sent: list[Page] = []

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, page: Page) -> SendResult:
        self.sent.append(page)
        if page.channel is ChannelKind.EMAIL:
            text = mark_email_subject(page)
            local, _, domain = page.address.partition("@")
            address = f"{local[:1]}***@{domain}"
        else:
            text = mark_voice(page) if page.channel is ChannelKind.VOICE else mark_sms(page)
            address = mask_number(page.address)
        log.info(
            "reminder delivered (simulated)",
            extra={
                "fields": {
                    "page_id": page.page_id,
                    "channel": page.channel.value,
                    "to": address,
                    "text": text,
                }
            },
        )
        return SendResult.ok(f"logged-{page.page_id}")

    async def close(self) -> None:
        return None
