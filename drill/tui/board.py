"""The live board's widgets: a virtual contact table, progress, playbook, injects, log.

`ContactTable` draws only the rows on screen (Textual's line API): thousands of contacts
cost nothing until they scroll into view, and a changed row off screen costs a set
lookup. The other panes are redrawn when their section changed since the last repaint.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Iterable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text as RichText
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from drill.engine.events import DrillAborted
from drill.engine.state import ContactStatus
from drill.tui.board_model import BoardModel, LevelLine, LogLine, RowCells, RowKey
from drill.tui.cells import cell_len, clock_text, fit, minutes_text, prose
from drill.tui.i18n import language, t
from drill.tui.prose import Prose
from drill.words import words

__all__ = [
    "ContactHeader",
    "ContactTable",
    "EventLog",
    "InjectsPane",
    "ProgressPane",
    "StepsPane",
    "SummaryPane",
    "columns",
    "progress_bar",
    "progress_line",
    "summary_text",
]

_FIELDS = ("state", "name", "role", "site", "level", "detail")


def columns(width: int) -> list[tuple[str, int]]:
    """(field, cells) of each column for a table `width` cells wide."""
    state, name, level = _state_width(language()), 14, 4
    if width < 96:
        # Each column is followed by one space: five of them, or the last cell's "…" is
        # cropped off at the edge.
        rest = max(10, width - state - name - level - 5)
        role = rest // 2
        return [("state", state), ("name", name), ("level", level), ("role", role),
                ("detail", rest - role)]  # fmt: skip
    site = 12 if width < 120 else 16
    rest = max(20, width - state - name - level - site - 6)
    role = min(30, rest * 2 // 5)
    return [
        ("state", state),
        ("name", name),
        ("level", level),
        ("role", role),
        ("site", site),
        ("detail", rest - role),
    ]


def progress_bar(done: int, failed: int, total: int, width: int = 10) -> RichText:
    """A bar of acknowledged (green), failed (red) and pending (dim) cells."""
    out = RichText()
    if total <= 0 or width <= 0:
        return RichText("─" * width, "dim")
    ok = round(width * done / total)
    bad = min(width - ok, round(width * failed / total))
    out.append("█" * ok, "green")
    out.append("█" * bad, "red")
    out.append("░" * (width - ok - bad), "dim")
    return out


_DIGITS = re.compile(r"\d")


@functools.cache
def _state_width(lang: str) -> int:
    """Wide enough for every state's name in this language (at least 10 cells)."""
    w = words(lang)
    names = [w.status(status.value) for status in ContactStatus]
    names.append(w.status(ContactStatus.ABORTED.value, "drill_finished"))
    return max(10, max(cell_len(name) for name in names))


class _Pane(Prose):
    """A pane redrawn from the model. A layout costs the whole screen, so the pane asks
    for one only when its text changed shape, not when a countdown ticks."""

    _last: RichText | None = None

    def __init__(
        self, model: BoardModel, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.model = model

    def set_text(self, text: RichText) -> None:
        if text == self._last:
            return
        shape = _DIGITS.sub("0", text.plain)
        layout = self._last is None or _DIGITS.sub("0", self._last.plain) != shape
        self._last = text
        self.text = text
        self.refresh(layout=layout)


class ContactHeader(Static):
    """The column titles above the contact table."""

    def render(self) -> RichText:
        width = self.size.width
        out = RichText(style="bold")
        for field, cells in columns(width):
            out.append(fit(t(f"board.col.{field}"), cells) + " ")
        return out


class ContactTable(ScrollView, can_focus=True):
    """Every contact of the run, one line each, drawn only when on screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", show=False),
        Binding("down,j", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "edge(-1)", show=False),
        Binding("end", "edge(1)", show=False),
    ]

    cursor = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor moved to a contact."""

        def __init__(self, key: RowKey | None) -> None:
            super().__init__()
            self.key = key

    def __init__(self, model: BoardModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.rows: list[RowKey] = []
        self._index: dict[RowKey, int] = {}
        self._cache: dict[RowKey, tuple[int, bool, Strip]] = {}
        self._styles: dict[str, Style] = {}
        self.lines_rendered = 0
        """How many lines were drawn (the benchmark reads it)."""

    def on_mount(self) -> None:
        self.set_rows(self.model.visible_rows())

    @property
    def current(self) -> RowKey | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    def set_rows(self, rows: list[RowKey]) -> None:
        keep = self.current
        self.rows = list(rows)
        self._index = {key: i for i, key in enumerate(self.rows)}
        self._cache.clear()
        self.virtual_size = Size(0, len(self.rows))
        if keep is not None and keep in self._index:
            self.cursor = self._index[keep]
        else:
            self.cursor = min(self.cursor, max(0, len(self.rows) - 1))
        self.refresh()

    def refresh_rows(self, keys: Iterable[RowKey]) -> int:
        """Redraw these rows if they are on screen; returns how many were."""
        top = round(self.scroll_offset.y)
        bottom = top + self.size.height
        shown = 0
        for key in keys:
            self._cache.pop(key, None)
            index = self._index.get(key)
            if index is not None and top <= index < bottom:
                self.refresh_line(index)
                shown += 1
        return shown

    def _style(self, spec: str) -> Style:
        found = self._styles.get(spec)
        if found is None:
            found = self._styles[spec] = Style.parse(spec) if spec else Style()
        return found

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.size.width
        base = self.rich_style
        if not 0 <= index < len(self.rows):
            return Strip.blank(width, base)
        key = self.rows[index]
        selected = index == self.cursor
        cached = self._cache.get(key)
        if cached is not None and cached[0] == width and cached[1] == selected:
            return cached[2]
        self.lines_rendered += 1
        # The columns fit what shows, left of the scrollbar: a cut detail ends in "…".
        shown = min(width, self.scrollable_content_region.width or width)
        strip = self._strip(self.model.cells(key), shown, selected, base)
        if shown < width:
            strip = strip.extend_cell_length(width, base)
        self._cache[key] = (width, selected, strip)
        return strip

    def _strip(self, cells: RowCells, width: int, selected: bool, base: Style) -> Strip:
        segments: list[Segment] = []
        cursor = self._style("reverse" if self.has_focus else "on #333333") if selected else None
        for field, size in columns(width):
            value: str = getattr(cells, field)
            style = base + self._style(cells.style if field == "state" else "")
            if field == "detail" and cells.style in ("bold red", "bold yellow", "yellow"):
                style = base + self._style(cells.style.replace("bold ", ""))
            if cursor is not None:
                style = style + cursor
            segments.append(Segment(fit(value, size) + " ", style))
        used = sum(size + 1 for _, size in columns(width))
        if used < width:
            segments.append(Segment(" " * (width - used), base + cursor if cursor else base))
        return Strip(segments).crop(0, width)

    def watch_cursor(self, old: int, new: int) -> None:
        for index in (old, new):
            if 0 <= index < len(self.rows):
                self._cache.pop(self.rows[index], None)
                self.refresh_line(index)
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self.current))

    def _scroll_to_cursor(self) -> None:
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._cache.clear()

    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_page(self, step: int) -> None:
        self.action_cursor(step * max(1, self.size.height - 1))

    def action_edge(self, step: int) -> None:
        if self.rows:
            self.cursor = 0 if step < 0 else len(self.rows) - 1

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.rows):
            self.cursor = index


class EventLog(ScrollView, can_focus=True):
    """The run's events, one line each (wall time, drill time, what happened).

    Like the contact table, only the lines on screen are drawn: a burst of hundreds of
    events a second costs an append to a list, not hundreds of rendered lines.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "back('scroll_up')", show=False),
        Binding("down,j", "scroll_down", show=False),
        Binding("pageup", "back('page_up')", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home", "back('scroll_home')", show=False),
        Binding("end", "follow", show=False),
    ]

    def __init__(
        self, *, limit: int = 5000, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: collections.deque[LogLine] = collections.deque(maxlen=limit)
        self._styles: dict[str, Style] = {}
        self.follow = True
        """Keep the newest line in view (until the user scrolls back; End resumes)."""

    def action_back(self, action: str) -> None:
        self.follow = False
        getattr(self, f"action_{action}")()

    def action_follow(self) -> None:
        self.follow = True
        self.scroll_end(animate=False)

    def on_show(self) -> None:
        if self.follow:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def clear(self) -> None:
        self.lines.clear()
        self.virtual_size = Size(0, 0)
        self.refresh()

    def add(self, lines: Iterable[LogLine]) -> None:
        """Append lines; follow the end if the view was at the end."""
        before = len(self.lines)
        self.lines.extend(lines)
        if len(self.lines) == before and before < (self.lines.maxlen or 0):
            return
        self.virtual_size = Size(0, len(self.lines))
        if self.follow:
            # After the new size is laid out, or the end is not there yet.
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        self.refresh()

    def text_lines(self) -> list[str]:
        """Every line as text (for tests and copying)."""
        return [_log_plain(line) for line in self.lines]

    def _style(self, spec: str) -> Style:
        found = self._styles.get(spec)
        if found is None:
            found = self._styles[spec] = Style.parse(spec) if spec else Style()
        return found

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.size.width
        base = self.rich_style
        if not 0 <= index < len(self.lines):
            return Strip.blank(width, base)
        line = self.lines[index]
        elapsed = f" {t('time.elapsed', time=line.elapsed)} "
        # What shows: the region less the scrollbar's gutter.
        shown = min(width, self.scrollable_content_region.width or width)
        room = shown - cell_len(line.clock) - cell_len(elapsed)
        text = line.text if cell_len(line.text) <= room else fit(line.text, max(1, room))
        segments = [
            Segment(line.clock, base + self._style("dim")),
            Segment(elapsed, base + self._style("dim cyan")),
            Segment(text, base + self._style(line.style)),  # a cut line ends in "…"
        ]
        return Strip(segments).crop_extend(0, width, base)


def _log_plain(line: LogLine) -> str:
    return f"{line.clock} {t('time.elapsed', time=line.elapsed)} {line.text}"


_LEVEL_STYLE = {
    "satisfied": "green",
    "exhausted": "bold red",
    "running": "bold",
    "waiting": "dim",
    "all": "green",
    "reached": "green",
    "not_reached": "bold red",
}


@functools.lru_cache(maxsize=4096)
def progress_line(line: LevelLine, name_width: int, required: bool, lang: str) -> RichText:
    """One level's (or site's) progress line; most lines are the same from one redraw to
    the next, so they are cached. The counts and the word are the fold's: acknowledged in
    time, late (counted by nothing), not reached, and the level's or site's state."""
    w = words(lang)
    style = _LEVEL_STYLE.get(line.status, "")
    out = RichText(fit(line.name, name_width) + " ", style)
    out.append_text(progress_bar(line.acknowledged, line.failed, line.total, 8))
    out.append(f" {line.acknowledged:>3}", "green")
    out.append(f"/{line.pending:>3}")
    out.append(f"/{line.failed:>3}", "red" if line.failed else "dim")
    if required and line.required is not None:
        out.append(f" ≥{line.required}", "dim")
    if line.status not in ("waiting", "running"):
        out.append(f" {line.word}", style)
    # Late and not-reached contacts are rare: on a line of their own, not squeezed in.
    extra = RichText("\n" + " " * min(4, name_width))
    if line.late:
        extra.append(f" {w.status('late')} {line.late}", "yellow")
    if line.not_reached:
        extra.append(f" {w.status('aborted', line.why)} {line.not_reached}", "red")
    if line.late or line.not_reached:
        out.append_text(extra)
    return out


def _lines_text(lines: list[LevelLine], width: int, *, required: bool) -> RichText:
    name_width = max(8, min(30, width - 32))
    lang = language()
    return RichText("\n").join(progress_line(line, name_width, required, lang) for line in lines)


class ProgressPane(_Pane):
    """Per level and per site: acknowledged / pending / failed, and the targets."""

    elapsed = 0.0

    def show(self, elapsed: float) -> None:
        self.elapsed = elapsed
        self.set_text(self._text())

    def _text(self) -> RichText:
        model = self.model
        width = max(40, self.size.width or 60)
        out = RichText()
        out.append(t("board.targets"), "bold underline")
        targets = model.target_lines(self.elapsed)
        if not targets:
            out.append(f"\n{t('common.none')}", "dim")
        for target in targets:
            out.append("\n")
            # The name gives way to the verdict and its time, so a line never wraps.
            if target.status == "met":
                at = t("time.elapsed", time=clock_text(target.at_seconds or 0))
                mark, suffix, style = "✔ ", f" {target.word} {at}", "green"
            elif target.status == "missed":
                mark, suffix, style = "✘ ", f" {target.word}", "bold red"
            else:
                left = t("time.remaining", time=clock_text(target.remaining_seconds or 0))
                mark, suffix, style = "… ", f" {left}", "yellow"
            name = fit(target.name, max(10, width - 2 - cell_len(suffix)))
            out.append(mark, {"green": "bold green", "yellow": "yellow"}.get(style, style))
            out.append(name.rstrip())
            out.append(suffix, style)
        out.append(f"\n\n{t('board.progress')}  ", "bold underline")
        w = words(language())
        legend = t(
            "board.progress_line",
            ack=w.status("acknowledged"),
            acked="✔",
            pending="…",
            unreached=w.status("unreached"),
            failed="✘",
        )
        out.append(legend, "dim")
        out.append("\n")
        out.append_text(_lines_text(model.level_lines(), width, required=True))
        sites = model.site_lines()
        if sites:
            out.append(f"\n\n{t('plan.sites')}", "bold underline")
            out.append("\n")
            out.append_text(_lines_text(sites, width, required=False))
        return out


class StepsPane(_Pane):
    """The playbook checklist: each step's owner, target countdown and state."""

    def show(self, elapsed: float) -> None:
        lines = self.model.step_lines(elapsed)
        if not lines:
            self.set_text(RichText(t("board.no_playbook"), "dim"))
            return
        out = RichText()
        for index, line in enumerate(lines):
            if index:
                out.append("\n")
            if line.status == "completed":
                mark, style = "☑", "green" if line.timing != "late" else "yellow"
            elif line.status == "due":
                mark, style = "☐", "bold red"
            else:
                mark, style = "☐", "bold"
            out.append(f"{mark} ", style)
            out.append(line.title, style if line.status != "completed" else "")
            out.append("\n   ")
            if line.owner:
                out.append(line.owner, "dim")
            if line.target_minutes is not None:
                out.append(f"  [{minutes_text(line.target_minutes)}]", "dim")
            if line.text:
                out.append(f"  {line.text}", style)
        self.set_text(out)


class InjectsPane(_Pane):
    """The scenario's injects: fired, the next one with its countdown, then the rest."""

    def show(self, elapsed: float) -> None:
        lines = self.model.inject_lines(elapsed)
        if not lines:
            self.set_text(RichText(t("scenarios.none"), "dim"))
            return
        out = RichText()
        for index, (when, text, style) in enumerate(lines):
            if index:
                out.append("\n")
            out.append(f"{when} ".replace(" ", "\u00a0"), "cyan" if style != "dim" else "dim")
            out.append(prose(text), style)
        self.set_text(out)


class SummaryPane(_Pane):
    """The headline figures of a run, at its end or for a past run."""

    def show(self, report: str | None = None) -> None:
        self.set_text(summary_text(self.model, report))


def summary_text(
    model: BoardModel, report: str | None = None, status: str | None = None
) -> RichText:
    """Outcome, figures, targets and where the report is, all as the fold has them;
    `status` overrides the state's (a past run that never ended was interrupted, though
    its events say "running")."""
    state = model.state
    w = words(language())
    summary = state.summary()
    if status is None:
        status = state.outcome().value if state.ended is not None else state.status.value
    out = RichText()
    line = t(
        "board.summary_line",
        state=w.outcome(status),
        ack=w.status("acknowledged"),
        acked=summary.acknowledged,
        total=summary.contacts,
        elapsed=clock_text(summary.duration_seconds),
    )
    out.append(prose(line), "bold")
    if report:
        out.append("\n" + report, "cyan")
    steps = model.step_lines(summary.duration_seconds)
    done = sum(1 for s in steps if s.status == "completed")
    rows = [
        (t("summary.contacts"), str(summary.contacts)),
        (w.status("acknowledged"), f"{summary.acknowledged} ({summary.percent_acknowledged:g}%)"),
    ]
    if summary.late:
        rows.append((w.status("late"), str(summary.late)))
    rows.append((w.status("unreached"), str(summary.unreached)))
    if summary.not_reached_ended:
        why = "drill_aborted" if isinstance(state.ended, DrillAborted) else "drill_finished"
        rows.append((w.status("aborted", why), str(summary.not_reached_ended)))
    rows += [
        (t("summary.pages"), str(summary.pages)),
        (t("summary.escalations"), str(summary.escalations)),
        (t("summary.steps"), f"{done}/{len(steps)}"),
    ]
    if w.lang == "en":  # the catalogue's terms are lower case; here they head a line
        rows = [(label[:1].upper() + label[1:], value) for label, value in rows]
    width = max(cell_len(label) for label, _ in rows)
    for label, value in rows:
        out.append("\n" + fit(label, width) + "  ", "dim")
        out.append(value)
    for target in model.target_lines(summary.duration_seconds):
        mark = "✔" if target.status == "met" else "✘" if target.status == "missed" else "…"
        style = {"met": "green", "missed": "red"}.get(target.status, "yellow")
        out.append(f"\n{mark} {target.name} {target.word}", style)
    return out
