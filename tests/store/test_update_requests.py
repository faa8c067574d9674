"""A status update (第N報) asked for at another console (or by `drillkit update`), through
the store: the owning engine's desk applies it once, with who asked and from where."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from drill.cli import cli
from drill.engine.clock import VirtualClock
from drill.engine.events import UpdateIssued
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.plan import load_plan, sample_plan_dir
from drill.store import EventStore
from drill.store.consoles import ConsoleIdentity, RequestAnswer, request_key
from drill.store.follow import OperatorDesk, RequestRefused, ask


async def wait_until(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def runner_on(store: EventStore) -> DrillRunner:
    plan = load_plan(sample_plan_dir(), lint=False).plan
    return DrillRunner(
        plan,
        "stolen-terminal",
        sink=store,
        notifiers=[SimulatedNotifier(ResponseModel(seed=7))],
        clock=VirtualClock(),
        operator="佐藤",
        simulated=True,
    )


async def answered(desk: OperatorDesk, request: Awaitable[RequestAnswer]) -> RequestAnswer:
    task = asyncio.ensure_future(request)

    async def done() -> bool:
        if not task.done():
            await desk.take_pending()
        return task.done()

    await wait_until(done)
    return task.result()


async def test_an_update_from_another_console_is_sent_once_with_attribution(
    db_path: Path,
) -> None:
    async with EventStore.open(db_path) as engine_store, EventStore.open(db_path) as console:
        runner = runner_on(engine_store)
        await runner.run_until(5)
        assert any(c.ack for c in runner.state.contacts.values())
        desk = OperatorDesk(engine_store, runner)
        me = ConsoleIdentity.here("鈴木")
        payload = {"text": "端末の所在を確認中", "kind": None, "audience": "reached"}
        answer = await answered(
            desk, ask(console, runner.drill_id, "update", payload, operator="鈴木", console=me)
        )
        assert answer.applied and answer.seq is not None
        stored = {s.seq: s for s in await console.read(runner.drill_id)}
        issued = stored[answer.seq].event
        assert isinstance(issued, UpdateIssued)
        assert (issued.number, issued.by, issued.origin) == (1, "鈴木", me.id)
        assert stored[answer.seq].key == request_key(answer.request_id)
        assert runner.state.update(1) is not None
        # The same request again (a desk taking the drill over) is answered, not re-applied.
        assert await desk.take_pending() == []
        assert len(runner.state.updates) == 1

        bad = {"text": "x", "kind": None, "audience": "tree:no-such-tree"}
        with pytest.raises(RequestRefused, match="no-such-tree"):
            await answered(
                desk, ask(console, runner.drill_id, "update", bad, operator="鈴木", console=me)
            )
        assert len(runner.state.updates) == 1
        await runner.close()


def test_drillkit_update_sends_through_the_running_engine(db_path: Path) -> None:
    async def engine(ready: asyncio.Event, done: asyncio.Event) -> list[object]:
        async with EventStore.open(db_path) as store:
            runner = runner_on(store)
            await runner.run_until(5)
            desk = OperatorDesk(store, runner)
            ready.set()
            while not runner.state.updates:
                await desk.take_pending()
                await asyncio.sleep(0.02)
            await done.wait()
            updates = list(runner.state.updates)
            await runner.close()
            return updates

    async def main() -> tuple[list[object], object]:
        ready, done = asyncio.Event(), asyncio.Event()
        task = asyncio.ensure_future(engine(ready, done))
        await ready.wait()
        async with EventStore.open(db_path) as store:
            drill_id = (await store.drills())[0].drill_id
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            ["update", drill_id, "--text", "警察へ届出済み", "--final", "--db", str(db_path)],
        )
        done.set()
        return await task, result

    updates, result = asyncio.run(main())
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "第1報（最終報）を" in result.output  # type: ignore[attr-defined]
    [update] = updates
    assert update.kind == "final" and update.issued.text == "警察へ届出済み"  # type: ignore[attr-defined]


def test_drillkit_update_refuses_an_unknown_drill(db_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["update", "no-such-drill", "--text", "x", "--db", str(db_path)]
    )
    assert result.exit_code != 0
    assert "no-such-drill" in result.output and "Traceback" not in result.output
