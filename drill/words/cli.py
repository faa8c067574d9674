"""The command line's own words: table headings, labels and notes of `drillkit` commands.

The drill's vocabulary (statuses, outcomes, modes, channels) is `terms.py`; these are
the furniture around it that the CLI prints (`drillkit drills`, `tree`, `demo`, the
summary after a run, `init`). Looked up through `Words.cli`.
"""

from __future__ import annotations

__all__ = ["CLI", "WHO"]

CLI: dict[str, tuple[str, str]] = {
    # (ja, en)
    # `drillkit drills`
    "drills.title": ("訓練の一覧（{where}）", "Drills ({where})"),
    "drills.none": (
        "{where} にはまだ訓練の記録がありません。`drillkit run SCENARIO --simulate` で模擬訓練を実施できます。",
        "No drills yet in {where}; `drillkit run SCENARIO --simulate` runs one.",
    ),
    "drills.id": ("訓練ID", "Drill"),
    "drills.scenario": ("シナリオ", "Scenario"),
    "drills.mode": ("区分", "Mode"),
    "drills.outcome": ("結果", "Outcome"),
    "drills.started": ("開始", "Started"),
    "drills.minutes": ("所要（分）", "Min"),
    "drills.percent": ("応答率（%）", "Ack %"),
    "drills.held_by": ("{outcome}（実行中: {holder}）", "{outcome} (run by {holder})"),
    # the last line of an unexpected error (`drill/cli/crash.py`)
    "crash.line": (
        "予期しないエラーです（{what}）。{where}",
        "unexpected error ({what}); {where}",
    ),
    "crash.logged": ("詳細は {path} に記録しました。", "details in {path}"),
    "crash.no_log": ("ログを書けませんでした。", "no log could be written"),
    # the summary after `run`, `resume`, `demo`
    "result.events": ("記録: {where}", "Events: {where}"),
    "result.report": ("報告書: {path}", "Report: {path}"),
    # `drillkit demo`
    "demo.sandbox": (
        "サンドボックス: Twilio API {twilio} ・ SMTP {smtp}（STARTTLS）・ 応答受付 {ack} ・ 実時間の{speed}倍",
        "Sandbox: Twilio API {twilio} · SMTP {smtp} (STARTTLS) · ack server {ack} · "
        "{speed}× real time",
    ),
    # `drillkit tree`
    "tree.internal": ("庁内", "internal"),
    "tree.external": ("庁外", "external"),
    "tree.parallel": ("同時", "all at once"),
    "tree.sequential": ("順番", "one by one"),
    "tree.required_all": ("全員", "all"),
    "tree.required_any": ("誰か1人", "any one"),
    "tree.required_n": ("{n}人", "{n}"),
    "tree.level": (
        "{mode}、応答 {required}、待ち {wait}、再試行 {retries}、{channels}",
        "{mode}, required {required}, wait {wait}, retries {retries}, {channels}",
    ),
    "tree.holder": ("正", "holder"),
    "tree.deputy": ("代理{n}", "deputy {n}"),
    "tree.masked": (
        "電話番号は一部を伏せています。--show-numbers で全桁を表示します。",
        "Numbers are masked; --show-numbers shows them in full.",
    ),
    # `drillkit init`
    "init.wrote": ("作成: {path}", "Wrote {path}"),
    "init.read": (
        "読み取り: {people} 人、役割 {roles}、所属 {sites}（空行 {blank} 行は読み飛ばしました）",
        "Read {people} people, {roles} roles, {sites} sites ({blank} blank rows skipped)",
    ),
    "init.problems": (
        "読み取れなかった箇所が {count} 件あります。表を直して作り直すか、`contacts/contacts.yaml` を直接直してください:",
        "{count} cells could not be read; fix the list and run again, or edit the YAML:",
    ),
    "init.problem": ("{row}行目「{column}」: {why}", "row {row}, column '{column}': {why}"),
    "init.problem.unknown_column": (
        "知らない列のため読み飛ばしました",
        "not a column drillkit knows; skipped",
    ),
    "init.problem.duplicate_column": (
        "同じ意味の列が前にあるため読み飛ばしました",
        "a column meaning the same comes earlier; skipped",
    ),
    "init.problem.no_name": (
        "氏名がないため、この行を読み飛ばしました（{value}）",
        "no name, so the row was skipped ({value})",
    ),
    "init.problem.bad_phone": (
        "「{value}」は電話番号として読めません。桁を確かめてください（例: 095-829-1124）",
        "'{value}' is not a phone number; check the digits (e.g. 095-829-1124)",
    ),
    "init.problem.not_mobile": (
        "「{value}」は携帯電話の番号ではないため、SMS は送りません（電話はかけます）",
        "'{value}' is not a mobile number: no SMS to it (it is still called)",
    ),
    "init.problem.bad_email": (
        "「{value}」はメールアドレスとして読めません",
        "'{value}' is not an e-mail address",
    ),
    "init.problem.no_channel": (
        "{value} さんには使える連絡手段がありません（電話・携帯・メールを書いてください）",
        "{value} has no usable channel (add a phone, mobile or e-mail)",
    ),
    "init.problem.unknown_deputy": (
        "代理者「{value}」が表の中に見つかりません（氏名の書き方を揃えてください）",
        "deputy '{value}' is not in the list (write the name as in the name column)",
    ),
    "init.cannot_read": ("連絡先の表を読めません", "Cannot read the contact list"),
    "init.empty": ("{path} は空です。", "{path} is empty."),
    "init.no_name_column": (
        "{path} の見出しの行に氏名の列がありません。最初の行に「{names}」のいずれかの見出しを付けてください。",
        "{path} has no name column: give the first row a heading such as {names}.",
    ),
    "init.nobody": (
        "{path} に読み取れる人がいません。",
        "No person could be read from {path}.",
    ),
    "init.next": (
        "次に: `drillkit validate {dir}` → `drillkit tree {dir} --format html`"
        " → `drillkit run {dir}/scenarios/roll-call.yaml --simulate`",
        "Next: `drillkit validate {dir}` → `drillkit tree {dir} --format html`"
        " → `drillkit run {dir}/scenarios/roll-call.yaml --simulate`",
    ),
}

WHO: dict[str, tuple[str, str]] = {
    # Who did something, when it was drillkit itself rather than a person.
    "simulated operator": ("模擬の実施者", "simulated operator"),
}
