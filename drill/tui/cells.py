"""Fitting text into terminal cells: full-width (全角) characters take two cells."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

__all__ = ["cell_len", "clock_text", "fit", "minutes_text", "prose"]


def fit(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` cells; a cut ends with '…'."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def clock_text(seconds: float) -> str:
    """Elapsed time as H:MM:SS (or MM:SS under an hour)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def minutes_text(minutes: float) -> str:
    """5 -> "5", 2.5 -> "2.5"."""
    return f"{minutes:g}"


def _is_wide(ch: str) -> bool:
    return cell_len(ch) == 2


def prose(text: str) -> str:
    """Japanese prose that wraps like Japanese: at any character, not only at spaces.

    Rich breaks lines at spaces, so "CS から都道府県サーバ…" would leave "CS" alone on a
    line and push the rest down. In text with full-width characters, spaces become
    no-break spaces and lines fold at the edge instead.
    """
    if not any(_is_wide(ch) for ch in text):
        return text
    return text.replace(" ", "\u00a0")
