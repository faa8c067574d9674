"""Charts of the HTML report, drawn with matplotlib as inline SVG.

The SVG keeps its text as text (`svg.fonttype: none`) with a Japanese font list, so the
browser draws 応答率 with whatever Japanese font the reader's machine has (Hiragino,
Yu Gothic, Meiryo, Noto Sans CJK) and the text stays searchable and selectable.
matplotlib measures text with the fonts *it* finds; on a machine without a Japanese font
it falls back to DejaVu for measuring only, which is why its "missing glyph" warnings
are silenced here. Output is deterministic (fixed hash salt, no date), so a report
re-rendered years later is byte-for-byte the same.

matplotlib is imported on first use: Markdown, JSON and CSV never pay for it.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from drill.report.types import Report
from drill.words import Words

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ack_curve", "distribution", "history", "levels_and_sites"]

FONTS = [
    "Hiragino Sans",
    "Hiragino Kaku Gothic ProN",
    "Yu Gothic",
    "Meiryo",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "IPAexGothic",
    "DejaVu Sans",
]
_INK = "#1a1a1a"
_LINE = "#1f4e9c"
_OK = "#2e7d32"
_BAD = "#b3261e"
_MUTED = "#8a8a8a"
_MAX_POINTS = 800
_MAX_ROWS = 40

_RC: Any = {  # matplotlib types the keys as a Literal of every rcParam
    "svg.fonttype": "none",
    "svg.hashsalt": "drillkit-report",
    "font.family": "sans-serif",
    "font.sans-serif": FONTS,
    "font.size": 9,
    "axes.edgecolor": _INK,
    "axes.labelcolor": _INK,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
}


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence matplotlib's font fallback chatter (see module docstring)."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
            warnings.filterwarnings("ignore", message=r"findfont")
            # A small plan's chart is short; matplotlib keeps the default layout and says
            # so on the terminal of whoever ran the drill, who can do nothing about it.
            warnings.filterwarnings("ignore", message=r"constrained_layout not applied")
            yield
    finally:
        logger.setLevel(level)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure, title: str) -> str:
    import matplotlib as mpl

    buffer = io.StringIO()
    with mpl.rc_context(_RC), _quiet():
        fig.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # inline SVG needs no XML prolog or DOCTYPE
    # Namespace names are identifiers, not addresses; drop the unused xlink one and
    # keep the rest. Nothing in the chart is ever fetched.
    text = text.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "", 1)
    text = text.replace("xlink:href=", "href=")
    text = re.sub(r'\swidth="[^"]+pt" height="[^"]+pt"', "", text, count=1)
    escaped = title.replace("&", "&amp;").replace("<", "&lt;")
    return text.replace(">", f' role="img" aria-label="{escaped}">', 1)


def _draw(width: float, height: float) -> tuple[Figure, Axes]:
    import matplotlib as mpl

    with mpl.rc_context(_RC), _quiet():
        fig = _figure(width, height)
        ax = fig.add_subplot()
    return fig, ax


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
    import matplotlib as mpl

    curve = report.curve
    end = report.drill.duration_seconds
    last = curve.points[-1][0] if curve.points else 0.0
    horizon = max(end or 0.0, last, 60.0) / 60.0
    with mpl.rc_context(_RC), _quiet():
        fig, ax = _draw(7.2, 3.0)
        xs = [0.0] + [t / 60.0 for t, _ in _thin(curve.points)] + [horizon]
        total = max(curve.total, 1)
        ys = [0.0] + [100.0 * n / total for _, n in _thin(curve.points)]
        ys.append(ys[-1])
        ax.step(xs, ys, where="post", color=_LINE, linewidth=1.8)
        ax.fill_between(xs, ys, step="post", color=_LINE, alpha=0.08)
        for share in (50, 90):
            ax.axhline(share, color=_MUTED, linestyle=":", linewidth=0.9)
        injects = [t for t in report.timeline if t.kind == "inject"]
        for number, entry in enumerate(injects, start=1):
            x = entry.elapsed / 60.0
            ax.axvline(x, color=_MUTED, linestyle=":", linewidth=0.8)
            ax.annotate(
                f"#{number}",
                (x, 102),
                fontsize=7,
                color=_MUTED,
                ha="center",
                annotation_clip=False,
            )
        sites = report.summary.all_sites_seconds
        if sites is not None:
            ax.axvline(sites / 60.0, color=_OK, linewidth=1.0)
            ax.annotate(
                w("time_all_sites"),
                (sites / 60.0, 8),
                fontsize=7,
                color=_OK,
                xytext=(3, 0),
                textcoords="offset points",
            )
        ax.set_xlim(0, horizon)
        ax.set_ylim(0, 100)
        ax.set_xlabel(w("minutes_from_start"))
        ax.set_ylabel(w("share_axis"))
        return _svg(fig, w("curve_caption"))


def distribution(report: Report, w: Words) -> str:
    """Histogram of minutes from a contact's first page to its acknowledgement."""
    import matplotlib as mpl

    minutes = [t / 60.0 for t in report.curve.times_to_ack]
    with mpl.rc_context(_RC), _quiet():
        fig, ax = _draw(7.2, 2.4)
        if minutes:
            top = max(minutes)
            bins = max(5, min(30, int(top * 2) + 1))
            ax.hist(minutes, bins=bins, color=_LINE, alpha=0.85, edgecolor="white")
            for value, style in (
                (report.curve.median_seconds, "-"),
                (report.curve.p90_seconds, "--"),
            ):
                if value is not None:
                    ax.axvline(value / 60.0, color=_INK, linestyle=style, linewidth=0.9)
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(w("distribution_axis"))
        ax.set_ylabel(w("people_axis"))
        return _svg(fig, w("distribution"))


def levels_and_sites(report: Report, w: Words) -> str:
    """Each level as a bar from start to finish; each regional centre as a dot."""
    import matplotlib as mpl

    levels = list(report.levels)[:_MAX_ROWS]
    centres = [s for s in report.sites if s.regional_centre][:_MAX_ROWS]
    rows = len(levels) + len(centres)
    with mpl.rc_context(_RC), _quiet():
        fig, ax = _draw(7.2, max(1.6, 0.24 * rows + 0.9))
        labels: list[str] = []
        y = 0
        for level in levels:
            start = (level.started_seconds or 0.0) / 60.0
            finish = level.completed_seconds
            colour = _OK if level.satisfied else (_BAD if level.satisfied is False else _MUTED)
            if finish is not None:
                ax.barh(y, finish / 60.0 - start, left=start, height=0.6, color=colour)
            labels.append(level.name.get(w.lang))
            y += 1
        for site in centres:
            if site.reached_seconds is not None:
                ax.plot(site.reached_seconds / 60.0, y, "o", color=_LINE, markersize=4)
            else:
                ax.plot(0, y, "x", color=_BAD, markersize=5)
            labels.append(site.name.get(w.lang))
            y += 1
        reference = report.summary.nagasaki_all_sites_minutes
        ax.axvline(reference, color=_MUTED, linestyle="--", linewidth=0.9)
        ax.annotate(
            w("reference_line", m=f"{reference:g}"),
            (reference, -0.9),
            fontsize=7,
            color=_MUTED,
            xytext=(3, 0),
            textcoords="offset points",
            annotation_clip=False,
        )
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlim(left=0)
        ax.set_xlabel(w("minutes_from_start"))
        ax.grid(axis="y", visible=False)
        return _svg(fig, w("levels_fig"))


def history(report: Report, w: Words) -> str:
    """Duration and time to every regional centre, drill by drill."""
    import matplotlib as mpl

    rows = report.history.rows
    with mpl.rc_context(_RC), _quiet():
        fig, ax = _draw(7.2, 2.6)
        xs = list(range(len(rows)))
        labels = [f"{r.started_at:%Y-%m-%d}" + ("*" if r.current else "") for r in rows]
        for key, colour, values in (
            ("duration", _INK, [r.duration_seconds for r in rows]),
            ("time_all_sites", _LINE, [r.all_sites_seconds for r in rows]),
        ):
            points = [(x, v / 60.0) for x, v in zip(xs, values, strict=True) if v is not None]
            if points:
                ax.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    "o-",
                    color=colour,
                    label=w(key),
                    linewidth=1.5,
                    markersize=4,
                )
        summary = report.summary
        for minutes in (summary.nagasaki_whole_minutes, summary.nagasaki_all_sites_minutes):
            ax.axhline(minutes, color=_MUTED, linestyle=":", linewidth=0.9)
        ax.set_xticks(xs, labels)
        ax.set_ylabel("分" if w.lang == "ja" else "minutes")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        return _svg(fig, w("history_fig"))
