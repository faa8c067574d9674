"""The service's JSON log lines: the quick paths of `mask` and `JsonLines` write exactly
what running every pattern and `json.dumps` on each line wrote."""

from __future__ import annotations

import datetime as dt
import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from drill.plan.contact import mask_number
from drill.schedule import journal


def _mask_every_pattern(text: str) -> str:
    text = journal._E164.sub(lambda m: mask_number(m.group(0)), text)
    text = journal._NATIONAL.sub(lambda m: journal._mask_digits(m.group(0)), text)
    return journal._EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


_PIECES = st.sampled_from(
    [
        "+819012345678",
        "+8190",
        "090-1234-5678",
        "03-1234-5678",
        "0-0-000",
        "tanaka@city.example",
        "@",
        "+",
        "-",
        "link AbCd: recorded",
        '127.0.0.1 "POST /a/<token>" 200 1.2ms',
        "田中 一郎",
        "\n",
        "\ud800",
    ]
)
_TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=8).map("".join)


@given(_TEXTS)
def test_mask_is_every_pattern_run_in_turn(text: str) -> None:
    assert journal.mask(text) == _mask_every_pattern(text)


@given(_TEXTS, st.dictionaries(st.text(max_size=5), _TEXTS, max_size=3))
def test_a_line_is_what_json_dumps_wrote(message: str, fields: dict[str, str]) -> None:
    record = logging.LogRecord(
        "drill.ack.server", logging.INFO, __file__, 1, "%s", (message,), None
    )
    record.fields = fields
    line = {
        "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "logger": "drill.ack.server",
        "message": _mask_every_pattern(message),
    }
    for key, value in fields.items():
        line.setdefault(key, _mask_every_pattern(value))

    assert journal.JsonLines().format(record) == json.dumps(line, ensure_ascii=False)
