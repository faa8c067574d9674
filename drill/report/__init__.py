"""Drill reports: a pure function of a drill's events, rendered as HTML, Markdown, JSON, CSV.

`build(events, plan)` makes the `Report`; `render_html`, `render_markdown`,
`render_json`, `render_contacts_csv` and `render_events_csv` write it. The paper contact
tree for the binder beside the phone is `render_paper_tree(plan, lang)`, and
`html_to_pdf` prints either to PDF with a headless Chromium.

Each name is imported from its module when first asked for: importing one module of the
package (`drill.report.files` at the end of a run, `drill.report.events_file` in the
events.csv helper) runs this file first, and need not pay for the paper tree, the HTML
templates or the report's model when it uses none of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drill.report.contacts import mask_address
    from drill.report.csv_report import render_contacts_csv, render_events_csv, write_csv
    from drill.report.html_report import render_html
    from drill.report.json_report import SCHEMA_VERSION, render_json, report_dict
    from drill.report.markdown_report import render_markdown
    from drill.report.model import build
    from drill.report.paper_tree import render_paper_tree
    from drill.report.pdf import ReportError, find_chromium, html_to_pdf
    from drill.report.types import Integrity, Report

__all__ = [
    "SCHEMA_VERSION",
    "Integrity",
    "Report",
    "ReportError",
    "build",
    "find_chromium",
    "html_to_pdf",
    "mask_address",
    "render_contacts_csv",
    "render_events_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_paper_tree",
    "report_dict",
    "write_csv",
]

_MODULES: dict[str, str] = {
    "SCHEMA_VERSION": "json_report",
    "Integrity": "types",
    "Report": "types",
    "ReportError": "pdf",
    "build": "model",
    "find_chromium": "pdf",
    "html_to_pdf": "pdf",
    "mask_address": "contacts",
    "render_contacts_csv": "csv_report",
    "render_events_csv": "csv_report",
    "render_html": "html_report",
    "render_json": "json_report",
    "render_markdown": "markdown_report",
    "render_paper_tree": "paper_tree",
    "report_dict": "json_report",
    "write_csv": "csv_report",
}
"""Where each name of `__all__` lives."""


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:  # a submodule (`from drill.report import charts`) or a wrong name
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
