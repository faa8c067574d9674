"""The drill's vocabulary: one (Japanese, English) pair for every term a person reads.

Each table is keyed by the value of the engine's enum (or the report's plain string) it
names, so `ContactStatus.LATE` reads 遅れて応答 / "acknowledged late" on the console's
board, in every report format and on the CLI's progress lines alike. `tests/test_words.py`
checks that every enum value has both languages.
"""

from __future__ import annotations

__all__ = [
    "ATTEMPT",
    "CHANNEL",
    "CONTACT_STATUS",
    "DELIVERY",
    "DRILL",
    "ESCALATION",
    "LEVEL",
    "MODE",
    "NOT_REACHED_ENDED",
    "REASON",
    "SITE",
    "STEP",
    "TARGET",
    "TREE",
]

Pair = tuple[str, str]

CONTACT_STATUS: dict[str, Pair] = {
    # ContactStatus: where one contact stands.
    "waiting": ("前段待ち", "waiting"),
    "queued": ("送信待ち", "queued"),
    "calling": ("発信中", "calling"),
    "sent": ("送信済", "sent"),
    "ringing": ("呼出中", "ringing"),
    "delivered": ("配信済", "delivered"),
    "opened": ("開封", "opened"),
    "no_answer": ("応答なし", "no answer"),
    "failed": ("送信失敗", "send failed"),
    "escalated": ("代理者へ", "escalated"),
    "resting": ("再呼び出し待ち", "waiting to page again"),
    "acknowledged": ("応答あり", "acknowledged"),
    "late": ("遅れて応答", "acknowledged late"),
    "unreached": ("連絡つかず", "not reached"),
    "cancelled": ("不要", "not needed"),
    "aborted": ("未連絡（中止）", "not reached (aborted)"),
    # The report's summary counts two more groups of contacts.
    "not_paged": ("未呼び出し", "not paged"),
    "paging": ("呼び出し中", "still paging"),
}

NOT_REACHED_ENDED: Pair = ("未連絡（終了）", "not reached (ended)")
"""ContactStatus.ABORTED when the operator finished the drill rather than aborting it."""

REASON: dict[str, Pair] = {
    # FailureReason: why a page did not reach its person.
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
    # Why a page's acknowledgement timeout ran out (the fold's PageRecord.reason).
    "link_not_confirmed": ("リンクを開いたが確認せず", "link opened, never confirmed"),
    "never_confirmed": ("リンクの確認なし", "link never confirmed"),
    "voice_no_keypress": ("期限内に応答なし", "no acknowledgement in time"),
    # EscalationReason: why paging moved on, or gave up.
    "ladder_exhausted": ("全手段・全候補で応答なし", "no one answered on any channel"),
    "no_contact_point": ("この段の手段で連絡先がない", "no contact point on the level's channels"),
    "no_candidates": ("担当者・代理者がいない", "no holder or deputy"),
    "unavailable": ("不在", "away"),
    # CancelReason: why the paging of a contact stopped.
    "level_satisfied": ("段の必要数に達した", "level already satisfied"),
    "drill_aborted": ("訓練の中止", "drill aborted"),
    "drill_finished": ("実施者による終了", "drill ended by the operator"),
}

ESCALATION: dict[str, Pair] = {
    # EscalationReason, when paging moves from one person to the next (not given up yet).
    "unavailable": ("不在", "away"),
    "ladder_exhausted": ("全手段で応答なし", "no answer on any channel"),
    "no_contact_point": ("この段の手段で連絡先がない", "no contact point on the level's channels"),
    "no_candidates": ("担当者・代理者がいない", "no holder or deputy"),
}

CHANNEL: dict[str, Pair] = {
    # ChannelKind, and the other sources of an acknowledgement (AckSource).
    "voice": ("電話", "voice"),
    "sms": ("SMS", "SMS"),
    "email": ("メール", "e-mail"),
    "reply": ("メール返信", "e-mail reply"),
    "manual": ("手入力", "entered by hand"),
}

DELIVERY: dict[str, Pair] = {
    # DeliveryStatus: progress of an accepted page, as the provider reports it.
    "queued": ("送信待ち", "queued"),
    "ringing": ("呼出中", "ringing"),
    "in_progress": ("通話中", "in progress"),
    "delivered": ("配信済", "delivered"),
    "opened": ("開封", "opened"),
    "completed": ("通話終了", "call ended"),
}

ATTEMPT: dict[str, Pair] = {
    # PageRecord.outcome: what came of one page.
    "acknowledged": ("応答あり", "acknowledged"),
    "failed": ("失敗", "failed"),
    "timed_out": ("応答期限切れ", "timed out"),
    "cancelled": ("呼び出し終了", "stopped"),
    "pending": ("応答待ち", "waiting"),
}

LEVEL: dict[str, Pair] = {
    # LevelStatus.
    "waiting": ("開始前", "waiting"),
    "running": ("実施中", "running"),
    "satisfied": ("充足", "satisfied"),
    "exhausted": ("不足", "not satisfied"),
}

TREE: dict[str, Pair] = {
    # TreeStatus, and how a completed tree came out.
    "waiting": ("開始前", "waiting"),
    "running": ("実施中", "running"),
    "completed": ("完了", "completed"),
    "satisfied": ("全段充足", "every level satisfied"),
    "not_satisfied": ("不足の段あり", "a level not satisfied"),
}

SITE: dict[str, Pair] = {
    # A site (拠点): reached when one of its contacts acknowledged in time.
    "waiting": ("未連絡", "not yet reached"),
    "reached": ("連絡済", "reached"),
    "all": ("全員応答", "everyone acknowledged"),
    "not_reached": ("未達", "not reached"),
}

TARGET: dict[str, Pair] = {
    # TargetOutcome.status.
    "met": ("達成", "met"),
    "missed": ("未達成", "missed"),
    "open": ("計測中", "open"),
}

DRILL: dict[str, Pair] = {
    # DrillOutcome and DrillStatus: how a drill went, or where it stands.
    "not_started": ("開始前", "not started"),
    "running": ("実施中", "running"),
    "paused": ("一時停止中", "paused"),
    "completed": ("完了", "completed"),
    "finished": ("実施者が終了", "finished by the operator"),
    "idle": ("完了", "completed"),
    "failed": ("失敗（送信できず）", "failed (nothing delivered)"),
    "aborted": ("中止", "aborted"),
    "interrupted": ("中断（未再開）", "interrupted (not resumed)"),
}

STEP: dict[str, Pair] = {
    # A playbook step, as the report judges it.
    "on_time": ("期限内", "on time"),
    "late": ("遅延", "late"),
    "missed": ("未実施（期限超過）", "missed"),
    "not_done": ("未実施", "not done"),
}

MODE: dict[str, Pair] = {
    # DrillMode.
    "drill": ("訓練", "drill"),
    "incident": ("実対応", "real incident"),
    "simulated": ("模擬", "simulated"),
}
