"""The plan screen: what plan is loaded, its targets, and what the plan check found.

A plan with errors opens here too, listing every error with its place and fix, so the
user sees what to change instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.text import Text as RichText
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget

from drill.errors import DrillError
from drill.plan import Finding, LoadedPlan, Plan, Severity, sample_plan_dir
from drill.tui.cells import cell_len, fit, minutes_text
from drill.tui.i18n import language, pick, t
from drill.tui.prose import Prose
from drill.tui.screens.base import DrillScreen
from drill.words.findings import finding_words

__all__ = ["PlanScreen", "findings_text", "plan_counts"]

_SEVERITY_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold cyan",
}


def plan_counts(plan: Plan) -> list[tuple[str, int]]:
    """The figures a reviewer asks for first."""
    return [
        ("plan.people", len(plan.people)),
        ("plan.roles", len(plan.roles)),
        ("plan.no_deputy", sum(1 for r in plan.roles if not r.deputies)),
        ("plan.agencies", sum(1 for r in plan.roles if r.agency is not None)),
        ("plan.sites", len(plan.sites)),
        ("plan.centres", sum(1 for s in plan.sites if s.regional_centre)),
        ("plan.trees", len(plan.trees)),
        ("plan.scenarios", len(plan.scenarios)),
        ("plan.playbooks", len(plan.playbooks)),
    ]


def findings_text(findings: Sequence[Finding], root: Path | None) -> RichText:
    """Each finding on its own lines: severity, code, title, place, message, fix, in the
    console's language (`drill.words.findings`)."""
    say = finding_words(language())
    out = RichText()
    for index, finding in enumerate(findings):
        if index:
            out.append("\n\n")
        out.append(t(f"severity.{finding.severity.value}"), _SEVERITY_STYLE[finding.severity])
        out.append(f" {finding.code}", "bold")
        title = say.title(finding.code)
        if title:
            out.append(f" {title}", "dim")
        where = finding.where(root)
        if where:
            out.append(f"\n  {where}", "cyan")
        out.append(f"\n  {say.message(finding)}")
        fix = say.fix(finding)
        if fix:
            out.append(f"\n  {t('plan.fix')}: ", "green")
            out.append(fix)
    return out


def _where(plan: Plan) -> str:
    """The plan's directory; the bundled sample is named as such (it lives anywhere)."""
    root = plan.root
    if root is None:
        return ""
    try:
        if root.resolve() == sample_plan_dir().resolve():
            return t("plan.bundled")
    except DrillError:
        pass
    return str(root)


class PlanScreen(DrillScreen):
    """Organisation, version, approval, size, targets and findings of the loaded plan."""

    MODE = "plan"
    AUTO_FOCUS = "#plan-info, #plan-findings"

    def compose_body(self) -> Iterable[Widget]:
        app = self.drill_app
        loaded = app.loaded
        with Vertical(id="plan-body", classes="body"):
            if loaded is not None:
                with VerticalScroll(id="plan-info", classes="pane"):
                    yield Prose(self._info(loaded), id="plan-summary")
                    yield Prose(self._counts(loaded.plan), id="plan-counts")
                    yield Prose(self._targets(loaded.plan), id="plan-targets")
            with VerticalScroll(id="plan-findings", classes="pane"):
                yield Prose(self._findings_head(), id="plan-findings-head")
                yield Prose(self._findings(), id="plan-findings-list")

    def fill(self) -> None:
        self.query_one("#plan-findings").border_title = t("plan.findings")
        if self.drill_app.loaded is not None:
            self.query_one("#plan-info").border_title = t("plan.title")
            self.query_one("#plan-info").focus()
        else:
            self.query_one("#plan-findings").focus()

    def _info(self, loaded: LoadedPlan) -> RichText:
        info = loaded.plan.info
        out = RichText()
        out.append(pick(info.organisation), "bold")
        out.append("\n")
        out.append(pick(info.title))
        rows = [
            ("plan.version", info.version),
            ("plan.approved", info.approved_on.isoformat()),
            ("plan.approved_by", info.approved_by or t("common.none")),
            ("plan.directory", _where(loaded.plan)),
        ]
        for key, value in rows:
            out.append(f"\n{t(key)}: ", "dim")
            out.append(value)
        if info.sample:
            out.append("\n")
            out.append(t("plan.sample"), "yellow")
        out.append("\n")
        out.append_text(self._findings_head())
        return out

    def _counts(self, plan: Plan) -> RichText:
        """Two figures a line, labels padded by cells so full-width text lines up."""
        out = RichText()
        out.append(t("plan.counts"), "bold underline")
        counts = plan_counts(plan)
        label = max(cell_len(t(key)) for key, _ in counts)
        for index, (key, value) in enumerate(counts):
            out.append("\n  " if index % 2 == 0 else "   ")
            style = "bold red" if key == "plan.no_deputy" and value else "bold"
            out.append(fit(t(key), label) + " ", "dim")
            out.append(f"{value:>4}", style)
        return out

    def _targets(self, plan: Plan) -> RichText:
        out = RichText()
        out.append(t("plan.targets"), "bold underline")
        if not plan.targets:
            out.append(f"\n  {t('common.none')}")
        for target in plan.targets:
            minutes = t("common.minutes", minutes=minutes_text(target.within_minutes))
            out.append(f"\n  {minutes:>5}  ", "cyan")
            out.append(pick(target.name))
        return out

    def _findings_head(self) -> RichText:
        app = self.drill_app
        if app.plan_error is not None:
            errors = [f for f in app.plan_error.findings if f.severity is Severity.ERROR]
            return RichText(t("plan.errors_head", count=len(errors)), "bold red")
        loaded = app.loaded
        warnings = loaded.warnings if loaded is not None else ()
        if not warnings:
            return RichText("✔ " + t("plan.no_findings"), "green")
        return RichText("⚠ " + t("plan.warnings_head", count=len(warnings)), "bold yellow")

    def _findings(self) -> RichText:
        app = self.drill_app
        if app.plan_error is not None:
            return findings_text(app.plan_error.findings, app.plan_error.root)
        if app.loaded is not None:
            return findings_text(app.loaded.warnings, app.loaded.plan.root)
        return RichText()
