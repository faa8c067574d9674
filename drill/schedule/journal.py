"""Structured logs for the long-running service: one JSON object per line.

`journald` and log shippers read JSON lines as they come; people read them with `jq`.
Every line has `ts` (UTC, ISO 8601), `level`, `logger` and `message`, plus the `fields`
a caller passed with `extra={"fields": {...}}`. Phone numbers and e-mail addresses are
masked wherever they appear (message, fields, exception text); secrets are never passed
to the logger in the first place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Any, TextIO

from drill.plan.contact import mask_number

__all__ = ["JsonLines", "configure", "mask"]

_E164 = re.compile(r"\+\d{8,15}")
_NATIONAL = re.compile(r"(?<![\d-])0\d{1,4}-\d{1,4}-\d{3,4}(?![\d-])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask(text: str) -> str:
    """`text` with phone numbers and e-mail addresses masked (095-***-**24, t***@city.example)."""
    # Each pattern needs a character most lines lack (+, - or @): a line without it is
    # left as it is without running the pattern over it (the same text, found sooner).
    if "+" in text:
        text = _E164.sub(lambda m: mask_number(m.group(0)), text)
    if "-" in text:
        text = _NATIONAL.sub(lambda m: _mask_digits(m.group(0)), text)
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return text


def _mask_digits(number: str) -> str:
    total = sum(ch.isdigit() for ch in number)
    seen = 0
    out: list[str] = []
    for ch in number:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 3 or seen > total - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {str(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(str(value))


class JsonLines(logging.Formatter):
    """Formats a record as one JSON object (see the module doc)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                line.setdefault(key, _masked(value))
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = mask(self.formatException(record.exc_info))
        return _encode(line)


_encode = json.JSONEncoder(ensure_ascii=False).encode
"""`json.dumps(value, ensure_ascii=False)`, whose options make it build an encoder for
every call: one built once writes the same text."""


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Send every drillkit (and APScheduler, aiohttp) log record to `stream` as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_drillkit_journal", False):
            root.removeHandler(existing)
    handler._drillkit_journal = True  # type: ignore[attr-defined]  # marks our own handler
    root.addHandler(handler)
    root.setLevel(level)
    return handler
