"""Stored payloads are read with `load_json` (orjson, json where they could differ): every
value, and every refusal, must be json's, or a payload would hash (and a report read)
otherwise than the chain was made over."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.store.chain import canonical_json, load_json

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: integers beyond 64 bits as well
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=16,
)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1 == 1.0 is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.copysign(1.0, a) == math.copysign(1.0, b) and a == b
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_a_payload_reads_as_json_reads_it(value: Any) -> None:
    for text in (canonical_json(value), json.dumps(value), json.dumps(value, indent=1)):
        assert _same(load_json(text), json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"seed":123456789012345678901234567890}',  # beyond 64 bits: orjson makes it a float
        '{"n":-9223372036854775809,"m":18446744073709551616}',
        '{"x":NaN,"y":Infinity,"z":-Infinity}',  # json reads them; orjson refuses
        '{"big":1e400}',
        '{"s":"\\ud800"}',  # an escaped lone surrogate
        '{"s":"\ud800"}',  # a lone surrogate in the text itself
        '{"k":"v","k":"w"}',
        '{"tab":"a\\tb","nul":"\\u0000","kanji":"中村"}',
    ],
)
def test_text_orjson_would_read_otherwise_reads_as_json_reads_it(text: str) -> None:
    assert _same(load_json(text), json.loads(text))


def test_deep_nesting_reads_as_json_reads_it() -> None:
    """Deeper than json may read (Python's recursion limit less the stack), json decides."""
    text = "[" * 600 + "]" * 600
    try:
        expected: Any = json.loads(text)
    except RecursionError as exc:  # a deep stack: then the same refusal
        with pytest.raises(RecursionError, match=str(exc)):
            load_json(text)
        return
    got = load_json(text)
    while expected:  # walked, not compared: == on 600 levels recurses as deep
        assert type(got) is list and len(got) == len(expected) == 1
        expected, got = expected[0], got[0]
    assert got == []


@pytest.mark.parametrize(
    "text",
    ['{"a":1,}', '{"a":"\x01"}', "\ufeff{}", "{'a': 1}", "", '{"a":01}', "[" * 100_000],
)
def test_text_that_is_not_json_is_refused_in_json_s_words(text: str) -> None:
    with pytest.raises((ValueError, RecursionError)) as expected:
        json.loads(text)
    with pytest.raises(type(expected.value)) as got:
        load_json(text)
    assert str(got.value) == str(expected.value)
