"""How the report speaks: Japanese by default, English on request.

Labels live in one table per language, so every renderer (HTML, Markdown, CSV, the paper
contact tree) says the same thing the same way. Numbers, durations and dates follow the
language's conventions: `2026年1月31日（土）10:00:05` and `12分05秒` in Japanese,
`Sat 31 Jan 2026 10:00:05` and `12 min 05 s` in English.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

__all__ = [
    "LANGUAGES",
    "Lang",
    "Words",
    "check_lang",
    "reason_pair",
    "words",
]

Lang = Literal["ja", "en"]
LANGUAGES: tuple[Lang, ...] = ("ja", "en")

_WEEKDAYS_JA = "月火水木金土日"

_LABELS: dict[str, tuple[str, str]] = {
    # (ja, en)
    "report_title": ("緊急時連絡網 訓練報告書", "Contact tree drill report"),
    "incident_report_title": ("緊急時対応 記録報告書", "Incident response report"),
    "drill": ("訓練", "Drill"),
    "incident": ("実際の事案", "Real incident"),
    "simulated": ("模擬", "Simulated"),
    "organisation": ("団体", "Organisation"),
    "scenario": ("シナリオ", "Scenario"),
    "mode": ("区分", "Mode"),
    "drill_id": ("訓練ID", "Drill id"),
    "plan_version": ("計画の版", "Plan version"),
    "started": ("開始", "Started"),
    "ended": ("終了", "Ended"),
    "duration": ("所要時間", "Duration"),
    "outcome": ("結果", "Outcome"),
    "operator": ("実施者", "Operator"),
    "acknowledged": ("応答", "Acknowledged"),
    "contacts": ("連絡対象", "Contacts"),
    "time_all_sites": ("全支所への連絡", "Every regional centre reached"),
    "time_trees": ("連絡網の完了", "Contact trees completed"),
    "not_reached": ("未達", "not reached"),
    "summary": ("概要", "Summary"),
    "targets": ("目標", "Targets"),
    "target": ("目標", "Target"),
    "actual": ("実績", "Actual"),
    "result": ("判定", "Result"),
    "margin": ("差", "Margin"),
    "met": ("達成", "met"),
    "missed": ("未達成", "missed"),
    "nagasaki": ("長崎市の訓練との比較", "Compared with Nagasaki City's drill"),
    "nagasaki_ref": (
        "参考: 長崎市の訓練は全体で約50分、全地域センターへの連絡は約10分",
        "For reference, Nagasaki City's drill took about 50 minutes and reached every "
        "regional centre in about 10",
    ),
    "curve": ("応答状況の推移", "Acknowledgements over time"),
    "curve_caption": ("応答済みの割合（累積）", "Share acknowledged (cumulative)"),
    "minutes_from_start": ("開始からの経過時間（分）", "Minutes from the start"),
    "share_axis": ("応答済み（%）", "Acknowledged (%)"),
    "time_to_share": ("応答率に達した時間", "Time to reach a share"),
    "distribution": ("応答までの時間の分布", "Time to acknowledge"),
    "distribution_axis": (
        "最初の呼び出しから応答までの時間（分）",
        "Minutes from the first page to the acknowledgement",
    ),
    "people_axis": ("連絡対象の数", "Contacts"),
    "median": ("中央値", "Median"),
    "p90": ("90パーセンタイル", "90th percentile"),
    "maximum": ("最大", "Maximum"),
    "levels": ("段ごとの時間", "Levels"),
    "level": ("段", "Level"),
    "tree": ("連絡網", "Tree"),
    "level_started": ("開始", "Started"),
    "level_completed": ("完了", "Completed"),
    "level_took": ("所要", "Took"),
    "required": ("必要な応答", "Required"),
    "satisfied": ("充足", "satisfied"),
    "not_satisfied": ("不足", "not satisfied"),
    "sites": ("拠点ごとの時間", "Sites"),
    "site": ("拠点", "Site"),
    "regional_centre": ("支所", "regional centre"),
    "reached_at": ("連絡がついた時間", "Reached after"),
    "reached_by": ("応答者", "Acknowledged by"),
    "per_contact": ("連絡対象ごとの記録", "Per contact"),
    "role": ("役割", "Role"),
    "person": ("氏名", "Person"),
    "status": ("状態", "Status"),
    "attempts": ("呼び出し", "Attempts"),
    "channels_tried": ("呼び出しの経過", "Pages"),
    "ack_at": ("応答時刻", "Acknowledged at"),
    "ack_via": ("応答手段", "Through"),
    "time_to_ack": ("応答までの時間", "Time to acknowledge"),
    "from_start": ("開始から", "From the start"),
    "failure": ("未応答の理由", "Why not reached"),
    "holder": ("正", "holder"),
    "deputy": ("代理", "deputy"),
    "manual_by": ("手入力", "entered by"),
    "playbook": ("対応手順", "Playbook"),
    "step": ("手順", "Step"),
    "owner": ("担当", "Owner"),
    "target_time": ("目標時間", "Within"),
    "completed_at": ("完了", "Completed"),
    "findings": ("所見と改善策", "Findings and recommendations"),
    "no_findings": ("改善を要する点は見つかりませんでした。", "Nothing needs fixing."),
    "fix": ("改善策", "Fix"),
    "checklist": ("自己点検の根拠", "Self-inspection evidence"),
    "checklist_item": ("点検項目", "Item"),
    "evidence": ("根拠（記録）", "Evidence (events)"),
    "suggested_score": ("評価の目安", "Suggested score"),
    "cited_by": ("引用元", "Cited by"),
    "history": ("過去の訓練との比較", "Year on year"),
    "trend": ("傾向", "Trend"),
    "no_history": (
        "同じシナリオの過去の訓練は記録されていません。",
        "No earlier drill of this scenario is recorded.",
    ),
    "timeline": ("経過（状況付与・メモ）", "Timeline (injects and notes)"),
    "time": ("時刻", "Time"),
    "elapsed": ("経過", "Elapsed"),
    "event": ("出来事", "What happened"),
    "integrity": ("記録の完全性", "Integrity"),
    "head_hash": ("イベント連鎖の末尾ハッシュ", "Hash at the head of the event chain"),
    "event_count": ("イベント数", "Events"),
    "verify_how": (
        "次のコマンドで記録が改ざん・欠落していないことを確認できます。表示される末尾ハッシュが"
        "この報告書のものと一致すれば、報告書作成後に記録は変更されていません。",
        "This command checks that no recorded event was altered or removed; if the head "
        "hash it prints matches the one above, nothing changed since this report was made.",
    ),
    "not_verified": (
        "この報告書の作成時に記録の検証は行われていません。",
        "The event chain was not verified when this report was made.",
    ),
    "verify_failed": ("記録の検証に失敗しました", "The event chain failed verification"),
    "duplicates": (
        "重複して届いた通知（記録のみ・二重計上なし）",
        "Duplicate callbacks (kept, not counted twice)",
    ),
    "masked_note": (
        "電話番号・メールアドレスは一部を伏せて表示しています。",
        "Phone numbers and e-mail addresses are partly masked.",
    ),
    "plan_missing": (
        "計画ファイルを読み込めなかったため、名称・目標・点検項目の一部は表示できません。",
        "The plan could not be read, so some names, targets and checklist items are missing.",
    ),
    "plan_changed": (
        "この訓練の後に計画が変更されています（訓練時 {then}、現在 {now}）。名称・目標は現在の計画のものです。",
        "The plan changed after this drill (then {then}, now {now}); names and targets are "
        "taken from the current plan.",
    ),
    "generated_from": (
        "記録された {count} 件のイベントから作成",
        "Built from {count} recorded events",
    ),
    "contents": ("目次", "Contents"),
    "none": ("なし", "none"),
    "yes": ("はい", "yes"),
    "no": ("いいえ", "no"),
    "page": ("ページ", "page"),
    "high": ("高", "high"),
    "medium": ("中", "medium"),
    "low": ("低", "low"),
    "severity": ("重要度", "Severity"),
    "events_ref": ("記録", "events"),
    "this_drill": ("この訓練", "This drill"),
    "nagasaki_city": ("長崎市", "Nagasaki City"),
    "whole": ("全体", "whole drill"),
    "about": ("約{m}分", "about {m} min"),
    "share": ("応答率", "Share"),
    "count_people": ("人数", "Contacts"),
    "breakdown": ("内訳", "Breakdown"),
    "current": ("今回", "this drill"),
    "paused_total": ("一時停止", "Paused"),
    "interruptions": ("中断", "Interruptions"),
    "seed": ("乱数シード", "Seed"),
    "sites_count": ("{reached}/{total} 支所", "{reached} of {total} centres"),
    "level_n": ("第{n}段", "Level {n}"),
    "no_events": ("記録なし", "no events"),
    "charts_note": ("グラフ", "Chart"),
    "pages_note": (
        "呼び出しの経過: 手段・時刻・結果。代理者への呼び出しは氏名を付けて示します。",
        "Pages: channel, time and outcome; pages to a deputy carry their name.",
    ),
    "curve_fig": (
        "応答済みの割合（累積）。縦の点線は状況付与、横の点線は50%・90%。",
        "Share acknowledged (cumulative). Dotted verticals are injects; dotted horizontals "
        "50 % and 90 %.",
    ),
    "levels_fig": (
        "段ごとの開始から完了まで（棒）と、拠点ごとに連絡がついた時間（点）。",
        "Each level from start to finish (bars), and when each site was reached (dots).",
    ),
    "history_fig": (
        "訓練ごとの所要時間と全支所への連絡時間。",
        "Duration and time to reach every regional centre, by drill.",
    ),
    "reference_line": ("長崎市 約{m}分", "Nagasaki ~{m} min"),
    "outcome_failed": (
        "失敗（呼び出しが1件も届かず）",
        "failed (no page could be delivered)",
    ),
    "trees_not_satisfied": (
        "未達（必要な応答数に達しない段あり）",
        "not reached (a level lacked acknowledgements)",
    ),
    "late_count": ("遅れて応答 {n}", "{n} late"),
}

_STATUS: dict[str, tuple[str, str]] = {
    # steps
    "on_time": ("期限内", "on time"),
    "late": ("遅延", "late"),
    "missed": ("未実施（期限超過）", "missed"),
    "not_done": ("未実施", "not done"),
    # drill outcome
    "completed": ("完了", "completed"),
    "finished": ("実施者が終了", "finished by the operator"),
    "idle": ("完了", "completed"),
    "running": ("実施中（記録途中）", "still running"),
    "interrupted": ("中断（未再開）", "interrupted (not resumed)"),
    # attempt outcomes
    "timed_out": ("応答期限切れ", "timed out"),
    "failed": ("失敗", "failed"),
    "pending": ("応答待ち", "waiting"),
    "cancelled": ("呼び出し終了", "paging stopped"),
}

_CONTACT_STATUS: dict[str, tuple[str, str]] = {
    "acknowledged": ("応答あり", "acknowledged"),
    "late": ("遅れて応答", "acknowledged late"),
    "unreached": ("連絡つかず", "not reached"),
    "cancelled": ("不要（段が充足）", "not needed (level satisfied)"),
    "aborted": ("未連絡（訓練中止）", "not reached (drill aborted)"),
    "aborted:drill_finished": ("未連絡（訓練終了）", "not reached (drill ended)"),
    "not_paged": ("未呼び出し", "not paged"),
    "paging": ("呼び出し中", "still paging"),
}
"""A contact's status (`ContactRow.status`); "late" is an acknowledgement after the
contact's paging ended, counted by nothing."""

_REASONS: dict[str, tuple[str, str]] = {
    "invalid_number": ("番号が存在しない", "invalid number"),
    "wrong_number": ("別人が応答（番号誤り）", "wrong number"),
    "unreachable": ("圏外・電源断", "unreachable"),
    "landline": ("固定電話にSMSは送れない", "SMS to a landline"),
    "blocked": ("着信拒否", "blocked"),
    "busy": ("話し中", "busy"),
    "no_answer": ("応答なし（呼び出し音のみ）", "no answer"),
    "not_acknowledged": ("受信したが応答操作なし", "received, not acknowledged"),
    "bounced": ("メール不達", "bounced"),
    "refused": ("メールサーバが受信拒否", "refused by the mail server"),
    "rate_limited": ("送信制限", "rate limited"),
    "timeout": ("事業者の応答なし", "provider timed out"),
    "provider_error": ("事業者エラー", "provider error"),
    "config": ("手段が未設定", "channel not configured"),
    "link_not_confirmed": ("リンクを開いたが確認せず", "link opened, never confirmed"),
    "never_confirmed": ("リンクの確認なし", "link never confirmed"),
    "voice_no_keypress": ("期限内に応答なし", "no acknowledgement in time"),
    "ladder_exhausted": ("全手段・全候補で応答なし", "no one answered on any channel"),
    "no_contact_point": ("この段の手段で連絡先がない", "no contact point on the level's channels"),
    "no_candidates": ("担当者・代理者がいない", "no holder or deputy"),
    "level_satisfied": ("段が充足したため呼び出し終了", "paging stopped: level satisfied"),
    "drill_aborted": ("訓練中止で呼び出し終了", "paging stopped: drill aborted"),
    "drill_finished": ("訓練終了で呼び出し終了", "paging stopped: drill ended"),
}

_CHANNELS: dict[str, tuple[str, str]] = {
    "voice": ("電話", "voice"),
    "sms": ("SMS", "SMS"),
    "email": ("メール", "e-mail"),
    "reply": ("メール返信", "e-mail reply"),
    "manual": ("手入力", "manual"),
}


def reason_pair(key: str) -> tuple[str, str]:
    """A failure reason in (Japanese, English); the key itself when unknown."""
    return _REASONS.get(key, (key, key))


def check_lang(value: str | None, default: Lang = "ja") -> Lang:
    """`value` as a report language; ValueError names the choices."""
    if value is None:
        return default
    if value == "ja":
        return "ja"
    if value == "en":
        return "en"
    raise ValueError(f"unknown report language {value!r}; choose ja or en")


class Words:
    """Labels and formatting for one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang
        self._index = 0 if lang == "ja" else 1

    def __call__(self, key: str, **values: object) -> str:
        text = _LABELS[key][self._index]
        return text.format(**values) if values else text

    def status(self, key: str) -> str:
        pair = _STATUS.get(key)
        return pair[self._index] if pair else key

    def contact_status(self, key: str, given_up: str | None = None) -> str:
        """A contact's status; a contact not reached says whether the drill was aborted
        or ended."""
        pair = _CONTACT_STATUS.get(f"{key}:{given_up}") or _CONTACT_STATUS.get(key)
        return pair[self._index] if pair else key

    def reason(self, key: str | None) -> str:
        if key is None:
            return ""
        pair = _REASONS.get(key)
        return pair[self._index] if pair else key

    def channel(self, key: str | None) -> str:
        if key is None:
            return ""
        pair = _CHANNELS.get(key)
        return pair[self._index] if pair else key

    def pick(self, ja: str, en: str | None) -> str:
        """The text in this language, Japanese where there is no English."""
        return en if self.lang == "en" and en else ja

    # --- numbers --------------------------------------------------------------------

    def count(self, value: int) -> str:
        return f"{value:,}"

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        return f"{value * 100:.{digits}f}%"

    def duration(self, seconds: float | None) -> str:
        """`12分05秒` / `12 min 05 s`; `1時間02分` / `1 h 02 min` from an hour on."""
        if seconds is None or math.isnan(seconds):
            return "—"
        sign = "-" if seconds < 0 else ""
        total = int(abs(seconds) + 1e-6)  # a stopwatch: 91.6 s is 1:31, as the clock shows
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        if self.lang == "ja":
            if hours:
                return f"{sign}{hours}時間{minutes:02d}分{secs:02d}秒"
            if minutes:
                return f"{sign}{minutes}分{secs:02d}秒"
            return f"{sign}{secs}秒"
        if hours:
            return f"{sign}{hours} h {minutes:02d} min {secs:02d} s"
        if minutes:
            return f"{sign}{minutes} min {secs:02d} s"
        return f"{sign}{secs} s"

    def minutes(self, value: float) -> str:
        """A plan's minutes: `10分` / `10 min`."""
        text = f"{value:g}"
        return f"{text}分" if self.lang == "ja" else f"{text} min"

    def margin(self, seconds: float | None) -> str:
        """How far inside (+) or past (−) a target: `1分30秒の余裕` / `1 min 30 s to spare`."""
        if seconds is None:
            return "—"
        if seconds >= 0:
            text = self.duration(seconds)
            return f"{text}の余裕" if self.lang == "ja" else f"{text} to spare"
        text = self.duration(-seconds)
        return f"{text}超過" if self.lang == "ja" else f"{text} over"

    # --- dates ------------------------------------------------------------------------

    def date(self, value: dt.date) -> str:
        if self.lang == "ja":
            return f"{value.year}年{value.month}月{value.day}日（{_WEEKDAYS_JA[value.weekday()]}）"
        return f"{value.strftime('%a')} {value.day} {value.strftime('%b %Y')}"

    def datetime(self, value: dt.datetime | None) -> str:
        """A local time with its date (the caller converts to the plan's zone)."""
        if value is None:
            return "—"
        return f"{self.date(value.date())} {value.strftime('%H:%M:%S')}"

    def clock(self, value: dt.datetime | None) -> str:
        """Only the time of day, for rows within one drill."""
        return "—" if value is None else value.strftime("%H:%M:%S")


def words(lang: Lang) -> Words:
    return Words(lang)
