"""`drillkit handover` as a user runs it: a subprocess asking the engine that runs the drill
(here, in the test's process, on one SQLite file) to record a handover; and its errors."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from drill.engine.events import HandedOver
from drill.store import EventStore
from drill.store.follow import OperatorDesk
from tests.store.test_consoles import runner_on


async def drillkit(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "drill",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_handover_is_recorded_by_the_running_engine_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    async with EventStore.open(db) as store:
        runner = runner_on(store)  # started by 佐藤
        await runner.run_until(2)
        desk = OperatorDesk(store, runner)
        serving = asyncio.ensure_future(desk.serve())
        try:
            code, out, err = await drillkit(
                "handover", runner.drill_id, "--to", "鈴木", "--note", "県へ第1報済み",
                "--by", "佐藤", "--db", str(db),
            )  # fmt: skip
            assert code == 0, err
            assert "佐藤 から 鈴木 に交代しました" in out
            assert runner.state.officer is not None and runner.state.officer.name == "鈴木"

            # Clear errors, exit non-zero, no traceback, nothing recorded.
            code, _, err = await drillkit(
                "handover", runner.drill_id, "--to", "鈴木", "--db", str(db)
            )
            assert code != 0 and "鈴木 はすでに訓練" in err and "Traceback" not in err
            code, _, err = await drillkit("handover", "no-such-drill", "--to", "x", "--db", str(db))
            assert code != 0 and "no-such-drill はありません" in err and "Traceback" not in err
            code, _, err = await drillkit(
                "handover", runner.drill_id, "--to", " ", "--db", str(db), "--lang", "en"
            )
            assert code != 0 and "--to is empty" in err
        finally:
            desk.stop()
            await serving

        # Nobody answering (no desk): said so, and the request is kept for the engine.
        code, _, err = await drillkit(
            "handover", runner.drill_id, "--to", "高橋", "--wait", "0.3", "--db", str(db)
        )
        assert code != 0 and "応答がありませんでした" in err and "Traceback" not in err
        await desk.take_pending()  # an engine that serves again applies it, once
        await desk.take_pending()

        stored = [i for i in await store.read(runner.drill_id) if isinstance(i.event, HandedOver)]
        assert [(i.event.from_officer, i.event.to_officer, i.event.by) for i in stored] == [
            ("佐藤", "鈴木", "佐藤"),
            ("鈴木", "高橋", stored[1].event.by),
        ]
        assert stored[0].event.note == "県へ第1報済み"
        assert stored[0].key is not None and stored[0].key.startswith("console-request:")

        await runner.abort(by="佐藤", reason="訓練終了")
        code, _, err = await drillkit("handover", runner.drill_id, "--to", "佐藤", "--db", str(db))
        assert code != 0 and "すでに終わっています" in err
        await runner.close()
