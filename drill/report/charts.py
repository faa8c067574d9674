"""Charts of the HTML report, written directly as small inline SVG.

Why not a plotting library: matplotlib drew the same four charts, but importing it took
0.6-1.7 s and each chart 0.1 s, most of the time of a 24-contact report (1.5 s in all).
These charts are a step curve, a histogram, a few bars and two lines on linear axes;
written here they take milliseconds, and the SVG is a tenth of the size.

Text stays text, with a Japanese font list (`FONTS`), so the browser draws 応答率 with
whatever Japanese font the reader's machine has (Hiragino, Yu Gothic, Meiryo, Noto Sans
CJK) and the text stays searchable and selectable. Output is deterministic (no ids, no
date), so a report re-rendered years later is byte-for-byte the same.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from html import escape

from drill.report.types import Report
from drill.words import Words

__all__ = ["FONTS", "ack_curve", "distribution", "history", "levels_and_sites"]

FONTS = (
    "Hiragino Sans",
    "Hiragino Kaku Gothic ProN",
    "Yu Gothic",
    "Meiryo",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "IPAexGothic",
    "DejaVu Sans",
    "sans-serif",
)
_INK = "#1a1a1a"
_LINE = "#1f4e9c"
_OK = "#2e7d32"
_BAD = "#b3261e"
_MUTED = "#8a8a8a"
_GRID = "#dddddd"
_MAX_POINTS = 800
_MAX_ROWS = 40
_WIDTH = 720.0
_FONT_SIZE = 12.0
_SMALL = 9.5


def _n(value: float) -> str:
    """A coordinate with at most one decimal: small, stable output."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_width(text: str, size: float) -> float:
    """Roughly how wide `text` is drawn: full-width characters are one em, others 0.6."""
    ems = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)
    return ems * size


def _ticks(low: float, high: float, count: int = 6, integer: bool = False) -> list[float]:
    """Round tick values (1, 2 or 5 × 10ⁿ apart) covering [low, high]."""
    span = max(high - low, 1e-9)
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:.10g}" if value == int(value) else f"{value:.4g}"


class _Plot:
    """One plot area on an SVG canvas: linear scales, grid, axes and labels."""

    def __init__(
        self,
        height: float,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        left: float = 52.0,
        bottom: float = 40.0,
        top: float = 18.0,
        right: float = 16.0,
    ) -> None:
        self.height = height
        self.left, self.right = left, _WIDTH - right
        self.top, self.bottom = top, height - bottom
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.parts: list[str] = []

    def x(self, value: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (value - self.x0) / span * (self.right - self.left)

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.bottom - (value - self.y0) / span * (self.bottom - self.top)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        anchor: str = "start",
        size: float = _FONT_SIZE,
        colour: str = _INK,
        extra: str = "",
    ) -> None:
        self.add(
            f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{_n(size)}" '
            f'fill="{colour}"{extra}>{escape(text)}</text>'
        )

    def vline(self, value: float, colour: str, dash: str = "", width: float = 1.0) -> None:
        x = _n(self.x(value))
        self.add(
            f'<line x1="{x}" y1="{_n(self.top)}" x2="{x}" y2="{_n(self.bottom)}" '
            f'stroke="{colour}" stroke-width="{_n(width)}"{_dash(dash)}/>'
        )

    def hline(self, value: float, colour: str, dash: str = "", width: float = 1.0) -> None:
        y = _n(self.y(value))
        self.add(
            f'<line x1="{_n(self.left)}" y1="{y}" x2="{_n(self.right)}" y2="{y}" '
            f'stroke="{colour}" stroke-width="{_n(width)}"{_dash(dash)}/>'
        )

    def x_axis(self, ticks: Sequence[float], label: str, grid: bool = True) -> None:
        for tick in ticks:
            x = self.x(tick)
            if grid:
                self.add(_line(x, self.top, x, self.bottom, _GRID, 0.8))
            self.add(_line(x, self.bottom, x, self.bottom + 4, _INK, 1.0))
            self.text(x, self.bottom + 16, _label(tick), "middle", _SMALL + 0.5)
        self.add(_line(self.left, self.bottom, self.right, self.bottom, _INK, 1.0))
        self.text((self.left + self.right) / 2, self.height - 6, label, "middle")

    def y_axis(self, ticks: Sequence[float], label: str, grid: bool = True) -> None:
        for tick in ticks:
            y = self.y(tick)
            if grid:
                self.add(_line(self.left, y, self.right, y, _GRID, 0.8))
            self.add(_line(self.left - 4, y, self.left, y, _INK, 1.0))
            self.text(self.left - 7, y + 4, _label(tick), "end", _SMALL + 0.5)
        self.add(_line(self.left, self.top, self.left, self.bottom, _INK, 1.0))
        if label:
            mid = (self.top + self.bottom) / 2
            self.text(14, mid, label, "middle", extra=f' transform="rotate(-90 14 {_n(mid)})"')

    def svg(self, title: str) -> str:
        fonts = ", ".join(f"'{f}'" if " " in f else f for f in FONTS)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(_WIDTH)} '
            f'{_n(self.height)}" font-family="{fonts}" role="img" '
            f'aria-label="{escape(title)}">\n' + "\n".join(self.parts) + "\n</svg>"
        )


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, width: float) -> str:
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{colour}" stroke-width="{_n(width)}"/>'
    )


_DOTTED = "2 3"
_DASHED = "6 4"


def _thin(points: Sequence[tuple[float, int]]) -> list[tuple[float, int]]:
    """At most `_MAX_POINTS` steps; the last point of each stretch keeps the shape."""
    if len(points) <= _MAX_POINTS:
        return list(points)
    stride = len(points) / _MAX_POINTS
    chosen = [points[min(len(points) - 1, int((i + 1) * stride) - 1)] for i in range(_MAX_POINTS)]
    if chosen[-1] != points[-1]:
        chosen.append(points[-1])
    return chosen


def ack_curve(report: Report, w: Words) -> str:
    """Cumulative share acknowledged over minutes, with injects and 50/90 % lines."""
    curve = report.curve
    end = report.drill.duration_seconds
    last = curve.points[-1][0] if curve.points else 0.0
    horizon = max(end or 0.0, last, 60.0) / 60.0
    plot = _Plot(300.0, (0.0, horizon), (0.0, 100.0), top=26.0)
    plot.x_axis(_ticks(0.0, horizon), w("minutes_from_start"))
    plot.y_axis(_ticks(0.0, 100.0, 5), w("share_axis"))
    total = max(curve.total, 1)
    steps = [(t / 60.0, 100.0 * n / total) for t, n in _thin(curve.points)]
    path = [f"M{_n(plot.x(0.0))} {_n(plot.y(0.0))}"]
    for minutes, share in steps:
        path.append(f"H{_n(plot.x(minutes))}V{_n(plot.y(share))}")
    path.append(f"H{_n(plot.x(horizon))}")
    line = "".join(path)
    base = _n(plot.y(0.0))
    plot.add(f'<path d="{line}V{base}Z" fill="{_LINE}" fill-opacity="0.08" stroke="none"/>')
    plot.add(f'<path d="{line}" fill="none" stroke="{_LINE}" stroke-width="2.2"/>')
    for share in (50, 90):
        plot.hline(share, _MUTED, _DOTTED)
    injects = [t for t in report.timeline if t.kind == "inject"]
    for number, entry in enumerate(injects, start=1):
        plot.vline(entry.elapsed / 60.0, _MUTED, _DOTTED)
        plot.text(
            plot.x(entry.elapsed / 60.0), plot.top - 5, f"#{number}", "middle", _SMALL, _MUTED
        )
    sites = report.summary.all_sites_seconds
    if sites is not None:
        plot.vline(sites / 60.0, _OK, width=1.2)
        plot.text(
            plot.x(sites / 60.0) + 4, plot.y(8.0), w("time_all_sites"), size=_SMALL, colour=_OK
        )
    return plot.svg(w("curve_caption"))


def distribution(report: Report, w: Words) -> str:
    """Histogram of minutes from a contact's first page to its acknowledgement."""
    minutes = [t / 60.0 for t in report.curve.times_to_ack]
    low = min(minutes, default=0.0)
    high = max(minutes, default=1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    bins = max(5, min(30, int(max(minutes, default=0.0) * 2) + 1))
    width = (high - low) / bins
    counts = [0] * bins
    for value in minutes:
        counts[min(bins - 1, int((value - low) / width))] += 1
    tallest = max(counts, default=0) or 1
    y_ticks = _ticks(0.0, tallest, 5, integer=True)
    if y_ticks[-1] < tallest:
        y_ticks.append(2 * y_ticks[-1] - y_ticks[-2] if len(y_ticks) > 1 else float(tallest))
    pad = (high - low) * 0.04
    plot = _Plot(240.0, (low - pad, high + pad), (0.0, y_ticks[-1]))
    plot.x_axis(_ticks(low - pad, high + pad), w("distribution_axis"), grid=False)
    plot.y_axis(y_ticks, w("people_axis"))
    for index, count in enumerate(counts):
        if count:
            left = plot.x(low + index * width)
            right = plot.x(low + (index + 1) * width)
            top = plot.y(count)
            plot.add(
                f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(right - left)}" '
                f'height="{_n(plot.bottom - top)}" fill="{_LINE}" fill-opacity="0.85" '
                'stroke="white" stroke-width="1"/>'
            )
    marks = ((report.curve.median_seconds, ""), (report.curve.p90_seconds, _DASHED))
    for seconds, dash in marks:
        if seconds is not None and low <= seconds / 60.0 <= high:
            plot.vline(seconds / 60.0, _INK, dash)
    return plot.svg(w("distribution"))


def levels_and_sites(report: Report, w: Words) -> str:
    """Each level as a bar from start to finish; each regional centre as a dot."""
    levels = list(report.levels)[:_MAX_ROWS]
    centres = [s for s in report.sites if s.regional_centre][:_MAX_ROWS]
    labels = [level.name.get(w.lang) for level in levels]
    labels += [site.name.get(w.lang) for site in centres]
    reference = report.summary.nagasaki_all_sites_minutes
    ends = [reference]
    ends += [(lv.completed_seconds or 0.0) / 60.0 for lv in levels]
    ends += [(s.reached_seconds or 0.0) / 60.0 for s in centres]
    high = max(ends) * 1.05
    row = 22.0
    left = 12.0 + max((_text_width(t, _SMALL + 0.5) for t in labels), default=0.0)
    plot = _Plot(
        row * max(len(labels), 1) + 70.0,
        (0.0, high),
        (float(len(labels)), 0.0),
        left=min(left, _WIDTH / 2),
        top=26.0,
    )
    plot.x_axis(_ticks(0.0, high), w("minutes_from_start"))
    plot.y_axis([], "", grid=False)
    for index, text in enumerate(labels):
        middle = (plot.y(index) + plot.y(index + 1)) / 2
        plot.text(plot.left - 6, middle + 4, text, "end", _SMALL + 0.5)
    for index, level in enumerate(levels):
        start = (level.started_seconds or 0.0) / 60.0
        if level.completed_seconds is None:
            continue
        colour = _OK if level.satisfied else (_BAD if level.satisfied is False else _MUTED)
        x0, x1 = plot.x(start), plot.x(level.completed_seconds / 60.0)
        y0 = plot.y(index) + row * 0.2
        plot.add(
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(max(x1 - x0, 1.0))}" '
            f'height="{_n(row * 0.6)}" fill="{colour}"/>'
        )
    for offset, site in enumerate(centres):
        middle = (plot.y(len(levels) + offset) + plot.y(len(levels) + offset + 1)) / 2
        if site.reached_seconds is not None:
            x = plot.x(site.reached_seconds / 60.0)
            plot.add(f'<circle cx="{_n(x)}" cy="{_n(middle)}" r="4" fill="{_LINE}"/>')
        else:
            x = plot.x(0.0)
            plot.add(
                f'<path d="M{_n(x - 4)} {_n(middle - 4)}l8 8m0 -8l-8 8" '
                f'stroke="{_BAD}" stroke-width="1.6"/>'
            )
    plot.vline(reference, _MUTED, _DASHED)
    plot.text(
        plot.x(reference) - 4,
        plot.top - 6,
        w("reference_line", m=f"{reference:g}"),
        "end",
        _SMALL,
        _MUTED,
    )
    return plot.svg(w("levels_fig"))


def history(report: Report, w: Words) -> str:
    """Duration and time to every regional centre, drill by drill."""
    rows = report.history.rows
    summary = report.summary
    series = (
        ("duration", _INK, [r.duration_seconds for r in rows]),
        ("time_all_sites", _LINE, [r.all_sites_seconds for r in rows]),
    )
    references = (summary.nagasaki_whole_minutes, summary.nagasaki_all_sites_minutes)
    values = [v / 60.0 for _, _, column in series for v in column if v is not None]
    high = max([*values, *references]) * 1.1
    plot = _Plot(260.0, (-0.5, max(len(rows) - 0.5, 0.5)), (0.0, high), bottom=44.0, top=30.0)
    plot.y_axis(_ticks(0.0, high), "分" if w.lang == "ja" else "minutes")
    plot.add(_line(plot.left, plot.bottom, plot.right, plot.bottom, _INK, 1.0))
    for index, row in enumerate(rows):
        label = f"{row.started_at:%Y-%m-%d}" + ("*" if row.current else "")
        plot.text(plot.x(index), plot.bottom + 16, label, "middle", _SMALL)
    for minutes in references:
        plot.hline(minutes, _MUTED, _DOTTED)
    drawn = [
        (w(key), colour) for key, colour, column in series if any(v is not None for v in column)
    ]
    legend_x = plot.right - sum(_text_width(name, _SMALL + 0.5) + 34 for name, _ in drawn)
    for name, colour in drawn:
        plot.add(_line(legend_x, 12, legend_x + 18, 12, colour, 1.8))
        plot.text(legend_x + 22, 16, name, size=_SMALL + 0.5)
        legend_x += _text_width(name, _SMALL + 0.5) + 34
    for _, colour, column in series:
        points = [(i, v / 60.0) for i, v in enumerate(column) if v is not None]
        if not points:
            continue
        coords = " ".join(f"{_n(plot.x(i))},{_n(plot.y(v))}" for i, v in points)
        plot.add(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.8"/>')
        for i, v in points:
            plot.add(f'<circle cx="{_n(plot.x(i))}" cy="{_n(plot.y(v))}" r="3.5" fill="{colour}"/>')
    return plot.svg(w("history_fig"))
