"""The scenarios screen: each scenario's kind, story, injects, playbook and targets.

`d` starts the highlighted scenario as a drill (simulated people by default, real
channels when they are configured, every message marked 訓練); `i` starts it as a real
incident, which asks for the organisation's name to be typed first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text as RichText
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from drill.plan.models import Plan, Scenario
from drill.tui.cells import Cell, fit_cells, minutes_text, prose
from drill.tui.i18n import pick, t
from drill.tui.prose import Prose
from drill.tui.screens.base import DrillScreen

__all__ = ["ScenariosScreen", "scenario_text"]


def scenario_text(plan: Plan, scenario: Scenario) -> RichText:
    """Everything the duty officer reads before starting a scenario."""
    out = RichText(pick(scenario.title), "bold")
    kind = t(f"scenarios.kind.{scenario.kind}")
    out.append(f"  [{kind}]", "yellow" if scenario.kind == "drill" else "red")
    if scenario.description is not None:
        out.append(f"\n\n{t('scenarios.description')}", "bold underline")
        out.append("\n" + prose(pick(scenario.description)))
    out.append(f"\n\n{t('plan.trees')}", "bold underline")
    for tree_id in scenario.trees:
        name = pick(plan.tree(tree_id).name) if plan.has("tree", tree_id) else tree_id
        out.append(f"\n  • {name}")
    out.append(f"\n\n{t('scenarios.injects')}", "bold underline")
    if not scenario.injects:
        out.append(f"\n  {t('scenarios.none')}", "dim")
    for inject in scenario.injects:
        when = t("scenarios.minute", minutes=minutes_text(inject.at_minutes))
        out.append("\n\u00a0\u00a0" + when.replace(" ", "\u00a0") + "\u00a0", "cyan")
        out.append(prose(pick(inject.text)))
    out.append(f"\n\n{t('scenarios.playbook')}", "bold underline")
    if scenario.playbook is None or not plan.has("playbook", scenario.playbook):
        out.append(f"\n  {t('scenarios.none')}", "dim")
    else:
        playbook = plan.playbook(scenario.playbook)
        out.append(f"\n  {pick(playbook.title)}")
        for number, step in enumerate(playbook.steps, start=1):
            owner = pick(plan.role(step.owner).name) if plan.is_role(step.owner) else step.owner
            out.append(f"\n  {number:>2}. ", "dim")
            out.append(pick(step.title))
            out.append(f"  {owner}", "dim")
            if step.target_minutes is not None:
                out.append(f"  [{minutes_text(step.target_minutes)}]", "cyan")
    out.append(f"\n\n{t('scenarios.targets')}", "bold underline")
    if not scenario.targets:
        out.append(f"\n  {t('scenarios.none')}", "dim")
    for target_id in scenario.targets:
        if plan.has("target", target_id):
            target = plan.target(target_id)
            out.append(f"\n  • {pick(target.name)}")
    if scenario.checklist:
        out.append(f"\n\n{t('scenarios.checklist')}: ", "bold")
        out.append(", ".join(scenario.checklist))
    if scenario.required_agencies:
        out.append(f"\n{t('scenarios.agencies')}: ", "bold")
        out.append(t("list.sep").join(t(f"agency.{a.value}") for a in scenario.required_agencies))
    return out


class ScenariosScreen(DrillScreen):
    """The plan's scenarios, and the keys that start them."""

    MODE = "scenarios"
    AUTO_FOCUS = "#scenarios-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "start_drill", "key.drill"),
        Binding("i", "start_incident", "key.incident"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[str, list[Cell]]] = []
        self._widths: list[int] | None = None

    def compose_body(self) -> Iterable[Widget]:
        if self.drill_app.loaded is None:
            yield Static(t("app.no_plan"), classes="body notice")
            return
        with Horizontal(id="scenarios-body", classes="body"):
            table: DataTable[str] = DataTable(
                id="scenarios-table", cursor_type="row", zebra_stripes=True
            )
            yield table
            with VerticalScroll(id="scenario-detail", classes="pane"):
                yield Prose("", id="scenario-text")

    def fill(self) -> None:
        loaded = self.drill_app.loaded
        if loaded is None:
            return
        plan = loaded.plan
        table = self.query_one("#scenarios-table", DataTable)
        table.border_title = t("scenarios.title")
        self._rows = []
        for scenario in plan.scenarios:
            kind = t(f"scenarios.kind.{scenario.kind}")
            steps = (
                len(plan.playbook(scenario.playbook).steps)
                if scenario.playbook is not None and plan.has("playbook", scenario.playbook)
                else 0
            )
            cells: list[Cell] = [
                RichText(kind, "yellow" if scenario.kind == "drill" else "red"),
                pick(scenario.title),
                str(len(scenario.injects)),
                str(steps),
            ]
            self._rows.append((scenario.id, cells))
        self._fill_table()
        self.call_after_refresh(self._fill_table)  # again, at the width it was laid out
        self.query_one("#scenario-detail").border_title = t("key.detail")
        table.focus()
        if plan.scenarios:
            self._show(plan.scenarios[0].id)

    def _fill_table(self) -> None:
        """The rows, fitted to the table's width: a long title ends in "…" instead of
        pushing the other columns out of sight."""
        table = self.query_one("#scenarios-table", DataTable)
        keys = ("kind", "title", "injects", "steps")
        headers = [t(f"scenarios.col.{key}") for key in keys]
        rows = [cells for _, cells in self._rows]
        widths, fitted = fit_cells(headers, rows, table.scrollable_content_region.width, 1)
        if self._widths == widths and table.row_count:
            return
        self._widths = widths
        cursor = table.cursor_row
        table.clear(columns=True)
        for key, header, width in zip(keys, headers, widths, strict=True):
            table.add_column(header, key=key, width=width)
        for (scenario_id, _), cells in zip(self._rows, fitted, strict=True):
            table.add_row(*cells, key=scenario_id)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    def on_resize(self) -> None:
        if self._rows:
            self.call_after_refresh(self._fill_table)

    @property
    def selected(self) -> Scenario | None:
        loaded = self.drill_app.loaded
        if loaded is None or not loaded.plan.scenarios:
            return None
        table = self.query_one("#scenarios-table", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        if row_key.value is None:
            return None
        return loaded.plan.scenario(row_key.value)

    def _show(self, scenario_id: str) -> None:
        loaded = self.drill_app.loaded
        if loaded is None:
            return
        scenario = loaded.plan.scenario(scenario_id)
        self.query_one("#scenario-text", Prose).update(scenario_text(loaded.plan, scenario))

    @on(DataTable.RowHighlighted, "#scenarios-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show(event.row_key.value)

    @on(DataTable.RowSelected, "#scenarios-table")
    def _selected(self) -> None:
        self.action_start_drill()

    def action_start_drill(self) -> None:
        scenario = self.selected
        if scenario is not None:
            self.drill_app.request_drill(scenario.id)

    def action_start_incident(self) -> None:
        scenario = self.selected
        if scenario is not None:
            self.drill_app.request_incident(scenario.id)
