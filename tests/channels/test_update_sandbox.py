"""A status update (第N報) through the real channels against the local sandbox: the
Twilio-compatible API (voice, SMS) and a real SMTP server (aiosmtpd); the sandbox's people
acknowledge their copies over real HTTP on the ack server (links) and by signed keypress
callbacks, exactly as they acknowledge pages."""

from __future__ import annotations

from drill.engine import MemorySink
from drill.engine.clock import ScaledClock
from drill.engine.events import Acknowledged, UpdateAcknowledged
from drill.engine.runner import DrillRunner
from drill.plan import load_plan, sample_plan_dir
from drill.sandbox.world import SandboxChannels

TEXT = "サンドボックス経由の状況報告です"


async def test_an_update_travels_over_sms_e_mail_and_voice_and_is_acknowledged() -> None:
    plan = load_plan(sample_plan_dir()).plan
    channels = SandboxChannels(speed=900, seed=2)
    sink = MemorySink()
    try:
        notifiers = await channels.notifiers(plan, "drill")
        runner = DrillRunner(
            plan, "annual-roll-call", sink=sink, notifiers=notifiers, clock=ScaledClock(900), seed=2
        )
        channels.attach(runner.drill_id, runner)
        await runner.run_until(4)
        tree = plan.scenario("annual-roll-call").trees[0]
        number = await runner.issue_update(TEXT, by="当番", audience=f"tree:{tree}")
        assert number == 1
        await runner.run_until(40)  # 36 drill minutes, a few seconds here
        channels.detach(runner.drill_id)
        world = channels.world
        assert world is not None
        await world.twilio.wait_idle()
        messages = [m for m in world.twilio.messages if TEXT in m.body]
        mails = [m for m in world.smtp.received if TEXT in m.text]
        calls = [c for c in world.twilio.calls if TEXT in (c.twiml or "".join(c.twiml_seen))]
        await runner.close()
    finally:
        await channels.close()

    update = runner.state.update(1)
    assert update is not None and update.recipients > 0
    assert calls, "the update rang through the Twilio-compatible sandbox"
    assert len(messages) + len(mails) + len(calls) >= update.recipients
    for message in messages:  # the drill marker on every payload (safety rule 1)
        assert message.body.startswith("【訓練】") and message.link is not None
    for mail in mails:
        assert mail.subject.startswith(("【訓練】", "[DRILL]")) and "【訓練】" in mail.text
    for call in calls:
        assert "訓練" in (call.twiml or "".join(call.twiml_seen))
    acks = [
        s.event for s in await sink.read(runner.drill_id) if isinstance(s.event, UpdateAcknowledged)
    ]
    assert acks, "someone acknowledged the update through a link or a keypress"
    assert "voice" in {a.source for a in acks}  # a keypress through a signed callback
    assert update.acknowledged == len({a.person_id for a in acks if a.first})
    update_pages = {c.page_id for c in update.copies.values()}
    level_acks = [
        s.event for s in await sink.read(runner.drill_id) if isinstance(s.event, Acknowledged)
    ]
    assert not any(a.page_id in update_pages for a in level_acks)
