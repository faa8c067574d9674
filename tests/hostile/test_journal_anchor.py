"""The anchored chain: a report's signed head catches a journal rewritten with every hash
recomputed, or cut short at the end, which the chain alone cannot see.

A small drill is simulated into the store, its JSON report written by `drillkit report`,
and then the journal (or the report) is attacked and `drillkit verify --against` asked.
(Synchronous tests: the CLI runs its own event loop.)
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.synthetic import PlanBuilder
from drill.store import EventStore
from drill.store.anchor import PUBLIC_KEY_ENV, new_anchor_key

from .journal_fixtures import BACKENDS, Journal, invoke, rewrite_chain, tamper


async def _simulated_drill(backend: str, tmp: Path) -> Journal:
    import os
    import uuid

    b = PlanBuilder()
    for person in ("alice", "bob", "carol"):
        b.person(person)
    b.role("chief", "alice", ["bob"])
    b.role("admin", "carol")
    b.level("t", "first", ["chief"], timeout=3)
    b.level("t", "second", ["admin"], timeout=3)
    plan = b.build()
    url = (
        str(tmp / "events.db") if backend == "sqlite" else os.environ["DRILLKIT_TEST_POSTGRES_URL"]
    )
    drill_id = f"anchor-{uuid.uuid4().hex[:10]}"
    model = ResponseModel.from_mapping(
        {"seed": 3, "people": {"alice": {"absent": True}, "bob": {"sms": {"answer": 1}}}}
    )
    async with EventStore.open(url) as store:
        runner = DrillRunner(
            plan,
            plan.scenarios[0].id,
            sink=store,
            notifiers=[SimulatedNotifier(model)],
            clock=VirtualClock(),
            drill_id=drill_id,
        )
        await runner.run()
        url = store.url
    return Journal(url, drill_id, "sqlite" if url.startswith("sqlite") else "postgresql")


@pytest.fixture
def signing_key(monkeypatch: pytest.MonkeyPatch) -> str:
    private, public = new_anchor_key()
    monkeypatch.setenv("DRILLKIT_ANCHOR_KEY", private)
    monkeypatch.delenv(PUBLIC_KEY_ENV, raising=False)
    return public


def _report(j: Journal, tmp: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp / "report.json"
    code, output = invoke(
        "report", j.drill_id, "--format", "json", "--out", str(path), "--db", j.url
    )
    assert code == 0, output
    return path, json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_report_carries_the_signed_head_and_an_intact_journal_matches_it(
    backend: str, tmp_path: Path, signing_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = asyncio.run(_simulated_drill(backend, tmp_path))
    path, report = _report(j, tmp_path)
    integrity = report["integrity"]
    rows = asyncio.run(j.rows())
    assert integrity["head_hash"] == rows[-1].hash and integrity["event_count"] == len(rows)
    assert integrity["public_key"] == signing_key and len(integrity["key_id"]) == 16
    assert isinstance(integrity["signature"], str) and len(integrity["signature"]) == 86

    code, output = invoke("verify", "--against", str(path), "--db", j.url)
    assert code == 0, output
    assert "matches the report" in output and "the pinned key" in output  # this machine's own

    code, markdown = invoke("report", j.drill_id, "--format", "md", "--db", j.url)
    assert code == 0 and integrity["signature"] in markdown and integrity["key_id"] in markdown

    monkeypatch.delenv("DRILLKIT_ANCHOR_KEY")  # elsewhere: only the key the report names
    code, output = invoke("verify", "--against", str(path), "--db", j.url)
    assert code == 0 and "the key the report names" in output


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_journal_rewritten_with_every_hash_recomputed_fails_against_the_report(
    backend: str, tmp_path: Path, signing_key: str
) -> None:
    j = asyncio.run(_simulated_drill(backend, tmp_path))
    path, report = _report(j, tmp_path)
    n = report["integrity"]["event_count"]
    acks = [r.seq for r in asyncio.run(j.rows()) if r.type == "Acknowledged"]

    def forged(payload: dict[str, Any]) -> None:
        payload["person_name"] = "someone else"

    asyncio.run(rewrite_chain(j, acks[0], forged))

    code, output = invoke("verify", j.drill_id, "--db", j.url)
    assert code == 0, "the chain alone cannot see a full rewrite: that is the gap"
    code, output = invoke("verify", "--against", str(path), "--db", j.url)
    assert code == 1
    assert f"event {n}:" in output and "rewritten" in output


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_journal_cut_short_fails_against_the_report(
    backend: str, tmp_path: Path, signing_key: str
) -> None:
    j = asyncio.run(_simulated_drill(backend, tmp_path))
    path, report = _report(j, tmp_path)
    n = report["integrity"]["event_count"]
    asyncio.run(tamper(j, f"DELETE FROM events WHERE drill_id = :drill AND seq > {n - 3}"))

    code, _ = invoke("verify", j.drill_id, "--db", j.url)
    assert code == 0, "the chain alone cannot see events removed from the end"
    code, output = invoke("verify", "--against", str(path), "--db", j.url, "--json")
    assert code == 1
    found = json.loads(output)
    assert found["first_bad_seq"] == n - 2
    assert f"events {n - 2}-{n} were removed from the end" in found["problem"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_report_edited_to_match_a_rewritten_journal_fails_its_signature(
    backend: str, tmp_path: Path, signing_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = asyncio.run(_simulated_drill(backend, tmp_path))
    path, report = _report(j, tmp_path)
    asyncio.run(rewrite_chain(j, 2, lambda p: p.update(scenario_title_ja="改ざん")))
    report["integrity"]["head_hash"] = asyncio.run(j.rows())[-1].hash
    path.write_text(json.dumps(report), encoding="utf-8")

    code, output = invoke("verify", "--against", str(path), "--db", j.url)
    assert code == 1 and "signature does not verify" in output

    # Signed again by a forger's own key, printed in the report: a pinned key refuses it.
    monkeypatch.setenv(PUBLIC_KEY_ENV, signing_key)
    forger, _ = new_anchor_key()
    monkeypatch.setenv("DRILLKIT_ANCHOR_KEY", forger)
    forged_path, forged = _report(j, tmp_path)
    monkeypatch.delenv("DRILLKIT_ANCHOR_KEY")
    code, output = invoke("verify", "--against", str(forged_path), "--db", j.url)
    assert code == 1 and "pinned key" in output
    assert forged["integrity"]["key_id"] not in ("", None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_a_key_the_head_is_unsigned_but_still_compared(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRILLKIT_ANCHOR_KEY", raising=False)
    monkeypatch.delenv(PUBLIC_KEY_ENV, raising=False)
    j = asyncio.run(_simulated_drill(backend, tmp_path))
    path, report = _report(j, tmp_path)
    assert report["integrity"]["signature"] is None
    code, output = invoke("verify", "--against", str(path), "--db", j.url)
    assert code == 0 and "not signed" in output

    asyncio.run(rewrite_chain(j, 3, lambda p: p.update(extra=1)))
    code, output = invoke("verify", "--against", str(path), "--db", j.url)
    assert code == 1 and "rewritten" in output


@pytest.mark.parametrize(
    "content",
    ["", "{not json", "[]", '{"drill": {"drill_id": "x"}}', '{"drill": {}, "integrity": {}}'],
)
def test_a_file_that_is_not_a_report_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    code, output = invoke("verify", "--against", str(path), "--db", str(tmp_path / "e.db"))
    assert code != 0
    assert "report.json" in output


def test_a_bad_anchor_key_is_named_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = asyncio.run(_simulated_drill("sqlite", tmp_path))
    monkeypatch.setenv("DRILLKIT_ANCHOR_KEY", "not-a-key-SECRET-VALUE")
    code, output = invoke("report", j.drill_id, "--format", "json", "--db", j.url)
    assert code != 0
    assert "DRILLKIT_ANCHOR_KEY" in output and "SECRET-VALUE" not in output


def test_a_new_anchor_key_goes_to_a_file_never_to_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRILLKIT_ANCHOR_KEY", raising=False)
    code, output = invoke("config", "anchor-key")
    assert code == 1 and "no anchor key is configured" in output

    key_file = tmp_path / "anchor.env"
    code, output = invoke("config", "anchor-key", "--new", str(key_file))
    assert code == 0
    line = key_file.read_text(encoding="utf-8").strip()
    name, _, private = line.partition("=")
    assert name == "DRILLKIT_ANCHOR_KEY" and private and private not in output
    assert key_file.stat().st_mode & 0o077 == 0
    public = output.split("public key ")[1].split()[0]

    monkeypatch.setenv("DRILLKIT_ANCHOR_KEY", private)
    code, output = invoke("config", "anchor-key")
    assert code == 0 and public in output and private not in output
    code, output = invoke("config", "anchor-key", "--new", str(key_file))
    assert code != 0 and "never overwritten" in output
