"""Fitting text into terminal cells: full-width (全角) characters take two cells."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text as RichText

__all__ = ["Cell", "cell_len", "clock_text", "fit", "fit_cells", "minutes_text", "prose"]

Cell = str | RichText


def _cells(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, RichText) else cell_len(cell)


def fit_cells(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], available: int, flex: int
) -> tuple[list[int], list[list[Cell]]]:
    """Column widths for a table `available` cells wide (each column padded by one cell
    each side, as DataTable does) and the rows fitted to them: every column as wide as
    its widest cell, except column `flex`, which takes what is left and cuts its cells
    with "…" rather than pushing the other columns off the edge."""
    widths = [max([cell_len(h)] + [_cells(r[i]) for r in rows]) for i, h in enumerate(headers)]
    others = sum(w for i, w in enumerate(widths) if i != flex) + 2 * len(headers)
    if available > 0 and others + widths[flex] > available:
        widths[flex] = max(6, available - others)
    fitted: list[list[Cell]] = []
    for row in rows:
        cells: list[Cell] = []
        for i, cell in enumerate(row):
            if isinstance(cell, RichText):
                cell = cell.copy()
                cell.truncate(widths[i], overflow="ellipsis")
            elif cell_len(cell) > widths[i]:
                cell = fit(cell, widths[i])
            cells.append(cell)
        fitted.append(cells)
    return widths, fitted


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
