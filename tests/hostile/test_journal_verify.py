"""`drillkit verify` on a tampered journal: never a traceback; it names the first bad
event and why, and exits non-zero.

The journal is attacked with the database's own tools (guards lifted first): values of
the wrong kind, dates that do not parse, payloads that are not JSON objects, events
removed, links broken. (Synchronous tests: the CLI runs its own event loop.)
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from .journal_fixtures import BACKENDS, invoke, journal, tamper

_ONE = "WHERE drill_id = :drill AND seq = {seq}"

# case -> (SQL, dialects it applies to, the first bad event, words the message must have)
CASES: dict[str, tuple[str, tuple[str, ...], int, str]] = {
    "malformed recorded_at": (
        f"UPDATE events SET recorded_at = 'yesterday-ish' {_ONE.format(seq=3)}",
        ("sqlite",),
        3,
        "recorded_at that is not a time: 'yesterday-ish'",
    ),
    "recorded_at out of range": (
        f"UPDATE events SET recorded_at = '0001-01-01T00:00:00+09:00' {_ONE.format(seq=2)}",
        ("sqlite",),
        2,
        "recorded_at that is not a time",
    ),
    "payload not JSON": (
        f"UPDATE events SET payload = '{{broken' {_ONE.format(seq=4)}",
        ("sqlite", "postgresql"),
        4,
        "payload that is not JSON",
    ),
    "payload a JSON list": (
        f"UPDATE events SET payload = '[1, 2]' {_ONE.format(seq=1)}",
        ("sqlite", "postgresql"),
        1,
        "payload that is not a JSON object",
    ),
    "payload nested too deep": (
        f"UPDATE events SET payload = '{'[' * 100_000}' {_ONE.format(seq=5)}",
        ("sqlite", "postgresql"),
        5,
        "payload that is not JSON",
    ),
    "payload with NaN": (
        f"UPDATE events SET payload = '{{\"x\": NaN}}' {_ONE.format(seq=2)}",
        ("sqlite", "postgresql"),
        2,
        "cannot be hashed",
    ),
    "payload stored as bytes": (
        f"UPDATE events SET payload = x'7b7d' {_ONE.format(seq=3)}",
        ("sqlite",),
        3,
        "payload of the wrong kind",
    ),
    "seq that is text": (
        f"UPDATE events SET seq = 'five' {_ONE.format(seq=5)}",
        ("sqlite",),
        5,
        "seq that is not a number: 'five'",
    ),
    "type stored as bytes": (
        f"UPDATE events SET type = x'00ff' {_ONE.format(seq=2)}",
        ("sqlite",),
        2,
        "type of the wrong kind",
    ),
    "event removed from the middle": (
        f"DELETE FROM events {_ONE.format(seq=3)}",
        ("sqlite", "postgresql"),
        3,
        "event 3 is missing (the next stored event is 4)",
    ),
    "broken link": (
        f"UPDATE events SET prev_hash = '{'f' * 64}' {_ONE.format(seq=4)}",
        ("sqlite", "postgresql"),
        4,
        "does not follow event 3",
    ),
    "edited payload": (
        f"UPDATE events SET payload = replace(payload, 'メモ2', 'メモ9') {_ONE.format(seq=2)}",
        ("sqlite", "postgresql"),
        2,
        "was altered",
    ),
    "key made a duplicate": (
        f"UPDATE events SET duplicate_of = 1 {_ONE.format(seq=2)}",
        ("sqlite", "postgresql"),
        2,
        "was altered",
    ),
    "every event removed": (
        "DELETE FROM events WHERE drill_id = :drill",
        ("sqlite", "postgresql"),
        1,
        "the drill has no events",
    ),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", list(CASES))
def test_verify_names_the_first_bad_event_and_exits_non_zero(
    backend: str, case: str, tmp_path: Path
) -> None:
    j = asyncio.run(journal(backend, tmp_path))
    sql, dialects, first_bad, words = CASES[case]
    if j.dialect not in dialects:
        pytest.skip(f"{j.dialect} cannot hold this damage")
    code, output = invoke("verify", j.drill_id, "--db", j.url)
    assert code == 0 and "chain intact" in output

    asyncio.run(tamper(j, sql))

    code, output = invoke("verify", j.drill_id, "--db", j.url)
    assert code == 1
    assert f"event {first_bad}:" in output
    assert words in " ".join(output.split())

    code, output = invoke("verify", j.drill_id, "--db", j.url, "--json")
    assert code == 1
    found = json.loads(output)
    assert (found["ok"], found["first_bad_seq"]) == (False, first_bad)
    assert words in found["problem"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_verify_of_a_drill_that_is_not_there_is_a_clear_error(backend: str, tmp_path: Path) -> None:
    j = asyncio.run(journal(backend, tmp_path))
    code, output = invoke("verify", "no-such-drill", "--db", j.url)
    assert code != 0
    assert "no-such-drill" in output
