"""The timeline: how the drill went, event by event, for a reader (経過).

The entries are the fold's `DrillState.timeline` (start, injects, notes, pauses,
interruptions, completions, the end) with their seqs. Whether a level or tree completed
satisfied, and how many acknowledgements it counted, is the fold's, not the event's.
"""

from __future__ import annotations

from drill.engine.events import (
    DrillAborted,
    DrillCompleted,
    DrillInterrupted,
    DrillPaused,
    DrillRecovered,
    DrillResumed,
    DrillStarted,
    Event,
    HandedOver,
    InjectFired,
    LevelCompleted,
    NoteAdded,
    OperatorPaged,
    PersonMarkedAvailable,
    PersonMarkedUnavailable,
    StepCompleted,
    StepDue,
    StepTiming,
    TreeCompleted,
)
from drill.report.operator import order_label, reason_label
from drill.report.source import Source
from drill.report.types import Label, TimelineEntry, actor
from drill.words.sentences import sentence

__all__ = ["timeline"]


def timeline(source: Source) -> tuple[TimelineEntry, ...]:
    out: list[TimelineEntry] = []
    for seq, event in source.state.timeline:
        text = _text(source, event)
        if text is not None and seq is not None:
            kind, label = text
            at = source.local(event.at)
            out.append(TimelineEntry(seq=seq, elapsed=event.elapsed, at=at, kind=kind, text=label))
    return tuple(out)


def _text(source: Source, e: Event) -> tuple[str, Label] | None:
    if isinstance(e, DrillStarted):
        return "started", Label("開始", "Started")
    if isinstance(e, InjectFired):
        return "inject", Label(f"状況付与：{e.text_ja}", f"Inject: {e.text_en or e.text_ja}")
    if isinstance(e, NoteAdded):
        return "note", Label(f"メモ（{e.by}）：{e.text}", f"Note ({e.by}): {e.text}")
    if isinstance(e, DrillPaused):
        why = f": {e.reason}" if e.reason else ""
        return "paused", Label(f"一時停止（{e.by}）{why}", f"Paused by {e.by}{why}")
    if isinstance(e, DrillResumed):
        return "resumed", Label(
            f"再開（{e.by}、停止 {round(e.paused_seconds)}秒）",
            f"Resumed by {e.by} after {round(e.paused_seconds)} s",
        )
    if isinstance(e, DrillInterrupted):
        return "interrupted", Label(
            f"処理が中断していた（最後の記録 {e.last_seq}: {e.last_event}）",
            f"The process had stopped (last event {e.last_seq}: {e.last_event})",
        )
    if isinstance(e, DrillRecovered):
        return "recovered", Label(
            f"記録から状態を復元して再開（応答済み {e.acknowledged} 件を保持）",
            f"State rebuilt from the events; {e.acknowledged} acknowledgement(s) kept",
        )
    if isinstance(e, DrillAborted):
        return "aborted", Label(f"中止（{e.by}）：{e.reason}", f"Aborted by {e.by}: {e.reason}")
    if isinstance(e, DrillCompleted):
        return "completed", Label("終了", "Ended")
    if isinstance(e, HandedOver):  # the catalogue's sentence, as the console's log says it
        return "handover", Label(sentence(e, "ja").text, sentence(e, "en").text)
    if isinstance(e, TreeCompleted):
        return "tree_completed", _tree(source, e)
    if isinstance(e, LevelCompleted):
        return "level_completed", _level(source, e)
    if isinstance(e, StepCompleted):
        timing = "期限内" if e.timing is StepTiming.ON_TIME else "遅延"
        title, by = source.step_title(e.step), actor(e.by)
        return "step_completed", Label(
            f"手順「{title.ja}」完了（{timing}、{by.ja}）",
            f"Step '{title.get('en')}' done ({e.timing.value.replace('_', ' ')}, {by.get('en')})",
        )
    if isinstance(e, OperatorPaged):
        what = order_label(e)
        return "operator_paged", Label(
            f"今すぐ呼出（{e.by}）：{what.ja}", f"Paged now by {e.by}: {what.get('en')}"
        )
    if isinstance(e, PersonMarkedUnavailable):
        reason = reason_label(e.reason)
        return "marked_away", Label(
            f"{e.person_name} を不在に設定（{e.by}）：{reason.ja}",
            f"{e.person_name} marked away by {e.by}: {reason.get('en')}",
        )
    if isinstance(e, PersonMarkedAvailable):
        return "marked_back", Label(
            f"{e.person_name} の不在を取り消し、復帰（{e.by}）",
            f"{e.person_name} marked back by {e.by}",
        )
    if isinstance(e, StepDue):
        title = source.step_title(e.step)
        return "step_due", Label(
            f"手順「{title.ja}」の目標時間（{e.target_minutes:g}分）を過ぎた",
            f"Step '{title.get('en')}' passed its {e.target_minutes:g}-minute target",
        )
    return None


def _tree(source: Source, e: TreeCompleted) -> Label:
    name = source.tree_name(e.tree)
    tree = source.state.trees.get(e.tree)
    if tree is not None and tree.satisfied:
        return Label(f"{name.ja} 完了", f"{name.get('en')} completed")
    return Label(
        f"{name.ja} 終了（必要な応答数に達しない段あり）",
        f"{name.get('en')} finished (not every level satisfied)",
    )


def _level(source: Source, e: LevelCompleted) -> Label:
    name = source.level_name(e.tree, e.level)
    level = source.state.levels.get((e.tree, e.level))
    if level is None:
        return Label(f"段「{name.ja}」終了", f"Level '{name.get('en')}' finished")
    # Acknowledgements counted when it completed (a late one, after, never counts).
    counts_ja = f"（応答 {level.acknowledged}/必要 {level.required}）"
    counts_en = f" ({level.acknowledged} of {level.required} required)"
    if level.satisfied:
        return Label(
            f"段「{name.ja}」完了{counts_ja}", f"Level '{name.get('en')}' satisfied{counts_en}"
        )
    return Label(
        f"段「{name.ja}」応答不足のまま終了{counts_ja}",
        f"Level '{name.get('en')}' not satisfied{counts_en}",
    )
