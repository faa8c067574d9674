"""A payload is stored as `canonical_payload` writes it, and hashed from that text: it must
be `canonical_json`'s text exactly (or fail as it fails), whichever encoder wrote it, or a
drill's stored events and hashes would change with the encoder."""

from __future__ import annotations

import math
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.store.chain import canonical_json, canonical_payload


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"


class Rank(IntEnum):
    FIRST = 1


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10)
_LEAF = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them, json writes them
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)  # every exponent: 1e-05, 1e+16
    | st.floats(min_value=1e-6, max_value=1e18)
    | _TEXT
    | st.sampled_from([Channel.VOICE, Channel.SMS, Rank.FIRST])
)
_VALUE = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


def _same(payload: dict[str, Any]) -> None:
    try:
        expected = canonical_json(payload)
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            canonical_payload(payload)
    else:
        assert canonical_payload(payload) == expected


@settings(max_examples=500, deadline=None)
@given(payload=st.dictionaries(_TEXT, _VALUE, max_size=8))
def test_any_payload_is_written_as_canonical_json_writes_it(payload: dict[str, Any]) -> None:
    _same(payload)


@pytest.mark.parametrize(
    "value",
    [
        1e-4,
        9.99e-5,
        1e-05,
        1e16,
        9999999999999998.0,
        -0.0,
        0.0,
        5e-324,
        1.7976931348623157e308,
        2**63,
        2**64,
        -(2**63) - 1,
        10**30,
        '中村 亮「訓練」\n\t"quoted" \\ \u2028 \x7f \x00',
        Channel.SMS,
        Rank.FIRST,
        [1, (2.5, "x"), {"é": None, "a": [1e-7]}],
    ],
)
def test_values_at_the_edges_are_written_the_same(value: Any) -> None:
    _same({"value": value, "at": "2026-12-06T00:00:00+00:00", "elapsed": 12.5})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1.0, math.nan]])
def test_what_json_refuses_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        canonical_payload({"value": value})


def test_what_only_orjson_could_write_is_refused_as_json_refuses_it() -> None:
    import dataclasses
    import datetime as dt

    @dataclasses.dataclass
    class Thing:
        x: int

    for value in (Thing(1), dt.datetime(2026, 1, 1, tzinfo=dt.UTC), {1: "int key"}, {"a": {2: 3}}):
        _same({"value": value})
