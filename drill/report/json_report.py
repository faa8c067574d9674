"""The report as JSON: a documented, versioned schema (`docs/report-json.md`).

`schema_version` follows semantic versioning: a new field raises the minor version; a
field removed, renamed or changed in meaning raises the major version. Texts carry both
languages (`{"ja": …, "en": …}`), durations are seconds from the start of the drill
(rounded to milliseconds), and times are ISO 8601 with the plan's UTC offset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson

from drill.report.types import Attempt, ContactRow, Label, LevelTiming, PassedOver, Report
from drill.store.gc_pause import gc_paused

__all__ = ["SCHEMA_VERSION", "encode_json", "json_parts", "render_json", "report_dict"]

SCHEMA_VERSION = "3.2"


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    convert = _BY_TYPE.get(kind)
    if convert is not None:
        return convert(value)
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, Label):
        return {"ja": value.ja, "en": value.en}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, LevelTiming):
        out = {name: _plain(getattr(value, name)) for name in _fields(type(value))}
        out["took_seconds"] = _plain(value.took_seconds)
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _fields(type(value))
        _BY_TYPE[type(value)] = functools.partial(_dataclass, names=names)
        return _dataclass(value, names)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _dataclass(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """`_plain` of a dataclass instance: its fields in order, plain values taken as they
    are without a call each (a large report's contacts have some 10^6 of them)."""
    out = {}
    for name in names:
        item = getattr(value, name)
        kind = type(item)
        out[name] = (
            item if kind is str or kind is int or kind is bool or item is None else _plain(item)
        )
    return out


def _sequence(value: tuple[Any, ...] | list[Any]) -> list[Any]:
    return [_plain(v) for v in value]


_BY_TYPE: dict[type, Callable[[Any], Any]] = {
    float: lambda value: round(value, 3),
    Label: lambda value: {"ja": value.ja, "en": value.en},
    dt.datetime: lambda value: value.isoformat(),
    tuple: _sequence,
    list: _sequence,
}
"""`_plain` by exact type, for the types most values have; `_plain_other` decides the
rest (subclasses, by isinstance) and adds each dataclass it meets."""


def report_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (what `render_json` writes)."""
    body = _plain(report)
    assert isinstance(body, dict)
    body["curve"]["points"] = [
        {"seconds": _plain(t), "acknowledged": n} for t, n in report.curve.points
    ]
    body["history"]["levels"] = [
        {"tree": tree, "level": level, "name": _plain(name)}
        for tree, level, name in report.history.levels
    ]
    body["integrity"]["verify_command"] = f"drillkit verify {report.drill.drill_id}"
    return {"schema_version": SCHEMA_VERSION, "generator": "drillkit", **body}


PRETTY_UP_TO = 2000
"""Reports of up to this many contacts are indented for people; larger ones are compact
(programs read them, and Python writes compact JSON several times faster)."""


def render_json(report: Report, *, pretty: bool | None = None) -> str:
    """The report as JSON text; `pretty` None means indented up to `PRETTY_UP_TO` contacts.

    The text of `encode_json`, a large report's contacts written as `json_parts` writes
    them (for 17,000 contacts, a third of the time of encoding their JSON values)."""
    return "".join(json_parts(report, pretty=pretty))


def encode_json(report: Report, *, pretty: bool) -> str:
    """The report's JSON values (`report_dict`), encoded by the standard encoder: the
    text `render_json` and `json_parts` write."""
    with gc_paused():  # the whole report as JSON values first (drill.store.gc_pause)
        data = report_dict(report)
        if pretty:
            return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def json_parts(report: Report, *, pretty: bool | None = None) -> Iterator[str]:
    """`render_json`'s text in parts, to be written as they come: a large report's
    contacts are turned into JSON one by one, never all at once (for 17,000 contacts the
    whole report as JSON values took some 120 MiB on top of the report itself)."""
    if pretty is None:
        pretty = report.summary.contacts <= PRETTY_UP_TO
    if pretty or not report.contacts:
        yield encode_json(report, pretty=pretty)
        return
    with gc_paused():
        data = report_dict(dataclasses.replace(report, contacts=()))
        marker = _COMPACT.encode("\x00contacts\x00")
        data["contacts"] = "\x00contacts\x00"
        parts = _COMPACT.encode(data).split(marker)
    if len(parts) != 2:  # some text of the report holds the marker: all at once, then
        yield encode_json(report, pretty=False)
        return
    head, tail = parts
    yield head + "["
    contacts = report.contacts
    for start in range(0, len(contacts), _CONTACTS_PART):
        yield ("," if start else "") + _contacts_text(contacts[start : start + _CONTACTS_PART])
    yield "]" + tail + "\n"


_CONTACTS_PART = 500
"""Contacts written to JSON at a time by `json_parts`."""


def _contacts_text(contacts: Sequence[ContactRow]) -> str:
    """`_text` of each contact, joined by commas; written by orjson.

    orjson writes the records a contact is made of (dataclasses: their fields in order)
    as `_text` does, in a third of the time (17,452 contacts: 0.12 s against 0.30 s), for
    the values the report's builder puts in them: texts, integers, Labels of texts, times
    with their offset, and seconds it has rounded to milliseconds
    (`drill.report.contacts`), which orjson writes as they are. A part orjson cannot
    write (a lone surrogate, an integer beyond 64 bits) is written by `_text`.
    """
    try:
        return orjson.dumps(contacts)[1:-1].decode("utf-8")
    except orjson.JSONEncodeError:
        return ",".join([_text(contact) for contact in contacts])


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_string = json.encoder.encode_basestring
"""A str as `_COMPACT` writes it (`ensure_ascii=False`)."""


def _text(value: Any) -> str:
    """`_COMPACT.encode(_plain(value))`, the same text written directly for what a contact
    holds (for 17,000 contacts, making their JSON values first and encoding those took
    most of the file's time); any other value goes that way still."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        value = round(value, 3)
        if math.isfinite(value):  # NaN and infinities as the encoder spells them
            return float.__repr__(value)
    elif kind is Label:
        ja, en = value.ja, value.en
        if type(ja) is str and (en is None or type(en) is str):
            return f'{{"ja":{_string(ja)},"en":{"null" if en is None else _string(en)}}}'
    elif kind is dt.datetime:
        return _string(value.isoformat())
    elif kind is tuple or kind is list:
        return "[" + ",".join([_text(item) for item in value]) + "]"
    else:
        write = _OBJECTS.get(kind)
        if write is not None:
            return write(value)
    return _COMPACT.encode(_plain(value))


def _object_text(cls: type) -> Callable[[Any], str]:
    """`_text` of an instance of dataclass `cls`: its fields in order, as `_dataclass`.

    Made as `dataclasses` makes an `__init__`: one function written for the class, the
    object in one f-string, each field tried first as the kind its annotation names (the
    17,452 contacts of a nationwide drill: 0.50 s of CPU with a loop over the fields that
    asked `_text` of each, 0.36 s so). The annotation only orders the checks: a field
    whose value is of another kind is written by `_text`, and each fast path writes what
    `_text` writes.
    """
    cells = []
    for index, item in enumerate(dataclasses.fields(cls)):
        assert item.name.isidentifier()  # written into the source below
        kind = item.type if isinstance(item.type, str) else ""
        cells.append(f"{',' if index else ''}{_string(item.name)}:{{{_cell(kind, index)}}}")
    source = (
        "def write(value):\n"
        + "".join(f"    v{i} = value.{f.name}\n" for i, f in enumerate(dataclasses.fields(cls)))
        + f"    return f'{{{{{''.join(cells)}}}}}'\n"
    )
    scope: dict[str, Any] = {
        "_string": _string,
        "_text": _text,
        "_label": _label,
        "_items": _items,
        "NULL": "null",
        "Label": Label,
        "datetime": dt.datetime,
    }
    exec(source, scope)  # the source is made above from the class's own field names
    write: Callable[[Any], str] = scope["write"]
    return write


def _cell(annotation: str, index: int) -> str:
    """The expression writing field `v{index}`, its annotation's kind tried first."""
    v = f"v{index}"
    kind = annotation.removesuffix(" | None")
    if kind == "float":
        # round() of a float is a float: finite when `r - r` is 0 (NaN and infinities go
        # to `_text`, which spells them as the encoder does).
        fast = f"float.__repr__(r) if type({v}) is float and (r := round({v}, 3)) - r == 0.0"
    elif kind == "int":
        fast = f"int.__repr__({v}) if type({v}) is int"
    elif kind == "Label":
        fast = f"_label({v}) if type({v}) is Label"
    elif kind == "dt.datetime":
        fast = f"_string({v}.isoformat()) if type({v}) is datetime"
    elif kind.startswith("tuple["):
        fast = f"_items({v}) if type({v}) is tuple"
    else:
        fast = f"_string({v}) if type({v}) is str"
    return f"{fast} else NULL if {v} is None else _text({v})"


def _label(value: Label) -> str:
    """`_text` of a Label."""
    ja, en = value.ja, value.en
    if type(ja) is str and (en is None or type(en) is str):
        return f'{{"ja":{_string(ja)},"en":{"null" if en is None else _string(en)}}}'
    return _COMPACT.encode(_plain(value))


def _items(values: tuple[Any, ...]) -> str:
    """`_text` of a tuple: of a contact's attempts, a str or a record each."""
    objects = _OBJECTS
    return (
        "["
        + ",".join(
            [
                _string(item)
                if type(item) is str
                else write(item)
                if (write := objects.get(type(item))) is not None
                else _text(item)
                for item in values
            ]
        )
        + "]"
    )


_OBJECTS: dict[type, Callable[[Any], str]] = {
    cls: _object_text(cls) for cls in (ContactRow, Attempt, PassedOver)
}
"""The records a contact is made of (none of them a `LevelTiming`, which adds a field)."""
