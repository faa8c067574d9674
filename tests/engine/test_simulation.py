"""Simulated people and operator: realistic by default, seeded per page, overridable."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.notifier import (
    AckOutcome,
    DeliveryStatus,
    FailureReason,
    Page,
    RenderedMessage,
)
from drill.engine.simulation import (
    OutcomeKind,
    ResponseModel,
    SimulatedNotifier,
    SimulatedOperator,
)
from drill.plan.models import ChannelKind, Playbook, Step, Text

MESSAGE = RenderedMessage("voice", "sms", "subject", "body")


def page(n: int, channel: ChannelKind = ChannelKind.VOICE, **fields: object) -> Page:
    values: dict[str, object] = {
        "page_id": f"drill-1-p{n}",
        "drill_id": "drill-1",
        "mode": "drill",
        "person_id": "alice",
        "person_name": "山田 太郎",
        "language": "ja",
        "role_name": "システム管理者",
        "channel": channel,
        "address": "+819000000001",
        "attempt": 1,
        "message": MESSAGE,
        "role_id": "sysadmin",
    }
    values.update(fields)
    return Page(**values)  # type: ignore[arg-type]


def test_an_outcome_depends_only_on_seed_and_page() -> None:
    model = ResponseModel(seed=42)
    forwards = [model.outcome(page(n)) for n in range(50)]
    backwards = [model.outcome(page(n)) for n in reversed(range(50))][::-1]
    assert forwards == backwards
    other_drill = [
        model.outcome(page(n, drill_id="drill-2", page_id=f"drill-2-p{n}")) for n in range(50)
    ]
    assert other_drill == forwards
    assert [ResponseModel(seed=43).outcome(page(n)) for n in range(50)] != forwards


def test_default_people_behave_like_municipal_staff() -> None:
    model = ResponseModel(seed=1)
    voice = [model.outcome(page(n)) for n in range(3000)]
    answered = [o.after_seconds for o in voice if o.kind is OutcomeKind.ANSWER]
    assert 0.70 < len(answered) / len(voice) < 0.86
    assert all(20 <= s <= 90 for s in answered)
    assert statistics.median(answered) < 55
    kinds = {o.kind for o in voice}
    assert {OutcomeKind.NO_ANSWER, OutcomeKind.BUSY, OutcomeKind.WRONG_NUMBER} <= kinds

    sms = [model.outcome(page(n, ChannelKind.SMS)) for n in range(2000)]
    confirmed = [o.after_seconds for o in sms if o.kind is OutcomeKind.ANSWER]
    assert all(60 <= s <= 300 for s in confirmed)
    assert any(o.kind is OutcomeKind.IGNORE for o in sms)
    email = [model.outcome(page(n, ChannelKind.EMAIL)) for n in range(2000)]
    mail_answers = [o.after_seconds for o in email if o.kind is OutcomeKind.ANSWER]
    assert statistics.median(mail_answers) > statistics.median(confirmed)


def test_person_overrides_beat_role_overrides_beat_defaults(tmp_path: Path) -> None:
    spec = tmp_path / "people.yaml"
    spec.write_text(
        "seed: 5\n"
        "channels:\n  sms: {answer: 1, answer_seconds: [100, 100]}\n"
        "roles:\n  sysadmin: {voice: {busy: 1}}\n"
        "people:\n  alice: {absent: true}\n  bob: {voice: {answer: 1, answer_seconds: [30, 30]}}\n",
        encoding="utf-8",
    )
    model = ResponseModel.from_yaml(spec)
    assert model.seed == 5
    assert model.outcome(page(1)).kind is OutcomeKind.NO_ANSWER  # alice is absent
    bob = model.outcome(page(2, person_id="bob"))
    assert (bob.kind, bob.after_seconds) == (OutcomeKind.ANSWER, 30.0)
    carol = model.outcome(page(3, person_id="carol"))
    assert carol.kind is OutcomeKind.BUSY  # paged for sysadmin
    sms = model.outcome(page(4, ChannelKind.SMS, person_id="carol"))
    assert (sms.kind, sms.after_seconds) == (OutcomeKind.ANSWER, 100.0)
    with pytest.raises(ValueError, match="unknown response-model keys: voices"):
        ResponseModel.from_mapping({"people": {"x": {"voice": {"voices": 1}}}})


class Recorder:
    """An inbox without timers of its own: the notifier falls back to sleeping on a clock."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, object]] = []

    async def acknowledge(self, page_id: str, *, source: str, **_: object) -> AckOutcome:
        self.calls.append(("ack", page_id, source))
        return AckOutcome.ACCEPTED

    async def delivery_failed(self, page_id: str, reason: FailureReason, **_: object) -> None:
        self.calls.append(("failed", page_id, reason))

    async def delivery_status(self, page_id: str, status: DeliveryStatus, **_: object) -> None:
        self.calls.append(("status", page_id, status))


async def test_the_simulated_notifier_reports_like_a_provider() -> None:
    model = ResponseModel.from_mapping(
        {
            "people": {
                "alice": {"voice": {"answer": 1, "answer_seconds": [40, 40]}},
                "bob": {"voice": {"invalid_number": 1}},
                "carol": {"email": {"invalid_number": 1, "fail_seconds": [20, 20]}},
            }
        }
    )
    inbox = Recorder()
    notifier = SimulatedNotifier(model, clock=VirtualClock())
    await notifier.start(inbox)

    ok = await notifier.send(page(1))
    bad = await notifier.send(page(2, person_id="bob"))
    bounced = await notifier.send(page(3, ChannelKind.EMAIL, person_id="carol"))
    for _ in range(5):
        await asyncio.sleep(0)
    await notifier.close()

    assert ok.accepted and ok.provider_id == "sim-drill-1-p1"
    assert (bad.accepted, bad.failure) == (False, FailureReason.INVALID_NUMBER)
    assert bounced.accepted  # e-mail is accepted, then bounces
    assert ("status", "drill-1-p1", DeliveryStatus.RINGING) in inbox.calls
    assert ("ack", "drill-1-p1", "voice") in inbox.calls
    assert ("failed", "drill-1-p3", FailureReason.BOUNCED) in inbox.calls
    assert [p.page_id for p in notifier.sent] == ["drill-1-p1", "drill-1-p2", "drill-1-p3"]


def test_the_simulated_operator_follows_dependencies_and_targets() -> None:
    spec = [("a", 10, ()), ("b", 5, ("a",)), ("c", None, ("b",)), ("d", 60, ())]
    playbook = Playbook(
        id="pb",
        title=Text(ja="手順"),
        steps=tuple(
            Step(id=i, title=Text(ja=i), owner="chief", target_minutes=t, depends_on=d)
            for i, t, d in spec
        ),
    )
    for seed in range(20):
        schedule = {step.id: at for at, step in SimulatedOperator(seed).schedule(playbook)}
        assert schedule["b"] >= schedule["a"] + 30
        assert schedule["c"] > schedule["b"]
        assert schedule == {step.id: at for at, step in SimulatedOperator(seed).schedule(playbook)}
    on_time = sum(
        dict((s.id, at) for at, s in SimulatedOperator(seed).schedule(playbook))["d"] <= 3600
        for seed in range(200)
    )
    assert 150 < on_time < 195  # mostly on time, sometimes late
