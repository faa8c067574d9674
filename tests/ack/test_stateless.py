"""Several ack server instances on one database, none of them running the drill.

The engine runs a drill in one process (`drillkit run --simulate --speed 4`); two
`drillkit ack-server` instances run in two other processes on the same store (SQLite on
disk, and the throwaway PostgreSQL). People press 1 on their call, the keypress reaching
either instance as Twilio's signed callback: each acknowledgement is recorded once by the
engine, and the caller is thanked only after it is durable; the same callback replayed
through the other instance (Twilio retries) is answered DUPLICATE by the engine and
recorded once. One instance is killed (-9) while keypresses are in flight through it
(recorded in the store, not yet answered): the engine applies them all, and the callers'
retries through the other instance are duplicates. When the drill has ended, a keypress
hears that it has ended and nothing is recorded.

(Links through instances that run no drill: `test_relay.py`.)
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from drill.channels.voice import GATHER_PATH, STATUS_PATH, VoiceScript, ending_twiml
from drill.engine.events import Acknowledged, DeliveryFailed, DeliveryUpdated, PageQueued
from drill.plan.models import ChannelKind
from drill.store import EventStore
from drill.store.consoles import CALLBACK, ConsoleIdentity
from drill.store.follow import ask
from drill.store.schema import operator_answers, operator_requests

REPO = Path(__file__).resolve().parents[2]
LINK_KEY = "stateless-test-link-key"
AUTH_TOKEN = "stateless-test-auth-token"
PUBLIC_URL = "http://127.0.0.1:8750"
"""The instances' configured public URL (the default): Twilio signs against it."""
PAGES = 5
"""Calls the test answers (enough that one lost or doubled would show)."""

pytestmark = pytest.mark.slow


def drillkit(url: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("DRILLKIT_FAULT_KILL_AFTER_EVENTS", None)
    env["DRILLKIT_LINK_KEY"] = LINK_KEY
    env["DRILLKIT_TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    env["COLUMNS"] = "400"
    return subprocess.Popen(
        [sys.executable, "-m", "drill", *args, "--db", url],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Instance:
    """One `drillkit ack-server` process and the address it printed."""

    def __init__(self, url: str) -> None:
        self.proc = drillkit(url, "ack-server", "--port", "0", "--lang", "en")
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        stream = self.proc.stdout
        threading.Thread(target=lambda: self.lines.extend(stream), daemon=True).start()
        deadline = time.monotonic() + 60
        while not (found := re.search(r"listening on (http://\S+) ", "".join(self.lines))):
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, (
                f"the ack server never said it listens: {self.lines}"
            )
            time.sleep(0.05)
        self.base = found.group(1)

    async def press(
        self, session: aiohttp.ClientSession, drill_id: str, page_id: str, call: str
    ) -> str:
        """Twilio's keypress callback (1, signed) for `page_id`'s call; the TwiML answer."""
        return await twilio_post(
            session, self.base, GATHER_PATH, {"drill": drill_id, "page": page_id, "lang": "ja"},
            {"CallSid": call, "Digits": "1"},
        )  # fmt: skip


@pytest.fixture
def cleanup() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


async def voice_pages(url: str, count: int) -> tuple[str, list[str]]:
    """The running drill's id and `count` of its calls, once queued."""
    deadline = time.monotonic() + 120
    async with EventStore.open(url) as store:
        while True:
            drill_id = await store.latest_drill_id()
            if drill_id is not None:
                pages = [
                    s.event.page_id
                    for s in await store.read(drill_id)
                    if isinstance(s.event, PageQueued) and s.event.channel is ChannelKind.VOICE
                ]
                if len(pages) >= count:
                    return drill_id, pages[:count]
            assert time.monotonic() < deadline, "the drill never called enough people"
            await asyncio.sleep(0.1)


async def twilio_post(
    session: aiohttp.ClientSession,
    base: str,
    path: str,
    query: dict[str, str],
    form: dict[str, str],
) -> str:
    """POST a callback signed as Twilio signs it (over the public URL); the answer body."""
    path_and_query = f"{path}?{urlencode(query)}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path_and_query, form)
    async with session.post(
        base + path_and_query, data=form, headers={"X-Twilio-Signature": signature}
    ) as response:
        body = await response.text()
        assert response.status in (200, 204), (response.status, body)
        return body


def said(drill_id: str, page_id: str, what: str) -> str:
    """The TwiML a caller hears: "thanks" (recorded) or "finished" (nothing recorded)."""
    return ending_twiml(VoiceScript.bare(drill_id, page_id, "ja"), what)


async def callbacks_waiting(url: str, drill_id: str, count: int) -> None:
    """Until `count` relayed callbacks of the drill wait for its engine's answer."""
    deadline = time.monotonic() + 60
    async with EventStore.open(url) as store:
        while len([r for r in await store.pending(drill_id) if r.kind == CALLBACK]) < count:
            assert time.monotonic() < deadline, "the callbacks never reached the store"
            await asyncio.sleep(0.05)


async def until_recorded(url: str, drill_id: str, keys: list[str]) -> None:
    """Until the engine has recorded an acknowledgement under each of `keys`."""
    deadline = time.monotonic() + 60
    while True:
        recorded = await acks_by_key(url, drill_id)
        if all(recorded[key] for key in keys):
            return
        assert time.monotonic() < deadline, "the engine never applied the recorded callbacks"
        await asyncio.sleep(0.1)


async def acks_by_key(url: str, drill_id: str) -> Counter[str]:
    """How many acknowledgements (not duplicates) each keypress callback key recorded.

    Only the keypresses' (`gather:<call>`): the simulated people answer their own calls
    meanwhile, under keys of their own, whenever the drill's clock says so."""
    async with EventStore.open(url) as store:
        stored = await store.read(drill_id)
    return Counter(
        s.key
        for s in stored
        if not s.duplicate
        and isinstance(s.event, Acknowledged)
        and s.key is not None
        and s.key.startswith("gather:")
    )


async def engine_answers(url: str, drill_id: str) -> Counter[tuple[str, str]]:
    """(callback key, what the engine did) for every relayed keypress, counted."""
    query = (
        select(operator_requests.c.payload, operator_answers.c.message)
        .join(operator_answers, operator_answers.c.request_id == operator_requests.c.request_id)
        .where(operator_requests.c.drill_id == drill_id, operator_requests.c.kind == CALLBACK)
    )
    async with EventStore.open(url) as store:
        rows = await store.read_with(lambda conn: conn.execute(query).all())
        found: Counter[tuple[str, str]] = Counter()
        for payload, message in rows:
            key = re.search(r'"key": "([^"]+)"', payload)
            if key is not None and key.group(1).startswith("gather:"):
                found[key.group(1), message] += 1
        return found


async def test_two_ack_server_instances_on_one_store_record_each_ack_once(
    store_url: str, cleanup: list[subprocess.Popen[str]]
) -> None:
    # Four times real time: its fifth call is placed 40 s into the drill, 10 s here, and
    # the drill's steps still run for some 40 minutes, long after the test has ended it.
    engine = drillkit(
        store_url, "run", "stolen-terminal", "--simulate", "--speed", "4", "--seed", "3",
        "--no-report", "--quiet", "--operator", "統括",
    )  # fmt: skip
    cleanup.append(engine)
    drill_id, pages = await voice_pages(store_url, PAGES)
    first, second = Instance(store_url), Instance(store_url)
    cleanup += [first.proc, second.proc]
    calls = {page: f"CA{index:032d}" for index, page in enumerate(pages)}
    keys = {page: f"gather:{call}" for page, call in calls.items()}

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        # Through either instance: recorded by the engine, then the caller is thanked.
        p0, p1, *rest = pages
        assert await first.press(session, drill_id, p0, calls[p0]) == said(drill_id, p0, "thanks")
        assert await second.press(session, drill_id, p1, calls[p1]) == said(drill_id, p1, "thanks")
        recorded = await acks_by_key(store_url, drill_id)
        assert recorded[keys[p0]] == 1 and recorded[keys[p1]] == 1

        # Twilio retries, through the other instance: the engine says DUPLICATE.
        assert await second.press(session, drill_id, p0, calls[p0]) == said(drill_id, p0, "thanks")
        assert await first.press(session, drill_id, p1, calls[p1]) == said(drill_id, p1, "thanks")
        answers = await engine_answers(store_url, drill_id)
        for page in (p0, p1):
            assert answers[keys[page], "duplicate"] == 1, answers
            assert sum(n for (key, _), n in answers.items() if key == keys[page]) == 2
        assert await acks_by_key(store_url, drill_id) == recorded

        # The call ends; its status reaches the instance that did not take the keypress:
        # completed (the key was pressed), not "ended without the key".
        await twilio_post(
            session, first.base, STATUS_PATH, {"drill": drill_id, "page": p1},
            {"CallSid": calls[p1], "CallStatus": "completed"},
        )  # fmt: skip

        # Kill the first instance mid-stream: its keypresses are in the store but the
        # engine has not answered them yet (it is held still meanwhile, so the moment
        # cannot be missed), and no caller was thanked.
        engine.send_signal(signal.SIGSTOP)
        try:
            sent = [
                asyncio.ensure_future(first.press(session, drill_id, page, calls[page]))
                for page in rest
            ]
            await callbacks_waiting(store_url, drill_id, len(rest))
            first.proc.send_signal(signal.SIGKILL)
            results = await asyncio.gather(*sent, return_exceptions=True)
        finally:
            engine.send_signal(signal.SIGCONT)
        assert first.proc.wait(timeout=30) == -signal.SIGKILL
        assert all(isinstance(r, Exception) for r in results), results  # nobody thanked
        # The engine applies what the killed instance recorded: nothing was lost.
        await until_recorded(store_url, drill_id, [keys[page] for page in rest])
        # Twilio retries them through the other instance: thanked, recorded once.
        for page in rest:
            thanks = said(drill_id, page, "thanks")
            assert await second.press(session, drill_id, page, calls[page]) == thanks
        answers = await engine_answers(store_url, drill_id)
        for page in rest:
            assert answers[keys[page], "duplicate"] == 1, answers

        recorded = await acks_by_key(store_url, drill_id)
        assert {key: recorded[key] for key in keys.values()} == dict.fromkeys(keys.values(), 1)
        async with EventStore.open(store_url) as store:
            stored = [s.event for s in await store.read(drill_id) if not s.duplicate]
            # Every relayed callback has the engine's answer: none is left for nobody.
            assert [r for r in await store.pending(drill_id) if r.kind == CALLBACK] == []
            assert any(
                isinstance(e, DeliveryUpdated) and e.page_id == p1 and e.status == "completed"
                for e in stored
            )
            assert not any(isinstance(e, DeliveryFailed) and e.page_id == p1 for e in stored)

            # End the drill from a console; a keypress then hears that it has ended.
            answer = await ask(
                store, drill_id, "abort", {"reason": "試験終了"}, operator="統括",
                console=ConsoleIdentity.here("統括"),
            )  # fmt: skip
            assert answer.applied
        assert engine.wait(timeout=60) == 0, engine.stderr
        late = await second.press(session, drill_id, p0, "CA-after-the-end")
        assert late == said(drill_id, p0, "finished")
        assert await acks_by_key(store_url, drill_id) == recorded

    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(timeout=30) == 0
    assert second.proc.stderr is not None
    assert "Traceback" not in second.proc.stderr.read()


def test_an_instance_without_the_link_key_says_so_and_does_not_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DRILLKIT_LINK_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "drill", "ack-server", "--db", str(tmp_path / "e.db"), "--port", "0"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "DRILLKIT_LINK_KEY" in done.stderr and "リンク署名キー" in done.stderr
    assert "Traceback" not in done.stderr
    assert "listening" not in done.stdout


def test_an_instance_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "drill", "ack-server", "--db", str(tmp_path / "e.db"),
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env={**os.environ, "DRILLKIT_LINK_KEY": LINK_KEY},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode != 0
    assert f"127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr
