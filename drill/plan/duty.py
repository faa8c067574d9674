"""Who is on duty, and who is away: the plan's rotations and absences read at a moment.

A duty role (当番) names a `rotation` instead of a holder: people in turn, by day or by
week from a start day, the turn passing at `handover` (08:30 by default), with one-off
overrides (a swap, cover for a holiday), and Japanese public holidays may skip a handover or go
to one person (`holidays`, from `drill.plan.holidays`). People can be marked away for a period
(`unavailable`: 休暇, 出張, 異動); the engine passes over them to the next candidate. This
module answers the duty officer's two questions without running anything: who holds each
rotating role now and next (`duty_at`), and who is away now or soon (`away_at`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from drill.plan.models import Absence, Plan, moment

__all__ = ["Away", "Duty", "away_at", "duty_at"]


@dataclasses.dataclass(frozen=True, slots=True)
class Duty:
    """A rotating role at a moment: who holds it, until when, and who comes next."""

    role_id: str
    role_ja: str
    role_en: str
    person_id: str
    person_name: str
    until: dt.datetime
    next_person_id: str
    next_person_name: str
    overridden: bool
    """The holder comes from a one-off override, not the turn order."""
    away: Absence | None
    """The holder is marked away then: their deputy is paged instead."""
    holiday: str | None = None
    """The public holiday (元日, 海の日 …) whose duty (休日当番) the holder holds."""
    deferred: str | None = None
    """The public holiday the next handover was moved past (the rota's `holidays: skip`)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Away:
    """A person marked away at the moment, or within the horizon after it."""

    person_id: str
    person_name: str
    absence: Absence
    start: dt.datetime
    end: dt.datetime
    now: bool
    """Away at the moment itself (else: from `start`, within the horizon)."""
    roles: tuple[str, ...]
    """Ids of the roles they hold or deputise."""


def duty_at(plan: Plan, at: dt.datetime) -> list[Duty]:
    """Every rotating role at the aware moment `at`, in the plan's order."""
    zone = plan.info.zone
    out: list[Duty] = []
    for role in plan.roles:
        rotation = role.rotation
        if rotation is None:
            continue
        turn = rotation.turn(at, zone)
        person_id, until = turn.person, turn.until
        next_id, _ = rotation.turn_at(until, zone)
        overridden = turn.overridden
        person = plan.person(person_id)
        out.append(
            Duty(
                role.id,
                role.name.ja,
                role.name.get("en"),
                person_id,
                person.name,
                until,
                next_id,
                plan.person(next_id).name,
                overridden,
                person.absence_at(at, zone),
                turn.holiday,
                turn.deferred,
            )
        )
    return out


def away_at(plan: Plan, at: dt.datetime, horizon: dt.timedelta) -> list[Away]:
    """People away at `at` or from some moment before `at + horizon`, soonest first."""
    zone = plan.info.zone
    roles_by_person: dict[str, list[str]] = {}
    for role in plan.roles:
        names = (*role.holders(None, zone), *role.deputies)
        for name in names:
            roles_by_person.setdefault(name, []).append(role.id)
    out: list[Away] = []
    for person in plan.people:
        for absence in person.unavailable:
            start = moment(absence.start, zone, end=False)
            end = moment(absence.end, zone, end=True)
            if end <= at or start >= at + horizon:
                continue
            out.append(
                Away(
                    person.id,
                    person.name,
                    absence,
                    start,
                    end,
                    start <= at,
                    tuple(roles_by_person.get(person.id, ())),
                )
            )
    out.sort(key=lambda a: (not a.now, a.start, a.person_id))
    return out
