"""The words of paging now (今すぐ呼出) and of marking someone away (不在) from the console.

`PAGE` holds the console's and `drillkit page`'s words; `PAGE_SENTENCES` the sentences of
the events these actions record (merged into `drill.words.sentences.SENTENCES`);
`ABSENCE_REASONS` the reasons the console offers for being away.
"""

from __future__ import annotations

__all__ = ["ABSENCE_REASONS", "PAGE", "PAGE_SENTENCES", "absence_reason"]

ABSENCE_REASONS: dict[str, tuple[str, str]] = {
    # The word recorded (the plan's words are Japanese too): (ja, en) as shown.
    "休暇": ("休暇", "leave"),
    "出張": ("出張", "business trip"),
    "異動": ("異動", "transfer"),
    "その他": ("その他", "other"),
}


def absence_reason(word: str, lang: str) -> str:
    """A reason for being away, in `lang` (a word of the plan's own is shown as it is)."""
    pair = ABSENCE_REASONS.get(word)
    if pair is None:
        return word
    return pair[1] if lang == "en" else pair[0]


PAGE: dict[str, tuple[str, str]] = {
    # (ja, en)
    "key.page": ("今すぐ呼出", "Page now"),
    "key.away": ("不在に設定", "Mark away"),
    "title": ("今すぐ呼出", "Page now"),
    "help": (
        "氏名・役割で検索して選ぶか、連絡網にない人の氏名と電話番号・メールを入力します。",
        "Search a person or role, or enter someone not in the plan: name, number, address.",
    ),
    "search": ("氏名・役割で検索", "Search people and roles"),
    "adhoc": ("連絡網にない人（臨時）", "Someone not in the plan (ad hoc)"),
    "adhoc_name": ("氏名", "Name"),
    "adhoc_phone": ("電話番号", "Phone number"),
    "adhoc_email": ("メールアドレス", "E-mail address"),
    "unanswered": ("未応答の全員を再呼出", "Page everyone not answered again"),
    "by": ("実施者", "By"),
    "go": ("呼び出す", "Page"),
    "cancel": ("取消", "Cancel"),
    "person": ("{name}（人）", "{name} (person)"),
    "role": ("{name}（役割の担当者）", "{name} (role holder)"),
    "need_target": (
        "呼び出す人か役割を選ぶか、臨時の連絡先を入力してください。",
        "Choose a person or role, or enter an ad hoc contact.",
    ),
    "need_by": ("実施者の名前を入力してください。", "Enter your name."),
    "need_adhoc": (
        "臨時の連絡先には氏名と、電話番号またはメールアドレスが必要です。",
        "An ad hoc contact needs a name and a number or an address.",
    ),
    "done": ("呼び出しました: {name}（{pages} 件）", "Paged: {name} ({pages} page(s))"),
    "done_unanswered": (
        "未応答の {people} 人を再呼出しました（{pages} 件）",
        "Paged {people} not answered again ({pages} page(s))",
    ),
    "away_title": ("不在に設定", "Mark away"),
    "away_help": (
        "選んだ人をこの時刻まで呼び出さず、代理者へ進みます。",
        "Until then, this person is passed over to their deputy.",
    ),
    "away_person": ("対象者", "Person"),
    "away_reason": ("理由", "Reason"),
    "away_until": ("戻る時刻（空欄なら訓練終了まで）", "Back at (empty: until the drill ends)"),
    "away_until_bad": (
        "戻る時刻は 17:30 のように入力してください。",
        "Write the time they are back like 17:30.",
    ),
    "away_go": ("不在にする", "Mark away"),
    "away_nobody": (
        "不在にする人がいません（連絡先を選んでください）。",
        "Choose a contact first.",
    ),
    "away_done": ("不在に設定しました: {name}（{reason}）", "Marked away: {name} ({reason})"),
    "away_marked": (
        "{name} は {until} 不在に設定されています（{reason}）。",
        "{name} is marked away {until} ({reason}).",
    ),
    "away_back": ("復帰させる", "Mark back"),
    "back_done": (
        "復帰させました: {name}（再び呼び出します）",
        "Marked back: {name} (paged again)",
    ),
    "cli_paged": (
        "{drill} で呼び出しました（{by}）: {name}",
        "Paged in {drill} ({by}): {name}",
    ),
    "cli_page_line": ("  {name}: {channel} {address}", "  {name}: {channel} {address}"),
    "cli_no_pages_yet": (
        "  （呼び出しはエンジンが送信中です。`drillkit watch {drill}` で確認できます）",
        "  (the engine is sending the pages; `drillkit watch {drill}` shows them)",
    ),
    "cli_choose_one": (
        "--person、--role、--name（と --phone/--email）、--unanswered のどれか一つを指定してください。",
        "Give exactly one of --person, --role, --name (with --phone/--email) or --unanswered.",
    ),
    "cli_not_running": (
        "訓練 {drill} は実行中ではありません（{why}）。呼び出しは実行中の訓練にだけできます。",
        "Drill {drill} is not running ({why}); pages can be sent only in a running drill.",
    ),
    "cli_no_drill": (
        "イベントストア {where} に訓練 {drill} はありません。`drillkit drills` で訓練IDを確認してください。",
        "There is no drill {drill!r} in {where}. `drillkit drills` lists the drills.",
    ),
    "cli_ended": ("終了済み", "it has ended"),
    "cli_no_engine": ("実行しているエンジンがありません", "no engine is running it"),
    # The report's section.
    "report_title": ("今すぐ呼出と不在の設定", "Pages ordered and people marked away"),
    "report_order": (
        "{at} {by}: {what}",
        "{at} {by}: {what}",
    ),
    "report_answer": ("{name}: 応答 {at}（{channel}）", "{name}: answered {at} ({channel})"),
    "report_no_answer": ("{name}: 応答なし", "{name}: no answer"),
    "report_away": (
        "{at} {by}: {name} を不在に設定（{reason}、{until}）",
        "{at} {by}: {name} marked away ({reason}, {until})",
    ),
    "report_until": ("{at} まで", "until {at}"),
    "report_until_end": ("訓練終了まで", "until the drill ends"),
    "report_back": ("{at} に復帰（{by}）", "back at {at} ({by})"),
    "report_rule": (
        "連絡網の外への呼び出しの応答は記録のみで、段・連絡網・目標の判定には数えません。",
        "Answers to pages outside the tree are recorded; no level, tree or target counts them.",
    ),
    "report_col_time": ("時刻", "Time"),
    "report_col_by": ("依頼者", "Asked by"),
    "report_col_what": ("内容", "What"),
    "report_col_answers": ("呼び出しと応答", "Pages and answers"),
    "report_col_person": ("対象者", "Person"),
    "report_col_reason": ("理由", "Reason"),
    "report_col_until": ("期間", "Until"),
    "report_col_skipped": ("代理者へ進んだ回数", "Times passed over"),
    "report_orders": ("今すぐ呼出（連絡網外）", "Pages ordered now (outside the tree)"),
    "report_marked": ("実施中に不在に設定された人", "People marked away during the drill"),
    "report_ad_hoc": ("（臨時）", " (ad hoc)"),
    "report_answer_again": (
        "{name}: 応答 {at}（{channel}、連絡網の連絡先として）",
        "{name}: answered {at} ({channel}, as a tree contact)",
    ),
    "report_failed": ("{name}: 失敗（{channel}）", "{name}: failed ({channel})"),
    "report_console": ("（{origin} から）", " (from {origin})"),
    "what_person": ("{name} を呼出", "paged {name}"),
    "what_role": ("{name} の担当者を呼出", "paged the holder of {name}"),
    "what_ad_hoc": ("臨時の連絡先 {name} を呼出（{points}）", "paged {name}, ad hoc ({points})"),
    "what_unanswered": ("未応答者を再呼出", "paged the unanswered again"),
}

PAGE_SENTENCES: dict[str, dict[str, tuple[str, str]]] = {
    "OperatorPaged": {
        "person": (
            "今すぐ呼出（{by}）: {name}（{pages} 件）",
            "Paged now ({by}): {name} ({pages} page(s))",
        ),
        "role": (
            "今すぐ呼出（{by}）: {name} の担当者（{pages} 件）",
            "Paged now ({by}): the holder of {name} ({pages} page(s))",
        ),
        "ad_hoc": (
            "臨時の連絡先を呼出（{by}）: {name}（{pages} 件）",
            "Paged an ad hoc contact ({by}): {name} ({pages} page(s))",
        ),
        "unanswered": (
            "未応答者を再呼出（{by}）: {people} 人（{pages} 件）",
            "Paged the unanswered again ({by}): {people} ({pages} page(s))",
        ),
    },
    "OutsidePageQueued": {
        "": ("今すぐ呼出: {name}（{channel}）", "Paging now: {name} ({channel})"),
        "ad_hoc": ("臨時の呼出: {name}（{channel}）", "Paging ad hoc: {name} ({channel})"),
    },
    "OutsideAcknowledged": {
        "": (
            "応答（連絡網外・記録のみ）: {name}（{how}）",
            "Answered (outside the tree, kept): {name} ({how})",
        ),
        "again": (
            "重ねて応答（連絡網外）: {name}（{how}）",
            "Answered again (outside the tree): {name} ({how})",
        ),
    },
    "PersonMarkedUnavailable": {
        "": (
            "不在に設定（{by}）: {name}（{reason}、{until} まで）",
            "Marked away ({by}): {name} ({reason}, until {until})",
        ),
        "open": (
            "不在に設定（{by}）: {name}（{reason}、訓練終了まで）",
            "Marked away ({by}): {name} ({reason}, until the drill ends)",
        ),
    },
    "PersonMarkedAvailable": {
        "": (
            "復帰（{by}）: {name}（不在を取り消し、再び呼び出します）",
            "Marked back ({by}): {name} (paged again from now)",
        ),
    },
}
