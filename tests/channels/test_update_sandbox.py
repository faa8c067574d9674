"""A status update (第N報) through the real channels against the local sandbox: the
Twilio-compatible API (voice, SMS) and a real SMTP server (aiosmtpd) with STARTTLS. The
sandbox's people acknowledge their copies as they acknowledge pages: SMS and e-mail
links confirmed by POST over real HTTP on the ack server, keypresses by signed
callbacks. The drill marker is on every payload."""

from __future__ import annotations

from drill.engine import MemorySink
from drill.engine.clock import ScaledClock
from drill.engine.events import Acknowledged, UpdateAcknowledged
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel
from drill.plan import load_plan, sample_plan_dir
from drill.sandbox.world import LocalWorld

TEXT = "サンドボックス経由の状況報告です"

# Nobody picks up a call; SMS links are confirmed by about half, e-mail links by all: the
# first levels are reached by SMS and e-mail, so the update goes out on both.
PEOPLE = {
    "seed": 4,
    "channels": {
        "voice": {"no_answer": 1, "fail_seconds": [20, 20]},
        "sms": {"answer": 0.5, "ignore": 0.5, "answer_seconds": [20, 60]},
        "email": {"answer": 1, "answer_seconds": [20, 60]},
    },
}


async def test_an_update_travels_over_sms_and_e_mail_and_is_acknowledged_over_http() -> None:
    plan = load_plan(sample_plan_dir()).plan
    sink = MemorySink()
    model = ResponseModel.from_mapping(PEOPLE)
    async with LocalWorld(plan, speed=600, seed=4, responses=model) as world:
        runner = DrillRunner(
            plan,
            "annual-roll-call",
            sink=sink,
            notifiers=world.notifiers(),
            clock=ScaledClock(600),
            seed=4,
        )
        with world.registry.registered(runner.drill_id, runner):
            await runner.run_until(12)
            reached = {c.acknowledged_channel for c in runner.state.contacts.values() if c.ack}
            assert {"sms", "email"} <= {str(c) for c in reached}, reached
            assert await runner.issue_update(TEXT, by="当番") == 1
            await runner.run_until(30)  # 18 drill minutes: under two seconds here
            await world.twilio.wait_idle()
        messages = [m for m in world.twilio.messages if TEXT in m.body]
        mails = [m for m in world.smtp.received if TEXT in m.text]
        await runner.close()

    update = runner.state.update(1)
    assert update is not None and update.recipients == len(messages) + len(mails)
    assert messages and mails, "the update went out by SMS and by e-mail"
    for message in messages:  # safety rule 1: the marker on every payload, a link to ack
        assert message.body.startswith("【訓練】") and message.link is not None
    for mail in mails:
        assert mail.subject.startswith("【訓練】") and "【訓練】" in mail.text
        assert "第1報" in mail.subject and mail.tls
    stored = [s.event for s in await sink.read(runner.drill_id) if not s.duplicate]
    acks = [e for e in stored if isinstance(e, UpdateAcknowledged)]
    assert {"sms", "email"} <= {a.source for a in acks}, "links confirmed over HTTP"
    assert update.acknowledged == len({a.person_id for a in acks})
    assert update.acknowledged == len(update.acknowledged_by) > 0
    # The update's acknowledgements never acknowledge a page of a level.
    copies = {c.page_id for c in update.copies.values()}
    assert not any(isinstance(e, Acknowledged) and e.page_id in copies for e in stored)
