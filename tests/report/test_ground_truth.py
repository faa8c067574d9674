"""Report figures equal ground truth computed here, from the raw events of seeded drills.

Nothing in this file calls the report code to get an expected value: each figure is
recomputed from the engine's events (first acknowledgements, level and tree completions,
unreached members, step events) the way a person auditing the record would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from drill.engine.events import (
    Acknowledged,
    DrillCompleted,
    DrillStarted,
    Event,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    PageQueued,
    PagingCancelled,
    StepCompleted,
    StepDue,
    StepTiming,
    TreeCompleted,
)
from drill.engine.sink import StoredEvent
from drill.plan import Plan
from drill.report import build

Key = tuple[str, str, str]


@dataclass
class Truth:
    contacts: int
    acks: dict[Key, float] = field(default_factory=dict)
    """Acknowledgements in time: recorded while the contact was still being paged."""
    late: dict[Key, float] = field(default_factory=dict)
    """Acknowledgements recorded after the contact's paging had ended."""
    ack_person: dict[Key, str] = field(default_factory=dict)
    site_of: dict[Key, str | None] = field(default_factory=dict)
    level_done: dict[tuple[str, str], float] = field(default_factory=dict)
    tree_done: dict[str, float] = field(default_factory=dict)
    unreached: set[Key] = field(default_factory=set)
    candidate: dict[tuple[Key, str], int] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)
    duration: float | None = None

    def nth(self, share: float, keys: Sequence[Key] | None = None) -> float | None:
        pool = self.acks if keys is None else {k: v for k, v in self.acks.items() if k in keys}
        total = self.contacts if keys is None else len(keys)
        need = math.ceil(share * total - 1e-9)
        times = sorted(pool.values())
        return times[need - 1] if len(times) >= need else None

    def all_sites(self, regional: set[str], tree: str | None = None) -> float | None:
        first: dict[str, float | None] = {}
        for key, site in self.site_of.items():
            if site not in regional or (tree is not None and key[0] != tree):
                continue
            t = self.acks.get(key)
            best = first.get(site)
            if t is not None and (best is None or t < best):
                first[site] = t
            else:
                first.setdefault(site, None)
        if not first or None in first.values():
            return None
        return max(v for v in first.values() if v is not None)


def truth_of(stored: Sequence[StoredEvent]) -> Truth:
    """The outcome as an auditor reads it off the record: a contact's first acknowledgement
    counts unless the contact was given up before it (a MemberUnreached for it, or a
    PagingCancelled because the drill ended); a contact whose level was satisfied without
    it and who acknowledges anyway counts, and its level (already satisfied) keeps its
    result; a level is satisfied when the acknowledgements counted by the time it
    completed reach `required`; a tree when every level is."""
    events: list[Event] = [s.event for s in stored if not s.duplicate]
    start = events[0]
    assert isinstance(start, DrillStarted)
    t = Truth(contacts=start.contacts)
    closed: set[Key] = set()
    members: dict[tuple[str, str], tuple[str, ...]] = {}
    required: dict[tuple[str, str], int] = {}
    level_ok: dict[tuple[str, str], bool] = {}
    levels_of: dict[str, list[tuple[str, str]]] = {}
    for e in events:
        if isinstance(e, LevelStarted):
            members[(e.tree, e.level)] = e.members
            required[(e.tree, e.level)] = e.required
            levels_of.setdefault(e.tree, []).append((e.tree, e.level))
            for member, site in zip(e.members, e.member_sites, strict=True):
                t.site_of[(e.tree, e.level, member)] = site
        elif isinstance(e, PageQueued):
            t.candidate.setdefault(((e.tree, e.level, e.member), e.person_id), e.candidate_index)
        elif isinstance(e, Acknowledged):
            key = (e.tree, e.level, e.member)
            if key in t.acks or key in t.late:
                continue
            (t.late if key in closed else t.acks)[key] = e.elapsed
            t.ack_person[key] = e.person_id
        elif isinstance(e, MemberUnreached):
            key = (e.tree, e.level, e.member)
            closed.add(key)
            t.unreached.add(key)
        elif isinstance(e, PagingCancelled):
            if e.why.value != "level_satisfied":
                closed.add((e.tree, e.level, e.member))
        elif isinstance(e, LevelCompleted):
            level = (e.tree, e.level)
            counted = sum(1 for m in members.get(level, ()) if (e.tree, e.level, m) in t.acks)
            level_ok[level] = counted >= required.get(level, 0)
            if level_ok[level]:
                t.level_done[level] = e.elapsed
        elif isinstance(e, TreeCompleted):
            if all(level_ok.get(level, False) for level in levels_of.get(e.tree, [])):
                t.tree_done[e.tree] = e.elapsed
        elif isinstance(e, StepCompleted):
            t.steps[e.step] = "late" if e.timing is StepTiming.LATE else "on_time"
        elif isinstance(e, StepDue):
            t.steps.setdefault(e.step, "missed")
        elif isinstance(e, DrillCompleted):
            t.duration = e.elapsed
    # Acknowledged, in time or late: not "unreached".
    t.unreached -= set(t.acks) | set(t.late)
    return t


def troubled(kit: SimpleNamespace, plan: Plan) -> dict[str, object]:
    """A drill with problems: an absent chief, a silent centre, a wrong number."""
    people: dict[str, object] = {kit.holder_of(plan, "juki-chief"): kit.ABSENT}
    for person in kit.everyone_of(plan, "security-island"):
        people[person] = kit.ABSENT
    people[kit.holder_of(plan, "security-east")] = kit.INVALID
    return people


CASES = [(1, False), (2, False), (7, False), (11, True), (23, True)]


@pytest.mark.parametrize(("seed", "with_problems"), CASES)
async def test_summary_curve_levels_and_targets_match_the_events(
    kit: SimpleNamespace, plan: Plan, seed: int, with_problems: bool
) -> None:
    people = troubled(kit, plan) if with_problems else None
    stored = await kit.simulate(plan, seed=seed, people=people)
    truth = truth_of(stored)
    report = build(stored, plan)
    s = report.summary
    regional = {site.id for site in plan.sites if site.regional_centre}

    assert s.contacts == truth.contacts == 24
    assert s.acknowledged == len(truth.acks)
    assert s.late == len(truth.late)
    assert s.unreached == len(truth.unreached)
    assert s.share_acknowledged == pytest.approx(len(truth.acks) / truth.contacts)
    assert report.drill.duration_seconds == pytest.approx(truth.duration)
    expected_sites = truth.all_sites(regional)
    if expected_sites is None:
        assert s.all_sites_seconds is None
    else:
        assert s.all_sites_seconds == pytest.approx(expected_sites)

    for milestone in report.curve.milestones:
        expected = truth.nth(milestone.share)
        assert milestone.seconds == (pytest.approx(expected) if expected is not None else None)
    assert [n for _, n in report.curve.points] == list(range(1, len(truth.acks) + 1))

    for level in report.levels:
        done = truth.level_done.get((level.tree, level.level))
        if done is None:
            assert level.satisfied is not True
        else:
            assert level.satisfied is True
            assert level.completed_seconds == pytest.approx(done)
    for tree in report.trees:
        assert tree.satisfied is (tree.tree in truth.tree_done)
    if set(truth.tree_done) == {"internal", "external"}:
        assert s.trees_completed_seconds == pytest.approx(max(truth.tree_done.values()))
    else:
        assert s.trees_completed_seconds is None

    internal = [k for k in truth.site_of if k[0] == "internal"]
    expected_met = {
        "all-centres-10min": (truth.all_sites(regional, "internal") or 1e9) <= 600,
        "internal-50min": truth.tree_done.get("internal", 1e9) <= 3000,
        "external-30min": truth.tree_done.get("external", 1e9) <= 1800,
        "jlis-prefecture-15min": truth.level_done.get(("external", "prefecture-jlis"), 1e9) <= 900,
        "share-90": (truth.nth(0.9) or 1e9) <= 1800,
    }
    assert {t.id: t.met for t in s.targets} == expected_met
    assert internal  # the internal tree was paged
    if with_problems:
        assert expected_met["all-centres-10min"] is False  # the island centre never answers


@pytest.mark.parametrize(("seed", "with_problems"), CASES)
async def test_every_contact_row_matches_the_events(
    kit: SimpleNamespace, plan: Plan, seed: int, with_problems: bool
) -> None:
    people = troubled(kit, plan) if with_problems else None
    stored = await kit.simulate(plan, seed=seed, people=people)
    truth = truth_of(stored)
    report = build(stored, plan)
    rows = {(c.tree, c.level, c.member): c for c in report.contacts}
    assert len(rows) == truth.contacts
    for key, row in rows.items():
        if key in truth.acks or key in truth.late:
            assert row.status == ("acknowledged" if key in truth.acks else "late")
            expected = truth.acks.get(key, truth.late.get(key))
            assert row.ack_seconds == pytest.approx(expected)
            assert row.acknowledged_person == truth.ack_person[key]
            assert row.candidate_index == truth.candidate[(key, truth.ack_person[key])]
            if key in truth.late:
                assert row.given_up_reason is not None
        elif key in truth.unreached:
            assert row.status == "unreached"
        else:
            assert row.status in {"cancelled", "not_paged"}
        for attempt in row.attempts:
            assert "*" in attempt.address or "@" in attempt.address  # numbers are masked
    assert {(c.tree, c.level, c.member) for c in report.contacts if c.status == "unreached"} == (
        truth.unreached
    )


@pytest.mark.parametrize(("seed", "with_problems"), CASES)
async def test_playbook_and_findings_match_the_events(
    kit: SimpleNamespace, plan: Plan, seed: int, with_problems: bool
) -> None:
    people = troubled(kit, plan) if with_problems else None
    stored = await kit.simulate(plan, seed=seed, people=people)
    truth = truth_of(stored)
    report = build(stored, plan)
    for step in report.playbook.steps:
        assert step.status == truth.steps.get(step.step, "not_done")
    codes = [f.code for f in report.findings]
    unreached_findings = [f for f in report.findings if f.code == "unreached"]
    assert len(unreached_findings) == len(truth.unreached)
    deputies = {
        key
        for key, person in truth.ack_person.items()
        if key in truth.acks and truth.candidate[(key, person)] > 0
    }
    assert codes.count("deputy_answered") == len(deputies)
    for status in truth.steps.values():
        if status in ("late", "missed"):
            assert f"step_{status}" in codes
    if with_problems:
        assert {"unreached", "deputy_answered", "bad_number", "target_missed"} <= set(codes)
        bad = next(f for f in report.findings if f.code == "bad_number")
        assert "contacts/" in bad.fix.ja and kit.holder_of(plan, "security-east") in bad.fix.ja
