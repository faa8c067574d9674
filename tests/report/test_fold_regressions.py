"""The report tells the fold's story, in every format: named regressions of issue 11.

Each drill runs through the real engine in virtual time on a small plan built in code;
the expectations are stated from the responders' script (who answers when), not taken
from the report code.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from drill.engine.clock import VirtualClock
from drill.engine.notifier import FailureReason, Inbox, Page, SendResult
from drill.engine.runner import DrillRunner
from drill.engine.simulation import ResponseModel, SimulatedNotifier
from drill.engine.sink import MemorySink, StoredEvent
from drill.engine.synthetic import PlanBuilder
from drill.plan.models import ChannelKind, Metric, Plan, Target, Text
from drill.report import (
    build,
    render_contacts_csv,
    render_html,
    render_json,
    render_markdown,
)
from drill.report.json_report import SCHEMA_VERSION
from drill.report.types import Report

_SILENT = {"sms": {"ignore": 1}, "voice": {"no_answer": 1}, "email": {"ignore": 1}}


def answers(channel: str, seconds: float) -> Mapping[str, Any]:
    """Answers the first page on `channel` after `seconds`, nothing else."""
    return {**_SILENT, channel: {"answer": 1, "answer_seconds": [seconds, seconds]}}


ABSENT: Mapping[str, Any] = {"absent": True}


def with_targets(plan: Plan, *targets: Target) -> Plan:
    """The plan with `targets`, measured by its (only) scenario."""
    scenario = plan.scenarios[0].model_copy(update={"targets": tuple(t.id for t in targets)})
    return plan.model_copy(update={"targets": targets, "scenarios": (scenario,)})


def target(target_id: str, metric: Metric, minutes: float, **extra: Any) -> Target:
    return Target(
        id=target_id, name=Text(ja=target_id), metric=metric, within_minutes=minutes, **extra
    )


async def run(
    plan: Plan,
    people: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    notifier: Any = None,
    abort_at: float | None = None,
) -> list[StoredEvent]:
    clock = VirtualClock()
    sink = MemorySink()
    model = ResponseModel.from_mapping({"seed": 1, "people": dict(people or {})})
    runner = DrillRunner(
        plan,
        plan.scenarios[0].id,
        sink=sink,
        notifiers=[notifier or SimulatedNotifier(model)],
        clock=clock,
        drill_id="r1",
    )
    if abort_at is None:
        await runner.run()
    else:
        await runner.run_until(abort_at)
        await runner.abort(by="当番", reason="本番対応のため")
    return list(await sink.read("r1"))


def contact(report: Report, member: str) -> Any:
    return next(c for c in report.contacts if c.member == member)


def json_contact(data: Mapping[str, Any], member: str) -> Mapping[str, Any]:
    return next(c for c in data["contacts"] if c["member"] == member)


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


# -- a middle level unsatisfied ---------------------------------------------------------------


def three_levels() -> Plan:
    b = PlanBuilder()
    b.site("north", "北部支所")
    b.site("east", "東部支所")
    for person in ("alice", "carol"):
        b.person(person)
    b.person("erin", site="north")
    b.person("gina", site="east")
    b.role("chief", "alice", name="統括責任者")
    b.role("north", "erin", site="north", name="北部支所責任者")
    b.role("east", "gina", site="east", name="東部支所責任者")
    b.role("admin", "carol", name="システム管理者")
    b.level("t", "first", ["chief"], timeout=2, channels=("sms",))
    b.level("t", "middle", ["north", "east"], timeout=2, channels=("sms",))
    b.level("t", "last", ["admin"], timeout=2, channels=("sms",))
    return with_targets(
        b.build(),
        target("tree-50", Metric.TREE_COMPLETED, 50, tree="t"),
        target("middle-30", Metric.LEVEL_COMPLETED, 30, tree="t", level="middle"),
    )


async def test_a_middle_level_unsatisfied_leaves_the_tree_unsatisfied() -> None:
    """gina (east) never answers: the middle level lacks one acknowledgement; the last
    level is satisfied, and the tree is still not."""
    plan = three_levels()
    people = {
        "alice": answers("sms", 10),
        "erin": answers("sms", 20),
        "gina": ABSENT,
        "carol": answers("sms", 30),
    }
    report = build(await run(plan, people), plan)

    levels = {lv.level: lv for lv in report.levels}
    assert [levels[n].satisfied for n in ("first", "middle", "last")] == [True, False, True]
    assert (levels["middle"].acknowledged, levels["middle"].late) == (1, 0)
    (tree,) = report.trees
    assert tree.satisfied is False
    assert report.summary.trees_completed_seconds is None
    met = {t.id: t for t in report.summary.targets}
    assert met["tree-50"].met is False and met["tree-50"].actual_seconds is None
    assert met["middle-30"].met is False
    assert met["tree-50"].detail is not None and "middle" in met["tree-50"].detail.ja
    assert {"target_missed", "level_not_satisfied", "unreached"} <= set(codes(report))

    data = json.loads(render_json(report))
    assert data["summary"]["trees_completed_seconds"] is None
    assert data["trees"][0]["satisfied"] is False
    assert [t["met"] for t in data["summary"]["targets"]] == [False, False]
    ja, en = render_markdown(report, "ja"), render_markdown(report, "en")
    assert "| 連絡網の完了 | 未達（必要な応答数に達しない段あり） |" in ja
    assert "| tree-50 | 50分 | 未達 | 未達成 |" in ja
    assert "t 終了（必要な応答数に達しない段あり）" in ja  # the timeline, from the fold
    assert "| Contact trees completed | not reached (a level lacked acknowledgements) |" in en


# -- a late acknowledgement after the ladder was exhausted -------------------------------------


def late_plan() -> Plan:
    b = PlanBuilder()
    b.site("north", "北部支所")
    for person in ("alice", "carol"):
        b.person(person)
    b.person("erin", site="north")
    b.role("chief", "alice", name="統括責任者")
    b.role("north", "erin", site="north", name="北部支所責任者")
    b.role("admin", "carol", name="システム管理者")
    b.level("t", "first", ["chief", "north"], timeout=1, channels=("sms",))
    b.level("t", "second", ["admin"], timeout=5, channels=("sms",))
    return with_targets(
        b.build(),
        target("sites-10", Metric.ALL_SITES_REACHED, 10),
        target("share-100", Metric.SHARE_ACKNOWLEDGED, 30, share=1.0),
    )


async def test_a_late_acknowledgement_is_late_everywhere_and_counted_nowhere() -> None:
    """erin (north, no deputy) is paged by SMS with a 1-minute timeout and confirms after
    2 minutes, while the second level is being paged: after her ladder was exhausted."""
    plan = late_plan()
    people = {
        "alice": answers("sms", 10),
        "erin": answers("sms", 120),
        "carol": answers("sms", 200),
    }
    report = build(await run(plan, people), plan)

    erin = contact(report, "north")
    assert erin.status == "late"
    assert erin.ack_seconds == 120.0 and erin.time_to_ack_seconds == 120.0
    assert erin.given_up_reason == "ladder_exhausted" and erin.unreached_reason is None
    assert erin.acknowledged_by == "erin" and erin.after_deadline is False
    first = next(lv for lv in report.levels if lv.level == "first")
    assert (first.acknowledged, first.late, first.satisfied) == (1, 1, False)
    s = report.summary
    assert (s.acknowledged, s.late, s.unreached) == (2, 1, 0)
    assert s.all_sites_seconds is None and s.sites_reached == 0 and s.sites_total == 1
    assert s.trees_completed_seconds is None
    assert {t.id: t.met for t in s.targets} == {"sites-10": False, "share-100": False}
    assert report.curve.points == ((10.0, 1), (260.0, 2))  # erin is not on the curve
    site = next(x for x in report.sites if x.site == "north")
    assert site.reached_seconds is None

    # The level's finding quotes the counted acknowledgements and the late one apart.
    level = next(f for f in report.findings if f.code == "level_not_satisfied")
    assert "期限内の応答 1/2" in level.text.ja and "遅れて応答" in level.text.ja
    assert "1 of 2 in time" in (level.text.en or "") and "late" in (level.text.en or "")
    assert "応答 2/2" not in level.text.ja
    late = next(f for f in report.findings if f.code == "acknowledged_late")
    assert "2分00秒" in late.text.ja and "数えていません" in late.text.ja
    assert erin.ack_seq in late.evidence

    data = json.loads(render_json(report))
    row = json_contact(data, "north")
    assert (row["status"], row["ack_seconds"], row["given_up_reason"]) == (
        "late",
        120.0,
        "ladder_exhausted",
    )
    assert data["summary"]["late"] == 1 and data["summary"]["acknowledged"] == 2
    assert data["summary"]["all_sites_seconds"] is None
    assert data["schema_version"] == SCHEMA_VERSION

    ja, en = render_markdown(report, "ja"), render_markdown(report, "en")
    line = next(x for x in ja.splitlines() if "| 北部支所責任者 |" in x)
    assert "| 遅れて応答 | erin |" in line and "2分00秒" in line
    assert "全手段・全候補で応答なし" in line
    assert "| 1 / 2（必要な応答 2、遅れて応答 1） |" in ja
    assert "応答あり 2、遅れて応答 1" in ja
    line = next(x for x in en.splitlines() if "| North officer |" in x or "| 北部支所責任者 |" in x)
    assert "| acknowledged late | erin |" in line and "2 min 00 s" in line
    assert "| 1 of 2 (2 required, 1 late) |" in en
    rows = list(csv.reader(io.StringIO(render_contacts_csv(report))))
    csv_row = next(r for r in rows if r[4] == "north")
    assert csv_row[7] == "遅れて応答" and csv_row[13] == "120.0"
    html = render_html(report, "ja")
    assert "遅れて応答" in html and "2分00秒" in html
    assert "acknowledged late" in render_html(report, "en")


# -- an aborted drill ----------------------------------------------------------------------


async def test_people_an_aborted_drill_never_reached_are_not_reached_not_cancelled() -> None:
    plan = late_plan()
    people = {"alice": answers("sms", 10), "erin": ABSENT, "carol": answers("sms", 30)}
    report = build(await run(plan, people, abort_at=0.5), plan)

    assert report.drill.outcome == "aborted"
    statuses = {c.member: c.status for c in report.contacts}
    assert statuses == {"chief": "acknowledged", "north": "aborted", "admin": "aborted"}
    assert {c.given_up_reason for c in report.contacts if c.status == "aborted"} == {
        "drill_aborted"
    }
    s = report.summary
    assert (s.acknowledged, s.cancelled, s.aborted, s.unreached) == (1, 0, 2, 0)
    data = json.loads(render_json(report))
    assert data["summary"]["cancelled"] == 0 and data["summary"]["aborted"] == 2
    ja, en = render_markdown(report, "ja"), render_markdown(report, "en")
    assert "未連絡（中止） 2" in ja and "不要" not in ja
    assert "not reached (aborted) 2" in en and "not needed" not in en
    assert codes(report)[0] == "aborted"


# -- every page failing at the provider --------------------------------------------------------


class RefusingProvider:
    """A provider that refuses every send: bad credentials (HTTP 401)."""

    kinds = frozenset(ChannelKind)
    local = True  # a test double on the virtual clock: nobody is paged

    def __init__(self) -> None:
        self.sent: list[Page] = []

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, page: Page) -> SendResult:
        self.sent.append(page)
        return SendResult.failed(FailureReason.PROVIDER_ERROR, "HTTP 401: Authenticate")

    async def close(self) -> None:
        return None


async def test_a_drill_whose_every_page_failed_has_failed_and_says_why() -> None:
    plan = late_plan()
    provider = RefusingProvider()
    report = build(await run(plan, notifier=provider), plan)

    assert provider.sent  # it tried
    assert report.drill.outcome == "failed"
    assert report.summary.acknowledged == 0
    found = codes(report)
    assert found[0] == "drill_failed"
    # Targets, levels and contacts missed all follow from it: named once, not per contact.
    assert set(found) == {"drill_failed", "provider_error"}
    errors = [f for f in report.findings if f.code == "provider_error"]
    assert errors and all(f.severity == "high" for f in errors)
    assert sum(int(f.text.en.split()[0]) for f in errors if f.text.en) == len(provider.sent)
    for finding in (report.findings[0], *errors):
        assert "drillkit doctor" in finding.fix.ja and "drillkit doctor" in (finding.fix.en or "")
    assert all("HTTP 401: Authenticate" in f.text.ja for f in errors)
    assert "事業者エラー" in errors[0].text.ja and "provider error" in (errors[0].text.en or "")

    data = json.loads(render_json(report))
    assert data["drill"]["outcome"] == "failed"
    assert "| 結果 | 失敗（送信できず） |" in render_markdown(report, "ja")
    assert "| Outcome | failed (nothing delivered) |" in render_markdown(report, "en")


# -- an outside agency that must answer itself, on a level of quorum "any" ---------------------


def agency_plan() -> Plan:
    b = PlanBuilder()
    b.site("hq", "本庁", regional_centre=False)
    b.person("alice", site="hq", name="青木 愛")
    b.person("desk", site="hq", name="港警察署 生活安全課")
    b.role("police", "desk", agency="police", name="警察")
    b.level("t", "notify", ["alice", "police"], required="any", timeout=2, channels=("sms",))
    b.scenario("theft", ["t"], required_agencies=["police"])
    return b.build()


async def test_a_required_agency_that_never_answered_is_named_in_the_level_and_finding() -> None:
    """alice answers at once, which meets the level's quorum (any); the police desk, which
    the scenario requires, never answers: the level is not satisfied, and every format
    says who had to answer and did not (not "too few acknowledgements")."""
    plan = agency_plan()
    report = build(await run(plan, {"alice": answers("sms", 10), "desk": ABSENT}), plan)

    (level,) = report.levels
    assert (level.acknowledged, level.required, level.satisfied) == (1, 1, False)
    assert [m.ja for m in level.must_each] == ["警察"]
    assert [m.ja for m in level.missing] == ["警察"]
    (finding,) = [f for f in report.findings if f.code == "level_not_satisfied"]
    assert "必ず応答が必要な警察から期限内の応答がありませんでした" in finding.text.ja
    assert "did not get the" not in finding.text.get("en")

    data = json.loads(render_json(report))
    assert data["levels"][0]["missing"] == [{"ja": "警察", "en": "警察"}]
    ja, en = render_markdown(report, "ja"), render_markdown(report, "en")
    assert "1 / 2（必要な応答 1、必ず応答：警察）" in ja
    assert "(1 required; each must answer: 警察)" in en
    assert "必ず応答：警察" in render_html(report, "ja")
