"""`drillkit oncall`: who holds each duty role (当番) now and next, and who is away."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table

from drill.cli.console import out, print_json
from drill.cli.plan_commands import plan_argument, resolve_plan_dir
from drill.errors import DrillError
from drill.plan import Plan, load_plan
from drill.plan.duty import away_at, duty_at
from drill.words import check_lang
from drill.words.duty import DUTY
from drill.words.handover import handover_word

__all__ = ["oncall", "print_duty"]


def print_duty(plan: Plan, lang: str) -> None:
    """One line per rotating role: who is on duty now (a drill pages them first)."""
    zone = plan.info.zone
    i = 0 if lang == "ja" else 1
    for d in duty_at(plan, dt.datetime.now(zone)):
        role = d.role_ja if i == 0 else d.role_en
        until = d.until.astimezone(zone).strftime("%m/%d %H:%M")
        out.print(
            DUTY["line"][i].format(role=role, person=d.person_name, until=until), markup=False
        )


def _moment(value: str | None, zone: dt.tzinfo) -> dt.datetime:
    if value is None:
        return dt.datetime.now(zone)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise DrillError(
            f"--at '{value}' is not a date and time; write it like 2026-12-24T09:00",
            title="oncall",
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


@click.command()
@plan_argument
@click.option("--at", "at_text", metavar="DATETIME", help="Show it at this moment, not now.")
@click.option("--days", default=14, show_default=True, help="Show absences starting this soon.")
@click.option("--lang", type=click.Choice(["ja", "en"]), help="Language of the output.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def oncall(
    path: Path | None, at_text: str | None, days: int, lang: str | None, as_json: bool
) -> None:
    """Who is on duty (当番) now and next, and who is away (不在)."""
    plan = load_plan(resolve_plan_dir(path)).plan
    zone = plan.info.zone
    at = _moment(at_text, zone)
    duties = duty_at(plan, at)
    away = away_at(plan, at, dt.timedelta(days=days))
    if as_json:
        print_json(
            {
                "at": at.isoformat(),
                "duty": [
                    {
                        "role": d.role_id,
                        "person": d.person_id,
                        "until": d.until.isoformat(),
                        "next": d.next_person_id,
                        "override": d.overridden,
                        "away": d.away.reason if d.away is not None else None,
                        "holiday": d.holiday,
                        "deferred": d.deferred,
                    }
                    for d in duties
                ],
                "away": [
                    {
                        "person": a.person_id,
                        "reason": a.absence.reason,
                        "from": a.start.isoformat(),
                        "to": a.end.isoformat(),
                        "now": a.now,
                        "roles": list(a.roles),
                    }
                    for a in away
                ],
            }
        )
        return
    i = 0 if check_lang(lang or plan.info.language) == "ja" else 1

    def say(key: str, **values: object) -> str:
        return DUTY[key][i].format(**values)

    def when(value: dt.datetime) -> str:
        return value.astimezone(zone).strftime("%m/%d %H:%M")

    out.print(say("title", at=at.astimezone(zone).strftime("%Y-%m-%d %H:%M")), markup=False)
    if not duties:
        out.print(say("no_rotation"), markup=False)
    else:
        table = Table(say("role"), say("now"), say("until"), say("next"), box=None)
        for d in duties:
            holder = d.person_name + (say("override") if d.overridden else "")
            lang = ("ja", "en")[i]
            if d.holiday is not None:
                said = handover_word("holiday_duty", lang, name=d.holiday)
                holder += f"（{said}）" if i == 0 else f" ({said})"
            if d.away is not None:
                holder += (
                    f"（{say('holder_away', reason=d.away.reason)}）"
                    if i == 0
                    else (f" ({say('holder_away', reason=d.away.reason)})")
                )
            until = when(d.until)
            if d.deferred is not None:
                said = handover_word("deferred", lang, name=d.deferred)
                until += f"（{said}）" if i == 0 else f" ({said})"
            table.add_row(d.role_ja if i == 0 else d.role_en, holder, until, d.next_person_name)
        out.print(table)
    out.print()
    out.print(say("away_title", days=days), markup=False)
    if not away:
        out.print(say("nobody_away"), markup=False)
        return
    table = Table(say("person"), say("reason"), say("period"), say("roles"), box=None)
    for a in away:
        first, last = a.absence.start, a.absence.end
        if isinstance(first, dt.datetime) or isinstance(last, dt.datetime):
            period = f"{when(a.start)} – {when(a.end)}"
        else:  # whole days, both included, as the plan writes them
            period = f"{first:%m/%d} – {last:%m/%d}"
        if a.now:
            period += f"（{say('away_now')}）" if i == 0 else f" ({say('away_now')})"
        roles = (plan.role(r).name.get(("ja", "en")[i]) for r in a.roles)
        table.add_row(
            a.person_name,
            a.absence.reason,
            period,
            "、".join(roles) if i == 0 else ", ".join(roles),
        )
    out.print(table)
