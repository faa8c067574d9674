"""Findings and recommendations (所見と改善策): what went wrong, how to fix it, and the
events that show it.

Every finding quotes the fold's numbers and nothing else, so its words never contradict
the tables: a level's finding gives the acknowledgements it counted and, apart, the late
ones it did not; a late acknowledgement is never called "acknowledged"; a failed drill
names the provider errors that stopped every page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from drill.engine.events import CancelReason, DrillAborted
from drill.engine.state import DrillOutcome, PageRecord
from drill.report.contacts import mask_address
from drill.report.source import Source
from drill.report.types import (
    ContactRow,
    Finding,
    Label,
    LevelTiming,
    PlaybookReport,
    StepRow,
    Summary,
    TargetResult,
    same,
)
from drill.words import reason_pair, words

__all__ = ["findings"]

_BAD_POINT = frozenset({"invalid_number", "wrong_number", "landline", "bounced", "refused"})
_PROVIDER_SIDE = frozenset({"provider_error", "config", "rate_limited", "blocked", "timeout"})
_UNREACHED = frozenset({"ladder_exhausted", "no_contact_point", "no_candidates"})
_CHANNEL_JA = {"voice": "電話", "sms": "SMS", "email": "メール"}
_SEVERITY = {"high": 0, "medium": 1, "low": 2}
_MAX_EVIDENCE = 50
_JA, _EN = words("ja"), words("en")


def findings(
    source: Source,
    contacts: Sequence[ContactRow],
    levels: Sequence[LevelTiming],
    playbook: PlaybookReport,
    summary: Summary,
) -> tuple[Finding, ...]:
    out: list[Finding] = []
    state = source.state
    failed = state.outcome() is DrillOutcome.FAILED
    if failed:
        out.append(_failed(source))
    out.extend(_provider_errors(source))
    if isinstance(state.ended, DrillAborted):
        end = state.ended
        out.append(
            Finding(
                "aborted",
                "high",
                same(source.started.drill_id),
                Label(
                    f"訓練は {end.by} により中止されました（理由：{end.reason}）。",
                    f"The drill was aborted by {end.by} ({end.reason}).",
                ),
                Label(
                    "中止の理由を解消し、同じシナリオで訓練をやり直してください。",
                    "Deal with the reason and run the scenario again.",
                ),
                _seqs([state.ended_seq]),
            )
        )
    if not failed:
        # In a failed drill every target, level and contact missed follows from the
        # provider errors above: the tables show them, the findings name the cause once.
        out.extend(_target(t) for t in summary.targets if not t.met)
        out.extend(_level(source, level, contacts) for level in levels if level.satisfied is False)
        out.extend(_unreached(source, row) for row in contacts if row.status == "unreached")
    out.extend(
        _late(source, row)
        for row in contacts
        if row.status == "late" and row.given_up_reason in _UNREACHED
    )
    out.extend(_bad_numbers(source))
    out.extend(_deputy(source, row) for row in contacts if _deputy_answered(row))
    out.extend(_passed_over(row) for row in contacts if row.passed_over)
    out.extend(_step(step) for step in playbook.steps if step.status in ("late", "missed"))
    after_stop = [
        row for row in contacts if row.status == "late" and row.given_up_reason not in _UNREACHED
    ]
    if after_stop:
        out.append(_after_stop(after_stop))
    after_timeout = [row for row in contacts if row.after_deadline]
    if after_timeout:
        out.append(_after_timeout(after_timeout))
    return tuple(sorted(out, key=lambda f: _SEVERITY[f.severity]))


def _seqs(values: Iterable[int | None]) -> tuple[int, ...]:
    return tuple(v for v in values if v is not None)[:_MAX_EVIDENCE]


def _names(rows: Sequence[ContactRow], lang: str, limit: int = 5) -> str:
    sep = "、" if lang == "ja" else ", "
    more = (" ほか" if lang == "ja" else ", …") if len(rows) > limit else ""
    return sep.join(row.name.get(lang) for row in rows[:limit]) + more


def _where(row: ContactRow) -> tuple[str, str]:
    """The contact's name with its site: (ja, en)."""
    if row.site_name is None:
        return row.name.ja, row.name.get("en")
    return (
        f"{row.name.ja}（{row.site_name.ja}）",
        f"{row.name.get('en')} ({row.site_name.get('en')})",
    )


# -- the drill as a whole -------------------------------------------------------------------


_DOCTOR = Label(
    "事業者の設定（drillkit の設定ファイル、認証情報、送信元番号）を確認してください"
    "（`drillkit doctor`）。直してから同じシナリオで訓練をやり直してください。",
    "Check the provider configuration (drillkit's config file, credentials, sender "
    "number): drillkit doctor. Then run the scenario again.",
)


def _failed(source: Source) -> Finding:
    state = source.state
    pages = len(state.page_records)
    return Finding(
        "drill_failed",
        "high",
        same(source.started.drill_id),
        Label(
            f"呼び出し {pages} 件のうち事業者に受け付けられたものは 1 件もなく、誰にも連絡が"
            "届かなかったため、この訓練は失敗です。",
            f"Not one of the {pages} page(s) was accepted by a provider and nobody was "
            "reached: this drill failed.",
        ),
        _DOCTOR,
        _seqs([state.ended_seq]),
    )


def _provider_errors(source: Source) -> list[Finding]:
    """One finding per channel, reason and provider message, with how many pages it hit."""
    failed = source.state.outcome() is DrillOutcome.FAILED
    groups: dict[tuple[str, str, str], list[PageRecord]] = {}
    for page in source.state.provider_errors():
        key = (page.queued.channel.value, page.reason or "provider_error", page.detail or "")
        groups.setdefault(key, []).append(page)
    out = []
    for (channel, reason, detail), pages in groups.items():
        ja_reason, en_reason = reason_pair(reason)
        said_ja = f"「{detail}」" if detail else ""
        said_en = f' "{detail}"' if detail else ""
        people = sorted({p.queued.person_name for p in pages})
        who_ja = "、".join(people[:3]) + (" ほか" if len(people) > 3 else "")
        who_en = ", ".join(people[:3]) + (", …" if len(people) > 3 else "")
        out.append(
            Finding(
                "provider_error",
                "high" if failed else "medium",
                same(channel),
                Label(
                    f"{_CHANNEL_JA.get(channel, channel)}の送信 {len(pages)} 件が事業者側の理由で"
                    f"失敗しました（{ja_reason}{said_ja}; {who_ja}）。",
                    f"{len(pages)} {channel} page(s) failed at the provider ({en_reason}"
                    f"{said_en}; {who_en}).",
                ),
                _DOCTOR
                if failed
                else Label(
                    "事業者の設定（drillkit の設定ファイル）と契約の送信上限を確認してください"
                    "（`drillkit doctor`）。",
                    "Check the provider configuration (drillkit's config file) and the "
                    "account's sending limits: drillkit doctor.",
                ),
                _seqs(p.seq for p in pages),
            )
        )
    return out


def _target(target: TargetResult) -> Finding:
    fixes = {
        "all_sites_reached": (
            "支所の段をより早く始めるよう前の段を短くする（応答待ち時間・手段の数）か、支所への連絡を最初の段に移してください。",
            "Start the regional-centre level sooner: shorten the levels before it (timeouts, "
            "channels), or page the centres in the first level.",
        ),
        "tree_completed": (
            "時間のかかった段と連絡のつかなかった役割を確認し、代理者の追加と応答待ち時間の見直しをしてください。",
            "Look at the slowest levels and the roles not reached: add deputies and review "
            "the timeouts.",
        ),
        "level_completed": (
            "この段の相手先（窓口）の番号と受付時間を確認し、代理の窓口を追加してください。",
            "Check the numbers and hours of this level's desks, and add a second desk.",
        ),
        "share_acknowledged": (
            "応答の遅い人・手段を確認し、最初に使う手段（電話・SMS）と応答方法の周知を見直してください。",
            "Find who and which channel were slow, and review the first channel used and how "
            "people are told to acknowledge.",
        ),
    }
    fix_ja, fix_en = fixes.get(target.metric, ("", ""))
    if target.actual_seconds is None:
        what_ja = "最後まで達成されませんでした"
        what_en = "it was never reached"
    else:
        over = -(target.margin_seconds or 0.0)
        what_ja = f"{round(over)}秒超過しました"
        what_en = f"it was missed by {round(over)} s"
    why_ja = f"{target.detail.ja}。" if target.detail is not None else ""
    why_en = f" {target.detail.get('en')}." if target.detail is not None else ""
    return Finding(
        "target_missed",
        "high",
        target.name,
        Label(
            f"目標「{target.name.ja}」（{target.within_minutes:g}分以内）を達成できませんでした："
            f"{what_ja}。{why_ja}",
            f"Target '{target.name.get('en')}' (within {target.within_minutes:g} min) was "
            f"missed: {what_en}.{why_en}",
        ),
        Label(fix_ja, fix_en),
        (),
    )


# -- levels and contacts --------------------------------------------------------------------


def _level(source: Source, level: LevelTiming, contacts: Sequence[ContactRow]) -> Finding:
    late = [
        row
        for row in contacts
        if row.tree == level.tree and row.level == level.level and row.status == "late"
    ]
    late_ja = (
        f"。ほかに {level.late} 件が呼び出し終了後に応答しました（遅れて応答："
        f"{_names(late, 'ja')}）が、数えていません"
        if level.late
        else ""
    )
    late_en = (
        f"; {level.late} more acknowledged after their paging ended (late: "
        f"{_names(late, 'en')}), which does not count"
        if level.late
        else ""
    )
    found = source.state.levels.get((level.tree, level.level))
    if level.missing and level.acknowledged >= level.required:
        # The count was there; who had to answer themselves was not.
        missing_ja = "、".join(m.ja for m in level.missing)
        missing_en = ", ".join(m.get("en") for m in level.missing)
        what = Label(
            f"段「{level.name.ja}」は応答数 {level.required} に達しましたが、必ず応答が必要な"
            f"{missing_ja}から期限内の応答がありませんでした{late_ja}。",
            f"Level '{level.name.get('en')}' got the {level.required} acknowledgement(s) it "
            f"counts, but {missing_en}, who had to answer themselves, did not in time"
            f"{late_en}.",
        )
    else:
        what = Label(
            f"段「{level.name.ja}」は必要な応答数 {level.required} に達しませんでした"
            f"（期限内の応答 {level.acknowledged}/{level.members}）{late_ja}。",
            f"Level '{level.name.get('en')}' did not get the {level.required} "
            f"acknowledgement(s) it needs ({level.acknowledged} of {level.members} in time)"
            f"{late_en}.",
        )
    return Finding(
        "level_not_satisfied",
        "high",
        level.name,
        what,
        Label(
            "連絡のつかなかった役割に代理者を追加し、連絡先を確認してください。"
            "必要な応答数（`required`）が実情に合っているかも見直してください。",
            "Add deputies to the roles that were not reached and check their "
            "numbers; check that the level's `required` matches what is needed.",
        ),
        _seqs(
            [
                found.completed_seq if found else None,
                *sorted(row.ack_seq for row in late if row.ack_seq is not None),
            ]
        ),
    )


def _people(row: ContactRow) -> list[str]:
    people: list[str] = []
    for attempt in row.attempts:
        if attempt.person_name not in people:
            people.append(attempt.person_name)
    return people


def _reasons(row: ContactRow) -> tuple[str, str]:
    keys = list(row.failures) or ([row.given_up_reason] if row.given_up_reason else [])
    return (
        "、".join(reason_pair(k)[0] for k in keys),
        ", ".join(reason_pair(k)[1] for k in keys),
    )


def _reach_fix(source: Source, row: ContactRow) -> Label:
    deputies = 0
    plan = source.plan
    if plan is not None and plan.is_role(row.member):
        deputies = len(plan.role(row.member).deputies)
    if row.given_up_reason == "no_candidates":
        return Label(
            "この役割の担当者と代理者を決めて連絡先一覧に登録してください。",
            "Name a holder and deputies for this role in the contact list.",
        )
    if row.failures and all(reason in _PROVIDER_SIDE for reason in row.failures):
        return Label(
            "呼び出しは事業者側の理由で失敗しました。事業者の設定を確認してください（`drillkit doctor`）。",
            "The pages failed at the provider: check the provider configuration with "
            "drillkit doctor.",
        )
    if row.given_up_reason == "no_contact_point":
        return Label(
            "この段で使う手段（電話・SMS・メール）の連絡先を登録してください。",
            "Add a contact point on the level's channels (voice, SMS, e-mail).",
        )
    return Label(
        f"連絡先を本人に確認して更新し、代理者を追加してください（現在の代理者 {deputies} 人）。",
        f"Confirm and update their numbers, and add a deputy (deputies now: {deputies}).",
    )


def _contact_seqs(source: Source, row: ContactRow) -> list[int | None]:
    contact = source.state.contacts.get((row.tree, row.level, row.member))
    if contact is None:
        return []
    return [page.seq for page in contact.attempts] + [contact.unreached_seq]


def _unreached(source: Source, row: ContactRow) -> Finding:
    people = _people(row)
    reasons_ja, reasons_en = _reasons(row)
    where_ja, where_en = _where(row)
    return Finding(
        "unreached",
        "high",
        row.name,
        Label(
            f"{where_ja}に連絡がつきませんでした。呼び出した人：{'、'.join(people) or 'なし'}。"
            f"理由：{reasons_ja or '不明'}。",
            f"{where_en} was not reached. Paged: {', '.join(people) or 'nobody'}. "
            f"Why: {reasons_en or 'unknown'}.",
        ),
        _reach_fix(source, row),
        _seqs(_contact_seqs(source, row)),
    )


def _late(source: Source, row: ContactRow) -> Finding:
    """A contact given up as unreached who acknowledged afterwards: late, not counted."""
    reasons_ja, reasons_en = _reasons(row)
    where_ja, where_en = _where(row)
    after_ja = (
        f"（最初の呼び出しから {_JA.duration(row.time_to_ack_seconds)}）"
        if row.time_to_ack_seconds is not None
        else ""
    )
    after_en = (
        f" ({_EN.duration(row.time_to_ack_seconds)} after the first page)"
        if row.time_to_ack_seconds is not None
        else ""
    )
    return Finding(
        "acknowledged_late",
        "medium",
        row.name,
        Label(
            f"{where_ja}は期限内に連絡がつかず（{reasons_ja or '不明'}）、呼び出しが終わった後の"
            f"開始から {_JA.duration(row.ack_seconds)} に {row.acknowledged_by} が応答しました"
            f"{after_ja}。遅れて応答のため、段・連絡網・目標には数えていません。",
            f"{where_en} was not reached in time ({reasons_en or 'unknown'}); "
            f"{row.acknowledged_by} acknowledged after paging had ended, "
            f"{_EN.duration(row.ack_seconds)} from the start{after_en}. A late "
            "acknowledgement counts for no level, tree or target.",
        ),
        Label(
            "応答待ち時間（ack_timeout_minutes）と手段の順序が実情に合っているか見直し、"
            f"代理者の追加を検討してください。{_reach_fix(source, row).ja}",
            "Check that the ack timeout and the order of channels match how people "
            f"answer, and consider a deputy. {_reach_fix(source, row).get('en')}",
        ),
        _seqs([*_contact_seqs(source, row), row.ack_seq]),
    )


def _bad_numbers(source: Source) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for page in source.state.page_records.values():
        reason = page.reason
        if page.outcome != "failed" or reason not in _BAD_POINT:
            continue
        q = page.queued
        key = (q.person_id, q.channel.value, q.address)
        if key in seen:
            continue
        seen.add(key)
        masked = mask_address(q.address)
        ja_reason, en_reason = reason_pair(reason)
        out.append(
            Finding(
                "bad_number",
                "high",
                same(q.person_name),
                Label(
                    f"{q.person_name} の{_CHANNEL_JA.get(q.channel.value, q.channel.value)} "
                    f"{masked} は使えませんでした（{ja_reason}）。",
                    f"{q.person_name}'s {q.channel.value} {masked} failed ({en_reason}).",
                ),
                Label(
                    f"本人に正しい連絡先を確認し、連絡先一覧（`contacts/` の `{q.person_id}`）を更新してください。",
                    f"Ask them for the right number or address and update the contact list "
                    f"(contacts/, {q.person_id}).",
                ),
                _seqs([page.seq]),
            )
        )
    return out


def _passed_over(row: ContactRow) -> Finding:
    """Someone marked away was not paged: worth knowing, not a fault of the tree."""
    ja = "、".join(f"{p.person}（{p.absence}）" for p in row.passed_over)
    en = ", ".join(f"{p.person} ({p.absence})" for p in row.passed_over)
    return Finding(
        "passed_over",
        "low",
        row.name,
        Label(
            f"{row.name.ja}: {ja}は不在のため呼び出さず、次の候補から呼び出しました。",
            f"{row.name.get('en')}: {en} away, so the next candidate was paged instead.",
        ),
        Label(
            "不在の期間が正しいか、長く不在になる人の代わりに役割を持つ人を決めておくか確認してください。",
            "Check the periods away are right, and whether a long absence needs someone "
            "to hold the role meanwhile.",
        ),
        _seqs(p.seq for p in row.passed_over),
    )


def _deputy_answered(row: ContactRow) -> bool:
    return (
        row.status == "acknowledged"
        and bool(row.candidate_index)
        and any(a.candidate_index == 0 for a in row.attempts)
    )


def _deputy(source: Source, row: ContactRow) -> Finding:
    holder = next(a for a in row.attempts if a.candidate_index == 0)
    reasons = sorted({a.reason for a in row.attempts if a.candidate_index == 0 and a.reason})
    reasons_ja = "、".join(reason_pair(r)[0] for r in reasons)
    reasons_en = ", ".join(reason_pair(r)[1] for r in reasons)
    return Finding(
        "deputy_answered",
        "medium",
        row.name,
        Label(
            f"{row.name.ja}の担当者 {holder.person_name} に連絡がつかず、代理者 "
            f"{row.acknowledged_by} が応答しました（{reasons_ja or '応答なし'}）。",
            f"{row.name.get('en')}: the holder {holder.person_name} was not reached; "
            f"the deputy {row.acknowledged_by} acknowledged "
            f"({reasons_en or 'no answer'}).",
        ),
        Label(
            f"{holder.person_name} の連絡先と不在時の連絡方法を確認してください。"
            "不在が多い時間帯があれば、その時間は代理者を先に呼ぶよう連絡網を見直してください。",
            f"Check {holder.person_name}'s numbers and how to reach them when away; "
            "if they are often away at this time, page the deputy first then.",
        ),
        _seqs(
            [
                *(
                    source.state.page_records[a.page_id].seq
                    for a in row.attempts
                    if a.candidate_index == 0
                ),
                row.ack_seq,
            ]
        ),
    )


def _step(step: StepRow) -> Finding:
    owner_ja = step.owner_name.ja if step.owner_name else (step.owner or "")
    owner_en = step.owner_name.get("en") if step.owner_name else (step.owner or "")
    target = f"{step.target_minutes:g}" if step.target_minutes is not None else "—"
    if step.status == "late":
        late = step.late_by_seconds or 0.0
        text = Label(
            f"手順「{step.title.ja}」（担当：{owner_ja}）は目標 {target}分を "
            f"{words('ja').duration(late)}過ぎて完了しました。",
            f"Step '{step.title.get('en')}' (owner: {owner_en}) was done "
            f"{words('en').duration(late)} after its {target}-minute target.",
        )
        severity = "medium"
    else:
        text = Label(
            f"手順「{step.title.ja}」（担当：{owner_ja}）は目標 {target}分までに完了しませんでした。",
            f"Step '{step.title.get('en')}' (owner: {owner_en}) was not done by its "
            f"{target}-minute target.",
        )
        severity = "high"
    return Finding(
        f"step_{step.status}",
        severity,
        step.title,
        text,
        Label(
            f"{owner_ja}と代理者に手順の内容と目標時間を周知し、手順が実情に合っているか（依存する手順、目標時間）を見直してください。",
            f"Walk {owner_en} and their deputy through the step and its target, and check "
            "that the step (its dependencies and target) is realistic.",
        ),
        (step.seq,) if step.seq is not None else (),
    )


# -- acknowledgements after a stop or a timeout ---------------------------------------------


def _after_stop(rows: Sequence[ContactRow]) -> Finding:
    """Late acknowledgements of contacts whose paging stopped (level satisfied, drill
    ended): nothing was missed, but they count for nothing."""
    satisfied = all(row.given_up_reason == CancelReason.LEVEL_SATISFIED for row in rows)
    why_ja = (
        "段がすでに充足していた"
        if satisfied
        else "段の充足または訓練の終了で呼び出しが止まっていた"
    )
    why_en = (
        "their level was already satisfied"
        if satisfied
        else "their paging had stopped (level satisfied or drill ended)"
    )
    return Finding(
        "acknowledged_after_stop",
        "low",
        same(str(len(rows))),
        Label(
            f"{len(rows)} 件の応答が呼び出し終了後に届きました（{why_ja}ため、遅れて応答として"
            f"記録し数えていません：{_names(rows, 'ja')}）。",
            f"{len(rows)} acknowledgement(s) came after paging had stopped ({why_en}); "
            f"recorded as late and not counted: {_names(rows, 'en')}.",
        ),
        Label(
            "呼び出しを止めた相手には、応答が不要になったことが伝わるか確認してください。",
            "Check that people whose paging stopped are told they need not acknowledge.",
        ),
        _seqs(sorted(row.ack_seq for row in rows if row.ack_seq is not None)),
    )


def _after_timeout(rows: Sequence[ContactRow]) -> Finding:
    return Finding(
        "acknowledged_after_timeout",
        "low",
        same(str(len(rows))),
        Label(
            f"{len(rows)} 件の応答が応答待ち時間を過ぎてから届きました（呼び出し中だったため"
            f"数えています：{_names(rows, 'ja')}）。",
            f"{len(rows)} acknowledgement(s) came after the page's timeout, while paging "
            f"went on, and count: {_names(rows, 'en')}.",
        ),
        Label(
            "応答待ち時間（ack_timeout_minutes）が短すぎないか、応答の操作が分かりにくくないかを確認してください。",
            "Check that the ack timeout is not too short and that acknowledging is easy.",
        ),
        _seqs(sorted(row.ack_seq for row in rows if row.ack_seq is not None)),
    )
