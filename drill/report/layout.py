"""The HTML pages' shared frame: the template environment, the print stylesheet, the CSP.

Every page drillkit writes is one self-contained file: no script, no font, no image
and no stylesheet is fetched from anywhere. The Content-Security-Policy below makes the
browser refuse any request the page might still try (`default-src 'none'`), so a report
opened on a machine without a network, or in an air-gapped office, looks the same.
"""

from __future__ import annotations

import functools
from importlib import resources

import jinja2

__all__ = ["CSP", "environment", "stylesheet"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
"""Inline styles and data: images only; nothing may be loaded, posted or framed."""


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("drill.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def stylesheet() -> str:
    return (resources.files("drill.report") / "templates" / "print.css").read_text("utf-8")
