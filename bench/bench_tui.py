"""Console benchmarks (prints figures, asserts nothing).

    .venv/bin/python bench/bench_tui.py [--seconds 10] [--rate 200] [--contacts 5000]

1. The real engine into the board: a drill of --contacts contacts (one parallel level) run
   by a `LiveRun`, as the console starts one, on the real clock; the people are paced so
   the drill makes about --rate changes a second (page sent, then acknowledged). Figures:
   first paint of the board (target <= 1.5 s) and event-loop lag p99 while the board
   follows the drill (target <= 50 ms).
2. `--synthetic`: the same board fed by a generator instead of the engine, with a check
   that every change reached the screen; `--naive`: a plain DataTable with one
   `update_cell` per change, for comparison.
3. Start-up of `drillkit tui` on the bundled sample plan, in a fresh interpreter: to the
   first frame, and to the plan screen painted (median of several runs; target 1.5 s).

Figures are printed with target and ratio and kept in bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_HOME = tempfile.TemporaryDirectory(prefix="bench-tui-")  # removed when the bench ends
os.environ.setdefault("DRILLKIT_HOME", _HOME.name)
os.environ.pop("NO_COLOR", None)

from drill.engine.events import (  # noqa: E402
    Acknowledged,
    DeliveryFailed,
    DeliveryUpdated,
    DrillMode,
    DrillStarted,
    Event,
    LevelStarted,
    PageQueued,
    PageSent,
    TreeStarted,
)
from drill.engine.notifier import DeliveryStatus, FailureReason  # noqa: E402
from drill.engine.state import DrillState  # noqa: E402
from drill.plan import load_plan, sample_plan_dir  # noqa: E402
from drill.plan.models import ChannelKind  # noqa: E402
from drill.tui.board_model import BoardModel, Feed  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from record import record  # noqa: E402

BENCH = "tui"

START = dt.datetime(2026, 1, 31, 1, 0, tzinfo=dt.UTC)
PER_LEVEL = 100
SITES = ("north", "east", "south", "west", "harbour", "hillside", "riverside", "island")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class SyntheticRun:
    """What the board reads from a run, fed by a generator instead of the engine."""

    incident = False
    simulated = True
    report_path: str | None = None
    report_error: str | None = None
    active = True
    over = False
    drill_id = "bench"

    def __init__(self, contacts: int, scenario: Any) -> None:
        self.state = DrillState()
        self.feed = Feed(self.state)
        self.scenario = scenario
        self.events: list[Event] = []
        self.listeners: list[Any] = []
        self.started = time.monotonic()
        self.members: list[tuple[str, str, str]] = []
        self.stage: dict[tuple[str, str, str], int] = {}
        self.pages = 0
        self._emit(self._drill_started(contacts))
        self._emit(self._stamp(TreeStarted, tree="bench", name_ja="訓練用", name_en=None,
                               scope="internal"))  # fmt: skip
        for level_no in range(0, contacts, PER_LEVEL):
            level = f"l{level_no // PER_LEVEL:03d}"
            members = tuple(
                f"m{i:05d}" for i in range(level_no, min(contacts, level_no + PER_LEVEL))
            )
            self._emit(
                self._stamp(
                    LevelStarted, tree="bench", level=level, name_ja=f"第{level_no // PER_LEVEL + 1}段",
                    name_en=None, mode="parallel", required=len(members), members=members,
                    member_sites=tuple(SITES[hash(m) % len(SITES)] for m in members),
                    ack_timeout_minutes=5.0, retries=0, channels=(ChannelKind.VOICE,),
                )
            )  # fmt: skip
            self.members.extend(("bench", level, m) for m in members)
        self.model = BoardModel(self.state)

    def _stamp(self, cls: type[Event], **fields: Any) -> Event:
        elapsed = self.elapsed()
        return cls(at=START + dt.timedelta(seconds=elapsed), elapsed=elapsed, **fields)

    def _drill_started(self, contacts: int) -> Event:
        return self._stamp(
            DrillStarted, drill_id="bench", scenario_id="bench", scenario_title_ja="性能試験",
            scenario_title_en="Benchmark", mode=DrillMode.DRILL, simulated=True, seed=0,
            operator="bench", organisation="サンプル市", plan_root=None, plan_version="1",
            plan_digest="0" * 64, clock="real", speed=None, timezone="Asia/Tokyo",
            trees=("bench",), contacts=contacts, playbook=None, steps=(), injects=0,
        )  # fmt: skip

    def _emit(self, event: Event) -> None:
        # What the runner does: the state first, then the handlers.
        self.state.apply(event)
        self.events.append(event)
        self.feed.note(event)

    def change(self, rng: random.Random) -> None:
        """One state change of one contact: paged, ringing, then answered or failed."""
        # One change in ten is on a row on screen, so repaints are measured too.
        key = rng.choice(self.members[:30] if rng.random() < 0.1 else self.members)
        stage = self.stage.get(key, 0)
        tree, level, member = key
        page_id = f"bench-p{self.pages}"
        if stage == 0:
            self.pages += 1
            page_id = f"bench-p{self.pages}"
            self._emit(self._stamp(
                PageQueued, page_id=page_id, tree=tree, level=level, member=member, role_id=None,
                site=None, person_id=member, person_name=f"職員 {member[1:]}",
                channel=ChannelKind.VOICE, address="+81950001234", attempt=1,
                candidate_index=0, timeout_seconds=300.0,
            ))  # fmt: skip
            self.stage[key] = 1
            return
        contact = self.state.contacts[key]
        page_id = contact.page_id or page_id
        if stage == 1:
            self._emit(self._stamp(PageSent, page_id=page_id, accepted=True, provider_id="x"))
        elif stage == 2:
            status = DeliveryStatus.RINGING
            self._emit(self._stamp(DeliveryUpdated, page_id=page_id, status=status))
        elif rng.random() < 0.85:
            self._emit(self._stamp(
                Acknowledged, page_id=page_id, tree=tree, level=level, member=member,
                person_id=member, person_name=contact.person_name or member,
                channel=ChannelKind.VOICE, source="voice", entered_by=None,
                received_at=START + dt.timedelta(seconds=self.elapsed()), late=False, first=True,
            ))  # fmt: skip
        else:
            reason = FailureReason.NO_ANSWER
            self._emit(self._stamp(DeliveryFailed, page_id=page_id, reason=reason, detail=None))
        self.stage[key] = (stage + 1) % 4

    # -- what the board asks ---------------------------------------------------------

    @property
    def status(self) -> str:
        return "running"

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def now(self) -> dt.datetime:
        return START + dt.timedelta(seconds=self.elapsed())

    def state_events(self, limit: int = 2000) -> list[Event]:
        return self.events[-limit:]


async def _lag_sampler(samples: list[float], stop: asyncio.Event, every: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(every)
        samples.append(max(0.0, loop.time() - before - every))


async def _generate(run: SyntheticRun, rate: float, seconds: float, on_change: Any) -> int:
    rng = random.Random(1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    while True:
        elapsed = loop.time() - start
        if elapsed >= seconds:
            break
        due = int(rate * elapsed)
        while sent < due:
            run.change(rng)
            on_change()
            sent += 1
        await asyncio.sleep(1 / rate)
    return sent


async def bench_board(contacts: int, rate: float, seconds: float) -> None:
    from drill.tui.app import DrillApp
    from drill.tui.board import ContactTable
    from drill.tui.screens.board import BoardScreen

    loaded = load_plan(sample_plan_dir())
    scenario = loaded.plan.scenario("annual-roll-call")
    app = DrillApp(plan=loaded, store_url="memory:", offer_resume=False, reports=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.ready.wait()
        built = time.perf_counter()
        run = SyntheticRun(contacts, scenario)
        setup = time.perf_counter() - built
        app.live_run = run  # type: ignore[assignment]
        shown = time.perf_counter()
        await app.switch_mode("board")
        await pilot.pause()
        mount = time.perf_counter() - shown
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        table = screen.query_one("#contact-table", ContactTable)
        await pilot.pause(1.0)  # let the first layout settle

        # The same board with no changes: what this machine's load alone costs.
        idle: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(idle, stop))
        await asyncio.sleep(min(5.0, seconds))
        stop.set()
        await sampler

        rendered_before = table.lines_rendered
        flushes_before = screen.flushes

        samples: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(samples, stop))
        sent = await _generate(run, rate, seconds, lambda: None)
        await pilot.pause(0.3)  # the last repaint
        stop.set()
        await sampler

        stale = 0
        top = round(table.scroll_offset.y)
        for y in range(table.size.height):
            index = top + y
            if index >= len(table.rows):
                break
            want = table._strip(run.model.cells(table.rows[index]), table.size.width,
                                index == table.cursor, table.rich_style).text  # fmt: skip
            if table.render_line(y).text != want:
                stale += 1
        print(f"board: {contacts} contacts, {rate:g} changes/s for {seconds:g} s "
              f"(state of {len(run.state.contacts)} contacts built in {setup:.2f} s, "
              f"board shown in {mount:.2f} s)")  # fmt: skip
        print(
            f"  idle board (no changes): lag p50 {percentile(idle, 0.5) * 1000:.1f} ms  "
            f"p99 {percentile(idle, 0.99) * 1000:.1f} ms  max {max(idle) * 1000:.1f} ms"
        )
        print(f"  event-loop lag  p50 {percentile(samples, 0.5) * 1000:.1f} ms  "
              f"p99 {percentile(samples, 0.99) * 1000:.1f} ms  "
              f"max {max(samples) * 1000:.1f} ms  ({len(samples)} samples)")  # fmt: skip
        print(f"  changes sent {sent}, received by the board {run.feed.received - 52}, "
              f"applied {run.feed.applied - 52}; rows on screen out of date: {stale}")  # fmt: skip
        print(
            f"  repaints {screen.flushes - flushes_before}, "
            f"row lines drawn {table.lines_rendered - rendered_before}"
        )


class PacedPeople:
    """A notifier for the board bench: accepts every page at once, as a provider does, and
    has the people acknowledge one by one at a steady `rate` through the runner's inbox
    (each acknowledgement is one change on the board)."""

    kinds = frozenset(ChannelKind)
    local = True  # nobody is paged

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.inbox: Any = None
        self.waiting: collections.deque[str] = collections.deque()
        self.sent = 0
        self.answering: asyncio.Task[None] | None = None

    async def start(self, inbox: Any) -> None:
        self.inbox = inbox

    async def send(self, page: Any) -> Any:
        from drill.engine.notifier import SendResult

        self.sent += 1
        self.waiting.append(page.page_id)
        return SendResult.ok(f"bench-{self.sent}")

    def answer(self) -> None:
        """Start the people answering, at the steady rate."""
        self.answering = asyncio.ensure_future(self._answer())

    async def _answer(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while self.waiting:
            next_at += self.interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            await self.inbox.acknowledge(self.waiting.popleft(), source="voice")

    async def close(self) -> None:
        if self.answering is not None:
            self.answering.cancel()


def board_plan(contacts: int) -> Any:
    """One parallel level of `contacts` roles, each a person with a phone, in 8 sites."""
    from drill.engine.synthetic import PlanBuilder

    b = PlanBuilder()
    sites = [b.site(name) for name in SITES]
    roles = [
        b.role(f"r{n:05d}", b.person(f"p{n:05d}", sms=0, email=0, site=sites[n % len(sites)]))
        for n in range(contacts)
    ]
    b.level("t", "all", roles, timeout=60, channels=("voice",))
    return b.build()


async def bench_engine_board(contacts: int, rate: float, seconds: float) -> None:
    """The real engine (a `LiveRun`, as the console starts one) driving the live board."""
    from drill.engine.assembly import ClockRequest
    from drill.engine.sink import MemorySink
    from drill.tui.app import DrillApp
    from drill.tui.screens.board import BoardScreen
    from drill.tui.session import LiveRun, RunRequest

    loaded = load_plan(sample_plan_dir())
    app = DrillApp(plan=loaded, store_url="memory:", offer_resume=False, reports=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.ready.wait()
        plan = board_plan(contacts)
        people = PacedPeople(rate)
        errors: list[BaseException] = []
        run = await LiveRun.create(
            plan,
            RunRequest(scenario=plan.scenarios[0].id, mode=DrillMode.DRILL, simulated=False),
            sink=MemorySink(),
            notifiers=[people],
            clock=ClockRequest(speed=1.0),
            on_end=lambda _: None,
            on_error=errors.append,
        )
        app.live_run = run
        began = time.perf_counter()
        await app.switch_mode("board")
        await pilot.pause()
        painted = time.perf_counter() - began
        assert isinstance(app.screen, BoardScreen)
        record(BENCH, f"first paint of a {contacts:,}-contact board", painted, "s", 1.5,
               note="switch to the board until it is drawn, real engine's run")  # fmt: skip
        await run.begin()  # every page queued and sent: the first burst
        await pilot.pause(1.0)  # let the board catch up with the burst
        people.answer()
        samples: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(samples, stop))
        events_before = len(run.events)
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        stop.set()
        await sampler
        changes = len(run.events) - events_before
        measured_rate = changes / (time.perf_counter() - started)
        record(BENCH, f"event-loop lag p99, real engine, {contacts:,} contacts",
               percentile(samples, 0.99) * 1000, "ms", 50.0,
               note=f"{measured_rate:.0f} changes/s (asked {rate:g}); "
               f"p50 {percentile(samples, 0.5) * 1000:.1f} ms, "
               f"max {max(samples, default=0) * 1000:.1f} ms")  # fmt: skip
        if errors:
            raise SystemExit(f"the run failed: {errors[0]!r}")
        await people.close()


async def bench_naive(contacts: int, rate: float, seconds: float) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Naive(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(id="t")

    app = Naive()
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one(DataTable)
        for name in ("状態", "氏名", "詳細"):
            table.add_column(name, key=name)
        began = time.perf_counter()
        keys = [f"m{i:05d}" for i in range(contacts)]
        table.add_rows([("前段待ち", f"職員 {k[1:]}", "") for k in keys])
        await pilot.pause()
        mount = time.perf_counter() - began
        rows = list(table.rows)
        samples: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(samples, stop))
        rng = random.Random(1)
        states = ("呼出し中", "着信中", "応答", "応答なし")
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = 0
        while loop.time() - start < seconds:
            due = int(rate * (loop.time() - start))
            while sent < due:
                row = rng.choice(rows)
                table.update_cell(row, "状態", rng.choice(states))
                sent += 1
            await asyncio.sleep(1 / rate)
        await pilot.pause(0.3)
        stop.set()
        await sampler
        print(f"naive DataTable: {contacts} rows added in {mount:.2f} s, {sent} update_cell")
        print(f"  event-loop lag  p50 {percentile(samples, 0.5) * 1000:.1f} ms  "
              f"p99 {percentile(samples, 0.99) * 1000:.1f} ms  "
              f"max {max(samples) * 1000:.1f} ms")  # fmt: skip


_STARTUP = r"""
import os, sys, time
t0 = float(sys.argv[1])
from drill.tui.app import DrillApp
marks = {}
class Timed(DrillApp):
    def on_ready(self):
        marks["frame"] = time.time()
    async def _watch(self):
        await self.ready.wait()
        self.call_after_refresh(self._painted)
    def _painted(self):
        marks["plan"] = time.time()
        self.exit()
    def on_mount(self):
        self.run_worker(self._watch())
app = Timed(offer_resume=False, store_url="memory:")
app.run(headless=True, size=(120, 40))
print(marks["frame"] - t0, marks["plan"] - t0)
"""


def bench_startup(runs: int) -> None:
    frames: list[float] = []
    plans: list[float] = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", _STARTUP, str(t0)],
            capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=True,
        )  # fmt: skip
        frame, plan = (float(x) for x in out.stdout.split()[-2:])
        frames.append(frame)
        plans.append(plan)
    print(f"start-up (fresh interpreter, sample plan, {runs} runs, median): first frame "
          f"{statistics.median(frames):.2f} s, plan screen painted {statistics.median(plans):.2f} s "
          f"(min {min(plans):.2f} s, max {max(plans):.2f} s)")  # fmt: skip
    record(BENCH, "drillkit tui start-up to the plan screen painted", statistics.median(plans),
           "s", 1.5, note=f"median of {runs}, sample plan")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--contacts", type=int, default=5000, help="contacts on the board")
    parser.add_argument("--rate", type=float, default=200.0, help="changes per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of changes")
    parser.add_argument("--startup-runs", type=int, default=5, help="runs of `drillkit tui`")
    parser.add_argument(
        "--synthetic", action="store_true", help="also feed the board from a generator"
    )
    parser.add_argument("--naive", action="store_true", help="also time a plain DataTable")
    args = parser.parse_args()
    try:
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f}")
    except OSError:
        pass
    asyncio.run(bench_engine_board(args.contacts, args.rate, args.seconds))
    if args.synthetic:
        asyncio.run(bench_board(args.contacts, args.rate, args.seconds))
    if args.naive:
        asyncio.run(bench_naive(args.contacts, args.rate, args.seconds))
    if args.startup_runs:
        bench_startup(args.startup_runs)


if __name__ == "__main__":
    main()
