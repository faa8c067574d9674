"""The drill report as data: `build(events, plan)`, a pure function of a drill's events.

`build` folds the events once with the engine's fold (`drill.engine.state.DrillState`,
rules in docs/outcome.md) and reads every section from it: the drill as a whole, the
summary and targets, the curve, trees, levels, sites, contacts, the playbook, findings,
self-inspection evidence, the year-on-year table and the timeline. Nothing here counts
acknowledgements or decides what was satisfied; nothing reads a clock, a file or the
store, so a drill recorded years ago re-renders exactly as it did on the day.

The sections live in modules of their own (`summary`, `contacts`, `findings`,
`evidence`, `history`, `timeline`); the records they fill are in `drill.report.types`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from drill.engine.events import DrillAborted, StepTiming
from drill.engine.runner import plan_digest
from drill.engine.state import ContactStatus, DrillState, StepStatus
from drill.plan.models import Plan
from drill.report.answers import answers
from drill.report.benchmark import benchmark
from drill.report.contacts import contact_rows
from drill.report.evidence import checklist
from drill.report.findings import findings
from drill.report.history import PastDrill
from drill.report.history import history as year_on_year
from drill.report.operator import operator_pages
from drill.report.source import Input, Source, fold
from drill.report.summary import curve, summary
from drill.report.timeline import timeline
from drill.report.types import (
    DrillInfo,
    Integrity,
    Label,
    LevelTiming,
    OfficerRow,
    PlaybookReport,
    Report,
    SiteTiming,
    StepRow,
    TreeTiming,
    same,
)
from drill.report.updates import update_rows
from drill.store.gc_pause import gc_paused

__all__ = ["build", "build_folded", "build_from"]


def build(
    events: Iterable[Input],
    plan: Plan | None = None,
    *,
    history: Sequence[Iterable[Input] | PastDrill] = (),
    integrity: Integrity | None = None,
) -> Report:
    """The report of the drill whose events (in seq order) are `events`.

    `events` are `StoredEvent`s as `EventStore.read` returns them (duplicates are left
    out and counted) or bare events (numbered 1, 2, … as the store would). `plan`
    supplies what the events do not carry (names, regional centres, targets, step titles,
    self-inspection items); `history` holds the earlier drills of the same scenario for
    the year-on-year table (each its events, or what `past_drill` read off its fold); `integrity` is what `EventStore.verify` found.
    ValueError when the events do not begin with `DrillStarted`.
    """
    with gc_paused():  # 10^5 events folded into 10^5 objects (drill.store.gc_pause)
        return build_folded(fold(events), plan, history=history, integrity=integrity)


def build_folded(
    state: DrillState,
    plan: Plan | None = None,
    *,
    history: Sequence[Iterable[Input] | PastDrill] = (),
    integrity: Integrity | None = None,
) -> Report:
    """`build` from the drill's events already folded into `state` (the one fold, fed as
    the store reads them: `drill.report.files`). An earlier drill of `history` may be
    given as what `past_drill` read off its fold instead of its events."""
    return build_from(Source.of(state, plan), history=history, integrity=integrity)


def build_from(
    source: Source,
    *,
    history: Sequence[Iterable[Input] | PastDrill] = (),
    integrity: Integrity | None = None,
) -> Report:
    """`build_folded` of a fold and plan already made a `Source` (whose figures the
    caller asks again, as year on year's of this drill: `drill.report.history.as_past`)."""
    contacts = contact_rows(source)
    levels = _levels(source)
    trees = _trees(source)
    figures = summary(source)
    playbook = _playbook(source)
    return Report(
        drill=_info(source),
        summary=figures,
        curve=curve(source),
        trees=trees,
        levels=levels,
        sites=_sites(source),
        contacts=contacts,
        playbook=playbook,
        findings=findings(source, contacts, levels, playbook, figures),
        checklist=checklist(source, playbook, trees),
        history=year_on_year(source, history),
        timeline=timeline(source),
        integrity=integrity or Integrity(head_hash=None, event_count=source.state.events),
        plan_available=source.plan is not None,
        notes=tuple(_notes(source)),
        benchmark=benchmark(source, playbook),
        updates=update_rows(source),
        answers=answers(source),
        operator=operator_pages(source),
        officers=_officers(source),
    )


def _officers(source: Source) -> tuple[OfficerRow, ...]:
    """The fold's chain of officers in charge, each until the next one took over."""
    chain = source.state.officers
    out = []
    for i, officer in enumerate(chain):
        after = chain[i + 1] if i + 1 < len(chain) else None
        handover = officer.handover
        out.append(
            OfficerRow(
                name=officer.name,
                since=source.local(officer.since_at),
                since_seconds=officer.since_elapsed,
                until=source.local(after.since_at) if after is not None else None,
                until_seconds=after.since_elapsed if after is not None else None,
                from_officer=handover.from_officer if handover is not None else None,
                by=handover.by if handover is not None else None,
                note=handover.note if handover is not None else None,
                seq=officer.seq,
            )
        )
    return tuple(out)


_PLAN_MISSING = Label(
    "計画ファイルを読み込めなかったため、役割・拠点の名称、目標、自己点検の項目は表示できません。",
    "The plan could not be read, so role and site names, targets and self-inspection items "
    "are missing.",
)


def _changed(source: Source) -> bool | None:
    if source.plan is None:
        return None
    return plan_digest(source.plan) != source.started.plan_digest


def _notes(source: Source) -> list[Label]:
    plan, start = source.plan, source.started
    if plan is None:
        return [_PLAN_MISSING]
    if not _changed(source):
        return []
    return [
        Label(
            f"この訓練の後に計画が変更されています（訓練時 {start.plan_version}、現在 "
            f"{plan.info.version}）。役割・拠点の名称と目標は現在の計画のものです。",
            f"The plan changed after this drill (then {start.plan_version}, now "
            f"{plan.info.version}); role and site names and targets come from the "
            "current plan.",
        )
    ]


def _info(source: Source) -> DrillInfo:
    state, start, plan = source.state, source.started, source.plan
    end = state.ended
    return DrillInfo(
        drill_id=start.drill_id,
        organisation=(
            Label(start.organisation, plan.info.organisation.en)
            if plan is not None and plan.info.organisation.ja == start.organisation
            else Label(start.organisation)
        ),
        plan_title=Label(plan.info.title.ja, plan.info.title.en) if plan is not None else None,
        plan_version=start.plan_version,
        plan_digest=start.plan_digest,
        plan_changed=_changed(source),
        current_plan_version=plan.info.version if plan is not None else None,
        scenario_id=start.scenario_id,
        scenario_title=Label(start.scenario_title_ja, start.scenario_title_en),
        mode=start.mode.value,
        simulated=start.simulated,
        seed=start.seed,
        operator=start.operator,
        clock=start.clock,
        timezone=start.timezone,
        started_at=source.local(start.at),
        ended_at=source.local(end.at) if end is not None else None,
        duration_seconds=end.elapsed if end is not None else None,
        outcome=state.outcome().value,
        outcome_by=end.by if end is not None else None,
        outcome_reason=end.reason if isinstance(end, DrillAborted) else None,
        paused_seconds=state.paused_seconds,
        interruptions=state.interruptions,
        channels=start.channels,
        scenario_kind=source.scenario.kind if source.scenario is not None else None,
    )


def _levels(source: Source) -> tuple[LevelTiming, ...]:
    out = []
    for level in source.state.levels.values():
        reason = None
        strict = len(level.each) < len(level.members)  # under `all`, everyone: no news
        must_each = tuple(source.role_name(m) for m in level.each) if strict else ()
        missing = tuple(source.role_name(m) for m in level.waiting_for) if strict else ()
        if level.satisfied is False:
            unreached = "、".join(source.role_name(m).ja for m in level.unreached)
            unreached_en = ", ".join(source.role_name(m).get("en") for m in level.unreached)
            late_ja = f"、遅れて応答 {level.late}（数えない）" if level.late else ""
            late_en = f", {level.late} late (not counted)" if level.late else ""
            missing_ja = "、".join(m.ja for m in missing)
            missing_en = ", ".join(m.get("en") for m in missing)
            reason = Label(
                f"期限内の応答 {level.acknowledged}（必要 {level.required}）{late_ja}"
                + (f"、必ず応答が必要なのに未応答：{missing_ja}" if missing else "")
                + (f"、連絡つかず：{unreached}" if unreached else ""),
                f"{level.acknowledged} acknowledged in time of {level.required} required"
                f"{late_en}"
                + (f"; must answer but did not: {missing_en}" if missing else "")
                + (f"; not reached: {unreached_en}" if unreached_en else ""),
            )
        out.append(
            LevelTiming(
                tree=level.tree,
                level=level.level,
                name=Label(level.name_ja, level.name_en),
                mode=level.mode,
                required=level.required,
                members=len(level.members),
                acknowledged=level.acknowledged,
                late=level.late,
                started_seconds=level.started_elapsed,
                completed_seconds=level.completed_elapsed,
                satisfied=level.satisfied,
                unreached=level.unreached,
                reason=reason,
                must_each=must_each,
                missing=missing,
            )
        )
    return tuple(out)


def _trees(source: Source) -> tuple[TreeTiming, ...]:
    """The trees that started, with the fold's verdict (satisfied only if every level is)."""
    state = source.state
    out = []
    for tree_id, tree in state.trees.items():
        if tree.started_elapsed is None:
            continue
        statuses = [c.status for (t, _, _), c in state.contacts.items() if t == tree_id]
        out.append(
            TreeTiming(
                tree=tree_id,
                name=source.tree_name(tree_id),
                scope=tree.scope or "",
                started_seconds=tree.started_elapsed,
                completed_seconds=tree.completed_elapsed,
                satisfied=tree.satisfied,
                contacts=state.tree_size(tree_id),
                acknowledged=statuses.count(ContactStatus.ACKNOWLEDGED),
                late=statuses.count(ContactStatus.LATE),
            )
        )
    return tuple(out)


def _sites(source: Source) -> tuple[SiteTiming, ...]:
    """Every site of the trees, in the plan's order: when it was first reached in time."""
    progress = source.state.sites()
    plan = source.plan
    order = {s.id: i for i, s in enumerate(plan.sites)} if plan is not None else {}
    out = []
    for site in sorted(progress, key=lambda s: (order.get(s, len(order)), s)):
        p = progress[site]
        out.append(
            SiteTiming(
                site=site,
                name=source.site_name(site),
                regional_centre=source.is_regional(site),
                contacts=p.contacts,
                reached_seconds=p.first_elapsed,
                reached_by=p.first_by,
            )
        )
    return tuple(out)


def _playbook(source: Source) -> PlaybookReport:
    start, plan = source.started, source.plan
    playbook_id = start.playbook
    book = (
        plan.playbook(playbook_id)
        if plan is not None and playbook_id is not None and plan.has("playbook", playbook_id)
        else None
    )
    rows: list[StepRow] = []
    for step_id in start.steps:
        step = next((s for s in book.steps if s.id == step_id), None) if book else None
        state = source.state.steps.get(step_id)
        target = step.target_minutes if step is not None else None
        if target is None and state is not None:
            target = state.target_minutes
        owner = step.owner if step is not None else (state.owner if state is not None else None)
        done = state is not None and state.status is StepStatus.COMPLETED
        if state is not None and done:
            status = "late" if state.timing is StepTiming.LATE else "on_time"
        elif state is not None and state.status is StepStatus.DUE:
            status = "missed"
        else:
            status = "not_done"
        completed = state.completed_elapsed if state is not None and done else None
        late_by = (
            completed - target * 60.0
            if completed is not None and target is not None and status == "late"
            else None
        )
        completed_at = state.completed_at if state is not None and done else None
        rows.append(
            StepRow(
                step=step_id,
                title=Label(step.title.ja, step.title.en) if step is not None else same(step_id),
                owner=owner,
                owner_name=source.role_name(owner) if owner is not None else None,
                target_minutes=target,
                completed_seconds=completed,
                completed_at=source.local(completed_at) if completed_at is not None else None,
                by=state.by if state is not None and done else None,
                status=status,
                late_by_seconds=late_by,
                checklist=step.checklist if step is not None else (),
                seq=(
                    (state.completed_seq if done else state.due_seq) if state is not None else None
                ),
            )
        )
    return PlaybookReport(
        id=playbook_id,
        title=Label(book.title.ja, book.title.en) if book is not None else None,
        steps=tuple(rows),
    )
