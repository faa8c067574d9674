"""Year on year: the same scenario's earlier drills beside this one, and the trend.

Each earlier drill is folded by the same `DrillState` as this one, so a figure means the
same in every row: acknowledgements in time, levels satisfied, regional centres reached
in time.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Iterable, Sequence

from drill.engine.events import DrillStarted
from drill.engine.state import DrillState, DrillStatus, SiteProgress, Summary, sites_reached
from drill.report.source import Input, Source, fold
from drill.report.types import History, HistoryRow, Label

__all__ = ["PastDrill", "as_past", "history", "past_drill"]


@dataclasses.dataclass(frozen=True, slots=True)
class PastDrill:
    """What year on year shows of a drill, read off its fold (`past_drill`): an earlier
    drill's fold is let go once this is made, so that however many earlier drills a report
    shows (a nationwide drill's fold is some 80 MiB), one fold at a time is in memory."""

    started: DrillStarted
    levels: tuple[tuple[tuple[str, str], Label, float | None], ...]
    """Each level ((tree, level), its name, and when it completed satisfied: None if it
    did not), in the fold's order."""
    status: str
    """The fold's `DrillStatus` (completed, aborted, …): whether the drill has ended."""
    outcome: str
    duration_seconds: float | None
    all_sites_seconds: float | None
    """When every regional centre had been reached (None: not all were)."""
    summary: Summary

    @property
    def ended(self) -> bool:
        """Completed (or failed) or aborted: nothing its figures show changes any more,
        unlike a running, paused or interrupted drill's (whether an engine runs it now)."""
        return self.status in _ENDED


_ENDED = frozenset(
    status.value for status in (DrillStatus.COMPLETED, DrillStatus.FAILED, DrillStatus.ABORTED)
)


def past_drill(state: DrillState, regional: Collection[str] | None) -> PastDrill | None:
    """`state` as year on year shows it, its regional centres those of `regional` (the
    plan of the report: every site, without one); None for a drill that never started."""
    if state.started is None:
        return None
    return _past(state, state.summary(), state.sites(regional))


def as_past(source: Source) -> PastDrill:
    """The report's own drill as year on year shows it (its row in this report, and in the
    reports of later drills): of the figures the report asked of its fold."""
    return _past(source.state, source.summary(), source.centres())


def _past(state: DrillState, summary: Summary, centres: dict[str, SiteProgress]) -> PastDrill:
    assert state.started is not None
    levels = tuple(
        (
            key,
            Label(level.name_ja, level.name_en),
            level.completed_elapsed if level.satisfied else None,
        )
        for key, level in state.levels.items()
    )
    return PastDrill(
        started=state.started,
        levels=levels,
        status=state.status.value,
        outcome=state.outcome().value,
        duration_seconds=state.ended.elapsed if state.ended is not None else None,
        all_sites_seconds=sites_reached(centres)[1] if centres else None,
        summary=summary,
    )


def history(source: Source, earlier: Sequence[Iterable[Input] | PastDrill]) -> History:
    """This drill and the earlier drills of its scenario (started before it), oldest first.

    Each earlier drill is given as its events (folded here, one at a time) or as what
    `past_drill` read off its fold with this report's regional centres.
    """
    start = source.started
    drills: list[PastDrill] = []
    for item in earlier:
        past = item if isinstance(item, PastDrill) else past_drill(fold(item), source.regional)
        if (
            past is not None
            and past.started.scenario_id == start.scenario_id
            and past.started.drill_id != start.drill_id
            and past.started.at <= start.at
        ):
            drills.append(past)
    drills.sort(key=lambda d: d.started.at)
    # This drill's summary and centres are those its report asked of it already.
    current = as_past(source)
    drills.append(current)
    columns: list[tuple[str, str, Label]] = []
    seen: set[tuple[str, str]] = set()
    for past in drills:
        for key, name, _ in past.levels:
            if key not in seen:
                seen.add(key)
                columns.append((key[0], key[1], name))
    rows = tuple(_row(source, past, columns, current=past is current) for past in drills)
    return History(levels=tuple(columns), rows=rows, trend=_trend(rows))


def _row(
    source: Source,
    past: PastDrill,
    columns: Sequence[tuple[str, str, Label]],
    *,
    current: bool,
) -> HistoryRow:
    started = past.started
    summary = past.summary
    satisfied = {key: elapsed for key, _, elapsed in past.levels}
    return HistoryRow(
        drill_id=started.drill_id,
        started_at=source.local(started.at),
        mode=started.mode.value,
        simulated=started.simulated,
        outcome=past.outcome,
        duration_seconds=past.duration_seconds,
        all_sites_seconds=past.all_sites_seconds,
        share_acknowledged=(summary.acknowledged / summary.contacts if summary.contacts else None),
        acknowledged=summary.acknowledged,
        contacts=summary.contacts,
        levels=tuple(satisfied.get((tree, level_id)) for tree, level_id, _ in columns),
        current=current,
    )


def _trend(rows: Sequence[HistoryRow]) -> tuple[Label, ...]:
    if len(rows) < 2:
        return ()
    now, before = rows[-1], rows[-2]
    out: list[Label] = []
    for name_ja, name_en, a, b in (
        ("所要時間", "Duration", before.duration_seconds, now.duration_seconds),
        (
            "全支所への連絡",
            "Every regional centre reached",
            before.all_sites_seconds,
            now.all_sites_seconds,
        ),
    ):
        if a is None or b is None:
            continue
        diff = b - a
        if abs(diff) < 1:
            out.append(Label(f"{name_ja}：前回と同じ", f"{name_en}: as last time"))
            continue
        minutes, seconds = divmod(round(abs(diff)), 60)
        amount_ja = f"{minutes}分{seconds:02d}秒" if minutes else f"{seconds}秒"
        amount_en = f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
        if diff < 0:
            out.append(
                Label(
                    f"{name_ja}：前回より {amount_ja} 短縮（改善）",
                    f"{name_en}: {amount_en} faster than last time (better)",
                )
            )
        else:
            out.append(
                Label(
                    f"{name_ja}：前回より {amount_ja} 延長（悪化）",
                    f"{name_en}: {amount_en} slower than last time (worse)",
                )
            )
    if now.share_acknowledged is not None and before.share_acknowledged is not None:
        diff = (now.share_acknowledged - before.share_acknowledged) * 100
        if abs(diff) < 0.05:
            out.append(Label("応答率：前回と同じ", "Share acknowledged: as last time"))
        else:
            word_ja = "上昇" if diff > 0 else "低下"
            word_en = "up" if diff > 0 else "down"
            out.append(
                Label(
                    f"応答率：前回より {abs(diff):.1f} ポイント{word_ja}",
                    f"Share acknowledged: {word_en} {abs(diff):.1f} points on last time",
                )
            )
    if len(rows) >= 3:
        series = [r.all_sites_seconds for r in rows]
        if all(s is not None for s in series):
            values = [s for s in series if s is not None]
            if all(b < a for a, b in itertools.pairwise(values)):
                out.append(
                    Label(
                        f"全支所への連絡は {len(values)} 回続けて短縮しています",
                        f"Every regional centre was reached faster in each of the last "
                        f"{len(values)} drills",
                    )
                )
            elif all(b > a for a, b in itertools.pairwise(values)):
                out.append(
                    Label(
                        f"全支所への連絡は {len(values)} 回続けて遅くなっています",
                        f"Reaching every regional centre took longer in each of the last "
                        f"{len(values)} drills",
                    )
                )
    return tuple(out)
