"""The words of who is in charge (責任者) and of handing over (引き継ぎ), and of holidays in
duty rotas (祝日の当番): the board's line and dialog, the new officer's at-a-glance view,
`drillkit handover`, the report's chain of officers, and `drillkit oncall`'s holiday notes.
"""

from __future__ import annotations

__all__ = ["HANDOVER", "HANDOVER_SENTENCE", "HOLIDAY", "handover_word"]

Pair = tuple[str, str]

HANDOVER_SENTENCE: dict[str, Pair] = {
    # The sentence of the `HandedOver` event (the console's log, the CLI's progress, the
    # report's timeline).
    "": (
        "責任者の交代: {from_officer} → {to_officer}",
        "Handover: {from_officer} → {to_officer}",
    ),
    "note": (
        "責任者の交代: {from_officer} → {to_officer}（{note}）",
        "Handover: {from_officer} → {to_officer} ({note})",
    ),
    "by": (
        "責任者の交代: {from_officer} → {to_officer}（入力: {by}）",
        "Handover: {from_officer} → {to_officer} (entered by {by})",
    ),
    "by_note": (
        "責任者の交代: {from_officer} → {to_officer}（入力: {by}）: {note}",
        "Handover: {from_officer} → {to_officer} (entered by {by}): {note}",
    ),
}

HANDOVER: dict[str, Pair] = {
    # (ja, en)
    "nobody": ("（未設定）", "(not named)"),
    "in_charge": ("責任者: {name}（{since} から）", "In charge: {name} (since {since})"),
    # the dialog
    "dialog_title": ("責任者の交代", "Hand over the charge of the drill"),
    "dialog_current": ("現在の責任者: {name}", "Now in charge: {name}"),
    "dialog_to": ("新しい責任者（氏名）", "Hand over to (name)"),
    "dialog_note": ("申し送り（任意）", "Note for the new officer (optional)"),
    "dialog_by": ("入力者", "Entered by"),
    "dialog_ok": ("交代する", "Hand over"),
    "dialog_cancel": ("取消", "Cancel"),
    "dialog_need_to": ("新しい責任者の氏名を入力してください。", "Name who takes charge."),
    "dialog_same": ("{name} はすでに責任者です。", "{name} is already in charge."),
    "done": ("責任者を {name} に交代しました。", "Handed over to {name}."),
    # the at-a-glance view
    "glance_title": ("引き継ぎ事項（{name}）", "At a glance for {name}"),
    "glance_chain": ("これまでの責任者", "Officers in charge"),
    "glance_steps": ("未了の手順", "Open playbook steps"),
    "glance_no_steps": ("未了の手順はありません。", "No open playbook step."),
    "glance_overdue": ("期限超過 {time}", "overdue by {time}"),
    "glance_due_in": ("残り {time}", "{time} left"),
    "glance_no_target": ("目標時間なし", "no target"),
    "glance_pages": ("応答待ちの呼び出し", "Pages still waiting"),
    "glance_no_pages": ("応答待ちの人はいません。", "Nobody is still being called."),
    "glance_calling": (
        "{name}（{role}）{channel} で呼び出し中",
        "{name} ({role}): calling by {channel}",
    ),
    "glance_more": ("ほか {count} 件", "and {count} more"),
    "glance_notes": ("メモ", "Notes"),
    "glance_no_notes": ("メモはありません。", "No notes."),
    "glance_updates": ("最近の経過", "Latest updates"),
    "glance_close": ("閉じる: Esc", "Close: Esc"),
    # `drillkit handover`
    "cli_done": (
        "訓練 {drill_id} の責任者を {from_officer} から {to_officer} に交代しました（記録 {seq}）。",
        "Drill {drill_id}: handed over from {from_officer} to {to_officer} (event {seq}).",
    ),
    "cli_no_drill": (
        "イベントストア {where} に訓練 {drill_id} はありません。`drillkit drills` で訓練IDを"
        "確認してください。",
        "There is no drill {drill_id!r} in {where}. `drillkit drills` lists the drills.",
    ),
    "cli_ended": (
        "訓練 {drill_id} はすでに終わっています。終わった訓練の責任者は交代できません。",
        "Drill {drill_id} has already ended: its charge cannot be handed over.",
    ),
    "cli_same": (
        "{name} はすでに訓練 {drill_id} の責任者です。新しい責任者を --to で指定してください。",
        "{name} is already in charge of drill {drill_id}. Give someone else with --to.",
    ),
    "cli_empty": (
        "新しい責任者の氏名が空です。--to で氏名を指定してください。",
        "--to is empty: give the name of who takes charge.",
    ),
    # the report
    "report_title": ("責任者と交代", "Officers in charge and handovers"),
    "report_officer": ("責任者", "Officer in charge"),
    "report_since": ("開始", "Since"),
    "report_until": ("終了", "Until"),
    "report_how": ("経緯", "How"),
    "report_note": ("申し送り", "Note"),
    "report_started": ("訓練を開始", "started the drill"),
    "report_from": ("{name} から交代", "took over from {name}"),
    "report_from_by": (
        "{name} から交代（入力: {by}）",
        "took over from {name} (entered by {by})",
    ),
    "report_end": ("終了まで", "to the end"),
}

HOLIDAY: dict[str, Pair] = {
    # `drillkit oncall`: a rota on a public holiday.
    "holiday_duty": ("{name}の休日当番", "holiday duty: {name}"),
    "deferred": ("{name}のため延期", "moved past {name}"),
}


def handover_word(key: str, lang: str, **values: object) -> str:
    """One of the words above (`HANDOVER`, then `HOLIDAY`) in `lang`, filled in."""
    pair = HANDOVER.get(key) or HOLIDAY[key]
    return pair[1 if lang == "en" else 0].format(**values)
