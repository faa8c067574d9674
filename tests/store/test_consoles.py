"""Several consoles on one drill, SQLite on disk: following, watchers, operator requests.

Two `EventStore`s opened on one file stand for two processes: the engine's and a
console's. The console follows the engine's events through the store and asks the
engine, through the store, to act; the engine's desk applies and answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import Acknowledged, NoteAdded
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.state import DrillState
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity, RequestAnswer, request_key
from drill.store.follow import DrillFollower, OperatorDesk, RequestRefused, ask

SCENARIO = "stolen-terminal"


async def wait_until(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def runner_on(store: EventStore) -> DrillRunner:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    return DrillRunner(
        plan,
        SCENARIO,
        sink=store,
        notifiers=[SimulatedNotifier(ResponseModel(seed=7))],
        clock=VirtualClock(),
        operator="佐藤",
        simulated=True,
    )


async def answered(desk: OperatorDesk, request: Awaitable[RequestAnswer]) -> RequestAnswer:
    """Run the console's request while the owning engine's desk takes requests."""
    task = asyncio.ensure_future(request)

    async def done() -> bool:
        if not task.done():
            await desk.take_pending()
        return task.done()

    await wait_until(done)
    return task.result()


async def test_a_follower_folds_what_another_process_records(db_path: Path) -> None:
    async with EventStore.open(db_path) as engine_store, EventStore.open(db_path) as console:
        runner = runner_on(engine_store)
        await runner.run_until(3)
        me = ConsoleIdentity.here("鈴木")
        follower = DrillFollower(console, runner.drill_id, console=me)
        first = await follower.catch_up()
        assert first and follower.seq == first[-1].seq
        await runner.run_until(12)
        more = await follower.catch_up()
        assert more and more[0].seq == first[-1].seq + 1
        # The same fold as the engine's: same outcome, same counts.
        expected = DrillState.from_events(await engine_store.read(runner.drill_id))
        assert follower.state.summary() == expected.summary() == runner.state.summary()
        assert await follower.catch_up() == []

        presence = await follower.refresh_presence()
        assert presence.owner is not None and presence.owner_name is not None
        assert presence.owner.owner.operator == "佐藤"
        assert [w.console_id for w in presence.watchers] == [me.id]
        assert presence.watcher_names == (f"鈴木@{me.host}",)
        await runner.close()
        await follower.close()
        assert (await follower.refresh_presence()).owner is None
        assert follower.presence.watchers == ()


async def test_two_watchers_see_each_other_and_one_leaving(db_path: Path) -> None:
    async with EventStore.open(db_path) as one, EventStore.open(db_path) as two:
        runner = runner_on(one)
        await runner.run_until(1)
        a = DrillFollower(one, runner.drill_id, console=ConsoleIdentity.here("a", "console"))
        b = DrillFollower(two, runner.drill_id, console=ConsoleIdentity.here("b", "watch"))
        await a.refresh_presence()
        seen = await b.refresh_presence()
        assert sorted(w.operator or "" for w in seen.watchers) == ["a", "b"]
        assert {w.kind for w in seen.watchers} == {"console", "watch"}
        await a.close()
        assert [w.operator for w in (await b.refresh_presence()).watchers] == ["b"]
        await runner.close()


async def test_an_acknowledgement_from_another_console_is_applied_with_attribution(
    db_path: Path,
) -> None:
    async with EventStore.open(db_path) as engine_store, EventStore.open(db_path) as console:
        runner = runner_on(engine_store)
        await runner.run_until(2)
        desk = OperatorDesk(engine_store, runner)
        me = ConsoleIdentity.here("鈴木")
        paging = next(c for c in runner.state.contacts.values() if not c.acknowledged)
        answer = await answered(
            desk,
            ask(
                console,
                runner.drill_id,
                "ack",
                {"ref": paging.member, "tree": paging.tree, "level": paging.level},
                operator="鈴木",
                console=me,
            ),
        )
        assert answer.applied and answer.seq is not None
        assert answer.holder == runner.lease_holder
        stored = {s.seq: s for s in await console.read(runner.drill_id)}
        ack = stored[answer.seq].event
        assert isinstance(ack, Acknowledged)
        assert ack.source == "manual" and ack.entered_by == "鈴木" and ack.origin == me.id
        assert stored[answer.seq].key == request_key(answer.request_id)
        # The owner applied it: its own fold counts the contact as acknowledged.
        assert runner.state.contact(paging.member, paging.tree).acknowledged

        note = await answered(
            desk,
            ask(console, runner.drill_id, "note", {"text": "二号館から"}, operator="鈴木",
                console=me),
        )  # fmt: skip
        noted = stored_event = (await console.read(runner.drill_id, after_seq=note.seq - 1))[0]
        assert isinstance(stored_event.event, NoteAdded)
        assert noted.event.by == "鈴木" and noted.event.origin == me.id
        await runner.close()


async def test_a_refused_request_says_why_and_records_nothing(db_path: Path) -> None:
    async with EventStore.open(db_path) as engine_store, EventStore.open(db_path) as console:
        runner = runner_on(engine_store)
        await runner.run_until(1)
        before = len(await console.read(runner.drill_id))
        desk = OperatorDesk(engine_store, runner)
        with pytest.raises(RequestRefused, match="no step 'no-such-step'"):
            await answered(
                desk,
                ask(console, runner.drill_id, "step", {"step": "no-such-step"}, operator="x",
                    console=ConsoleIdentity.here("x")),
            )  # fmt: skip
        assert len(await console.read(runner.drill_id)) == before
        assert await console.pending(runner.drill_id) == []
        await runner.close()


async def test_a_request_applied_before_a_crash_is_answered_not_applied_again(
    db_path: Path,
) -> None:
    """The engine recorded the request's event, then died before answering: the next
    pass (here, the same engine's) finds the event by its key and only answers."""
    async with EventStore.open(db_path) as engine_store, EventStore.open(db_path) as console:
        runner = runner_on(engine_store)
        await runner.run_until(1)
        me = ConsoleIdentity.here("鈴木")
        asking = asyncio.ensure_future(
            ask(console, runner.drill_id, "note", {"text": "一度だけ"}, operator="鈴木", console=me)
        )

        async def requested() -> bool:
            return bool(await engine_store.pending(runner.drill_id))

        await wait_until(requested)
        (request,) = await engine_store.pending(runner.drill_id)
        await runner.add_note("一度だけ", by="鈴木", key=request.key, origin=me.id)
        desk = OperatorDesk(engine_store, runner)
        (answer,) = await desk.take_pending()
        assert answer.applied
        assert (await asyncio.wait_for(asking, 20)).seq == answer.seq
        notes = [s for s in await console.read(runner.drill_id) if isinstance(s.event, NoteAdded)]
        assert len(notes) == 1 and notes[0].seq == answer.seq
        await runner.close()


async def test_a_request_nobody_answers_is_reported_and_stays_on_record(db_path: Path) -> None:
    async with EventStore.open(db_path) as console:
        with pytest.raises(RequestRefused, match="no engine is running it"):
            await ask(console, "nobody-runs-this", "note", {"text": "?"}, operator="x",
                      console=ConsoleIdentity.here("x"), wait=0.3)  # fmt: skip
        assert len(await console.pending("nobody-runs-this")) == 1
