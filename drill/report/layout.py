"""The HTML pages' shared frame: the template environment, the print stylesheet, the CSP.

Every page drillkit writes is one self-contained file: no script, no font, no image
and no stylesheet is fetched from anywhere. The Content-Security-Policy below makes the
browser refuse any request the page might still try (`default-src 'none'`), so a report
opened on a machine without a network, or in an air-gapped office, looks the same.
"""

from __future__ import annotations

import contextlib
import functools
from importlib import resources

import jinja2

from drill.cache_folder import cache_folder

__all__ = ["CSP", "environment", "stylesheet"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
"""Inline styles and data: images only; nothing may be loaded, posted or framed."""


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs: compiling the report's template took a third
    of a small report's time. Jinja keys each entry on the template's source and its own
    version; a cache that cannot be read or written is simply not used."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _template_cache() -> jinja2.BytecodeCache | None:
    folder = cache_folder("templates")
    return None if folder is None else _TemplateCache(str(folder))


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("drill.report", "templates"),
        bytecode_cache=_template_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def stylesheet() -> str:
    return (resources.files("drill.report") / "templates" / "print.css").read_text("utf-8")
