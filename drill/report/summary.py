"""The headline figures: the summary, the plan's targets and the acknowledgement curve.

All of them are the fold's: the status counts of `DrillState.summary()`, sites reached
in time from `DrillState.sites()`, targets from `DrillState.target_outcome()`, the curve
from `DrillState.ack_times()`. A late acknowledgement shows in `late` and nowhere else.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from drill.engine.state import ContactStatus, TargetOutcome, shares_needed
from drill.plan.models import Metric
from drill.report.source import Source
from drill.report.types import (
    NAGASAKI_ALL_SITES_MINUTES,
    NAGASAKI_WHOLE_MINUTES,
    SHARES,
    Curve,
    Label,
    Milestone,
    Summary,
    TargetResult,
)

__all__ = ["curve", "summary", "targets"]


def summary(source: Source) -> Summary:
    state = source.state
    s = source.summary()
    centres = source.centres()
    _, all_sites = source.all_centres_reached()
    return Summary(
        contacts=s.contacts,
        acknowledged=s.acknowledged,
        late=s.late,
        unreached=s.unreached,
        cancelled=s.not_needed,
        aborted=s.not_reached_ended,
        not_paged=s.not_paged,
        paging=s.paging,
        share_acknowledged=s.acknowledged / s.contacts if s.contacts else None,
        sites_total=len(centres),
        sites_reached=sum(1 for site in centres.values() if site.reached),
        all_sites_seconds=all_sites if centres else None,
        trees_completed_seconds=s.trees_completed_seconds,
        nagasaki_whole_minutes=NAGASAKI_WHOLE_MINUTES,
        nagasaki_all_sites_minutes=NAGASAKI_ALL_SITES_MINUTES,
        targets=targets(source),
        duplicates=state.duplicates,
        second_acknowledgements=s.second_acknowledgements,
        centres_in_plan=len(source.regional or ()) if source.plan is not None else len(centres),
    )


def targets(source: Source) -> tuple[TargetResult, ...]:
    plan, scenario = source.plan, source.scenario
    if plan is None or scenario is None:
        return ()
    regional = source.regional
    out = []
    for target_id in scenario.targets:
        if plan.has("target", target_id):
            outcome = source.state.target_outcome(plan.target(target_id), regional)
            out.append(_target(source, outcome))
    return tuple(out)


def _target(source: Source, outcome: TargetOutcome) -> TargetResult:
    target = outcome.target
    return TargetResult(
        id=target.id,
        name=Label(target.name.ja, target.name.en),
        metric=target.metric.value,
        within_minutes=target.within_minutes,
        actual_seconds=outcome.actual_seconds,
        met=outcome.met,
        margin_seconds=outcome.margin_seconds,
        detail=_detail(source, outcome) if not outcome.met else None,
    )


def _detail(source: Source, outcome: TargetOutcome) -> Label | None:
    """Why a target was missed, in the fold's terms."""
    target, state = outcome.target, source.state
    if target.metric is Metric.ALL_SITES_REACHED:
        if not outcome.missing_sites:
            return None
        names = [source.site_name(site) for site in outcome.missing_sites]
        return Label(
            "連絡がつかなかった拠点：" + "、".join(n.ja for n in names),
            "Sites not reached: " + ", ".join(n.get("en") for n in names),
        )
    if target.metric is Metric.SHARE_ACKNOWLEDGED:
        assert target.share is not None
        total = state.tree_size(target.tree)
        counted = len(state.ack_times(target.tree))
        late = sum(
            1
            for c in state.contacts.values()
            if c.late and (target.tree is None or c.tree == target.tree)
        )
        needed = shares_needed(target.share, total)
        late_ja = f"、遅れて応答 {late} は数えない" if late else ""
        late_en = f"; {late} late, not counted" if late else ""
        return Label(
            f"期限内の応答 {counted}/{total}（必要 {needed}{late_ja}）",
            f"{counted} of {total} acknowledged in time ({needed} needed{late_en})",
        )
    if outcome.actual_seconds is not None:
        return None  # reached, only too slowly: the margin says by how much
    trees = [target.tree] if target.tree is not None else list(source.started.trees)
    short = [
        level
        for (tree, _), level in state.levels.items()
        if tree in trees
        and level.satisfied is False
        and (target.level is None or level.level == target.level)
    ]
    if short:
        names = [Label(level.name_ja, level.name_en) for level in short]
        return Label(
            "必要な応答数に達しなかった段：" + "、".join(f"「{n.ja}」" for n in names),
            "Levels without the acknowledgements they need: "
            + ", ".join(f"'{n.get('en')}'" for n in names),
        )
    return Label("完了しなかった（訓練が途中で終了）", "It never completed (the drill ended first)")


def curve(source: Source) -> Curve:
    state = source.state
    total = state.tree_size()
    times = state.ack_times()
    milestones = []
    for share in SHARES:
        needed = shares_needed(share, total)
        if needed <= 0:
            at: float | None = 0.0
        else:
            at = times[needed - 1] if len(times) >= needed else None
        milestones.append(Milestone(share, needed, at))
    to_ack = sorted(
        c.response_seconds
        for c in state.contacts.values()
        if c.status is ContactStatus.ACKNOWLEDGED and c.response_seconds is not None
    )
    return Curve(
        total=total,
        points=tuple((t, i) for i, t in enumerate(times, start=1)),
        milestones=tuple(milestones),
        times_to_ack=tuple(to_ack),
        median_seconds=statistics.median(to_ack) if to_ack else None,
        p90_seconds=_percentile(to_ack, 0.9),
        max_seconds=to_ack[-1] if to_ack else None,
    )


def _percentile(sorted_values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below."""
    if not sorted_values:
        return None
    rank = max(1, shares_needed(share, len(sorted_values)))
    return sorted_values[rank - 1]
