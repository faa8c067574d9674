"""What the status-update dialog (第N報, board key `s`) offers: kinds, audiences, preview.

The choices come from the scenario as the engine pages it (`scenario_reach`) and the
drill's fold; the preview is the engine's own rendering (`render_update`) of the message
one recipient would get, with the drill marker the channels add in a drill.
"""

from __future__ import annotations

from drill.channels.marker import marker_for
from drill.engine.messages import clock_time
from drill.engine.state import DrillState
from drill.engine.updates import render_update
from drill.plan.audience import scenario_reach
from drill.plan.models import Audience, Person, Plan, Scenario, UpdateKind
from drill.tui.i18n import language, pick, t
from drill.words.updates import UPDATE_KIND

__all__ = ["audience_choices", "kind_choices", "preview_text", "updates_line"]


def kind_choices(state: DrillState) -> list[tuple[str, str]]:
    """(label, kind), the one the engine would choose first."""
    i = 1 if language() == "en" else 0
    kinds = ["followup", "final"] if state.updates else ["first", "final"]
    return [(UPDATE_KIND[k][i], k) for k in kinds]


def audience_choices(plan: Plan, scenario: Scenario) -> list[tuple[str, str]]:
    """(label, audience): everyone reached, each tree, each level, the outside agencies."""
    choices = [(t("update.audience:reached"), "reached")]
    agencies = False
    for reach in scenario_reach(plan, scenario):
        tree = reach.tree
        choices.append((t("update.audience:tree", name=pick(tree.name)), f"tree:{tree.id}"))
        for stage in reach.stages:
            name = f"{pick(tree.name)} / {pick(stage.level.name)}"
            choices.append(
                (t("update.audience:level", name=name), f"level:{tree.id}/{stage.level.id}")
            )
            agencies = agencies or Audience.AGENCY in stage.audiences.values()
    if agencies:
        choices.append((t("update.audience:agency"), "agency"))
    return choices


def _example_person(plan: Plan, state: DrillState, audience: str) -> Person | None:
    """Someone the update would go to, for the preview."""
    for contact in state.contacts.values():
        if contact.acknowledged_by is not None and (
            audience == "reached" or audience.partition(":")[2].startswith(contact.tree)
        ):
            return plan.person(contact.acknowledged_by)
    kind, _, rest = audience.partition(":")
    tree_id = rest.partition("/")[0]
    if kind in ("tree", "level") and plan.has("tree", tree_id):
        for level in plan.tree(tree_id).levels:
            for member in level.members:
                people = plan.candidates(member.ref)
                if people:
                    return people[0]
    return plan.people[0] if plan.people else None


def preview_text(
    plan: Plan, scenario: Scenario, state: DrillState, kind: str, audience: str, text: str
) -> str:
    """The e-mail subject and body one recipient would be sent (marker included in a drill)."""
    person = _example_person(plan, state, audience)
    if person is None:
        return t("update.preview_nobody")
    started = state.started.at if state.started is not None else state.last_at
    at = state.last_at
    if started is None or at is None:
        return t("update.preview_nobody")
    message = render_update(
        plan,
        scenario,
        started=started,
        number=len(state.updates) + 1,
        kind=UpdateKind(kind or "followup"),
        text=text or t("update.text_placeholder"),
        at=at,
        person=person,
        audience=Audience.AGENCY if audience == "agency" else Audience.STAFF,
    )
    drill = state.started is not None and state.started.mode.value == "drill"
    marker = marker_for(person.language) + (" " if person.language == "en" else "") if drill else ""
    head = t("update.preview", person=person.name)
    return f"{head}\n{marker}{message.email_subject}\n\n{message.email_body}"


def updates_line(plan: Plan, state: DrillState, last: int = 3) -> str:
    """第1報 第1報 10:05  応答 3/5, one line per update (the last `last` of them): each
    update and how many of its people acknowledged it."""
    i = 1 if language() == "en" else 0
    lines = []
    for update in state.updates[-last:]:
        lines.append(
            t(
                "update.board_line",
                number=update.number,
                kind=UPDATE_KIND[update.kind][i],
                time=clock_time(update.issued.at, plan.info.zone),
                acked=update.acknowledged,
                total=update.recipients,
            )
        )
    return "\n".join(lines)
