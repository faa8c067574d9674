"""Who is told, per scenario step: the sample scenarios page whom the source documents say.

Each sample scenario runs in virtual time on the bundled plan; the tests assert who is
paged in which level and when, who is never paged, which members must each acknowledge
(every one of them, not any one), and which message an outside agency gets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace

import pytest

from drill.engine.clock import VirtualClock
from drill.engine.events import (
    CancelReason,
    Event,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    PageQueued,
    PagingCancelled,
)
from drill.engine.runner import DrillRunner
from drill.engine.simulation import SimulatedNotifier, SimulatedOperator
from drill.engine.sink import Appended, MemorySink, StoredEvent
from drill.engine.state import ContactStatus, LevelStatus
from drill.plan import load_plan, sample_plan_dir
from drill.plan.audience import scenario_reach
from drill.plan.models import Agency, Audience, Notice, Plan, Scenario

INTERNAL, EXTERNAL = "internal", "external"
CENTRES = {
    f"security-{site}"
    for site in ("north", "east", "south", "west", "harbour", "hillside", "riverside", "island")
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(sample_plan_dir()).plan


async def paged(h: SimpleNamespace) -> dict[tuple[str, str], set[str]]:
    """Members paged, by (tree, level)."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in await h.of(PageQueued):
        out[(e.tree, e.level)].add(e.member)
    return dict(out)


async def first_paged(h: SimpleNamespace) -> dict[str, float]:
    """When each member was first paged (drill seconds)."""
    out: dict[str, float] = {}
    for e in await h.of(PageQueued):
        out.setdefault(e.member, e.elapsed)
    return out


def everyone_paged(p: dict[tuple[str, str], set[str]]) -> set[str]:
    return set().union(*p.values())


# == the theft ==========================================================================


async def test_theft_tells_the_security_officer_sysadmin_prefecture_jlis_and_police(
    kit: SimpleNamespace, plan: Plan
) -> None:
    h = kit.Harness(plan, scenario="stolen-terminal", seed=3)
    await h.runner.run()

    assert await paged(h) == {
        (INTERNAL, "centres"): {"security-harbour"},
        (INTERNAL, "leaders"): {"security-chief", "sysadmin", "juki-chief"},
        (INTERNAL, "managers"): {"access-manager"},
        (EXTERNAL, "prefecture-jlis"): {"prefecture", "jlis"},
        (EXTERNAL, "authorities"): {"police"},
    }
    who = everyone_paged(await paged(h))
    # Not the other centres, the vendor, the Ministry or the Commission.
    assert not who & (CENTRES - {"security-harbour"})
    assert not who & {"vendor", "ministry", "regulator", "citizen-chief", "data-manager"}
    # In that order: the centre's security officer before the leaders, the prefecture
    # and J-LIS before the police.
    first = await first_paged(h)
    assert first["security-harbour"] == 0.0
    assert first["security-harbour"] < first["sysadmin"] < first["access-manager"]
    assert first["prefecture"] == first["jlis"] == 0.0
    assert first["police"] > first["jlis"]


async def test_theft_requires_every_agency_each(kit: SimpleNamespace, plan: Plan) -> None:
    """Every agency the theft must be reported to is required on its own: an answer
    from one never makes another "not needed"."""
    h = kit.Harness(plan, scenario="stolen-terminal", seed=3)
    await h.runner.run()

    each = {(e.tree, e.level): set(e.each) for e in await h.of(LevelStarted)}
    assert each[(EXTERNAL, "prefecture-jlis")] == {"prefecture", "jlis"}
    assert each[(EXTERNAL, "authorities")] == {"police"}


async def test_theft_with_jlis_silent_leaves_the_first_report_unsatisfied_not_cancelled(
    kit: SimpleNamespace, plan: Plan
) -> None:
    """The prefecture answering at once does not cancel J-LIS: J-LIS is paged holder,
    then deputy, to the end of its ladder; the level is exhausted, not satisfied, and
    the police are paged only after it (in order)."""
    h = kit.Harness(
        plan,
        scenario="stolen-terminal",
        roles={"prefecture": "voice@20", "jlis": "absent", "police": "voice@30"},
    )
    state = await h.runner.run()

    cancelled = {(e.level, e.member) for e in await h.of(PagingCancelled)}
    assert ("prefecture-jlis", "jlis") not in cancelled
    level = state.levels[(EXTERNAL, "prefecture-jlis")]
    assert level.status is LevelStatus.EXHAUSTED and level.waiting_for == ("jlis",)
    assert state.contact("jlis", EXTERNAL).status is ContactStatus.UNREACHED
    assert state.contact("prefecture", EXTERNAL).status is ContactStatus.ACKNOWLEDGED
    (completed,) = [e for e in await h.of(LevelCompleted) if e.level == "prefecture-jlis"]
    first = await first_paged(h)
    assert first["police"] >= completed.elapsed  # the police come after the first report
    assert not state.trees[EXTERNAL].satisfied


# == the aggregation-centre outage ========================================================


async def test_centre_outage_tells_centres_counters_jlis_and_prefecture_never_the_police(
    kit: SimpleNamespace, plan: Plan
) -> None:
    h = kit.Harness(plan, scenario="aggregation-centre-outage", seed=5)
    await h.runner.run()

    got = await paged(h)
    assert got == {
        (INTERNAL, "leaders"): {"sysadmin", "juki-chief"},
        (INTERNAL, "centres"): CENTRES,
        (INTERNAL, "managers"): {"system-manager", "citizen-chief", "counter-lead"},
        (EXTERNAL, "prefecture-jlis"): {"prefecture", "jlis"},
    }
    who = everyone_paged(got)
    assert "police" not in who
    assert not who & {"ministry", "regulator", "vendor"}
    assert [e.level for e in await h.of(LevelStarted) if e.tree == EXTERNAL] == ["prefecture-jlis"]
    page_texts = [p.message.email_body for p in h.notifier.sent]
    assert not any("警察" in text for text in page_texts)


# == suspected unauthorized access ========================================================


async def test_unauthorized_access_tells_the_regulator_only_after_the_leak_inject(
    kit: SimpleNamespace, plan: Plan
) -> None:
    scenario = plan.scenario("unauthorized-access")
    (leak,) = [i for i in scenario.injects if i.id == "leak-suspected"]
    h = kit.Harness(plan, scenario="unauthorized-access", seed=7)

    # Before the inject: the chief security officer, the prefecture and J-LIS, no regulator.
    await h.runner.run_until(leak.at_minutes - 0.5)
    before = everyone_paged(await paged(h))
    assert {"security-east", "sysadmin", "security-chief", "prefecture", "jlis"} <= before
    assert "regulator" not in before
    assert not [e for e in await h.of(LevelStarted) if e.level == "authorities"]

    await h.runner.run()
    first = await first_paged(h)
    assert first["regulator"] >= leak.at_minutes * 60.0
    (started,) = [e for e in await h.of(LevelStarted) if e.level == "authorities"]
    assert started.members == ("regulator",) and started.each == ("regulator",)
    after = everyone_paged(await paged(h))
    assert not after & {"police", "ministry", "vendor"}
    assert not after & (CENTRES - {"security-east"})


# == the annual roll call =================================================================


async def test_roll_call_pages_everyone_of_both_trees(kit: SimpleNamespace, plan: Plan) -> None:
    h = kit.Harness(plan, scenario="annual-roll-call", seed=11)
    await h.runner.run()

    got = await paged(h)
    expected = {
        (tree.id, level.id): {m.ref for m in level.members}
        for tree in plan.trees
        for level in tree.levels
        if level.mode == "parallel"
    }
    for key, members in expected.items():
        assert got[key] == members, key
    assert got[(INTERNAL, "site-managers")]  # sequential: the first one at least


async def test_roll_call_one_agency_answering_does_not_cancel_the_others(
    kit: SimpleNamespace, plan: Plan
) -> None:
    """The authorities level requires every one of them: the police answering first
    leaves the Ministry and the Commission paged until they answer."""
    h = kit.Harness(
        plan,
        scenario="annual-roll-call",
        seed=11,
        roles={"police": "voice@10", "ministry": "email@200", "regulator": "voice@150"},
    )
    state = await h.runner.run()

    cancelled = {e.member for e in await h.of(PagingCancelled) if e.level == "authorities"}
    assert cancelled == set()
    for agency in ("police", "ministry", "regulator"):
        assert state.contact(agency, EXTERNAL).status is ContactStatus.ACKNOWLEDGED
    level = state.levels[(EXTERNAL, "authorities")]
    assert level.status is LevelStatus.SATISFIED
    assert level.satisfied_elapsed == state.contact("ministry", EXTERNAL).acknowledged_elapsed


# == which message ========================================================================


async def test_agencies_get_a_formal_notification_and_staff_get_instructions(
    kit: SimpleNamespace, plan: Plan
) -> None:
    h = kit.Harness(plan, scenario="stolen-terminal", seed=3)
    await h.runner.run()

    agencies = {"prefecture", "jlis", "police"}
    for page in h.notifier.sent:
        body = page.message.email_body
        if page.role_id in agencies:
            assert "折り返しの連絡先：システム管理者" in body, page.role_id
            assert "お願い：" in body
            assert "セキュリティ責任者は" not in body  # no staff instructions
        else:
            assert "折り返しの連絡先" not in body, page.role_id
            assert "システム管理者から電話で連絡します" in body


def test_every_sample_scenario_gives_agencies_the_agency_message(plan: Plan) -> None:
    for scenario in plan.scenarios:
        assert scenario.agency_messages is not None, scenario.id
        for reach in scenario_reach(plan, scenario):
            for stage in reach.stages:
                for member in stage.members:
                    agency = plan.is_role(member) and plan.role(member).agency is not None
                    if agency:
                        assert stage.audiences[member] is Audience.AGENCY, (scenario.id, member)


# == every one of them, or any one of them: the fold's rule ===============================


def mixed_theft(plan: Plan, *, police_required: bool) -> Scenario:
    """The theft with the police and the Ministry in one level whose quorum is any one;
    the police are (or are not) an agency the scenario requires."""
    scenario = plan.scenario("stolen-terminal")
    notify = tuple(
        Notice(tree=EXTERNAL, level="authorities", members=("police", "ministry"), required="any")
        if n.level == "authorities"
        else n
        for n in scenario.notify
    )
    agencies = (Agency.JLIS, Agency.PREFECTURE) + ((Agency.POLICE,) if police_required else ())
    return scenario.model_copy(update={"notify": notify, "required_agencies": agencies})


async def test_a_required_agency_is_not_made_unneeded_by_another_answering_first(
    kit: SimpleNamespace, plan: Plan
) -> None:
    roles = {"prefecture": "voice@10", "jlis": "voice@10", "police": "voice@200"}
    roles["ministry"] = "voice@5"
    h = kit.Harness(plan, scenario=mixed_theft(plan, police_required=True), roles=roles)
    state = await h.runner.run()

    (started,) = [e for e in await h.of(LevelStarted) if e.level == "authorities"]
    assert started.required == 1 and started.each == ("police",)
    assert "police" not in {e.member for e in await h.of(PagingCancelled)}
    level = state.levels[(EXTERNAL, "authorities")]
    police = state.contact("police", EXTERNAL)
    assert police.status is ContactStatus.ACKNOWLEDGED
    assert level.satisfied_elapsed == police.acknowledged_elapsed  # not the Ministry's
    assert state.contact("ministry", EXTERNAL).acknowledged_elapsed < level.satisfied_elapsed


async def test_any_one_agency_answering_makes_the_others_unneeded(
    kit: SimpleNamespace, plan: Plan
) -> None:
    roles = {"prefecture": "voice@10", "jlis": "voice@10", "police": "voice@200"}
    roles["ministry"] = "voice@5"
    h = kit.Harness(plan, scenario=mixed_theft(plan, police_required=False), roles=roles)
    state = await h.runner.run()

    (started,) = [e for e in await h.of(LevelStarted) if e.level == "authorities"]
    assert started.each == ()
    # Not needed once the Ministry answered (its call, already ringing, may still be
    # answered: the level does not change).
    assert "police" in {e.member for e in await h.of(PagingCancelled)}
    assert state.contact("police", EXTERNAL).cancelled is CancelReason.LEVEL_SATISFIED
    level = state.levels[(EXTERNAL, "authorities")]
    assert level.satisfied_elapsed == state.contact("ministry", EXTERNAL).acknowledged_elapsed


# == a resumed drill keeps who is told when ===============================================


class _Crash(Exception):
    """The process died here."""


class _CrashingSink:
    """Stores `survive` events, then fails every append: what a kill -9 leaves behind."""

    def __init__(self, survive: int) -> None:
        self.inner = MemorySink()
        self.left = survive

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        if self.left <= 0:
            raise _Crash(event.type_name)
        self.left -= 1
        return await self.inner.append(drill_id, event, key)

    async def read(self, drill_id: str) -> Sequence[StoredEvent]:
        return await self.inner.read(drill_id)


async def test_a_drill_resumed_around_the_leak_inject_tells_the_regulator_once(
    kit: SimpleNamespace, plan: Plan
) -> None:
    """A crash just before, at or after the inject a level waits for: the resumed drill
    records exactly what the uninterrupted one did (the regulator paged once, after it)."""
    whole = kit.Harness(plan, scenario="unauthorized-access", seed=7, operator=True)
    await whole.runner.run()
    expected = kit.records(await whole.events())
    (leak,) = [
        n
        for n, e in enumerate(await whole.events())
        if isinstance(e, InjectFired) and e.at_minutes == 75
    ]
    for survive in (leak - 1, leak, leak + 1, leak + 2):
        sink = _CrashingSink(survive)
        crashed = kit.Harness(
            plan, scenario="unauthorized-access", seed=7, operator=True, sink=sink
        )
        with pytest.raises(_Crash):
            await crashed.runner.run()
        runner = await DrillRunner.resume(
            "d1",
            plan,
            sink=sink.inner,
            notifiers=[SimulatedNotifier(crashed.model)],
            clock=VirtualClock(),
            simulated_operator=SimulatedOperator(7),
            by="duty officer",
        )
        await runner.run()
        stored = [s.event for s in await sink.inner.read("d1") if not s.duplicate]
        got = kit.records(stored, skip=("DrillInterrupted", "DrillRecovered"))
        assert got == expected, f"diverged after a crash following event {survive}"
        regulator = [e for e in stored if isinstance(e, PageQueued) and e.member == "regulator"]
        assert regulator and all(e.elapsed >= 75 * 60.0 for e in regulator)
