"""One row per contact: who was paged, through which masked address, and what came of it.

Every status is the fold's (`ContactState.status`): `acknowledged` always means in time;
an acknowledgement recorded after the contact's paging ended is `late`, with its time and
the reason paging was given up; a contact still open when the drill was aborted or ended
is `aborted` (not reached), never `cancelled` (not needed). Contacts of levels that never
started are listed from the plan, with the status the fold gives them.
"""

from __future__ import annotations

import functools

from drill.engine.events import CancelReason, DrillAborted
from drill.engine.state import ContactState, ContactStatus, PageRecord
from drill.plan.audience import scenario_reach
from drill.plan.contact import mask_number
from drill.report.source import Source
from drill.report.types import Attempt, ContactRow, PassedOver

__all__ = ["contact_rows", "mask_address", "row_status"]

_STATUS = {
    ContactStatus.ACKNOWLEDGED: "acknowledged",
    ContactStatus.LATE: "late",
    ContactStatus.UNREACHED: "unreached",
    ContactStatus.CANCELLED: "cancelled",
    ContactStatus.ABORTED: "aborted",
    ContactStatus.WAITING: "not_paged",
}
"""The report's name for each of the fold's statuses; every other one is "paging"."""


def row_status(status: ContactStatus) -> str:
    return _STATUS.get(status, "paging")


@functools.lru_cache(maxsize=65536)
def mask_address(address: str) -> str:
    """A phone number or e-mail address, partly hidden for reports that circulate.

    Numbers come from the journal masked already (`drill.engine.roster.kept_address`);
    those are kept as they are."""
    if "*" in address:
        return address
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_number(address)


def contact_rows(source: Source) -> tuple[ContactRow, ...]:
    """Every contact of the scenario's trees: those the fold saw, then (from the plan)
    members of levels that never started."""
    state = source.state
    rows = [_row(source, contact) for contact in state.contacts.values()]
    plan = source.plan
    scenario = source.scenario
    if plan is not None and scenario is not None:
        known = set(state.contacts)
        paged = {reach.tree.id: reach for reach in scenario_reach(plan, scenario)}
        for tree in source.started.trees:
            if tree not in paged:
                continue
            # Who the scenario pages (its notices), not everyone of the tree.
            for stage in paged[tree].stages:
                level = stage.level
                for member in level.members:
                    key = (tree, level.id, member.ref)
                    if key in known:
                        continue
                    known.add(key)
                    site = plan.site_of(member)
                    rows.append(_unstarted(source, key, site))
    return tuple(rows)


def _unstarted(source: Source, key: tuple[str, str, str], site: str | None) -> ContactRow:
    tree, level, member = key
    status = source.state.status_of(key)
    given_up = None
    if status is ContactStatus.ABORTED:
        aborted = isinstance(source.state.ended, DrillAborted)
        given_up = CancelReason.DRILL_ABORTED if aborted else CancelReason.DRILL_FINISHED
    return ContactRow(
        tree=tree,
        level=level,
        level_name=source.level_name(tree, level),
        member=member,
        name=source.role_name(member),
        site=site,
        site_name=source.site_name(site) if site is not None else None,
        status=row_status(status),
        acknowledged_by=None,
        acknowledged_person=None,
        candidate_index=None,
        ack_channel=None,
        ack_source=None,
        entered_by=None,
        acknowledged_at=None,
        ack_seconds=None,
        time_to_ack_seconds=None,
        after_deadline=False,
        failures=(),
        given_up_reason=given_up.value if given_up is not None else None,
        unreached_reason=None,
        attempts=(),
        ack_seq=None,
    )


def _row(source: Source, c: ContactState) -> ContactRow:
    status = row_status(c.status)
    answered = status in ("acknowledged", "late")
    ack = c.ack if answered else None  # what an acknowledgement says, when it counts here
    failures: list[str] = []
    for page in c.attempts:
        reason = page.reason
        if reason is not None and page.outcome != "acknowledged" and reason not in failures:
            failures.append(reason)
    site = c.site
    return ContactRow(
        tree=c.tree,
        level=c.level,
        level_name=source.level_name(c.tree, c.level),
        member=c.member,
        name=source.role_name(c.member),
        site=site,
        site_name=source.site_name(site) if site is not None else None,
        status=status,
        acknowledged_by=ack.person_name if ack is not None else None,
        acknowledged_person=ack.person_id if ack is not None else None,
        candidate_index=c.acknowledged_candidate if answered else None,
        ack_channel=ack.channel.value if ack is not None and ack.channel else None,
        ack_source=ack.source if ack is not None else None,
        entered_by=ack.entered_by if ack is not None else None,
        acknowledged_at=(
            source.local(c.acknowledged_at) if c.acknowledged_at is not None and answered else None
        ),
        ack_seconds=_ms(c.acknowledged_elapsed) if answered else None,
        time_to_ack_seconds=_ms(c.response_seconds) if answered else None,
        after_deadline=c.after_deadline and status == "acknowledged",
        failures=tuple(failures),
        given_up_reason=c.given_up if status != "acknowledged" else None,
        unreached_reason=c.unreached_reason if status == "unreached" else None,
        attempts=tuple([_attempt(source, page) for page in c.attempts]),
        ack_seq=c.ack_seq if answered else None,
        passed_over=tuple(
            [
                PassedOver(source.person_name(e.from_person), e.absence or "", seq)
                for seq, e in c.passed_over
            ]
        ),
    )


def _attempt(source: Source, page: PageRecord) -> Attempt:
    q = page.queued
    return Attempt(
        page_id=q.page_id,
        person_id=q.person_id,
        person_name=q.person_name,
        candidate_index=q.candidate_index,
        channel=q.channel.value,
        address=mask_address(q.address),
        attempt=q.attempt,
        queued_seconds=round(q.elapsed, 3),
        queued_at=source.local(q.at),
        outcome=page.outcome,
        reason=page.reason,
        delivery=page.delivery,
        ended_seconds=_ms(page.ended_elapsed),
    )


def _ms(seconds: float | None) -> float | None:
    """Seconds to the millisecond, as every format of the report gives them (the JSON
    file's contacts are written as they are: `drill.report.json_report.json_parts`)."""
    return None if seconds is None else round(seconds, 3)
