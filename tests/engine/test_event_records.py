"""Rebuilding events from stored payloads (`from_record`) keeps every rule of the events'
own constructor: required fields, defaults, the check that times are timezone-aware."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

from drill.engine.events import NoteAdded, PageSent, from_record, to_record
from drill.engine.notifier import FailureReason

AT = dt.datetime(2026, 12, 6, 6, 9, 44, tzinfo=dt.UTC)


def _sent(**changes: object) -> PageSent:
    sent = PageSent(at=AT, elapsed=12.5, page_id="d-p1", provider_id="sim-1", accepted=True)
    return dataclasses.replace(sent, **changes)  # type: ignore[arg-type]


def test_a_rebuilt_event_equals_the_one_recorded_and_behaves_like_it() -> None:
    sent = _sent(detail="ringing", deadline=AT + dt.timedelta(minutes=5))
    rebuilt = from_record(*to_record(sent))
    assert rebuilt == sent and type(rebuilt) is PageSent
    assert hash(rebuilt) == hash(sent)
    assert rebuilt.deadline == AT + dt.timedelta(minutes=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rebuilt.page_id = "other"  # type: ignore[misc]


def test_fields_a_record_lacks_take_their_defaults() -> None:
    _, payload = to_record(_sent(detail="ringing"))
    for name in ("detail", "deadline", "failure"):
        payload.pop(name)
    rebuilt = from_record("PageSent", payload)
    assert isinstance(rebuilt, PageSent)
    assert (rebuilt.detail, rebuilt.deadline, rebuilt.failure) == (None, None, None)


def test_a_record_without_a_required_field_is_refused_as_the_constructor_refuses_it() -> None:
    _, payload = to_record(_sent())
    del payload["page_id"]
    with pytest.raises(TypeError, match="page_id"):
        from_record("PageSent", payload)


def test_a_time_without_a_zone_is_refused_as_the_constructor_refuses_it() -> None:
    _, payload = to_record(NoteAdded(at=AT, elapsed=1.0, text="メモ", by="op"))
    payload["at"] = "2026-12-06T06:09:44"
    with pytest.raises(ValueError, match="timezone-aware"):
        from_record("NoteAdded", payload)


def test_fields_a_newer_version_added_are_ignored() -> None:
    name, payload = to_record(_sent())
    assert from_record(name, {**payload, "from_the_future": 1}) == _sent()


def test_every_field_kind_comes_back_as_its_type() -> None:
    sent = _sent(accepted=False, failure=FailureReason.BUSY, deadline=AT)
    rebuilt = from_record(*to_record(sent))
    assert isinstance(rebuilt, PageSent)
    assert rebuilt.failure is FailureReason.BUSY
    assert rebuilt.deadline == AT and rebuilt.deadline.tzinfo is not None
    assert rebuilt.at == AT and isinstance(rebuilt.elapsed, float)


def test_an_enum_value_is_read_as_its_member_and_an_unknown_one_refused_as_the_enum_does() -> None:
    name, payload = to_record(_sent(accepted=False, failure=FailureReason.BUSY))
    assert from_record(name, {**payload, "failure": "busy"}).failure is FailureReason.BUSY  # type: ignore[attr-defined]
    for wrong in ("no-such-reason", 3, ["busy"]):
        with pytest.raises(ValueError) as refused:
            from_record(name, {**payload, "failure": wrong})
        with pytest.raises(ValueError) as by_enum:
            FailureReason(wrong)  # type: ignore[arg-type]
        assert str(refused.value) == str(by_enum.value)


def test_times_are_recorded_in_utc_whether_written_before_or_not() -> None:
    """Times are kept with their text for the next event at the same instant: a kept
    text must be the text anew, in every zone (two times an hour apart that compare
    equal in their own zone, one of them after the clocks went back, included)."""
    new_york = zoneinfo.ZoneInfo("America/New_York")
    first = dt.datetime(2026, 11, 1, 1, 30, tzinfo=new_york)  # EDT, before the fall back
    second = first.replace(fold=1)  # EST: an hour later, equal to `first` in its zone
    assert first == second
    times = [
        AT,
        AT.replace(microsecond=7),
        AT.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")),
        first,
        second,
        first,
        AT + dt.timedelta(hours=1),
        AT,
    ]
    for moment in times:
        _, payload = to_record(NoteAdded(at=moment, elapsed=1.0, text="メモ", by="op"))
        assert payload["at"] == moment.astimezone(dt.UTC).isoformat()
    assert to_record(NoteAdded(at=second, elapsed=0.0, text="", by="op"))[1]["at"] == (
        "2026-11-01T06:30:00+00:00"
    )
