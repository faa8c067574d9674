"""Year on year: the same scenario's earlier drills beside this one, and the trend.

Each earlier drill is folded by the same `DrillState` as this one, so a figure means the
same in every row: acknowledgements in time, levels satisfied, regional centres reached
in time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from drill.engine.state import DrillState, sites_reached
from drill.report.source import Input, Source, fold
from drill.report.types import History, HistoryRow, Label

__all__ = ["history"]


def history(source: Source, earlier: Sequence[Iterable[Input]]) -> History:
    """This drill and the earlier drills of its scenario (started before it), oldest first."""
    start = source.started
    drills: list[DrillState] = []
    for events in earlier:
        past = fold(events)
        if (
            past.started is not None
            and past.started.scenario_id == start.scenario_id
            and past.started.drill_id != start.drill_id
            and past.started.at <= start.at
        ):
            drills.append(past)
    drills.sort(key=lambda d: d.started.at if d.started is not None else start.at)
    drills.append(source.state)
    columns: list[tuple[str, str, Label]] = []
    seen: set[tuple[str, str]] = set()
    for state in drills:
        for key, level in state.levels.items():
            if key not in seen:
                seen.add(key)
                columns.append((key[0], key[1], Label(level.name_ja, level.name_en)))
    rows = tuple(_row(source, state, columns, current=state is source.state) for state in drills)
    return History(levels=tuple(columns), rows=rows, trend=_trend(rows))


def _row(
    source: Source,
    state: DrillState,
    columns: Sequence[tuple[str, str, Label]],
    *,
    current: bool,
) -> HistoryRow:
    started = state.started
    assert started is not None
    # This drill's answers are those its summary read already.
    summary = source.summary() if current else state.summary()
    levels: list[float | None] = []
    for tree, level_id, _ in columns:
        level = state.levels.get((tree, level_id))
        levels.append(level.completed_elapsed if level is not None and level.satisfied else None)
    centres = source.centres() if current else state.sites(source.regional)
    all_sites = sites_reached(centres)[1] if centres else None
    return HistoryRow(
        drill_id=started.drill_id,
        started_at=source.local(started.at),
        mode=started.mode.value,
        simulated=started.simulated,
        outcome=state.outcome().value,
        duration_seconds=state.ended.elapsed if state.ended is not None else None,
        all_sites_seconds=all_sites,
        share_acknowledged=(summary.acknowledged / summary.contacts if summary.contacts else None),
        acknowledged=summary.acknowledged,
        contacts=summary.contacts,
        levels=tuple(levels),
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
