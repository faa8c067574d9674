"""PDF from HTML through a headless Chromium (Chromium, Google Chrome or Microsoft Edge).

The paper contact tree is HTML laid out for A4 (`@page`); a browser's own print engine
turns it into a PDF exactly as it would print it, Japanese fonts included, and any
municipal PC already has one. `DRILLKIT_CHROMIUM` names the browser when it is not on
PATH under a usual name.

A browser prints Japanese only with a Japanese font: without one every kanji is a box
(tofu) and nothing says so. `html_to_pdf` therefore checks first (`japanese_fonts`:
fontconfig on Linux; macOS and Windows ship Hiragino, Yu Gothic and Meiryo) and stops
with what to install when there is none. No Python dependency ships such a font without
pulling in a plotting library, so the font comes from the system.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from drill.errors import DrillError

__all__ = [
    "CHROMIUM_FLAGS",
    "NO_JAPANESE_FONT",
    "ReportError",
    "find_chromium",
    "html_to_pdf",
    "japanese_fonts",
]

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


NO_JAPANESE_FONT = (
    "PDF に使える日本語フォントが見つかりません。このままでは日本語が四角（□）で印刷されるため、"
    "PDF は作りません。日本語フォントを入れてからやり直してください"
    "（Debian/Ubuntu: `apt-get install fonts-noto-cjk`、または `apt-get install fonts-ipaexfont`）。"
    "HTML で書き出してブラウザから印刷することもできます。\n"
    "No Japanese font was found, so every Japanese character would print as a box; no PDF "
    "was written. Install one (Debian/Ubuntu: `apt-get install fonts-noto-cjk` or "
    "`apt-get install fonts-ipaexfont`) and try again, or write HTML (--format html) and "
    "print it from a browser."
)
"""What `html_to_pdf` says when no Japanese font is installed."""

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_JAPANESE_FILES = ("cjk", "ipaex", "ipag", "ipam", "takao", "vlgothic", "notosansjp", "sawarabi")


def japanese_fonts() -> list[str]:
    """Fonts with Japanese glyphs that a browser here can print with (empty: none).

    macOS and Windows always have one (Hiragino; Yu Gothic, Meiryo). Elsewhere fontconfig
    answers (`fc-list :lang=ja`), which is what Chromium itself asks; without fontconfig,
    the usual font folders are searched for the usual Japanese font files.
    """
    if sys.platform in ("darwin", "win32"):
        return ["system"]
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        try:
            found = subprocess.run(
                [fc_list, ":lang=ja", "family"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            found = ""
        return sorted({line.strip() for line in found.splitlines() if line.strip()})
    files: list[str] = []
    for folder in _FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            files += [
                p.name
                for p in root.rglob("*")
                if p.suffix.lower() in (".ttf", ".otf", ".ttc")
                and any(k in p.name.lower().replace("-", "") for k in _JAPANESE_FILES)
            ]
    return sorted(files)


def html_to_pdf(html: str, out: Path, *, timeout: float = 120.0) -> Path:
    """Print `html` to the PDF file `out` with a headless browser.

    ReportError, before anything is printed, when no Japanese font is installed
    (`NO_JAPANESE_FONT` says what to install) or no browser is found."""
    if not japanese_fonts():
        raise ReportError(NO_JAPANESE_FONT)
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
