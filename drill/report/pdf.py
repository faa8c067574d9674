"""PDF from HTML through a headless Chromium (Chromium, Google Chrome or Microsoft Edge).

The paper contact tree is HTML laid out for A4 (`@page`); a browser's own print engine
turns it into a PDF exactly as it would print it, Japanese fonts included, and any
municipal PC already has one. `DRILLKIT_CHROMIUM` names the browser when it is not on
PATH under a usual name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from drill.errors import DrillError

__all__ = ["CHROMIUM_FLAGS", "ReportError", "find_chromium", "html_to_pdf"]

_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "msedge",
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
)
"""Flags for a browser that must not reach out to the network on its own."""


class ReportError(DrillError):
    """A report or a printable page could not be written."""

    title = "Report error"


def find_chromium() -> str | None:
    """The browser to print with: `DRILLKIT_CHROMIUM`, else a usual name on PATH."""
    override = os.environ.get("DRILLKIT_CHROMIUM")
    if override:
        return override if Path(override).exists() else shutil.which(override)
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, out: Path, *, timeout: float = 120.0) -> Path:
    """Print `html` to the PDF file `out` with a headless browser."""
    browser = find_chromium()
    if browser is None:
        raise ReportError(
            "Making a PDF needs Chromium, Google Chrome or Microsoft Edge, and none was "
            "found. Install one (Debian/Ubuntu: `apt-get install chromium`) or set "
            "DRILLKIT_CHROMIUM to its path; or write HTML with --format html and print it "
            "from any browser."
        )
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="drillkit-pdf-") as work:
        page = Path(work) / "page.html"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(work) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"The browser {browser} could not print the PDF: {exc}") from exc
    if result.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        detail = (result.stderr or "").strip().splitlines()[-1:] or [""]
        raise ReportError(
            f"The browser {browser} did not write {out} (exit {result.returncode}). {detail[0]}"
        )
    return out
