"""The report's own words: headings, column titles and notes of every report format.

These are the report's furniture, not the drill's vocabulary (that is `terms.py`): the
renderers (HTML, Markdown, CSV, PDF, the paper contact tree) look them up through
`Words.__call__`, so every format says the same thing the same way.
"""

from __future__ import annotations

from drill.words.terms import LEVEL, MODE, SITE, TARGET

__all__ = ["LABELS"]


def _capital(pair: tuple[str, str]) -> tuple[str, str]:
    return pair[0], pair[1][:1].upper() + pair[1][1:]


LABELS: dict[str, tuple[str, str]] = {
    # (ja, en)
    "report_title": ("緊急時連絡網 訓練報告書", "Contact tree drill report"),
    "incident_report_title": ("緊急時対応 記録報告書", "Incident response report"),
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
    "summary": ("概要", "Summary"),
    "targets": ("目標", "Targets"),
    "target": ("目標", "Target"),
    "actual": ("実績", "Actual"),
    "result": ("判定", "Result"),
    "margin": ("差", "Margin"),
    "nagasaki": ("長崎市の訓練との比較", "Compared with Nagasaki City's drill"),
    "nagasaki_ref": (
        "参考：長崎市の訓練は全体で約50分、全地域センターへの連絡は約10分",
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
    "must_each": ("必ず応答", "each must answer"),
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
    "head_signature": ("末尾ハッシュの署名", "Signature of the head"),
    "head_unsigned": (
        "署名なし（署名鍵が設定されていません）",
        "not signed (no anchor key is configured)",
    ),
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
        "呼び出しの経過：手段・時刻・結果。代理者への呼び出しは氏名を付けて示します。",
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
    "trees_not_satisfied": (
        "未達（必要な応答数に達しない段あり）",
        "not reached (a level lacked acknowledgements)",
    ),
    "late_count": ("遅れて応答 {n}", "{n} late"),
    # The live board (the console and `drillkit watch`): who runs the drill, who watches.
    "run_by": ("実行: {who}", "Run by {who}"),
    "run_by_nobody": ("実行中のエンジンなし", "No engine is running it"),
    "watching": ("監視: {who}", "Watching: {who}"),
    # The sign-off block (issue 15): who conducted, reviewed and approved the report.
    "scenario_id": ("シナリオID", "Scenario id"),
    "signoff": ("実施・確認・承認", "Sign-off"),
    "signoff_role": ("区分", "Role"),
    "signoff_name": ("氏名", "Name"),
    "signoff_date": ("日付", "Date"),
    "signoff_seal": ("印", "Signature"),
    "signoff_operator": ("実施者", "Conducted by"),
    "signoff_reviewer": ("確認者", "Reviewed by"),
    "signoff_approver": ("承認", "Approved by"),
    "signoff_date_blank": ("令和　　年　　月　　日", "____-__-__"),
    "signoff_head": ("記録の末尾ハッシュ", "Head hash of the records"),
    "signoff_signature": ("末尾ハッシュへの電子署名", "Signature over the head hash"),
    "signoff_unsigned": ("（未署名）", "(not signed)"),
    "signoff_note": (
        "署名の前に、{command} が示す末尾ハッシュがこの欄のものと一致することを確認してください。",
        "Before signing, check that {command} prints the same head hash.",
    ),
    # Rehearsals and benchmarks (issue 15): a simulated run is a rehearsal, never proof.
    "rehearsal": ("予行", "rehearsal"),
    "rehearsal_simulated": ("予行（模擬の応答者）", "rehearsal (simulated people)"),
    "rehearsal_sandbox": ("予行（ローカルの模擬環境）", "rehearsal (local sandbox)"),
    "real_channels": ("実際の連絡手段", "real channels"),
    "benchmark_playbook": (
        "対応手順の目標時間との比較",
        "Compared with the playbook's target times",
    ),
    "benchmark_playbook_line": (
        "目標時間のある手順 {steps}件のうち、期限内 {on_time}件・遅れ {late}件・"
        "未完了 {not_done}件（最後の手順の目標 {last}）",
        "Of {steps} steps with a target time: {on_time} on time, {late} late, "
        "{not_done} not done (the last step is due at {last})",
    ),
    "centres_some": (
        "対象外（このシナリオで連絡する支所は {n} か所）",
        "not measured (this scenario pages {n} of the centres)",
    ),
    "benchmark_no_steps": (
        "この対応手順には目標時間のある手順がありません。",
        "This playbook has no step with a target time.",
    ),
    # Terms of the drill's vocabulary that the report also uses as labels: one spelling.
    "drill": _capital(MODE["drill"]),
    "incident": _capital(MODE["incident"]),
    "simulated": _capital(MODE["simulated"]),
    "met": TARGET["met"],
    "missed": TARGET["missed"],
    "satisfied": LEVEL["satisfied"],
    "not_satisfied": LEVEL["exhausted"],
    "not_reached": SITE["not_reached"],
}
