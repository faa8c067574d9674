"""Drill reports: a pure function of a drill's events, rendered as HTML, Markdown, JSON, CSV.

`build(events, plan)` makes the `Report`; `render_html`, `render_markdown`,
`render_json`, `render_contacts_csv` and `render_events_csv` write it. The paper contact
tree for the binder beside the phone is `render_paper_tree(plan, lang)`, and
`html_to_pdf` prints either to PDF with a headless Chromium.
"""

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
