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
}

WHO: dict[str, tuple[str, str]] = {
    # Who did something, when it was drillkit itself rather than a person.
    "simulated operator": ("模擬の実施者", "simulated operator"),
}
