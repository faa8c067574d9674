"""The report's tally of answers to the scenario's question (出社可否, 安否): who can come
in, how soon, who needs help.

Read from the one fold (`DrillState.tally`): each contact's first answer counts, later
different ones are listed as changes (docs/outcome.md). None when the scenario asked
no question.
"""

from __future__ import annotations

from drill.engine.state import Answer, LevelState, Tally
from drill.report.source import Source
from drill.report.types import (
    AnswerChange,
    AnswerChoice,
    AnswerLevel,
    AnswerPerson,
    Answers,
    Label,
)

__all__ = ["answers"]


def answers(source: Source) -> Answers | None:
    state = source.state
    if not state.choices:
        return None
    tally = state.tally()
    zone = source.zone
    choices = tuple(
        AnswerChoice(
            key=c.key,
            label=Label(c.label_ja, c.label_en),
            means=c.means,
            count=tally.count(c.key),
            people=tuple(_person(a, source) for a in tally.answers.get(c.key, ())),
        )
        for c in state.choices
    )
    levels = tuple(
        _level(state.tally(level.tree, level.level), level) for level in state.levels.values()
    )
    return Answers(
        question=Label(tally.question_ja or "", tally.question_en),
        choices=choices,
        answered=tally.answered,
        unanswered=tally.unanswered,
        coming=tally.meaning("coming"),
        needs_help=tally.meaning("needs_help"),
        levels=levels,
        changes=tuple(
            AnswerChange(
                member=later.member,
                name=later.person_name,
                first=first.choice,
                later=later.choice,
                at=later.at.astimezone(zone),
            )
            for first, later in tally.changes
        ),
    )


def _person(answer: Answer, source: Source) -> AnswerPerson:
    return AnswerPerson(
        tree=answer.tree,
        level=answer.level,
        member=answer.member,
        name=answer.person_name,
        at=answer.at.astimezone(source.zone),
        answer_seconds=answer.elapsed,
        via=answer.source,
        late=answer.late,
    )


def _level(tally: Tally, level: LevelState) -> AnswerLevel:
    return AnswerLevel(
        tree=level.tree,
        level=level.level,
        name=Label(level.name_ja, level.name_en),
        counts=tuple(tally.count(c.key) for c in tally.choices),
        unanswered=tally.unanswered,
    )
