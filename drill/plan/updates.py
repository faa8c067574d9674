"""Status updates (第N報): drillkit's own update texts, and which text an update uses.

During a drill or an incident the duty officer sends numbered situation updates (第1報,
続報, 最終報) to the people already reached. A scenario may write its own texts
(`Scenario.updates`: first / followup / final, for staff and for outside agencies);
where it has none, the texts below are used. They are templates like the scenario's
messages (`drill.plan.templates`, with `UPDATE_PLACEHOLDERS`), checked when this module
is imported, so a broken default cannot reach anyone.
"""

from __future__ import annotations

from drill.plan.models import (
    Audience,
    Scenario,
    UpdateKind,
    UpdateMessage,
    UpdateSet,
    UpdateTemplates,
    UpdateTexts,
)

__all__ = ["DEFAULT_UPDATES", "update_texts"]


def _texts(ja: tuple[str, str], en: tuple[str, str]) -> UpdateTexts:
    return UpdateTexts(
        ja=UpdateMessage(subject=ja[0], body=ja[1]), en=UpdateMessage(subject=en[0], body=en[1])
    )


_STAFF_JA_BODY = (
    "{{ person }} 様\n{{ scenario }}について、第{{ number }}報（{{ time }} 時点）をお知らせします。"
    "\n\n{{ text }}\n\n受け取ったら応答してください。"
)
_STAFF_EN_BODY = (
    "{{ person }},\nupdate {{ number }} on {{ scenario }} (as of {{ time }}):\n\n{{ text }}"
    "\n\nPlease acknowledge that you received it."
)
_AGENCY_JA_BODY = (
    "{{ organisation }}より、{{ scenario }}について第{{ number }}報（{{ time }} 時点）を"
    "お知らせいたします。\n\n{{ text }}\n\nお問い合わせ先：{{ callback }}\n"
    "受領されましたら応答をお願いいたします。"
)
_AGENCY_EN_BODY = (
    "{{ organisation }} sends update {{ number }} on {{ scenario }} (as of {{ time }}):\n\n"
    "{{ text }}\n\nContact: {{ callback }}\nPlease acknowledge receipt."
)

DEFAULT_UPDATES = UpdateTemplates(
    staff=UpdateSet(
        first=_texts(
            ("{{ scenario }} 第1報", _STAFF_JA_BODY),
            ("{{ scenario }}: first update", _STAFF_EN_BODY),
        ),
        followup=_texts(
            ("{{ scenario }} 第{{ number }}報", _STAFF_JA_BODY),
            ("{{ scenario }}: update {{ number }}", _STAFF_EN_BODY),
        ),
        final=_texts(
            (
                "{{ scenario }} 最終報",
                _STAFF_JA_BODY.replace("第{{ number }}報", "最終報（第{{ number }}報）"),
            ),
            ("{{ scenario }}: final update", _STAFF_EN_BODY.replace("update", "final update", 1)),
        ),
    ),
    agency=UpdateSet(
        first=_texts(
            ("【{{ organisation }}】{{ scenario }} 第1報", _AGENCY_JA_BODY),
            ("{{ organisation }}: {{ scenario }}, first update", _AGENCY_EN_BODY),
        ),
        followup=_texts(
            ("【{{ organisation }}】{{ scenario }} 第{{ number }}報", _AGENCY_JA_BODY),
            ("{{ organisation }}: {{ scenario }}, update {{ number }}", _AGENCY_EN_BODY),
        ),
        final=_texts(
            (
                "【{{ organisation }}】{{ scenario }} 最終報",
                _AGENCY_JA_BODY.replace("第{{ number }}報", "最終報（第{{ number }}報）"),
            ),
            (
                "{{ organisation }}: {{ scenario }}, final update",
                _AGENCY_EN_BODY.replace("update", "final update", 1),
            ),
        ),
    ),
)
"""drillkit's own update texts, used where a scenario has none."""


def update_texts(scenario: Scenario, audience: Audience, kind: UpdateKind) -> UpdateTexts:
    """The texts of a `kind` update for `audience`: the scenario's for that audience, then
    its staff texts (for an agency), then drillkit's own for that audience."""
    own = scenario.updates
    sets: list[UpdateSet | None] = []
    if own is not None:
        sets += [own.agency, own.staff] if audience is Audience.AGENCY else [own.staff]
    assert DEFAULT_UPDATES.staff is not None and DEFAULT_UPDATES.agency is not None
    sets.append(DEFAULT_UPDATES.agency if audience is Audience.AGENCY else DEFAULT_UPDATES.staff)
    for found in sets:
        texts = found.of(kind) if found is not None else None
        if texts is not None:
            return texts
    raise AssertionError("the default update texts cover every kind")  # pragma: no cover
