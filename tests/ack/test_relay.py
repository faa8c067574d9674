"""Links through an ack server that runs no drill: recorded in the store, applied by the owner.

An ack server whose registry has a `StoreRelay` and no drill of its own answers for the
drills live in the event store (SQLite on disk here; the process test
`test_stateless.py` runs PostgreSQL too). The drill's owner is an `OperatorDesk` over a
`MemoryInbox` standing in for the engine: a confirmed link is recorded once and thanked
only after the owner's answer; the same link again is 409; with no owner answering the
person is told it was recorded (true: it is in the store) and the owner applies it when
it comes; a drill whose lease was released gets the "ended" page and nothing is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from drill.ack.memory import MemoryInbox
from drill.ack.relay import StoreRelay
from drill.ack.server import AckServer, DrillRegistry
from drill.ack.twilio_hooks import twilio_routes
from drill.channels.links import Links
from drill.config import AckSettings
from drill.engine.callback import Callback, CallbackKind, apply_callback
from drill.engine.clock import VirtualClock
from drill.engine.events import PageQueued, UpdateQueued
from drill.engine.lease import LeaseOwner
from drill.engine.notifier import AckOutcome, DeliveryStatus, FailureReason
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import MemorySink
from drill.plan import load_plan
from drill.plan.models import ChannelKind
from drill.store import EventStore
from drill.store.consoles import CALLBACK
from drill.store.follow import OperatorDesk
from tests.ack.conftest import make_page

DRILL = "20260601-0900-relay"
REPO = Path(__file__).resolve().parents[2]


class Owner:
    """The owning engine, as its desk sees it: the drill is running, its inbox records."""

    def __init__(self, inbox: MemoryInbox) -> None:
        self.drill_id = DRILL
        self.inbox = inbox
        self.started = True
        self.over = False
        self.paused = False
        self.lease_holder = "owner"

    def __getattr__(self, name: str) -> Any:  # the operator API is not used by callbacks
        raise AttributeError(name)


@contextlib.asynccontextmanager
async def serving(desk: OperatorDesk) -> AsyncIterator[None]:
    task = asyncio.get_running_loop().create_task(desk.serve())
    try:
        yield
    finally:
        await desk.close(task)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EventStore]:
    async with EventStore.open(tmp_path / "events.db") as opened:
        yield opened


@pytest.fixture
def links() -> Links:
    return Links(public_url="http://127.0.0.1:1", key="relay-test-key", ttl_seconds=3600)


@pytest.fixture
async def server(store: EventStore, links: Links) -> AsyncIterator[AckServer]:
    settings = AckSettings(public_url="http://127.0.0.1:1", listen_host="127.0.0.1")
    registry = DrillRegistry(StoreRelay(store, answer_wait=5.0))
    async with AckServer(settings, registry, links=links, port=0, route_hooks=[]) as started:
        yield started


async def post(url: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data={"confirm": "yes"}) as response,
    ):
        return response.status, await response.text()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_a_link_for_a_drill_run_elsewhere_is_recorded_once_by_its_owner(
    store: EventStore, server: AckServer, links: Links
) -> None:
    lease = store.lease(DRILL, LeaseOwner.here("owner"))
    await lease.acquire()
    inbox = MemoryInbox()
    desk = OperatorDesk(store, Owner(inbox), inbox=inbox)  # type: ignore[arg-type]
    first = links.make_link(make_page(1, drill_id=DRILL)).replace(links.public_url, server.url)

    async with serving(desk):
        status, body = await get(first)  # opening the link is progress, not an ack
        assert status == 200 and "<form" in body
        await inbox.wait_for(lambda i: bool(i.statuses), 10)
        assert inbox.statuses[0][:2] == (f"{DRILL}-p1", DeliveryStatus.OPENED)
        assert inbox.acks == []

        status, body = await post(first)
        assert status == 200 and "Your confirmation has been recorded" in body
        assert [a.page_id for a in inbox.acks] == [f"{DRILL}-p1"]  # recorded before thanked
        status, body = await post(first)  # again: the owner says DUPLICATE
        assert status == 409 and "already been used" in body
        assert len(inbox.acks) == 1

    # No owner answering (its desk is not serving): the person is told it was recorded,
    # which it is; the owner applies it once it serves again.
    second = links.make_link(make_page(2, drill_id=DRILL)).replace(links.public_url, server.url)
    server.registry.relay.answer_wait = 0.2  # type: ignore[union-attr]
    status, body = await post(second)
    assert status == 200 and "Your confirmation has been recorded" in body
    assert [r.kind for r in await store.pending(DRILL)] == [CALLBACK]
    assert len(inbox.acks) == 1
    answers = await OperatorDesk(store, Owner(inbox), inbox=inbox).take_pending()  # type: ignore[arg-type]
    assert [a.message for a in answers] == [AckOutcome.ACCEPTED.value]
    assert [a.page_id for a in inbox.acks] == [f"{DRILL}-p1", f"{DRILL}-p2"]

    # The drill ended (its lease released): the ended page, nothing recorded.
    await lease.release()
    third = links.make_link(make_page(3, drill_id=DRILL)).replace(links.public_url, server.url)
    status, body = await post(third)
    assert status == 410 and "This drill has ended" in body
    assert await store.pending(DRILL) == []
    assert len(inbox.acks) == 2


async def test_a_callback_for_a_drill_that_ended_before_its_owner_took_it_is_refused(
    store: EventStore, server: AckServer, links: Links
) -> None:
    await store.lease(DRILL, LeaseOwner.here("owner")).acquire()
    inbox = MemoryInbox()
    owner = Owner(inbox)
    owner.over = True  # it ended while the callback waited
    link = links.make_link(make_page(4, drill_id=DRILL)).replace(links.public_url, server.url)
    posted = asyncio.ensure_future(post(link))
    async with asyncio.timeout(30):
        while not await store.pending(DRILL):  # the callback is in the store, unanswered
            assert not posted.done(), posted
            await asyncio.sleep(0.02)
    answers = await OperatorDesk(store, owner, inbox=inbox).take_pending()  # type: ignore[arg-type]
    assert [a.applied for a in answers] == [False]
    status, body = await posted
    assert status == 410 and "This drill has ended" in body
    assert inbox.acks == []


@pytest.mark.parametrize(
    "callback",
    [
        Callback(CallbackKind.ACK, DRILL, f"{DRILL}-p1", "link:abc", source="email"),
        Callback(CallbackKind.STATUS, DRILL, f"{DRILL}-p1", "s:1", status=DeliveryStatus.DELIVERED),
        Callback(
            CallbackKind.FAILED,
            DRILL,
            f"{DRILL}-p1",
            "s:2",
            reason=FailureReason.BUSY,
            detail="the line was busy",
        ),
        Callback(
            CallbackKind.ACK,
            DRILL,
            f"{DRILL}-p1",
            None,
            source="reply",
            received_at=dt.datetime(2026, 6, 1, 0, 5, tzinfo=dt.UTC),
        ),
    ],
)
async def test_a_callback_written_to_the_store_is_the_same_callback_read_back(
    callback: Callback,
) -> None:
    payload = callback.to_payload()
    assert Callback.from_payload(payload) == callback
    # A field written by a newer instance is ignored, not an error.
    assert Callback.from_payload({**payload, "device": "kiosk-2"}) == callback
    direct, relayed = MemoryInbox(), MemoryInbox()
    assert await apply_callback(direct, callback) == await apply_callback(
        relayed, Callback.from_payload(payload)
    )

    def seen(inbox: MemoryInbox) -> tuple[object, ...]:
        acks = [
            (a.page_id, a.source, a.key, callback.received_at and a.received_at) for a in inbox.acks
        ]
        return acks, inbox.statuses, inbox.failures

    assert seen(direct) == seen(relayed)
    assert len(direct.acks) + len(direct.statuses) + len(direct.failures) == 1


def test_a_payload_that_is_not_a_callback_is_refused() -> None:
    with pytest.raises(ValueError):
        Callback.from_payload({"kind": "nonsense", "drill_id": DRILL, "page_id": "x"})
    with pytest.raises(TypeError):
        Callback.from_payload({"kind": "ack", "drill_id": 3, "page_id": "x", "key": None})


async def test_an_answer_travels_with_its_callback_through_the_store() -> None:
    """A keypress carrying an answer (key 2 of the roll call's question), written to the
    store by one instance and applied by the owning engine: the answer arrives with it."""
    from drill.plan.models import Choice, Question, Text

    question = Question(
        text=Text(ja="出社できますか"),
        choices=(
            Choice(key="now", label=Text(ja="出社可能")),
            Choice(key="within30", label=Text(ja="30分以内")),
        ),
    )
    callback = Callback(
        CallbackKind.ACK, DRILL, f"{DRILL}-p2", "gather:CA7", source="voice", choice="within30"
    )
    read_back = Callback.from_payload(callback.to_payload())
    assert read_back == callback
    owner = MemoryInbox(question=question)
    assert await apply_callback(owner, read_back) is AckOutcome.ACCEPTED
    assert [a.choice for a in owner.acks] == ["within30"]


# -- what a page asked, on an instance that runs no drill --------------------------------

TWILIO_TOKEN = "relay-test-auth-token"
PUBLIC = "https://drill.city.example/drillkit"


async def _roll_call_in_store(store: EventStore) -> dict[str, tuple[str, ChannelKind]]:
    """The sample's roll call (it asks 出社可否), simulated with a status update (第1報),
    recorded in `store` as its engine would; page id -> (event type, channel)."""
    plan = load_plan(REPO).plan
    clock = VirtualClock()
    sink = MemorySink()
    model = ResponseModel.from_mapping({"seed": 7})
    runner = DrillRunner(
        plan,
        "annual-roll-call",
        sink=sink,
        notifiers=[SimulatedNotifier(model, clock=clock)],
        clock=clock,
        drill_id=DRILL,
    )
    await runner.run_until(30)
    assert await runner.issue_update("第1報：訓練は順調です。", by="当直 太郎") == 1
    await runner.run()
    pages: dict[str, tuple[str, ChannelKind]] = {}
    for item in await sink.read(DRILL):
        await store.append(DRILL, item.event, item.key)
        e = item.event
        if isinstance(e, PageQueued | UpdateQueued):
            pages[e.page_id] = (type(e).__name__, e.channel)
    return pages


def _first(pages: dict[str, tuple[str, ChannelKind]], kind: str, *channels: ChannelKind) -> str:
    return next(p for p, (k, channel) in pages.items() if k == kind and channel in channels)


async def test_an_instance_that_runs_no_drill_asks_its_question_on_the_trees_pages_only(
    store: EventStore, links: Links
) -> None:
    pages = await _roll_call_in_store(store)
    await store.lease(DRILL, LeaseOwner.here("owner")).acquire()  # live: run elsewhere
    relay = StoreRelay(store, answer_wait=0.2)
    settings = AckSettings(public_url=PUBLIC, listen_host="127.0.0.1")
    hooks = [twilio_routes(public_url=PUBLIC, auth_token=TWILIO_TOKEN)]
    link_page = _first(pages, "PageQueued", ChannelKind.SMS, ChannelKind.EMAIL)
    update_page = _first(pages, "UpdateQueued", *ChannelKind)
    call_page = _first(pages, "PageQueued", ChannelKind.VOICE)

    def link(page_id: str, channel: ChannelKind, base: str) -> str:
        page = make_page(int(page_id.rsplit("-p", 1)[1]), drill_id=DRILL, channel=channel)
        return links.make_link(page).replace(links.public_url, base)

    async with AckServer(
        settings, DrillRegistry(relay), links=links, port=0, route_hooks=hooks
    ) as server:
        status, body = await get(link(link_page, pages[link_page][1], server.url))
        assert status == 200 and "出社（現地対応）できますか" in body
        assert 'name="choice" value="within30">2. 30分以内' in body
        status, body = await get(link(update_page, ChannelKind.SMS, server.url))
        assert status == 200 and "<form" in body and 'name="choice"' not in body

        # A keypress: 2 is the second answer on the tree's call; a status update asks
        # nothing (2 is not 了解: asked again); on an SMS page a key is refused.
        async def keypress(page_id: str, call_sid: str) -> str:
            path = "/twilio/gather?" + urlencode(
                {"drill": DRILL, "page": page_id, "lang": "ja", "round": 1}
            )
            params = {"CallSid": call_sid, "Digits": "2", "AccountSid": "AC0"}
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, params)
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    server.url + path, data=params, headers={"X-Twilio-Signature": signature}
                ) as response,
            ):
                assert response.status == 200
                return await response.text()

        before = len(await store.pending(DRILL))
        await keypress(link_page, "CA-sms")
        assert "<Gather" in await keypress(update_page, "CA-update")
        assert len(await store.pending(DRILL)) == before  # nothing recorded for either
        await keypress(call_page, "CA-voice")
        (request,) = (await store.pending(DRILL))[before:]
        sent = Callback.from_payload(request.payload)
        assert (sent.page_id, sent.source, sent.choice) == (call_page, "voice", "within30")
