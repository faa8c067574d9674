"""The history screen: past drills and incidents from the event store.

Opening one replays its events into a state: the summary (acknowledged, unreached,
pages, escalations, steps, targets) and the whole timeline. `r` writes its report; `w`
follows a drill another engine is running now, live on the board (as `--attach` does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text as RichText
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable

from drill.engine.state import DrillState
from drill.tui.board import EventLog, summary_text
from drill.tui.board_model import BoardModel
from drill.tui.cells import Cell, fit_cells
from drill.tui.i18n import language, t
from drill.tui.prose import Prose
from drill.tui.records import RunRecord
from drill.tui.screens.base import DrillScreen
from drill.words import words

__all__ = ["HistoryScreen"]

_STATUS_STYLE = {
    "completed": "green",
    "idle": "green",
    "finished": "green",
    "failed": "red",
    "aborted": "red",
    "interrupted": "yellow",
}


class HistoryScreen(DrillScreen):
    """Past runs; Enter opens one, r writes its report, g reloads the list."""

    MODE = "history"
    AUTO_FOCUS = "#history-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "key.open", show=False),
        Binding("r", "report", "key.report"),
        Binding("g", "reload", "key.refresh"),
        Binding("w", "follow", "key.follow"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunRecord] = []
        self.opened: str | None = None
        self.running_elsewhere: str | None = None
        """The opened drill, when another engine is running it now (`w` follows it)."""
        self.model: BoardModel | None = None
        self._rows: list[tuple[str, list[Cell]]] = []
        self._widths: list[int] | None = None

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="history-body", classes="body"):
            with Vertical(id="history-left", classes="pane"):
                yield Prose(t("history.loading"), id="history-status")
                table: DataTable[str] = DataTable(
                    id="history-table", cursor_type="row", zebra_stripes=True
                )
                yield table
            with Vertical(id="history-right"):
                yield Prose(t("history.pick"), id="history-summary", classes="pane")
                yield EventLog(id="history-log", classes="pane")

    def fill(self) -> None:
        self.query_one("#history-left").border_title = t("history.title")
        self.query_one("#history-summary").border_title = t("history.summary")
        self.query_one("#history-log").border_title = t("history.timeline")
        table = self.query_one("#history-table", DataTable)
        self._fill_table()
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="history", exit_on_error=False)
    async def _load(self) -> None:
        records = self.drill_app.records
        try:
            runs = await records.runs()
        except Exception as exc:
            self.drill_app.show_error(exc)
            runs = []
        self.runs = runs
        status = self.query_one("#history-status", Prose)
        if records.error is not None:
            status.update(RichText(t("error.store") + "\n" + records.error.message, "yellow"))
        elif not runs:
            status.update(RichText(t("history.empty"), "dim"))
        else:
            status.update(RichText(t("history.store", where=records.where), "dim"))
        zone = self.drill_app.zone
        self._rows = []
        for run in runs:
            mode = t("board.mode.incident") if run.mode == "incident" else t("board.mode.drill")
            if run.simulated:
                mode += f" ({t('board.simulated')})"
            outcome = run.status or ""
            cells: list[Cell] = [
                run.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                run.title(language()),
                mode,
                RichText(
                    words(language()).outcome(outcome) if outcome else "…",
                    _STATUS_STYLE.get(outcome, "dim"),
                ),
                str(run.events),
            ]
            self._rows.append((run.drill_id, cells))
        self._widths = None
        # After the next layout: fitted to the width the table has then, not before.
        self.call_after_refresh(self._fill_table)

    _COLUMNS = ("started", "scenario", "mode", "status", "events")

    def _fill_table(self) -> None:
        """The runs, fitted to the table's width: a long scenario title ends in "…"
        rather than pushing the outcome out of sight."""
        table = self.query_one("#history-table", DataTable)
        headers = [t(f"history.col.{key}") for key in self._COLUMNS]
        rows = [cells for _, cells in self._rows]
        widths, fitted = fit_cells(headers, rows, table.scrollable_content_region.width, 1)
        if self._widths == widths:
            return
        self._widths = widths
        cursor = table.cursor_row
        table.clear(columns=True)
        for key, header, width in zip(self._COLUMNS, headers, widths, strict=True):
            table.add_column(header, key=key, width=width)
        for (drill_id, _), cells in zip(self._rows, fitted, strict=True):
            table.add_row(*cells, key=drill_id)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    def on_resize(self) -> None:
        self.call_after_refresh(self._fill_table)

    @on(DataTable.RowSelected, "#history-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_run(event.row_key.value)

    def action_open(self) -> None:
        table = self.query_one("#history-table", DataTable)
        if table.row_count:
            key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            if key.value is not None:
                self.open_run(key.value)

    def open_run(self, drill_id: str) -> None:
        self.opened = drill_id
        self._replay(drill_id)

    @work(exclusive=True, group="replay", exit_on_error=False)
    async def _replay(self, drill_id: str) -> None:
        records = self.drill_app.records
        try:
            events = await records.events(drill_id)
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        state = DrillState.from_events(events)
        loaded = self.drill_app.loaded
        plan = loaded.plan if loaded is not None else None
        scenario = None
        started = state.started
        if plan is not None and started is not None and plan.has("scenario", started.scenario_id):
            scenario = plan.scenario(started.scenario_id)
        model = self.model = BoardModel(state, plan, scenario)
        record = next((r for r in self.runs if r.drill_id == drill_id), None)
        live = self.drill_app.live_run
        status = None
        elsewhere = record is not None and record.status == "running"  # another engine's
        if state.ended is None and not (live is not None and live.drill_id == drill_id):
            status = "running" if elsewhere else "interrupted"
        elif record is not None and record.status:
            status = record.status
        self.running_elsewhere = drill_id if status == "running" and elsewhere else None
        self.refresh_bindings()
        summary = summary_text(model, status=status)
        if self.running_elsewhere is not None:
            summary = RichText.assemble(summary, "\n", (t("history.follow_hint"), "bold"))
        self.query_one("#history-summary", Prose).update(summary)
        log = self.query_one("#history-log", EventLog)
        log.follow = False  # a past run reads from its start
        log.clear()
        log.add(line for line in map(model.log_line, events) if line is not None)
        log.scroll_home(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Following live is offered only for a drill another engine runs now.
        if action == "follow":
            return self.running_elsewhere is not None
        return True

    def action_follow(self) -> None:
        """The opened drill's live board, followed from the store (its engine runs it)."""
        if self.running_elsewhere is not None:
            self.drill_app.attach_run(self.running_elsewhere)

    def action_report(self) -> None:
        if self.opened is None:
            self.action_open()
        if self.opened is not None:
            self.drill_app.write_report(self.opened)
