"""The fold keeps the timeline a reader follows: its events, in order, with their seqs."""

from __future__ import annotations

from types import SimpleNamespace

from drill.engine.events import (
    DrillCompleted,
    DrillStarted,
    InjectFired,
    LevelCompleted,
    NoteAdded,
    PageQueued,
    TreeCompleted,
)
from drill.engine.sink import StoredEvent
from drill.engine.state import DrillState


async def test_the_timeline_and_the_start_keep_their_seqs(kit: SimpleNamespace) -> None:
    h = kit.Harness(kit.two_level_plan(), people={"alice": "voice@20", "carol": "voice@20"})
    await h.runner.run_until(0.5)
    await h.runner.add_note("北部支所は停電中", by="当番")
    await h.runner.run()
    stored = list(await h.sink.read(h.drill_id))
    # A duplicate callback the store kept: never applied, never on the timeline.
    doubled = [*stored, StoredEvent(len(stored) + 1, stored[-1].event, "dup", True)]
    state = DrillState.from_events(doubled)

    assert state.started_seq == 1 and state.duplicates == 1
    kinds = [type(e) for _, e in state.timeline]
    assert kinds[0] is DrillStarted and kinds[-1] is DrillCompleted
    assert {NoteAdded, LevelCompleted, TreeCompleted} <= set(kinds)
    assert PageQueued not in kinds and InjectFired not in kinds  # the plan has no injects
    by_seq = {s.seq: s.event for s in stored}
    assert all(by_seq[seq] is event for seq, event in state.timeline if seq is not None)
    assert [seq for seq, _ in state.timeline] == sorted(seq for seq, _ in state.timeline)
