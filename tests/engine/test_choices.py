"""Answers to a scenario's question (出社可否): carried by acknowledgements, tallied by the fold.

The first answer of a contact counts; a later different one is kept as a change; a plain
了解 answers nothing; a scenario without a question records no choice and tallies nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import pytest

from drill.engine.events import Acknowledged, DrillStarted, from_record, to_record
from drill.engine.notifier import AckOutcome
from drill.engine.state import DrillState
from drill.engine.synthetic import PlanBuilder
from drill.errors import EngineError
from drill.plan.models import Choice, Plan, Question, Text

QUESTION = Question(
    text=Text(ja="出社できますか", en="Can you come in?"),
    choices=(
        Choice(key="now", label=Text(ja="出社可能", en="Can come in"), means="coming"),
        Choice(key="within30", label=Text(ja="30分以内"), means="coming"),
        Choice(key="cannot", label=Text(ja="不可", en="Cannot")),
    ),
)


def question_plan(question: Question | None = QUESTION) -> Plan:
    """One tree, two levels: chief (alice, deputy bob) then north and east (erin, gina)."""
    b = PlanBuilder()
    b.site("north")
    b.site("east")
    for person in ("alice", "bob", "carol"):
        b.person(person)
    b.person("erin", site="north")
    b.person("gina", site="east")
    b.role("chief", "alice", ["bob"])
    b.role("north", "erin", [], site="north")
    b.role("east", "gina", [], site="east")
    b.level("t", "first", ["chief"], timeout=3, retries=0, channels=["voice", "sms", "email"])
    b.level("t", "second", ["north", "east", "carol"], timeout=3, retries=0)
    b.scenario("drill", question=question)
    return b.build()


async def page_of(h: SimpleNamespace, person: str) -> str:
    return next(p.page_id for p in h.notifier.sent if p.person_id == person)


async def test_answers_are_tallied_per_choice_overall_and_per_level(kit: SimpleNamespace) -> None:
    h = kit.Harness(
        question_plan(),
        people={p: "absent" for p in ("alice", "bob", "erin", "gina", "carol")},
    )
    await h.runner.run_until(0.5)
    assert {p.question for p in h.notifier.sent} == {QUESTION}  # the page carries it
    alice = await page_of(h, "alice")
    assert await h.runner.acknowledge(alice, source="voice", choice="within30") == "accepted"
    await h.runner.run_until(1)
    erin, gina = await page_of(h, "erin"), await page_of(h, "gina")
    assert await h.runner.acknowledge(erin, source="sms", choice="now") == "accepted"
    assert await h.runner.acknowledge(gina, source="email") == "accepted"  # a plain 了解

    started = (await h.of(DrillStarted))[0]
    assert started.question_ja == "出社できますか"
    assert [c[0] for c in started.choices] == ["now", "within30", "cannot"]
    assert [a.choice for a in await h.of(Acknowledged)] == ["within30", "now", None]

    state = h.runner.state
    tally = state.tally()
    assert {k: [a.person_id for a in v] for k, v in tally.answers.items()} == {
        "now": ["erin"],
        "within30": ["alice"],
        "cannot": [],
    }
    assert (tally.answered, tally.unanswered, tally.contacts) == (2, 2, 4)
    assert tally.meaning("coming") == 2
    first = state.tally("t", "first")
    assert (first.count("within30"), first.count("now"), first.unanswered) == (1, 0, 0)
    second = state.tally("t", "second")
    assert (second.count("now"), second.answered, second.unanswered) == (1, 1, 2)
    # the one fold, rebuilt from the journal, says the same
    again = DrillState.from_events(await h.sink.read(h.drill_id))
    assert again.tally().answers == tally.answers


async def test_the_first_answer_counts_and_a_later_different_one_is_a_change(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(question_plan(), people={"alice": "absent"})
    await h.runner.run_until(0.5)
    alice = await page_of(h, "alice")
    assert await h.runner.acknowledge(alice, source="sms", key="k1", choice="cannot") == "accepted"
    again = await h.runner.acknowledge(alice, source="email", key="k2", choice="now")
    assert again == AckOutcome.ALREADY_ACKNOWLEDGED
    same = await h.runner.acknowledge(alice, source="voice", key="k3", choice="now")
    assert same == AckOutcome.ALREADY_ACKNOWLEDGED

    state = h.runner.state
    assert state.contact("chief").acknowledged  # counted once
    assert state.levels[("t", "first")].acknowledged == 1
    tally = state.tally()
    assert tally.count("cannot") == 1 and tally.count("now") == 0
    assert [(c.choice, later.choice) for c, later in tally.changes] == [("cannot", "now")]


async def test_a_choice_the_question_does_not_offer_is_refused_and_nothing_recorded(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(question_plan(), people={"alice": "absent"})
    await h.runner.run_until(0.5)
    alice = await page_of(h, "alice")
    outcome = await h.runner.acknowledge(alice, source="sms", choice="maybe")
    assert outcome == AckOutcome.INVALID_CHOICE
    assert await h.of(Acknowledged) == []
    with pytest.raises(EngineError, match="one of: now, within30, cannot"):
        await h.runner.acknowledge_manually("chief", entered_by="op", choice="maybe")


async def test_the_operator_enters_the_answer_of_a_relayed_call(kit: SimpleNamespace) -> None:
    h = kit.Harness(question_plan(), people={"alice": "absent"})
    await h.runner.run_until(1)
    reached = h.clock.now() - dt.timedelta(seconds=30)
    outcome = await h.runner.acknowledge_manually(
        "chief", entered_by="当番", reached_at=reached, choice="now"
    )
    assert outcome == "accepted"
    answer = h.runner.state.tally().answers["now"][0]
    assert (answer.person_id, answer.source, answer.at) == ("alice", "manual", reached)


async def test_without_a_question_nothing_is_asked_and_nothing_tallied(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(question_plan(None), people={"alice": "absent"})
    await h.runner.run_until(0.5)
    assert {p.question for p in h.notifier.sent} == {None}
    assert (await h.of(DrillStarted))[0].choices == ()
    tally = h.runner.state.tally()
    assert not tally.asked and tally.answered == 0
    alice = next(p.page_id for p in h.notifier.sent)
    assert await h.runner.acknowledge(alice, source="sms", choice="now") == "invalid_choice"


async def test_simulated_people_answer_and_a_journal_without_choices_folds_unchanged(
    kit: SimpleNamespace,
) -> None:
    h = kit.Harness(question_plan(), seed=3)
    await h.runner.run()
    events = await h.events()
    acks = [e for e in events if isinstance(e, Acknowledged)]
    assert acks and all(a.choice in QUESTION.keys for a in acks)
    assert h.runner.state.tally().answered == len({(a.tree, a.level, a.member) for a in acks})
    # An old journal: no choice fields at all; it folds as before, with nothing tallied.
    old = []
    for item in events:
        name, payload = to_record(item)
        for field in ("choice", "question_ja", "question_en", "choices"):
            payload.pop(field, None)
        old.append(from_record(name, payload))
    before = DrillState.from_events(events)
    after = DrillState.from_events(old)
    assert after.summary() == before.summary()
    assert not after.tally().asked and after.tally().answered == 0
    assert dataclasses.replace(acks[0], choice=None) == next(
        e for e in old if isinstance(e, Acknowledged)
    )
