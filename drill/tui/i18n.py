"""The console's own words (screens, keys, dialogs), in Japanese and English, keyed by id.

The drill's vocabulary (contact statuses, reasons, channels, level, site and target
states, drill outcomes, one sentence per event) is not here: it is the one catalogue,
`drill.words`, which the report and the CLI speak too; `language()` says which of its
languages the console speaks.

Japanese is the default. `set_language("en")` switches every string looked up after it;
screens are recomposed when the user changes the setting. Plan text (`Text` models) is
shown with `pick`, which falls back to Japanese where the plan has no English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from drill.plan.models import Text

__all__ = ["CATALOGUE", "Language", "language", "pick", "set_language", "t"]

Language = Literal["ja", "en"]

_language: Language = "ja"

CATALOGUE: dict[str, tuple[str, str]] = {
    # -- the application ---------------------------------------------------------------
    "app.title": ("drillkit 緊急時連絡網コンソール", "drillkit emergency console"),
    "app.loading": ("計画を読み込んでいます…", "Loading the plan…"),
    "app.plan_failed": (
        "計画にエラーがあります。計画画面でエラーと直し方を確認してください。",
        "The plan has errors. The plan screen lists them and how to fix them.",
    ),
    "app.no_plan": (
        "計画を読み込めていないため、この画面は使えません。",
        "This screen needs a plan that loads without errors.",
    ),
    "app.language_now": ("表示言語: 日本語", "Language: English"),
    # -- keys (footer and help) --------------------------------------------------------
    "key.plan": ("計画", "Plan"),
    "key.contacts": ("連絡網", "Contacts"),
    "key.scenarios": ("シナリオ", "Scenarios"),
    "key.board": ("実行状況", "Live"),
    "key.history": ("履歴", "History"),
    "key.help": ("ヘルプ", "Help"),
    "key.quit": ("終了", "Quit"),
    "key.language": ("English", "日本語"),
    "key.palette": ("コマンド", "Commands"),
    "key.reveal": ("番号表示", "Numbers"),
    "key.search": ("検索", "Search"),
    "key.detail": ("詳細", "Details"),
    "key.expand": ("全て開く", "Expand all"),
    "key.drill": ("訓練開始", "Start drill"),
    "key.incident": ("実対応開始", "Real incident"),
    "key.ack": ("手動応答", "Manual ack"),
    "key.step": ("手順完了", "Complete step"),
    "key.note": ("メモ", "Note"),
    "key.pause": ("一時停止/再開", "Pause/resume"),
    "key.abort": ("中止", "Abort"),
    "key.take_over": ("引き継ぐ", "Take over"),
    "key.handover": ("責任者交代", "Hand over"),
    "key.filter": ("絞り込み", "Filter"),
    "key.close": ("閉じる", "Close"),
    "key.open": ("開く", "Open"),
    "key.refresh": ("再読込", "Refresh"),
    "key.follow": ("実行中を表示", "Follow live"),
    "key.report": ("報告書", "Report"),
    "key.focus": ("次の枠", "Next pane"),
    # -- palette -----------------------------------------------------------------------
    "cmd.plan": ("計画を表示", "Show the plan"),
    "cmd.plan.help": (
        "組織・版・承認日・目標・検査結果",
        "Organisation, version, targets, findings",
    ),
    "cmd.contacts": ("連絡網を表示", "Show the contact trees"),
    "cmd.contacts.help": ("連絡網・担当者・代理者・連絡手段", "Trees, holders, deputies, channels"),
    "cmd.scenarios": ("シナリオを表示", "Show the scenarios"),
    "cmd.scenarios.help": ("訓練または実対応として開始", "Start one as a drill or a real incident"),
    "cmd.board": ("実行状況を表示", "Show the live board"),
    "cmd.board.help": ("実行中の訓練・実対応", "The drill or incident in progress"),
    "cmd.history": ("履歴を表示", "Show the history"),
    "cmd.history.help": ("過去の訓練と実対応の記録", "Past drills and incidents"),
    "cmd.help": ("ヘルプ", "Help"),
    "cmd.help.help": ("キー操作と画面の説明", "Keys and screens"),
    "cmd.language": ("表示言語を切り替え (日本語/English)", "Switch language (日本語/English)"),
    "cmd.language.help": ("画面の表示言語", "The language of the console"),
    "cmd.quit": ("終了", "Quit"),
    "cmd.quit.help": ("コンソールを終了する", "Leave the console"),
    "cmd.reveal": ("電話番号の表示/伏せ字", "Show/mask phone numbers"),
    "cmd.reveal.help": ("連絡網と詳細の番号", "Numbers in the trees and details"),
    "cmd.search": ("連絡先を検索", "Search contacts"),
    "cmd.search.help": ("氏名・かな・役割・拠点", "Name, kana, role or site"),
    "cmd.drill": ("選択したシナリオを訓練として開始", "Start the selected scenario as a drill"),
    "cmd.drill.help": ("模擬の呼び出し、または実際の連絡手段", "Simulated or real channels"),
    "cmd.incident": (
        "選択したシナリオを実対応として開始",
        "Start the selected scenario as a real incident",
    ),
    "cmd.incident.help": (
        "実際に関係者へ連絡します（確認あり）",
        "Real people are called (asks first)",
    ),
    "cmd.ack": ("手動で応答を記録", "Record an acknowledgement by hand"),
    "cmd.ack.help": ("電話で伝え聞いた応答など", "A relayed phone call, for instance"),
    "cmd.step": ("手順を完了にする", "Complete a playbook step"),
    "cmd.step.help": ("対応手順のチェックリスト", "The playbook checklist"),
    "cmd.note": ("メモを追加", "Add a note"),
    "cmd.note.help": ("記録に残るメモ", "A note kept in the record"),
    "cmd.pause": ("一時停止/再開", "Pause or resume"),
    "cmd.pause.help": ("呼び出しとタイマーを止める/再開する", "Stop or restart paging and timers"),
    "cmd.abort": ("中止", "Abort"),
    "cmd.abort.help": ("理由を記録して中止する", "Stop, with a reason, after confirming"),
    "cmd.filter": ("連絡状況の絞り込み", "Filter the contact table"),
    "cmd.filter.help": ("すべて / 未応答 / 問題あり", "All / pending / problems"),
    "cmd.history_open": ("選択した記録を開く", "Open the selected record"),
    "cmd.history_open.help": ("経過と結果", "Its timeline and summary"),
    "cmd.report": ("報告書を作成", "Render the report"),
    "cmd.report.help": ("選択した記録の報告書", "For the selected record"),
    # -- plan screen -------------------------------------------------------------------
    "plan.title": ("計画", "Plan"),
    "plan.organisation": ("組織", "Organisation"),
    "plan.plan_title": ("計画書", "Plan"),
    "plan.version": ("版", "Version"),
    "plan.approved": ("承認日", "Approved on"),
    "plan.approved_by": ("承認者", "Approved by"),
    "plan.directory": ("場所", "Directory"),
    "plan.bundled": ("同梱のサンプル計画", "the bundled sample plan"),
    "plan.sample": (
        "サンプル計画: 実際の電話・SMS・メール事業者では送信できません",
        "Sample plan: it can never be sent through a real provider",
    ),
    "plan.counts": ("規模", "Size"),
    "plan.people": ("人数", "People"),
    "plan.roles": ("役割", "Roles"),
    "plan.no_deputy": ("代理者のいない役割", "Roles without a deputy"),
    "plan.agencies": ("庁外関係機関", "Outside agencies"),
    "plan.sites": ("拠点", "Sites"),
    "plan.centres": ("うち支所", "of them regional centres"),
    "plan.trees": ("連絡網", "Contact trees"),
    "plan.scenarios": ("シナリオ", "Scenarios"),
    "plan.playbooks": ("対応手順", "Playbooks"),
    "plan.targets": ("目標", "Targets"),
    "plan.target_within": ("{minutes}分以内", "within {minutes} min"),
    "plan.findings": ("検査結果", "Findings"),
    "plan.no_findings": ("指摘はありません。", "No findings."),
    "plan.errors_head": (
        "計画にエラーが {count} 件あります。直すまで訓練は開始できません。",
        "The plan has {count} errors. No drill can start until they are fixed.",
    ),
    "plan.errors_head.one": (
        "計画にエラーが 1 件あります。直すまで訓練は開始できません。",
        "The plan has 1 error. No drill can start until it is fixed.",
    ),
    "plan.warnings_head": ("注意 {count} 件", "{count} warnings"),
    "plan.warnings_head.one": ("注意 1 件", "1 warning"),
    "plan.fix": ("直し方", "Fix"),
    "plan.where": ("場所", "Where"),
    "plan.col.severity": ("種別", "Severity"),
    "plan.col.code": ("コード", "Code"),
    "plan.col.where": ("場所", "Where"),
    "plan.col.message": ("内容と直し方", "Problem and fix"),
    "severity.error": ("エラー", "error"),
    "severity.warning": ("注意", "warning"),
    "severity.info": ("情報", "info"),
    # -- contacts screen ---------------------------------------------------------------
    "contacts.title": ("連絡網", "Contact trees"),
    "contacts.search": ("氏名・かな・役割・拠点で検索", "Search name, kana, role or site"),
    "contacts.results": ("{count} 件", "{count} matches"),
    "contacts.results.one": ("1 件", "1 match"),
    "contacts.no_results": ("該当なし", "No match"),
    "contacts.masked": ("番号は伏せ字です (n で表示)", "Numbers are masked (n shows them)"),
    "contacts.revealed": ("番号を表示中 (n で伏せ字)", "Numbers shown (n masks them)"),
    "contacts.internal": ("庁内", "internal"),
    "contacts.external": ("庁外", "external"),
    "contacts.level": ("第{number}段", "Level {number}"),
    "contacts.parallel": ("同時", "all at once"),
    "contacts.sequential": ("順番", "one by one"),
    "contacts.required_all": ("全員の応答", "everyone must answer"),
    "contacts.required_any": ("誰か1人の応答", "anyone may answer"),
    "contacts.required_n": ("{count}人の応答", "{count} must answer"),
    "contacts.timeout": ("{minutes}分で次へ", "next after {minutes} min"),
    "contacts.holder": ("担当", "holder"),
    "contacts.rota": ("輪番", "rota"),
    "contacts.deputy": ("代理{number}", "deputy {number}"),
    "contacts.vacant": ("空席", "vacant"),
    "contacts.agency": ("関係機関", "agency"),
    "contacts.pick": ("人を選ぶと詳細を表示します。", "Select a person to see their details."),
    "detail.kana": ("よみ", "Reading"),
    "detail.site": ("拠点", "Site"),
    "detail.language": ("言語", "Language"),
    "detail.note": ("備考", "Note"),
    "detail.channels": ("連絡手段", "Channels"),
    "detail.roles": ("担当する役割", "Holds"),
    "detail.deputy_for": ("代理者を務める役割", "Deputy for"),
    "detail.trees": ("呼び出される連絡網", "Paged by"),
    "detail.acks": ("最近の訓練での応答", "Recent acknowledgements"),
    "detail.acks_none": ("記録はありません", "None recorded"),
    "detail.acks_loading": ("記録を読み込み中…", "Reading the records…"),
    "detail.ack_line": (
        "{date} {scenario}: {minutes} ({channel})",
        "{date} {scenario}: {minutes} ({channel})",
    ),
    "detail.no_ack_line": ("{date} {scenario}: 応答なし", "{date} {scenario}: no answer"),
    "detail.none": ("なし", "none"),
    # -- scenarios screen --------------------------------------------------------------
    "scenarios.title": ("シナリオ", "Scenarios"),
    "scenarios.kind.drill": ("訓練", "drill"),
    "scenarios.kind.incident": ("実対応", "incident"),
    "scenarios.col.kind": ("種類", "Kind"),
    "scenarios.col.title": ("シナリオ", "Scenario"),
    "scenarios.col.trees": ("連絡網", "Trees"),
    "scenarios.col.injects": ("付与", "Injects"),
    "scenarios.col.steps": ("手順", "Steps"),
    "scenarios.description": ("概要", "Description"),
    "scenarios.injects": ("状況付与", "Injects"),
    "scenarios.playbook": ("対応手順", "Playbook"),
    "scenarios.targets": ("目標", "Targets"),
    "scenarios.checklist": ("自己点検項目", "Checklist items"),
    "scenarios.agencies": ("必要な関係機関", "Agencies needed"),
    "scenarios.none": ("なし", "none"),
    "list.sep": ("、", ", "),
    "agency.prefecture": ("都道府県", "the prefecture"),
    "agency.jlis": ("J-LIS", "J-LIS"),
    "agency.ministry": ("総務省", "the ministry"),
    "agency.vendor": ("保守業者", "the vendor"),
    "agency.police": ("警察", "the police"),
    "agency.regulator": ("個人情報保護委員会", "the data-protection regulator"),
    "scenarios.minute": ("開始{minutes}分後", "T+{minutes} min"),
    "scenarios.step_line": ("{title}（{owner}、{minutes}分）", "{title} ({owner}, {minutes} min)"),
    "scenarios.running": (
        "実行中の訓練があります。実行状況画面 (4) で確認してください。",
        "A run is in progress: see the live board (4).",
    ),
    # -- start dialogs -----------------------------------------------------------------
    "start.title": ("訓練の開始", "Start a drill"),
    "start.scenario": ("シナリオ", "Scenario"),
    "start.channels": ("連絡手段", "Channels"),
    "start.simulated": ("模擬（誰にも連絡しません）", "Simulated (nobody is called)"),
    "start.real": ("実際の連絡手段（【訓練】と明記して送信）", "Real channels (marked [DRILL])"),
    "start.real_unavailable": (
        "実際の連絡手段はまだ使えません（設定または事業者の接続が未整備）。",
        "Real channels are not available (not configured or not installed).",
    ),
    "start.speed": ("時間の進み方", "Clock"),
    "start.speed_real": ("実時間", "real time"),
    "start.speed_fast": ("60倍速（模擬・サンドボックスのみ）", "60× (simulated or sandbox only)"),
    "start.real_clock_only": (
        "実際の連絡手段は実時間でしか使えません。速く進めると、実在の人への呼び出しや代理への"
        "切り替えが計画より早く行われ、記録される時刻も実際と違ってしまいます。"
        "「実時間」を選ぶか、速く試すなら「模擬」を選んでください。",
        "Real channels run on the real clock only: faster, real people would be paged and "
        "escalated sooner than the plan says, and the record would show invented times. "
        "Choose real time, or simulated people to rehearse faster.",
    ),
    "start.go": ("開始", "Start"),
    "start.cancel": ("やめる", "Cancel"),
    "start.mode": ("実施の方法", "How to run it"),
    "start.sandbox": (
        "サンドボックス（この機械の中だけで送受信）",
        "Sandbox (sent and answered on this machine only)",
    ),
    "start.speed_10": ("10倍速", "10×"),
    "start.speed_60": ("60倍速", "60×"),
    "start.speed_120": ("120倍速", "120×"),
    "start.speed_max": ("最速", "fastest"),
    "start.choose": (
        "実施の方法と時間の進み方を、それぞれ選んでください。",
        "Choose how to run it and how fast the clock goes.",
    ),
    "start.fastest_simulated_only": (
        "「最速」は模擬でだけ使えます。サンドボックスでは10倍速・60倍速・120倍速から選んでください。",
        "'Fastest' is for simulated people only; the sandbox goes 10×, 60× or 120×.",
    ),
    "start.confirm_real": (
        "実際の連絡手段で、連絡網の人に本当に電話・SMS・メールを送ります（【訓練】と明記）。"
        "よろしければ「実際に連絡して開始」を押してください。",
        "Real people on the contact tree will be called, texted and e-mailed (marked "
        "[DRILL]). Press 'Page real people' to start.",
    ),
    "start.go_real": ("実際に連絡して開始", "Page real people"),
    "incident.title": (
        "実対応の開始 — 本当に連絡します",
        "Start a REAL incident — real people will be called",
    ),
    "incident.warning": (
        "これは訓練ではありません。連絡網の全員に、実際に電話・SMS・メールで連絡します。"
        "送信するメッセージには「訓練」の表示が付きません。受け取った人は本物の緊急事態として行動します。",
        "This is not a drill. Everyone in the contact trees will really be called, texted and e-mailed. "
        'The messages will NOT say "drill": the people who receive them will act on a real emergency.',
    ),
    "incident.scenario": ("シナリオ: {title}", "Scenario: {title}"),
    "incident.people": ("連絡する人数: {count} 人", "People who may be called: {count}"),
    "incident.type": (
        "続けるには、組織名「{word}」をそのまま入力してください。",
        "To go on, type the organisation's name exactly: {word}",
    ),
    "incident.go": ("実対応を開始する", "Start the real incident"),
    "incident.mismatch": ("組織名が一致しません。", "That is not the organisation's name."),
    "incident.sample": (
        "サンプル計画は実対応に使えません。自分の組織の計画を読み込んでください。",
        "The sample plan cannot be used for a real incident. Open your organisation's plan.",
    ),
    "incident.no_channels": (
        "実際の連絡手段が使えないため、実対応は開始できません。",
        "Real channels are not available, so a real incident cannot be started.",
    ),
    # -- live board --------------------------------------------------------------------
    "board.title": ("実行状況", "Live board"),
    "board.idle": (
        "実行中の訓練はありません。シナリオ画面 (3) で開始します。",
        "Nothing is running. Start a scenario from the scenarios screen (3).",
    ),
    "board.elapsed": ("経過時間", "Elapsed"),
    "board.mode.drill": ("訓練", "DRILL"),
    "board.mode.incident": ("実対応", "REAL INCIDENT"),
    "board.simulated": ("模擬", "simulated"),
    "board.progress": ("進捗", "Progress"),
    "board.progress_line": (
        "{ack} {acked} / 未了 {pending} / {unreached} {failed}",
        "{ack} {acked} / pending {pending} / {unreached} {failed}",
    ),
    "board.counts_acked": ("{word} {acked}/{total}人", "{acked}/{total} {word}"),
    "board.counts_n": ("{word} {count}", "{count} {word}"),
    "board.counts_steps": ("手順 {done}/{steps}", "steps {done}/{steps}"),
    "board.counts_sep": ("・", " · "),
    "board.contacts": ("連絡状況", "Contacts"),
    "board.injects": ("状況付与", "Injects"),
    "board.playbook": ("対応手順", "Playbook"),
    "board.log": ("記録", "Event log"),
    "board.filter.all": ("すべて", "all"),
    "board.filter.pending": ("未応答", "pending"),
    "board.filter.problems": ("問題あり", "problems"),
    "board.filter_label": ("表示: {name}", "Showing: {name}"),
    "board.col.name": ("氏名", "Name"),
    "board.col.role": ("役割", "Role"),
    "board.col.site": ("拠点", "Site"),
    "board.col.level": ("段", "Lv"),
    "board.col.state": ("状態", "State"),
    "board.col.detail": ("詳細", "Detail"),
    "board.step.pending": ("未了", "to do"),
    "board.step.done": ("完了", "done"),
    "board.step.late": ("遅れ", "late"),
    "board.step.due_in": ("残り {minutes}", "{minutes} left"),
    "board.step.overdue": ("{minutes}超過", "{minutes} over"),
    "board.step.done_at": ("経過 {time}で完了", "done at elapsed {time}"),
    # Times within a run: always said whether they count up or down (never "+05:12").
    "time.elapsed": ("経過 {time}", "elapsed {time}"),
    "time.elapsed_label": ("経過", "elapsed"),
    "time.remaining": ("残り {time}", "{time} left"),
    "time.response": ("応答まで {time}", "answered after {time}"),
    "time.at_minute": ("開始{minutes}分", "at {minutes} min"),
    "board.inject.pending": ("予定", "planned"),
    "board.summary": ("結果", "Summary"),
    "board.summary_line": (
        "{state}: {ack} {acked} 人 / 連絡対象 {total} 人、所要 {elapsed}",
        "{state}: {acked} of {total} {ack}, in {elapsed}",
    ),
    "board.report_at": ("報告書: {path}", "Report: {path}"),
    "board.report_none": ("報告書はまだ作成されていません。", "No report has been written yet."),
    "board.report_building": ("報告書を作成中…", "Writing the report…"),
    "board.targets": ("目標", "Targets"),
    "board.no_playbook": ("対応手順はありません。", "No playbook."),
    "detail.escalated_to": ("→ {name}", "→ {name}"),
    "detail.attempt": ("{channel} {attempt}回目", "{channel} try {attempt}"),
    "summary.contacts": ("連絡対象", "Contacts"),
    "summary.pages": ("呼び出し回数", "Pages"),
    "summary.escalations": ("代理者への切替", "Escalations"),
    "summary.duration": ("所要時間", "Duration"),
    "summary.steps": ("手順 完了/全体", "Steps done"),
    "summary.started": ("開始", "Started"),
    # -- operator dialogs --------------------------------------------------------------
    "ack.title": ("手動で応答を記録", "Record an acknowledgement by hand"),
    "ack.explain": (
        "電話で伝え聞いた応答などを記録します。記録は取り消せません。",
        "For an answer relayed by phone, for instance. The record cannot be undone.",
    ),
    "ack.who": ("連絡がついた人", "Who was reached"),
    "ack.filter": ("名前・よみ・役割で絞り込み", "Type to narrow: name, kana, role"),
    "ack.by": ("記録する人（あなた）", "Recorded by (you)"),
    "ack.when": ("応答した時刻 (HH:MM、空欄は今)", "When they answered (HH:MM, empty = now)"),
    "ack.bad_time": ("時刻は 03:15 のように入力してください。", "Write the time like 03:15."),
    "ack.need_who": ("連絡がついた人を選んでください。", "Choose who was reached."),
    "ack.need_by": ("記録する人の名前を入力してください。", "Enter your name."),
    "ack.future": ("未来の時刻は記録できません。", "That time is in the future."),
    "ack.nobody": ("応答待ちの人はいません。", "Nobody is waiting for an acknowledgement."),
    "ack.done": ("{name} の応答を記録しました。", "Acknowledgement of {name} recorded."),
    "step.title": ("手順を完了にする", "Complete a playbook step"),
    "step.which": ("完了した手順", "The step that is done"),
    "step.by": ("完了を記録する人", "Recorded by"),
    "step.none": ("未了の手順はありません。", "Every step is done."),
    "step.done": ("手順「{title}」を完了にしました。", 'Step "{title}" completed.'),
    "step.blocked": ("先に完了が必要: {steps}", "First complete: {steps}"),
    "note.title": ("メモを追加", "Add a note"),
    "note.text": ("メモ（記録に残ります）", "Note (kept in the record)"),
    "note.by": ("記入者", "Written by"),
    "note.need": ("メモを入力してください。", "Write the note."),
    "note.done": ("メモを記録しました。", "Note recorded."),
    "abort.title": ("中止", "Abort"),
    "abort.explain": (
        "呼び出しをすべて止め、中止として記録します。再開はできません。",
        "All paging stops and the run is recorded as aborted. It cannot be resumed.",
    ),
    "abort.reason": ("中止の理由", "Reason"),
    "abort.confirm": (
        "理由を入力し「中止する」を押してください。",
        "Enter a reason, then press Abort.",
    ),
    "abort.go": ("中止する", "Abort"),
    "abort.need": ("中止の理由を入力してください。", "Enter the reason."),
    "pause.paused": ("一時停止しました。", "Paused."),
    "pause.resumed": ("再開しました。", "Resumed."),
    "common.ok": ("OK", "OK"),
    "common.cancel": ("やめる", "Cancel"),
    "common.close": ("閉じる", "Close"),
    "common.save": ("記録する", "Record"),
    "common.none": ("—", "—"),
    "common.minutes": ("{minutes}分", "{minutes} min"),
    "common.unknown": ("不明", "unknown"),
    # -- quit and resume ---------------------------------------------------------------
    "quit.title": ("実行中です", "A run is in progress"),
    "quit.explain": (
        "終了する前に、中止するか、あとで再開できるように残すかを選んでください。",
        "Before leaving, abort it or leave it to be resumed later.",
    ),
    "quit.leave": ("残して終了（あとで再開）", "Leave it, resume later"),
    "quit.abort": ("中止して終了", "Abort and quit"),
    "quit.stay": ("戻る", "Stay"),
    "resume.title": ("中断した記録があります", "Interrupted runs found"),
    "resume.explain": (
        "前回、終了しないまま中断した訓練・実対応があります。再開しますか。",
        "These runs stopped without finishing. Resume one?",
    ),
    "resume.go": ("再開する", "Resume"),
    "resume.later": ("あとで", "Not now"),
    "resume.line": (
        "{started} {scenario}（{mode}、{events} 件）",
        "{started} {scenario} ({mode}, {events} events)",
    ),
    "resume.unavailable": (
        "この版では再開できません（実行エンジンが再開に対応していません）。記録は履歴画面で確認できます。",
        "This version cannot resume it (the engine does not support resuming). The history screen shows its record.",
    ),
    "resume.channels_sandbox": (
        "この記録はローカルのサンドボックスで行った訓練です。実際の連絡手段では再開しません。"
        "`drillkit resume {drill}` で再開してください（サンドボックスも起動します）。",
        "This run went to the local sandbox; it is not continued through real channels. "
        "Resume it with `drillkit resume {drill}` (which starts the sandbox again).",
    ),
    "resume.channels_real": (
        "この記録は実際の連絡手段で行った訓練・実対応です。サンドボックスでは再開しません。"
        "設定済みの連絡手段がある環境で `drillkit resume {drill}` を実行してください。",
        "This run went through real channels; it is not continued in the sandbox. Resume "
        "it with `drillkit resume {drill}` where the providers are configured.",
    ),
    "resume.other_plan": (
        "この記録は別の計画（{scenario}）のものです。その計画を開いてから再開してください。",
        "This run belongs to another plan ({scenario}); open that plan to resume it.",
    ),
    # -- history -----------------------------------------------------------------------
    "history.title": ("履歴", "History"),
    "history.loading": ("記録を読み込み中…", "Reading the records…"),
    "history.empty": ("記録はまだありません。", "No records yet."),
    "history.col.started": ("開始", "Started"),
    "history.col.scenario": ("シナリオ", "Scenario"),
    "history.col.mode": ("種類", "Kind"),
    "history.col.status": ("結果", "Outcome"),
    "history.col.events": ("件数", "Events"),
    "history.timeline": ("経過", "Timeline"),
    "history.summary": ("結果", "Summary"),
    "history.store": ("記録の保存先: {where}", "Records: {where}"),
    "history.pick": (
        "記録を選ぶと経過と結果を表示します。",
        "Select a record to see its timeline and summary.",
    ),
    "history.follow_hint": (
        "別の端末で実行中です。w でこの訓練の実行状況をライブで表示します。",
        "Another console runs it now: w follows it live on the board.",
    ),
    "history.report_written": ("報告書を作成しました: {path}", "Report written: {path}"),
    "history.report_unavailable": (
        "報告書の機能はこの版にはありません。結果は画面で確認できます。",
        "Reports are not available in this version; the summary is shown here.",
    ),
    # -- errors ------------------------------------------------------------------------
    "error.title": ("エラー", "Error"),
    "error.what_to_do": ("対処", "What to do"),
    "error.unexpected": (
        "予期しないエラーが起きました。実行中の訓練と記録は続いています。",
        "Something unexpected failed. The run and its record carry on.",
    ),
    "error.unexpected_do": (
        "この画面を閉じて続けてください。繰り返す場合は、下の内容を管理者に伝えてください。",
        "Close this and carry on. If it happens again, pass the text below to your administrator.",
    ),
    "error.more": (
        "ほかに {count} 件のエラーがありました（記録は続いています）。",
        "{count} more errors since (the record carries on).",
    ),
    "error.more.one": (
        "ほかに 1 件のエラーがありました（記録は続いています）。",
        "1 more error since (the record carries on).",
    ),
    "error.store": (
        "記録（イベントストア）を開けません。履歴と再開は使えませんが、模擬訓練はメモリ上で実行できます。",
        "The event store cannot be opened. History and resume are unavailable; simulated drills run in memory.",
    ),
    # -- help --------------------------------------------------------------------------
    "help.title": ("ヘルプ", "Help"),
    "help.body": (
        """\
# drillkit 緊急時連絡網コンソール

数字キーで画面を切り替えます。マウスでも操作できます。**Ctrl+P**でコマンド一覧を開き、名前で操作を探せます。

## 画面

- **1\u00a0計画**：組織、版、承認日、目標、計画の検査結果（エラーと直し方）
- **2\u00a0連絡網**：段・役割・担当者・代理者・連絡手段。「**/**」で検索、**n**で番号を表示
- **3\u00a0シナリオ**：**d**で訓練として開始、**i**で実対応として開始（確認あり）
- **4\u00a0実行状況**：経過時間、段・拠点ごとの進捗、連絡状況、状況付与、対応手順、記録
- **5\u00a0履歴**：過去の訓練と実対応。**Enter**で経過と結果、**r**で報告書

## 実行中の操作（実行状況画面）

- **a**：手動で応答を記録（電話で伝え聞いた応答など：誰が、誰の記録で、何時に）
- **c**：対応手順の手順を完了にする
- **m**：メモを追加
- **p**：一時停止／再開
- **x**：中止（理由と確認が必要）
- **f**：連絡状況の絞り込み（すべて／未応答／問題あり）
- **v**：表示する枠の切り替え（狭い画面）

## 安全のために

- 訓練のメッセージには必ず【訓練】が付きます。
- 実対応は、組織名を入力して確認しないと開始できません。実対応のメッセージには「訓練」が付きません。
- 実行中に終了するときは、中止するか、あとで再開できるように残すかを選びます。

**l**でEnglishに切り替えます。**Esc**でこの画面を閉じます。
""",
        """\
# drillkit emergency console

Number keys switch screens; the mouse works too. **Ctrl+P** opens the command palette: find any action by name.

## Screens

- **1 Plan**: organisation, version, approval, targets, the plan check (errors and fixes)
- **2 Contacts**: levels, roles, holders, deputies, channels. **/** searches, **n** shows numbers
- **3 Scenarios**: **d** starts a drill, **i** starts a real incident (asks first)
- **4 Live board**: elapsed time, progress per level and site, contacts, injects, playbook, log
- **5 History**: past drills and incidents. **Enter** shows the timeline and summary, **r** the report

## During a run (live board)

- **a**: record an acknowledgement by hand (a relayed call: who, recorded by whom, when)
- **c**: complete a playbook step
- **m**: add a note
- **p**: pause / resume
- **x**: abort (asks for a reason and confirmation)
- **f**: filter the contacts (all / pending / problems)
- **v**: switch the pane shown (small terminals)

## Safety

- Drill messages always carry [DRILL] / 【訓練】.
- A real incident starts only after you type the organisation's name. Its messages do not say "drill".
- Quitting during a run asks whether to abort it or leave it to be resumed.

**l** switches to 日本語. **Esc** closes this screen.
""",
    ),
}


def set_language(value: str) -> None:
    """Use `value` ("ja" or "en") for every string looked up from now on."""
    global _language
    _language = "en" if value == "en" else "ja"


def language() -> Language:
    return _language


def t(key: str, **values: object) -> str:
    """The string `key` in the current language, with `{names}` filled from `values`.

    With `count=1`, the entry `key.one` when there is one: "1 match", not "1 match(es)".
    """
    if values.get("count") == 1 and f"{key}.one" in CATALOGUE:
        key = f"{key}.one"
    try:
        ja, en = CATALOGUE[key]
    except KeyError:
        return key
    text = en if _language == "en" else ja
    return text.format(**values) if values else text


def pick(value: Text | None) -> str:
    """Plan text in the current language (Japanese where the plan has no English)."""
    return "" if value is None else value.get(_language)


def _add_update_words() -> None:
    """The words of status updates (第N報) live in `drill.words.updates`; the console
    looks them up as `update.<key>`, and its key as `key.update`."""
    from drill.words.updates import UPDATES

    CATALOGUE.update({f"update.{key}": pair for key, pair in UPDATES.items()})
    CATALOGUE.setdefault("key.update", ("状況報告", "Update"))


_add_update_words()


def _page_words() -> None:
    """Paging now and marking someone away (`drill.words.page`): keys `page.*`."""
    from drill.words.page import PAGE

    CATALOGUE.update({f"page.{key}": pair for key, pair in PAGE.items()})
    # The board's keys, where the footer and the help look them up.
    CATALOGUE["key.page_now"] = PAGE["key.page"]
    CATALOGUE["key.mark_away"] = PAGE["key.away"]


_page_words()
