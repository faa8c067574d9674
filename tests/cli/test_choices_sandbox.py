"""A sandbox drill in which answers travel the real paths: the sample roll call asks
出社可否, the Twilio-compatible API's people press the key of their answer on signed
callbacks, SMS readers press their answer's button on the link page, and e-mail goes
over real SMTP (STARTTLS) to readers who press theirs; the engine records each choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from drill.engine.events import Acknowledged
from drill.engine.simulation import ResponseModel, simulated_choice
from drill.plan import load_plan, sample_plan_dir
from drill.sandbox.world import LocalWorld
from drill.session import RunOptions, run_scenario
from drill.store import EventStore

pytestmark = pytest.mark.slow

SEED = 5
NO_CALL = {"voice": {"no_answer": 1, "fail_seconds": [20, 20]}}
# Two managers answer only on paths other than the telephone: one by the SMS link, one by
# the e-mail link (every person else follows the seeded model, mostly by telephone).
PEOPLE = {
    "tanaka-ichiro": {
        **NO_CALL,
        "sms": {"ignore": 1},
        "email": {"answer": 1, "answer_seconds": [30, 30]},
    },
    "kobayashi-makoto": {
        **NO_CALL,
        "sms": {"answer": 1, "answer_seconds": [30, 30]},
        "email": {"ignore": 1},
    },
}


async def test_answers_travel_over_smtp_and_the_twilio_sandbox(tmp_path: Path) -> None:
    loaded = load_plan(sample_plan_dir())
    question = loaded.plan.scenario("annual-roll-call").question
    assert question is not None
    db = str(tmp_path / "events.db")
    model = ResponseModel.from_mapping({"seed": SEED, "people": PEOPLE})
    async with LocalWorld(
        loaded.plan,
        speed=900,
        seed=SEED,
        responses=model,
        duplicate_probability=0.0,
        late_probability=0.0,
    ) as world:
        options = RunOptions(
            simulate=False, speed=900, seed=SEED, db=db, operator="test", simulated_operator=True
        )
        result = await run_scenario(
            loaded,
            "annual-roll-call",
            options,
            notifiers=world.notifiers(),
            registry=world.registry,
        )
        await world.twilio.wait_idle()
        calls, messages, mails = world.twilio.calls, world.twilio.messages, world.smtp.received

    # What left through the sandbox asked the question.
    keys = [d for call in calls for d in call.digits]
    assert set(keys) <= {"1", "2", "3"} and len(set(keys)) > 1, keys
    assert any("2を押すと30分以内" in call.spoken() for call in calls)
    assert all(
        "1 出社可能 / 2 30分以内 / 3 不可" in m.body for m in messages if "【訓練】" in m.body
    )
    assert any("2. 30分以内" in mail.text and mail.tls for mail in mails)

    async with EventStore.open(db) as store:
        stored = await store.read(result.drill_id)
    acks = [s.event for s in stored if isinstance(s.event, Acknowledged) and not s.duplicate]
    via = {(a.person_id, a.source) for a in acks}
    assert {("tanaka-ichiro", "email"), ("kobayashi-makoto", "sms")} <= via
    assert any(source == "voice" for _, source in via)
    for ack in acks:
        # Each simulated person answers as the response model says; the answer arrived
        # unchanged, whatever path it took.
        assert ack.choice == simulated_choice(SEED, ack.person_id, question), ack
    tally = result.state.tally()
    assert tally.answered == len({(a.tree, a.level, a.member) for a in acks})
    assert tally.count("now") + tally.count("within30") + tally.count("cannot") == tally.answered
