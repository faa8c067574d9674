"""Phone numbers never enter the journal in full: a page keeps a reference to the
person's contact method in the plan and a masked form; the engine finds the number again
from the plan, also after a crash and a resume, and the report still masks it.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import PageQueued
from drill.engine.notifier import Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.synthetic import PlanBuilder
from drill.plan.contact import mask_number, normalise_number
from drill.plan.models import ChannelKind, Plan
from drill.report.markdown_report import render_markdown
from drill.report.model import build
from drill.store import EventStore

DRILL = "numbers-1"


def _plan() -> Plan:
    b = PlanBuilder()
    b.person("alice", voice=2, sms=1, email=1)
    b.person("bob", voice=1, sms=1, email=0)
    b.role("chief", "alice", ["bob"])
    b.level("t", "only", ["chief"], timeout=3, retries=1, channels=("voice", "sms", "email"))
    return b.build()


def _numbers(plan: Plan) -> list[str]:
    return [
        point.address
        for person in plan.people
        for point in person.channels
        if point.kind is not ChannelKind.EMAIL
    ]


class Recovering:
    """Voice and SMS after the resume: remembers every page it is asked about or sent."""

    kinds = frozenset({ChannelKind.VOICE, ChannelKind.SMS, ChannelKind.EMAIL})
    local = True

    def __init__(self) -> None:
        self.recovered: list[Page] = []
        self.sent: list[Page] = []

    async def start(self, inbox: Inbox) -> None:
        return None

    async def recover(self, page: Page) -> SendResult | None:
        self.recovered.append(page)
        return None

    async def send(self, page: Page) -> SendResult:
        self.sent.append(page)
        return SendResult.ok(f"call-{page.page_id}")

    async def close(self) -> None:
        return None


async def test_no_full_number_is_stored_and_a_resumed_drill_dials_the_plans_numbers(
    tmp_path: Path,
) -> None:
    plan = _plan()
    db = tmp_path / "events.db"
    model = ResponseModel.from_mapping({"seed": 1, "people": {"alice": {"absent": True}}})
    async with EventStore.open(db) as store:
        first = DrillRunner(
            plan,
            plan.scenarios[0].id,
            sink=store,
            notifiers=[SimulatedNotifier(model)],
            clock=VirtualClock(),
            drill_id=DRILL,
        )
        await first.run_until(4)  # alice's numbers are being tried
        await first.close()  # the process stops here: no ending event

        queued = [s.event for s in await store.read(DRILL) if isinstance(s.event, PageQueued)]
        assert ChannelKind.VOICE in [q.channel for q in queued]
        alice = plan.person("alice")
        for q in queued:
            assert q.point is not None and q.person_id == "alice"
            full = alice.channels[q.point].address
            if q.channel is not ChannelKind.EMAIL:
                assert q.address == mask_number(full) and "*" in q.address

        recovering = Recovering()
        resumed = await DrillRunner.resume(
            DRILL, plan, sink=store, notifiers=[recovering], by="duty officer"
        )
        await resumed.run_until(30)
        if not resumed.over:
            await resumed.finish(by="duty officer")
        stored = list(await store.read(DRILL))

    # The in-flight page was offered back with the plan's full number, and every page
    # after the resume went to a number of the plan.
    by_page = {q.page_id: alice.channels[q.point].address for q in queued if q.point is not None}
    assert recovering.recovered
    assert {p.page_id: p.address for p in recovering.recovered} == by_page
    assert recovering.sent and all(
        p.address in _numbers(plan) or "@" in p.address for p in recovering.sent
    )
    # Not one full number anywhere in the journal's text, in any form.
    with sqlite3.connect(db) as raw:
        journal = "\n".join(row[0] for row in raw.execute("SELECT payload FROM events"))
    for number in _numbers(plan):
        national = "0" + number[3:]
        assert number not in journal and national not in journal
    assert not re.search(r"\+81\d{9,10}", journal)
    # The report still shows every page, masked.
    report = render_markdown(build(stored, plan), "ja")
    assert mask_number(alice.channels[0].address) in report


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("090-1234-567", "090-****-*67"),  # one digit short: still almost someone's number
        ("095-829-11245", "095-***-***45"),
        ("０９０－１２３４－５６７", "０９０－****－*６７"),  # full-width digits
    ],
)
def test_a_number_in_a_validation_error_is_masked(written: str, shown: str) -> None:
    with pytest.raises(ValueError) as raised:
        normalise_number(written)
    echoed = str(raised.value).split("'")[1]  # the message quotes what was written
    assert echoed == shown
