"""The words of status updates (第N報): the console's dialog and board, the CLI, the report,
and the sentences of the update events (`drill.words.sentences` takes them from here)."""

from __future__ import annotations

__all__ = ["UPDATES", "UPDATE_KIND", "UPDATE_SENTENCES", "update_title"]

Pair = tuple[str, str]

UPDATE_KIND: dict[str, Pair] = {
    "first": ("第1報", "first update"),
    "followup": ("続報", "follow-up"),
    "final": ("最終報", "final update"),
}
"""The kinds of update, as people call them."""

UPDATES: dict[str, Pair] = {
    # (ja, en)
    "title": ("状況報告（第N報）", "Status update"),
    "dialog_title": ("第{number}報を送る", "Send update {number}"),
    "kind": ("種類", "Kind"),
    "audience": ("送り先", "To"),
    "audience:reached": ("応答済みの全員", "Everyone reached"),
    "audience:agency": ("関係機関", "Outside agencies"),
    "audience:tree": ("連絡網: {name}", "Tree: {name}"),
    "audience:level": ("階層: {name}", "Level: {name}"),
    "text": ("本文", "Text"),
    "text_placeholder": (
        "何が起きたか、何をしているか、次の報告の予定",
        "What happened, what is being done, when the next update comes",
    ),
    "preview": ("送信文の例（{person}あて）", "Preview (to {person})"),
    "preview_nobody": ("送り先がいません", "Nobody to send it to"),
    "send": ("送信", "Send"),
    "cancel": ("取消", "Cancel"),
    "empty": ("本文を入力してください。", "Write the update first."),
    "sent": (
        "第{number}報を送信しました（{count} 人）。",
        "Update {number} sent ({count} people).",
    ),
    "board_line": (
        "第{number}報 {kind} {time}  応答 {acked}/{total}",
        "Update {number} {kind} {time}  acknowledged {acked}/{total}",
    ),
    "none": ("状況報告はまだありません。", "No status update yet."),
    "section": ("状況報告（第N報）", "Status updates"),
    "number": ("報", "No."),
    "issued_at": ("送信時刻", "Sent at"),
    "by": ("送信者", "By"),
    "recipients": ("送信先", "Sent to"),
    "acknowledged": ("応答", "Acknowledged"),
    "not_acknowledged": ("未応答", "Not acknowledged"),
    "median": ("応答までの時間（中央値）", "Time to acknowledge (median)"),
    "slowest": ("最も遅い応答", "Slowest"),
    "person": ("氏名", "Person"),
    "channel": ("連絡手段", "Channel"),
    "ack_time": ("応答時刻", "Acknowledged at"),
    "after": ("送信から", "After"),
    "text_column": ("本文（1行目）", "Text (first line)"),
    "cli_done": (
        "第{number}報（{kind}）を {count} 人に送信しました。",
        "Update {number} ({kind}) sent to {count} people.",
    ),
}


def update_title(number: int, kind: str, lang: str) -> str:
    """第2報 / 最終報（第3報）, or "update 2" / "final update (3)"."""
    if lang == "en":
        return f"final update ({number})" if kind == "final" else f"update {number}"
    return f"最終報（第{number}報）" if kind == "final" else f"第{number}報"


UPDATE_SENTENCES: dict[str, dict[str, Pair]] = {
    "UpdateIssued": {
        "": (
            "{title}を送信（{by}、{count} 人）: {text}",
            "{title} sent ({by}, {count} people): {text}",
        )
    },
    "UpdateQueued": {
        "": ("第{number}報を {name} に送信（{channel}）", "Update {number} to {name} ({channel})")
    },
    "UpdateSent": {
        "accepted": ("第{number}報: {name} に送信済み", "Update {number}: sent to {name}"),
        "failed": (
            "第{number}報: {name} に送れませんでした（{reason}）",
            "Update {number}: not sent to {name} ({reason})",
        ),
    },
    "UpdateAcknowledged": {
        "": (
            "第{number}報 応答: {name}（{channel}）",
            "Update {number} acknowledged: {name} ({channel})",
        ),
        "again": (
            "第{number}報 応答（2回目以降）: {name}（{channel}）",
            "Update {number} acknowledged again: {name} ({channel})",
        ),
    },
}
"""One sentence per update event (see `drill.words.sentences`)."""
