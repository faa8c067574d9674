"""Regenerate the pictures in docs/screenshots/ (`make screenshots`).

- The console (SVG, Textual's own screenshot): the plan, the start dialog, the live board
  six minutes into the annual roll call, and the help, at 120×35, in Japanese; the board
  also at 80×24. Virtual time from a fixed date and seeded simulated people, so the
  pictures change only when the console does.
- The report of the same drill (HTML, as written), and a PNG of its first page when a
  headless Chromium is at hand (`DRILLKIT_CHROMIUM`, or chromium on PATH) — it needs a
  Japanese font (fonts-noto-cjk or fonts-ipaexfont); without a browser the PNG is skipped
  and the script says so.

Nothing is sent anywhere; the data directory is a temporary one.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"


async def _wait(pilot: object, condition: object, tries: int = 2000) -> None:
    for _ in range(tries):
        if condition():  # type: ignore[operator]
            return
        await pilot.pause(0.02)  # type: ignore[attr-defined]
    raise RuntimeError("the console never got there")


async def console_shots(size: tuple[int, int], names: dict[str, str]) -> list[Path]:
    """Save the screens named in `names` (plan, start, board, help) as SVG files."""
    from drill.plan import sample_plan_dir
    from drill.tui.app import DrillApp
    from drill.tui.dialogs import StartDrillDialog
    from drill.tui.screens.base import NavBar
    from drill.tui.screens.help import HelpScreen

    counter = itertools.count(1)
    app = DrillApp(
        sample_plan_dir(),
        language="ja",
        clock="virtual",
        real_channels=False,
        operator="当直 太郎",
        seed=7,
        drill_ids=lambda: f"20260131-1000-s{next(counter):03d}",
        offer_resume=False,
        store_url="memory:",
        reports=False,
    )
    written: list[Path] = []

    def save(key: str) -> None:
        if key in names:
            written.append(Path(app.save_screenshot(names[key], str(OUT))))

    async with app.run_test(size=size) as pilot:
        await app.ready.wait()
        await app.store_ready.wait()
        await pilot.pause()
        save("plan")
        if "help" in names:
            await pilot.press("question_mark")
            await _wait(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.pause()
            save("help")
            await pilot.press("escape")
        await pilot.press("3")
        await _wait(pilot, lambda: bool(app.screen.query("#scenario-detail")))
        await pilot.press("down", "d")
        await _wait(
            pilot,
            lambda: isinstance(app.screen, StartDrillDialog) and bool(app.screen.query("#go")),
        )
        await pilot.click("#start-simulated")
        await pilot.click("#speed-60")
        await pilot.pause()
        save("start")
        await pilot.click("#go")
        await _wait(pilot, lambda: app.live_run is not None and app.live_run.begun.is_set())
        run = app.live_run
        assert run is not None
        await run.advance(6)
        flush = getattr(app.screen, "flush", None)
        if flush is not None:
            flush(force=True)
        app.screen.query_one(NavBar).update_run()
        await pilot.pause()
        save("board")
        await app.abort_run(reason="画面の撮影", by="当直 太郎").wait()
    return written


def report_shots(work: Path) -> list[Path]:
    """The annual roll call run headless, its HTML report copied, and a PNG if possible."""
    env = {**os.environ, "DRILLKIT_HOME": str(work), "DRILLKIT_LANG": "ja"}
    env.pop("DRILLKIT_DB", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "drill",
            "run",
            "annual-roll-call",
            "--simulate",
            "--seed",
            "11",
            "--start-at",
            "2026-01-30 10:00",
            "--operator",
            "当直 太郎",
            "-q",
        ],
        env=env,
        check=True,
        cwd=REPO,
    )
    html = next((work / "reports").glob("*/report.html"))
    target = OUT / "report.html"
    shutil.copyfile(html, target)
    written = [target]
    from drill.report.pdf import CHROMIUM_FLAGS, find_chromium

    browser = find_chromium()
    if browser is None:
        print("no headless Chromium found: the report's PNG is not made (report.html is)")
        return written
    png = OUT / "report.png"
    subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={work / 'chromium'}",
            "--hide-scrollbars",
            "--window-size=1100,1600",
            f"--screenshot={png}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    written.append(png)
    return written


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    written = asyncio.run(
        console_shots(
            (120, 35),
            {
                "plan": "console-plan.svg",
                "help": "console-help.svg",
                "start": "console-start.svg",
                "board": "console-board.svg",
            },
        )
    )
    written += asyncio.run(console_shots((80, 24), {"board": "console-board-80x24.svg"}))
    with tempfile.TemporaryDirectory(prefix="drillkit-shots-") as work:
        written += report_shots(Path(work))
    for path in written:
        print(path.relative_to(REPO))


if __name__ == "__main__":
    main()
