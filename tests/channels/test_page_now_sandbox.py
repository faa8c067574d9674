"""Pages ordered now (今すぐ呼出) through the real channels against the local sandbox: an
ad hoc person (臨時, not in the plan) is called, texted and e-mailed through the
Twilio-compatible API and the real SMTP server, with the drill marker on every payload;
the e-mail link is confirmed over real HTTP on the ack server and recorded as an answer
outside the tree, which changes nothing the tree achieved. The full ad hoc number goes
to the provider; the record keeps it masked."""

from __future__ import annotations

from drill.engine import MemorySink
from drill.engine.clock import ScaledClock
from drill.engine.events import Acknowledged, OutsideAcknowledged, OutsidePageQueued
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel
from drill.plan import load_plan, sample_plan_dir
from drill.sandbox.world import LocalWorld

NUMBER = "090-0012-3456"
E164 = "+819000123456"
ADDRESS = "tanaka@vendor.example"

# Nobody answers a call or an SMS; every e-mail link is confirmed within a minute.
PEOPLE = {
    "seed": 9,
    "channels": {
        "voice": {"no_answer": 1, "fail_seconds": [20, 20]},
        "sms": {"ignore": 1},
        "email": {"answer": 1, "answer_seconds": [20, 60]},
    },
}


async def test_an_ad_hoc_person_is_paged_on_every_channel_and_answers_by_e_mail() -> None:
    plan = load_plan(sample_plan_dir()).plan
    sink = MemorySink()
    model = ResponseModel.from_mapping(PEOPLE)
    async with LocalWorld(plan, speed=600, seed=9, responses=model) as world:
        runner = DrillRunner(
            plan,
            "stolen-terminal",
            sink=sink,
            notifiers=world.notifiers(),
            clock=ScaledClock(600),
            seed=9,
        )
        with world.registry.registered(runner.drill_id, runner):
            await runner.run_until(1)
            order = await runner.page_now(
                "ad_hoc", name="保守業者 田中", phone=NUMBER, email=ADDRESS, by="当直 佐藤"
            )
            await runner.run_until(10)
            await world.twilio.wait_idle()
        calls = [c for c in world.twilio.calls if c.to == E164]
        texts = [m for m in world.twilio.messages if m.to == E164]
        mails = [m for m in world.smtp.received if ADDRESS in m.rcpt_tos]
        await runner.close()

    assert calls and texts and mails, (len(calls), len(texts), len(mails))
    for call in calls:  # safety rule 1: the marker on every payload
        assert call.twiml is not None and "訓練" in call.twiml
    for text in texts:
        assert text.body.startswith("【訓練】") and text.link is not None
    for mail in mails:
        assert mail.subject.startswith("【訓練】") and "【訓練】" in mail.text and mail.tls

    stored = [s.event for s in await sink.read(runner.drill_id) if not s.duplicate]
    queued = [e for e in stored if isinstance(e, OutsidePageQueued) and e.request == order.request]
    assert {q.channel.value for q in queued} == {"voice", "sms", "email"}
    assert all(NUMBER not in q.address and "3456" not in q.address for q in queued)
    (answer,) = [e for e in stored if isinstance(e, OutsideAcknowledged)]
    assert (answer.person_name, answer.channel.value) == ("保守業者 田中", "email")
    state = runner.state
    assert order.request in {o.order.request for o in state.orders.values()}
    outside = {q.page_id for q in queued}
    assert not any(isinstance(e, Acknowledged) and e.page_id in outside for e in stored)
