"""One sentence per event type: what the console's log, the CLI's progress lines and the
report's timeline say when something happens in a drill.

A sentence reads the drill's fold (`DrillState`) for every judgement: whether an
acknowledgement was in time or late, how many acknowledgements a level or tree counted,
whether it was satisfied, whether the drill failed. It never trusts the runner's own
figures in `LevelCompleted` / `TreeCompleted` / `DrillCompleted`, so the log and the
report cannot disagree. Names of people, roles, levels, trees and steps come from a
`Names` (the plan where one is at hand, else what the events themselves recorded).
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Callable
from typing import Any, Literal, Protocol

from drill.engine.events import (
    Acknowledged,
    AttemptTimedOut,
    DeliveryFailed,
    DeliveryUpdated,
    DrillAborted,
    DrillCompleted,
    DrillInterrupted,
    DrillPaused,
    DrillRecovered,
    DrillResumed,
    DrillStarted,
    DuplicatesCounted,
    Escalated,
    Event,
    HandedOver,
    InjectFired,
    LevelCompleted,
    LevelStarted,
    MemberUnreached,
    NoteAdded,
    OperatorPaged,
    OutsideAcknowledged,
    OutsidePageQueued,
    PageQueued,
    PageSent,
    PagingCancelled,
    PersonMarkedAvailable,
    PersonMarkedUnavailable,
    RepeatScheduled,
    RoundStarted,
    StepCompleted,
    StepDue,
    TreeCompleted,
    TreeStarted,
    UpdateAcknowledged,
    UpdateIssued,
    UpdateQueued,
    UpdateSent,
)
from drill.engine.state import ContactState, ContactStatus, DrillOutcome, DrillState, LevelStatus
from drill.plan.models import Plan
from drill.words.cli import WHO
from drill.words.handover import HANDOVER, HANDOVER_SENTENCE
from drill.words.page import PAGE_SENTENCES, absence_reason
from drill.words.terms import CHANNEL, CONTACT_STATUS, DELIVERY, ESCALATION, MODE, REASON, STEP
from drill.words.updates import UPDATE_SENTENCES, update_title

__all__ = [
    "SENTENCES",
    "TONE_STYLE",
    "FoldNames",
    "Names",
    "PlanNames",
    "Sentence",
    "Tone",
    "sentence",
]

Pair = tuple[str, str]
Tone = Literal["info", "ok", "quiet", "warn", "bad", "plain"]
"""How a view may colour a sentence: headline, good news, routine, a problem, a failure."""

TONE_STYLE: dict[Tone, str] = {
    "info": "bold",
    "ok": "green",
    "quiet": "dim",
    "warn": "yellow",
    "bad": "bold red",
    "plain": "",
}
"""The Rich style of each tone, the same on the terminal and in the console's log."""

SENTENCES: dict[str, dict[str, Pair]] = {
    "DrillStarted": {
        "": (
            "開始: {title}（{mode}、{pace}、連絡対象 {contacts} 人、訓練ID {drill_id}）",
            "Started: {title} ({mode}, {pace}, contacts: {contacts}, drill {drill_id})",
        ),
        "pace:real": ("実時間", "real time"),
        "pace:scaled": ("{speed}倍速", "{speed}× real time"),
        "pace:virtual": ("仮想時間", "virtual time"),
        "channels:sandbox": ("ローカルのサンドボックス", "local sandbox"),
        "channels:real": ("実際の連絡手段", "real channels"),
    },
    "InjectFired": {"": ("状況付与: {text}", "Inject: {text}")},
    "NoteAdded": {"": ("メモ（{by}）: {text}", "Note ({by}): {text}")},
    "DrillPaused": {
        "": ("一時停止（{by}）", "Paused ({by})"),
        "reason": ("一時停止（{by}）: {reason}", "Paused ({by}): {reason}"),
    },
    "DrillResumed": {"": ("再開（{by}、停止 {paused}）", "Resumed ({by}, paused for {paused})")},
    "DrillInterrupted": {
        "": (
            "中断を検出: 停止していた時間 {down}、結果の記録がない呼び出し {pages} 件",
            "Interruption found: down for {down}, {pages} page(s) with no recorded outcome",
        ),
        "scaled": (
            "中断を検出: 停止していた時間 {down}（{speed}倍速の訓練時間で {drill}、期限を過ぎた"
            "タイマーはすぐ実行）、結果の記録がない呼び出し {pages} 件",
            "Interruption found: down for {down} ({drill} of drill time at {speed}×; timers "
            "due meanwhile fire now), {pages} page(s) with no recorded outcome",
        ),
        "virtual": (
            "中断を検出: 仮想時間のため止まった所から再開、結果の記録がない呼び出し {pages} 件",
            "Interruption found: virtual time goes on where it stopped, {pages} page(s) with "
            "no recorded outcome",
        ),
    },
    "DrillRecovered": {
        "": (
            "記録から復元して再開: 応答あり {acked} 人、応答待ちの呼び出し {waiting} 件",
            "Recovered from the record: {acked} acknowledged, {waiting} page(s) waiting",
        ),
    },
    "DrillAborted": {"": ("中止（{by}）: {reason}", "Aborted ({by}): {reason}")},
    "DrillCompleted": {
        "completed": ("終了: 応答あり {acked}/{total} 人", "Ended: {acked}/{total} acknowledged"),
        "finished": (
            "実施者が終了（{by}）: 応答あり {acked}/{total} 人",
            "Finished by the operator ({by}): {acked}/{total} acknowledged",
        ),
        "failed": (
            "失敗: 事業者が受け付けた呼び出しが 1 件もありません（送信 {pages} 件）",
            "Failed: no page was accepted by a provider ({pages} sent)",
        ),
    },
    "TreeStarted": {"": ("連絡網開始: {name}", "Tree started: {name}")},
    "TreeCompleted": {
        "satisfied": (
            "連絡網完了・全段充足: {name}（応答あり {acked}/{total} 人）",
            "Tree done, every level satisfied: {name} ({acked}/{total} acknowledged)",
        ),
        "not_satisfied": (
            "連絡網完了・不足の段あり: {name}（応答あり {acked}/{total} 人）",
            "Tree done, a level NOT satisfied: {name} ({acked}/{total} acknowledged)",
        ),
    },
    "LevelStarted": {
        "": (
            "段開始: {name}（{members} 人、必要な応答 {required}）",
            "Level started: {name} (contacts: {members}, required: {required})",
        ),
    },
    "LevelCompleted": {
        "satisfied": (
            "段充足: {name}（応答あり {acked}/必要 {required}）",
            "Level satisfied: {name} ({acked} acknowledged of {required} required)",
        ),
        "exhausted": (
            "段不足: {name}（応答あり {acked}/必要 {required}）",
            "Level NOT satisfied: {name} ({acked} acknowledged of {required} required)",
        ),
    },
    "PageQueued": {
        "": (
            "呼び出し: {name}（{channel} {attempt}回目）",
            "Paging {name} ({channel}, try {attempt})",
        ),
    },
    "PageSent": {
        "accepted": ("送信: {name}（{channel}）", "Sent: {name} ({channel})"),
        "failed": ("送信失敗: {name}（{reason}）", "Send failed: {name} ({reason})"),
    },
    "DeliveryUpdated": {
        "": ("{status}: {name}（{channel}）", "{status}: {name} ({channel})"),
    },
    "DuplicatesCounted": {
        "": (
            "重複した応答: {name}（{channel}、{count}件、記録のみ）",
            "Repeated acknowledgements: {name} ({channel}, {count}, counted only)",
        ),
    },
    "DeliveryFailed": {"": ("不達: {name}（{reason}）", "Not delivered: {name} ({reason})")},
    "AttemptTimedOut": {
        "": ("時間切れ: {name}（{channel}、{reason}）", "Timed out: {name} ({channel}, {reason})"),
    },
    "Acknowledged": {
        "acknowledged": ("{status}: {name}（{how}）", "{status}: {name} ({how})"),
        "late": (
            "{status}: {name}（{how}、呼び出し終了後: {why}）",
            "{status}: {name} ({how}, after paging ended: {why})",
        ),
        "again": (
            "重ねて応答: {name}（{how}、記録のみ）",
            "Acknowledged again: {name} ({how}, kept, not counted)",
        ),
        "manual": ("{channel}、記録 {by}", "{channel} by {by}"),
    },
    "Escalated": {
        "": (
            "代理者へ: {from_name} → {to_name}（{reason}）",
            "Escalated: {from_name} → {to_name} ({reason})",
        ),
    },
    "MemberUnreached": {"": ("{status}: {name}（{reason}）", "{status}: {name} ({reason})")},
    "RepeatScheduled": {
        "": (
            "全員に連絡つかず: {name}（{minutes}分後に{round}巡目を呼び出し）",
            "Nobody answered: {name} (round {round} in {minutes} min)",
        )
    },
    "RoundStarted": {
        "": ("再呼び出し: {name}（{round}巡目）", "Paging again: {name} (round {round})")
    },
    "PagingCancelled": {
        "": ("呼び出し終了: {name}（{reason}）", "Paging stopped: {name} ({reason})")
    },
    "StepDue": {
        "": ("期限超過: {title}（目標 {minutes}分）", "Overdue: {title} (target {minutes} min)")
    },
    "StepCompleted": {
        "": ("手順完了: {title}（{by}、{timing}）", "Step done: {title} ({by}, {timing})")
    },
    "HandedOver": HANDOVER_SENTENCE,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Sentence:
    """What happened, in words, and how a view may colour it."""

    text: str
    tone: Tone = "plain"


class Names(Protocol):
    """Names of the things events refer to by id, in the language being spoken."""

    def person(self, person_id: str) -> str: ...

    def member(self, ref: str) -> str:
        """A level member: the role's name (or the person's, for a person named directly)."""
        ...

    def tree(self, tree: str) -> str: ...

    def level(self, tree: str, level: str) -> str: ...

    def step(self, step: str) -> str: ...


class FoldNames:
    """Names as the events recorded them (no plan at hand): people from their pages,
    levels and trees from their start events; roles and steps by id."""

    def __init__(self, state: DrillState, lang: str) -> None:
        self.state = state
        self.lang = lang
        self._people: dict[str, str] = {}
        self._seen = -1

    def person(self, person_id: str) -> str:
        if len(self.state.page_records) != self._seen:
            self._seen = len(self.state.page_records)
            for record in self.state.page_records.values():
                self._people.setdefault(record.queued.person_id, record.queued.person_name)
        return self._people.get(person_id, person_id)

    def member(self, ref: str) -> str:
        return ref

    def tree(self, tree: str) -> str:
        found = self.state.trees.get(tree)
        if found is not None and found.name_ja:
            return _pick(self.lang, found.name_ja, found.name_en)
        return tree

    def level(self, tree: str, level: str) -> str:
        found = self.state.levels.get((tree, level))
        return _pick(self.lang, found.name_ja, found.name_en) if found is not None else level

    def step(self, step: str) -> str:
        return step


class PlanNames(FoldNames):
    """Names from the plan (roles, people, trees, levels, playbook steps), falling back
    to what the events recorded for anything the plan does not know."""

    def __init__(self, plan: Plan, state: DrillState, lang: str) -> None:
        super().__init__(state, lang)
        self.plan = plan

    def person(self, person_id: str) -> str:
        if self.plan.has("person", person_id):
            return self.plan.person(person_id).name
        return super().person(person_id)

    def member(self, ref: str) -> str:
        if self.plan.is_role(ref):
            return self.plan.role(ref).name.get(self.lang)
        return self.person(ref)

    def tree(self, tree: str) -> str:
        if self.plan.has("tree", tree):
            return self.plan.tree(tree).name.get(self.lang)
        return super().tree(tree)

    def level(self, tree: str, level: str) -> str:
        if self.plan.has("tree", tree):
            for found in self.plan.tree(tree).levels:
                if found.id == level:
                    return found.name.get(self.lang)
        return super().level(tree, level)

    def step(self, step: str) -> str:
        started = self.state.started
        if started is not None and started.playbook and self.plan.has("playbook", started.playbook):
            playbook = self.plan.playbook(started.playbook)
            if any(item.id == step for item in playbook.steps):
                return playbook.step(step).title.get(self.lang)
        return step


def _pick(lang: str, ja: str, en: str | None) -> str:
    return en if lang == "en" and en else ja


def sentence(
    event: Event, lang: str, state: DrillState | None = None, names: Names | None = None
) -> Sentence:
    """The sentence for `event`, judged by `state` (the fold the event was applied to)."""
    fold = state if state is not None else DrillState()
    say = _Speaker(lang, fold, names if names is not None else FoldNames(fold, lang))
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return Sentence(type(event).__name__, "quiet")
    return handler(say, event)


class _Speaker:
    def __init__(self, lang: str, state: DrillState, names: Names) -> None:
        self.lang = lang
        self.index = 1 if lang == "en" else 0
        self.state = state
        self.names = names

    def say(self, event: Event, variant: str = "", *, part: bool = False, **values: object) -> str:
        """The sentence (or, with `part`, a phrase inside one) for `event`."""
        text = SENTENCES[type(event).__name__][variant][self.index]
        out = text.format(**values)
        return out[:1].upper() + out[1:] if self.index and not part else out

    def term(self, table: dict[str, Pair], key: str | None) -> str:
        if key is None:
            return ""
        pair = table.get(key)
        return pair[self.index] if pair is not None else key

    def duration(self, seconds: float) -> str:
        total = int(max(0.0, seconds) + 1e-6)
        minutes, secs = divmod(total, 60)
        if self.index:
            return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
        return f"{minutes}分{secs:02d}秒" if minutes else f"{secs}秒"

    def page(self, page_id: str) -> tuple[ContactState | None, str, str]:
        """The contact of a page, the name of the person paged, and the channel."""
        record = self.state.page_records.get(page_id)
        contact = self.state.pages.get(page_id)
        if record is None:
            outside = self.state.outside_pages.get(page_id)
            if outside is not None:  # a page the operator ordered, outside the ladder
                ordered = outside.queued
                return None, ordered.person_name, self.term(CHANNEL, ordered.channel.value)
            return contact, page_id, ""
        queued = record.queued
        return contact, queued.person_name, self.term(CHANNEL, queued.channel.value)

    def member(self, tree: str, level: str, member: str) -> str:
        contact = self.state.contacts.get((tree, level, member))
        name = self.names.member(member)
        if name == member and contact is not None and contact.person_name:
            return contact.person_name
        return name


def _started(s: _Speaker, e: DrillStarted) -> Sentence:
    mode = s.term(MODE, e.mode.value)
    if e.simulated:
        mode += ("・" if s.index == 0 else ", ") + s.term(MODE, "simulated")
    elif e.channels in ("sandbox", "real"):
        mode += ("・" if s.index == 0 else ", ") + s.say(e, f"channels:{e.channels}", part=True)
    speed = f"{e.speed:g}" if e.speed else ""
    pace = s.say(
        e,
        f"pace:{e.clock}" if e.clock in ("scaled", "virtual") else "pace:real",
        part=True,
        speed=speed,
    )
    title = _pick(s.lang, e.scenario_title_ja, e.scenario_title_en)
    text = s.say(e, title=title, mode=mode, pace=pace, contacts=e.contacts, drill_id=e.drill_id)
    return Sentence(text, "info")


def _inject(s: _Speaker, e: InjectFired) -> Sentence:
    return Sentence(s.say(e, text=_pick(s.lang, e.text_ja, e.text_en)), "warn")


def _note(s: _Speaker, e: NoteAdded) -> Sentence:
    return Sentence(s.say(e, by=e.by, text=e.text), "info")


def _paused(s: _Speaker, e: DrillPaused) -> Sentence:
    if e.reason:
        return Sentence(s.say(e, "reason", by=e.by, reason=e.reason), "warn")
    return Sentence(s.say(e, by=e.by), "warn")


def _resumed(s: _Speaker, e: DrillResumed) -> Sentence:
    return Sentence(s.say(e, by=e.by, paused=s.duration(e.paused_seconds)), "info")


def _interrupted(s: _Speaker, e: DrillInterrupted) -> Sentence:
    pages = len(e.pages_in_flight)
    down = s.duration(e.downtime_seconds)
    drill = e.drill_downtime_seconds
    if e.clock == "virtual" and drill is not None:
        text = s.say(e, "virtual", pages=pages)
    elif e.clock == "scaled" and e.speed and drill is not None:
        text = s.say(
            e, "scaled", down=down, drill=s.duration(drill), speed=f"{e.speed:g}", pages=pages
        )
    else:
        text = s.say(e, down=down, pages=pages)
    return Sentence(text, "bad")


def _recovered(s: _Speaker, e: DrillRecovered) -> Sentence:
    return Sentence(s.say(e, acked=e.acknowledged, waiting=e.pages_waiting), "info")


def _aborted(s: _Speaker, e: DrillAborted) -> Sentence:
    return Sentence(s.say(e, by=e.by, reason=e.reason), "bad")


def _completed(s: _Speaker, e: DrillCompleted) -> Sentence:
    state = s.state
    if state.ended is e or state.ended == e:
        outcome = state.outcome()
        summary = state.summary()
        acked, total = summary.acknowledged, summary.contacts
    else:  # a fold that has not seen this drill: the event's own figures
        outcome = DrillOutcome.FINISHED if e.reason == "finished" else DrillOutcome.COMPLETED
        acked, total = e.acknowledged, e.contacts
    if outcome is DrillOutcome.FAILED:
        return Sentence(s.say(e, "failed", pages=len(state.page_records)), "bad")
    if outcome is DrillOutcome.FINISHED:
        return Sentence(s.say(e, "finished", by=e.by or "", acked=acked, total=total), "info")
    return Sentence(s.say(e, "completed", acked=acked, total=total), "ok")


def _tree_started(s: _Speaker, e: TreeStarted) -> Sentence:
    name = _pick(s.lang, e.name_ja, e.name_en) if e.name_ja else s.names.tree(e.tree)
    return Sentence(s.say(e, name=name), "info")


def _tree_completed(s: _Speaker, e: TreeCompleted) -> Sentence:
    found = s.state.trees.get(e.tree)
    satisfied = found.satisfied if found is not None else s.state.levels_satisfied(e.tree)
    acked = sum(lv.acknowledged for (tree, _), lv in s.state.levels.items() if tree == e.tree)
    total = s.state.tree_size(e.tree) or e.contacts
    variant = "satisfied" if satisfied else "not_satisfied"
    text = s.say(e, variant, name=s.names.tree(e.tree), acked=acked, total=total)
    return Sentence(text, "ok" if satisfied else "bad")


def _level_started(s: _Speaker, e: LevelStarted) -> Sentence:
    name = _pick(s.lang, e.name_ja, e.name_en)
    return Sentence(s.say(e, name=name, members=len(e.members), required=e.required), "info")


def _level_completed(s: _Speaker, e: LevelCompleted) -> Sentence:
    level = s.state.levels.get((e.tree, e.level))
    if level is not None and level.status in (LevelStatus.SATISFIED, LevelStatus.EXHAUSTED):
        satisfied = level.status is LevelStatus.SATISFIED
        acked, required = level.acknowledged, level.required
    else:  # a fold that has not seen this level: the event's own figures
        satisfied, acked, required = e.satisfied, e.acknowledged, e.required
    variant = "satisfied" if satisfied else "exhausted"
    name = s.names.level(e.tree, e.level)
    text = s.say(e, variant, name=name, acked=acked, required=required)
    return Sentence(text, "ok" if satisfied else "bad")


def _queued(s: _Speaker, e: PageQueued) -> Sentence:
    channel = s.term(CHANNEL, e.channel.value)
    return Sentence(s.say(e, name=e.person_name, channel=channel, attempt=e.attempt))


def _sent(s: _Speaker, e: PageSent) -> Sentence:
    _, name, channel = s.page(e.page_id)
    if e.accepted:
        return Sentence(s.say(e, "accepted", name=name, channel=channel), "quiet")
    reason = s.term(REASON, e.failure.value if e.failure is not None else "provider_error")
    return Sentence(s.say(e, "failed", name=name, reason=reason), "warn")


def _delivery(s: _Speaker, e: DeliveryUpdated) -> Sentence:
    _, name, channel = s.page(e.page_id)
    status = s.term(DELIVERY, e.status.value)
    return Sentence(s.say(e, status=status, name=name, channel=channel), "quiet")


def _duplicates(s: _Speaker, e: DuplicatesCounted) -> Sentence:
    _, name, channel = s.page(e.page_id)
    return Sentence(s.say(e, name=name, channel=channel, count=e.count), "quiet")


def _delivery_failed(s: _Speaker, e: DeliveryFailed) -> Sentence:
    _, name, _ = s.page(e.page_id)
    return Sentence(s.say(e, name=name, reason=s.term(REASON, e.reason.value)), "warn")


def _timed_out(s: _Speaker, e: AttemptTimedOut) -> Sentence:
    _, name, channel = s.page(e.page_id)
    record = s.state.page_records.get(e.page_id)
    reason = record.reason if record is not None and record.outcome == "timed_out" else None
    text = s.say(e, name=name, channel=channel, reason=s.term(REASON, reason or "no_answer"))
    return Sentence(text, "warn")


def _acknowledged(s: _Speaker, e: Acknowledged) -> Sentence:
    how = s.term(CHANNEL, e.channel.value if e.channel is not None else e.source)
    if e.source == "manual":
        manual = s.term(CHANNEL, "manual")
        if e.entered_by:
            how = s.say(e, "manual", part=True, channel=manual, by=e.entered_by)
        else:
            how = manual
    contact = s.state.contacts.get((e.tree, e.level, e.member))
    first = contact is not None and contact.ack is not None and contact.ack == e
    if (contact is not None and not first) or (contact is None and not e.first):
        return Sentence(s.say(e, "again", name=e.person_name, how=how), "quiet")
    if contact is not None and contact.status is ContactStatus.LATE:
        why = s.term(REASON, contact.given_up or "ladder_exhausted")
        status = s.term(CONTACT_STATUS, "late")
        return Sentence(
            s.say(e, "late", status=status, name=e.person_name, how=how, why=why), "warn"
        )
    status = s.term(CONTACT_STATUS, "acknowledged")
    return Sentence(s.say(e, "acknowledged", status=status, name=e.person_name, how=how), "ok")


def _escalated(s: _Speaker, e: Escalated) -> Sentence:
    reason = s.term(ESCALATION, e.reason.value)
    if e.absence:
        reason = f"{reason}: {e.absence}"  # the plan's own word (休暇, 出張 …)
    text = s.say(
        e,
        from_name=s.names.person(e.from_person),
        to_name=s.names.person(e.to_person),
        reason=reason,
    )
    return Sentence(text, "warn")


def _repeat_scheduled(s: _Speaker, e: RepeatScheduled) -> Sentence:
    name = s.member(e.tree, e.level, e.member)
    minutes = f"{e.wait_seconds / 60:g}"
    return Sentence(s.say(e, name=name, minutes=minutes, round=e.round), "warn")


def _round_started(s: _Speaker, e: RoundStarted) -> Sentence:
    name = s.member(e.tree, e.level, e.member)
    return Sentence(s.say(e, name=name, round=e.round), "warn")


def _unreached(s: _Speaker, e: MemberUnreached) -> Sentence:
    status = s.term(CONTACT_STATUS, "unreached")
    name = s.member(e.tree, e.level, e.member)
    return Sentence(
        s.say(e, status=status, name=name, reason=s.term(REASON, e.reason.value)), "bad"
    )


def _cancelled(s: _Speaker, e: PagingCancelled) -> Sentence:
    name = s.member(e.tree, e.level, e.member)
    return Sentence(s.say(e, name=name, reason=s.term(REASON, e.why.value)), "quiet")


def _step_due(s: _Speaker, e: StepDue) -> Sentence:
    text = s.say(e, title=s.names.step(e.step), minutes=f"{e.target_minutes:g}")
    return Sentence(text, "bad")


def _step_completed(s: _Speaker, e: StepCompleted) -> Sentence:
    by = s.term(WHO, e.by) if e.by else e.by  # the simulated operator, in the language spoken
    text = s.say(e, title=s.names.step(e.step), by=by, timing=s.term(STEP, e.timing.value))
    return Sentence(text, "ok")


SENTENCES.update(PAGE_SENTENCES)


def _ordered(s: _Speaker, e: OperatorPaged) -> Sentence:
    pages = len(e.people)
    if e.asked == "unanswered":
        text = s.say(e, "unanswered", by=e.by, people=len(set(e.people)), pages=pages)
    else:
        text = s.say(e, e.asked, by=e.by, name=e.target_name or e.target or "", pages=pages)
    return Sentence(text, "warn")


def _outside_queued(s: _Speaker, e: OutsidePageQueued) -> Sentence:
    channel = s.term(CHANNEL, e.channel.value)
    return Sentence(s.say(e, "ad_hoc" if e.ad_hoc else "", name=e.person_name, channel=channel))


def _outside_acknowledged(s: _Speaker, e: OutsideAcknowledged) -> Sentence:
    how = s.term(CHANNEL, e.channel.value)
    if not e.first:
        return Sentence(s.say(e, "again", name=e.person_name, how=how), "quiet")
    return Sentence(s.say(e, name=e.person_name, how=how), "ok")


def _marked(s: _Speaker, e: PersonMarkedUnavailable) -> Sentence:
    reason = absence_reason(e.reason, s.lang)
    if e.until is None:
        return Sentence(s.say(e, "open", by=e.by, name=e.person_name, reason=reason), "warn")
    zone = s.state.started.timezone if s.state.started is not None else "Asia/Tokyo"
    until = e.until.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%m/%d %H:%M")
    return Sentence(s.say(e, by=e.by, name=e.person_name, reason=reason, until=until), "warn")


def _marked_back(s: _Speaker, e: PersonMarkedAvailable) -> Sentence:
    return Sentence(s.say(e, by=e.by, name=e.person_name), "info")


def _handed_over(s: _Speaker, e: HandedOver) -> Sentence:
    before = e.from_officer or HANDOVER["nobody"][s.index]
    # Who entered it is said only when it was neither of the two (someone took charge
    # for an officer who could not hand over).
    by = e.by not in (e.from_officer, e.to_officer)
    variant = "by_note" if by and e.note else "by" if by else "note" if e.note else ""
    text = s.say(e, variant, from_officer=before, to_officer=e.to_officer, by=e.by, note=e.note)
    return Sentence(text, "info")


_HANDLERS: dict[type[Event], Callable[[_Speaker, Any], Sentence]] = {
    DrillStarted: _started,
    InjectFired: _inject,
    NoteAdded: _note,
    DrillPaused: _paused,
    DrillResumed: _resumed,
    DrillInterrupted: _interrupted,
    DrillRecovered: _recovered,
    DrillAborted: _aborted,
    DrillCompleted: _completed,
    TreeStarted: _tree_started,
    TreeCompleted: _tree_completed,
    LevelStarted: _level_started,
    LevelCompleted: _level_completed,
    PageQueued: _queued,
    PageSent: _sent,
    DeliveryUpdated: _delivery,
    DeliveryFailed: _delivery_failed,
    DuplicatesCounted: _duplicates,
    AttemptTimedOut: _timed_out,
    Acknowledged: _acknowledged,
    Escalated: _escalated,
    RepeatScheduled: _repeat_scheduled,
    RoundStarted: _round_started,
    MemberUnreached: _unreached,
    PagingCancelled: _cancelled,
    StepDue: _step_due,
    StepCompleted: _step_completed,
    OperatorPaged: _ordered,
    OutsidePageQueued: _outside_queued,
    OutsideAcknowledged: _outside_acknowledged,
    PersonMarkedUnavailable: _marked,
    PersonMarkedAvailable: _marked_back,
    HandedOver: _handed_over,
}


# -- status updates (第N報): their sentences live in drill.words.updates ------------------


def _update_issued(s: _Speaker, e: UpdateIssued) -> Sentence:
    title = update_title(e.number, e.kind.value, s.lang)
    by = s.term(WHO, e.by) if e.by else e.by
    text = e.text.splitlines()[0] if e.text else ""
    return Sentence(s.say(e, title=title, by=by, count=len(e.recipients), text=text), "info")


def _update_queued(s: _Speaker, e: UpdateQueued) -> Sentence:
    channel = s.term(CHANNEL, e.channel.value)
    return Sentence(s.say(e, number=e.number, name=e.person_name, channel=channel), "quiet")


def _update_name(s: _Speaker, number: int, page_id: str) -> str:
    update = s.state.update(number)
    if update is not None:
        for copy in update.copies.values():
            if copy.page_id == page_id:
                return copy.person_name
    return page_id


def _update_sent(s: _Speaker, e: UpdateSent) -> Sentence:
    name = _update_name(s, e.number, e.page_id)
    if e.accepted:
        return Sentence(s.say(e, "accepted", number=e.number, name=name), "quiet")
    reason = s.term(REASON, e.failure.value if e.failure is not None else "provider_error")
    return Sentence(s.say(e, "failed", number=e.number, name=name, reason=reason), "warn")


def _update_acknowledged(s: _Speaker, e: UpdateAcknowledged) -> Sentence:
    channel = s.term(CHANNEL, e.channel.value)
    variant = "" if e.first else "again"
    text = s.say(e, variant, number=e.number, name=e.person_name, channel=channel)
    return Sentence(text, "ok" if e.first else "quiet")


SENTENCES.update(UPDATE_SENTENCES)
_HANDLERS.update(
    {
        UpdateIssued: _update_issued,
        UpdateQueued: _update_queued,
        UpdateSent: _update_sent,
        UpdateAcknowledged: _update_acknowledged,
    }
)
