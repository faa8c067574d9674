"""A large report's contacts are written to JSON by functions made for their classes (each
field tried first as the kind its annotation names): every contact must be the text the
encoder writes from its JSON values, whatever its fields hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drill.report.json_report import _COMPACT, _plain, _text
from drill.report.types import Attempt, ContactRow, Label, PassedOver

_TEXT = st.text(max_size=6) | st.sampled_from(['a,"b"', "x\r\ny", "\\", "\x00", "受付"])
_TIME = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis wants it naive)
    timezones=st.none() | st.just(dt.UTC) | st.timezones(),
)
_LABEL = st.builds(Label, _TEXT, st.none() | _TEXT) | st.builds(
    Label, st.integers() | st.none(), st.floats() | st.booleans()
)
_SCALAR: st.SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities as well, and floats that round to them
    | st.sampled_from([1e308, -1e308, 0.0005, 2.5e-4, 1e16, -0.0])
    | _TEXT
    | _TIME
    | _LABEL
)
_ANY = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple),
    max_leaves=6,
)


def _field(usual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: mostly of the kind its annotation names, at times anything."""
    return usual | _ANY


_ATTEMPT = st.builds(
    Attempt,
    page_id=_field(_TEXT),
    person_id=_field(_TEXT),
    person_name=_field(_TEXT),
    candidate_index=_field(st.integers()),
    channel=_field(_TEXT),
    address=_field(_TEXT),
    attempt=_field(st.integers()),
    queued_seconds=_field(st.floats()),
    queued_at=_field(_TIME),
    outcome=_field(_TEXT),
    reason=_field(st.none() | _TEXT),
    delivery=_field(st.none() | _TEXT),
    ended_seconds=_field(st.none() | st.floats()),
)
_PASSED = st.builds(
    PassedOver, person=_field(_TEXT), absence=_field(_TEXT), seq=_field(st.none() | st.integers())
)
_CONTACT = st.builds(
    ContactRow,
    tree=_field(_TEXT),
    level=_field(_TEXT),
    level_name=_field(_LABEL),
    member=_field(_TEXT),
    name=_field(_LABEL),
    site=_field(st.none() | _TEXT),
    site_name=_field(st.none() | _LABEL),
    status=_field(_TEXT),
    acknowledged_by=_field(st.none() | _TEXT),
    acknowledged_person=_field(st.none() | _TEXT),
    candidate_index=_field(st.none() | st.integers()),
    ack_channel=_field(st.none() | _TEXT),
    ack_source=_field(st.none() | _TEXT),
    entered_by=_field(st.none() | _TEXT),
    acknowledged_at=_field(st.none() | _TIME),
    ack_seconds=_field(st.none() | st.floats()),
    time_to_ack_seconds=_field(st.none() | st.floats()),
    after_deadline=_field(st.booleans()),
    failures=_field(st.lists(_TEXT, max_size=3).map(tuple)),
    given_up_reason=_field(st.none() | _TEXT),
    unreached_reason=_field(st.none() | _TEXT),
    attempts=_field(st.lists(_ATTEMPT | _TEXT, max_size=3).map(tuple)),
    ack_seq=_field(st.none() | st.integers()),
    passed_over=_field(st.lists(_PASSED, max_size=2).map(tuple)),
)


@settings(max_examples=300, deadline=None)
@given(_CONTACT)
def test_a_contact_is_the_encoder_s_text_of_its_values(contact: ContactRow) -> None:
    assert _text(contact) == _COMPACT.encode(_plain(contact))


@settings(max_examples=200, deadline=None)
@given(_ATTEMPT | _PASSED)
def test_its_attempts_and_people_passed_over_are_too(record: Attempt | PassedOver) -> None:
    assert _text(record) == _COMPACT.encode(_plain(record))


def test_floats_are_rounded_to_milliseconds_and_odd_ones_spelt_as_json_does() -> None:
    contact = ContactRow(
        tree="t",
        level="l",
        level_name=Label("段"),
        member="m",
        name=Label("役", "role"),
        site=None,
        site_name=None,
        status="acknowledged",
        acknowledged_by=None,
        acknowledged_person=None,
        candidate_index=0,
        ack_channel=None,
        ack_source=None,
        entered_by=None,
        acknowledged_at=None,
        ack_seconds=12.34567,
        time_to_ack_seconds=float("inf"),
        after_deadline=False,
        failures=(),
        given_up_reason=None,
        unreached_reason=None,
        attempts=(),
        ack_seq=None,
    )
    text = _text(contact)
    assert '"ack_seconds":12.346,' in text and '"time_to_ack_seconds":Infinity,' in text
    assert text == _COMPACT.encode(_plain(contact))
