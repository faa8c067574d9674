"""The words of the plan check (`drillkit validate`, `explain`, the console's plan screen).

The core (`drill.plan.findings`) keeps every finding's English text, for `--json`, logs
and English users; it speaks no Japanese of its own. Here is how the same findings read
in Japanese:

- `FRAME`: the lines around the findings (the plan is usable, its size, the totals), in
  both languages.
- `CODES_JA`: each code's title, explanation and fix (`drillkit explain`).
- `MESSAGES_JA`: a finding's message and fix by the key the call site gave it
  (`Finding.message_key`, `Finding.fix_key`), filled with its `params`.
- `PYDANTIC_JA`: a value the plan's models refused, by pydantic's error type.

`FindingWords` puts them together; a finding made in the old style (English only, no key)
is shown with its English text rather than not at all.
"""

from __future__ import annotations

from pathlib import Path

from drill.plan.findings import CODES, Finding, Param, PlanError, Severity
from drill.words.terms import CHANNEL

__all__ = [
    "AGENCY_JA",
    "CODES_JA",
    "ERRNO_JA",
    "FRAME",
    "MESSAGES_JA",
    "NOUNS_JA",
    "PYDANTIC_JA",
    "YAML_JA",
    "FindingWords",
    "finding_words",
]

FRAME: dict[str, tuple[str, str]] = {
    # (ja, en)
    "ok.head": ("エラーはありません", "OK"),
    "ok": (
        ": {organisation} {title}（版 {version}、承認日 {approved}）",
        " {organisation} {title} (version {version}, approved {approved})",
    ),
    "counts": (
        "  人数 {people}・役割 {roles}（うち庁外関係機関 {outside_agencies}）・拠点 {sites}"
        "（うち支所 {regional_centres}）・連絡網 {trees}・シナリオ {scenarios}・"
        "対応手順 {playbooks}・目標 {targets}",
        "  people {people} · roles {roles} (outside agencies {outside_agencies}) · "
        "sites {sites} (regional centres {regional_centres}) · trees {trees} · "
        "scenarios {scenarios} · playbooks {playbooks} · targets {targets}",
    ),
    "sample": (
        "  サンプル計画です。実際の通信事業者を通して送ることはできません。",
        "  sample plan: it can never be sent through a real provider",
    ),
    "warnings.none": ("  注意はありません。", "  no warnings"),
    "warnings.one": ("  注意 1 件", "  1 warning"),
    "warnings.many": ("  注意 {count} 件", "  {count} warnings"),
    "errors.one": (
        "エラー 1 件。直すまでこの計画は使えません。",
        "1 error — the plan cannot be used until it is fixed.",
    ),
    "errors.many": (
        "エラー {count} 件。すべて直すまでこの計画は使えません。",
        "{count} errors — the plan cannot be used until they are fixed.",
    ),
    "errors.explain": (
        "各コードの説明は `drillkit explain コード` で表示できます。",
        "`drillkit explain CODE` says more about each code.",
    ),
    "plan_error": ("計画のエラー", "Plan error"),
    "plan_error.head.one": (
        "計画（{root}）にエラーが 1 件あります。",
        "1 error in the plan at {root}:",
    ),
    "plan_error.head.many": (
        "計画（{root}）にエラーが {count} 件あります。",
        "{count} errors in the plan at {root}:",
    ),
    "severity.error": ("エラー", "error"),
    "severity.warning": ("注意", "warning"),
    "severity.info": ("情報", "info"),
    "fix": ("直し方", "What to do"),
    "did_you_mean": ("もしかして '{nearest}' ですか？", "did you mean '{nearest}'?"),
    "code.unknown": ("検査結果のコード '{name}' はありません", "no finding code '{name}'"),
    "code.choices": (
        "`drillkit explain` でコードの一覧を表示できます",
        "`drillkit explain` lists the codes",
    ),
    "tree.unknown": ("連絡網 '{name}' はありません", "no tree '{name}'"),
    "tree.choices": ("連絡網の ID: {choices}", "trees: {choices}"),
}

CODES_JA: dict[str, tuple[str, str, str]] = {
    # code: (title, explanation, fix), as `drill.plan.findings.CODES` in English
    "DK-E001": (
        "ファイルを読めません",
        "ファイルがない、読む権限がない、または文字コードが UTF-8 ではありません。",
        "ファイルを UTF-8 で保存し、読み取り権限を確かめてください。",
    ),
    "DK-E002": (
        "YAML の書き方の誤り",
        "ファイルが YAML として読めません。",
        "示した行の字下げと引用符を直してください。",
    ),
    "DK-E003": (
        "使えない YAML タグ",
        "受け付けるのはタグのない YAML だけです。`!!python/object` のようなタグは"
        "プログラムを実行できてしまうためです。",
        "タグを消し、値を文字列・リスト・キーの対応として書いてください。",
    ),
    "DK-E004": (
        "知らないキー",
        "計画のこの部分にはないキーです。",
        "綴りを直す（「もしかして」の候補を参照）か、キーを削除してください。",
    ),
    "DK-E005": (
        "必須のキーがありません",
        "必ず書くキーが抜けています。",
        "キーを追加してください。",
    ),
    "DK-E006": (
        "値が正しくありません",
        "値の型が違うか、範囲の外です。",
        "メッセージのとおりに値を書き直してください。",
    ),
    "DK-E007": (
        "定義されていない参照",
        "計画が定義していない人・役割・拠点・連絡網・段・対応手順・手順・目標・点検項目を"
        "参照しています。",
        "ID を直す（「もしかして」の候補を参照）か、参照先を定義してください。",
    ),
    "DK-E008": (
        "ID の重複",
        "計画の中の二つのものが同じ ID を使っています。",
        "人・役割・拠点・連絡網・シナリオ・対応手順にはそれぞれ別の ID を付けてください。",
    ),
    "DK-E009": (
        "循環",
        "代理者や手順の依存関係が自分自身に戻ってきます。",
        "どの連鎖も終わるように、循環を断ち切ってください。",
    ),
    "DK-E010": (
        "未設定の変数",
        "`${VAR}` の値が環境変数にも `.env` にもありません。",
        "環境変数か、plan.yaml と同じフォルダの `.env` に設定してください。",
    ),
    "DK-E011": (
        "電話番号が正しくありません",
        "電話番号として正しくない番号です。",
        "095-829-1124 のように普段の書き方か、+81958291124 のように国番号付きで書いてください。",
    ),
    "DK-E012": (
        "メールアドレスが正しくありません",
        "メールアドレスとして正しくありません。",
        "アドレスを直してください。",
    ),
    "DK-E013": (
        "文面テンプレートの誤り",
        "メッセージの文面テンプレートに書き方の誤りがあるか、知らない差し込み項目を使っています。",
        "メッセージに示した差し込み項目だけを使ってください。",
    ),
    "DK-E014": (
        "呼び出せる人がいません",
        "連絡網や対応手順が使う役割に担当者も代理者もいないため、誰も呼び出せず、"
        "手順を受け持つ人もいません。",
        "役割に担当者（と代理者）を決めてください。",
    ),
    "DK-E015": (
        "サンプル計画に実在の連絡先",
        "`sample: true` の計画には架空の番号（`095-000-XXXX`、`090-00XX-XXXX`）と"
        "`.example` のアドレスしか書けません。",
        "架空の連絡先を使うか、自分たちの計画なら `sample: true` を消してください。",
    ),
    "DK-E016": (
        "計画ファイルがありません",
        "フォルダに plan.yaml がありません。",
        "計画フォルダの最上位に plan.yaml を作ってください（README を参照）。",
    ),
    "DK-E017": (
        "計画が大きすぎます",
        "計画のファイルの合計か人数が上限（既定では 32 MB と 10 万人。全国規模の計画の"
        "約 3 倍）を超えています。上限は、誤ったファイルや悪意のあるファイルが何分も"
        "何ギガバイトも使ってしまう前に止めるためのものです。",
        "計画を分けるか、`DRILLKIT_MAX_PLAN_MB` と `DRILLKIT_MAX_PEOPLE` で上限を上げてください。",
    ),
    "DK-W001": (
        "代理者のいない役割",
        "どの役割にも代理者を置くべきです。担当者に連絡がつかないとき、ほかに誰も"
        "呼び出されません。",
        "役割に代理者を 1 人以上加えてください。",
    ),
    "DK-W002": (
        "代理者が担当者と同じ",
        "役割の代理者に担当者本人が入っており、呼び出す人が増えていません。",
        "別の人を代理者にしてください。",
    ),
    "DK-W003": (
        "共有の番号",
        "二人が同じ電話番号かアドレスを使っています。一人が応答すると二人とも応答した"
        "ことになります。",
        "一人ひとりに別の番号を書くか、書き誤りがないか確かめてください。",
    ),
    "DK-W004": (
        "連絡のつかない人",
        "連絡網で呼び出される人に、その連絡網が使う連絡手段がありません。",
        "電話番号、SMS の番号、またはメールアドレスを加えてください。",
    ),
    "DK-W005": (
        "重要な役割が多すぎます",
        "一人が計画の認める数より多くの重要な役割を持っています。有事にはその人が"
        "ボトルネックになります。",
        "役割を分けるか、それぞれに別の人を代理者として置いてください。",
    ),
    "DK-W006": (
        "庁外関係機関への連絡がありません",
        "シナリオが必要とする庁外関係機関（警察、J-LIS、都道府県など）に、どの連絡網も"
        "届きません（点検項目 5-3）。",
        "シナリオが起動する庁外向けの連絡網に、その機関の役割を加えてください。",
    ),
    "DK-W007": (
        "達成できない目標",
        "担当者が応答しないと目標を達成できません。代理者が呼ばれるのは目標の時間を"
        "過ぎてからか、連絡網の待ち時間の合計が目標を超えます。応答しない担当者の"
        "呼び出しは、連絡手段の種類ごとに番号・アドレスの数だけ待ち、再試行のたびに"
        "繰り返します。",
        "応答の待ち時間や再試行を減らすか、代理者を同時に呼び出すか、目標を見直してください。",
    ),
    "DK-W008": (
        "役割のない人",
        "役割を持たず、代理者でもない人は呼び出されることがありません。",
        "役割を与えるか、一覧から外してください。",
    ),
    "DK-W009": (
        "固定電話への SMS",
        "日本の固定電話は SMS を受け取れません。",
        "SMS には携帯電話の番号を使ってください。",
    ),
    "DK-W010": (
        "長い SMS",
        "SMS の文面が 1 通（日本語で 70 文字）に収まりません。分割された部分が順不同で"
        "表示される機種があります。",
        "SMS の文面を短くしてください。",
    ),
    "DK-W011": (
        "担当者のいない役割",
        "役割に担当者がいません。代理者が直接呼び出されます。",
        "担当者を決めてください。",
    ),
    "DK-W012": (
        "plan.yaml に載っていません",
        "連絡網・シナリオ・対応手順のファイルがありますが、plan.yaml が中身を明示して"
        "おり、そこに含まれていません。",
        "plan.yaml の一覧に加えるか、ファイルを削除してください。",
    ),
    "DK-W013": (
        "事案で全員を呼び出します",
        "事案のシナリオが、連絡網のすべての段の全員を最初から呼び出します。盗難で"
        "支所・委託業者・総務省に一度に電話がかかり、集約センターの障害で警察に"
        "連絡が行きます。",
        "元の資料のとおり、どの時点で誰に知らせるかを `notify:`（`tree`、`level`、`members`、"
        "`at_inject` または `after_step`）で書いてください。",
    ),
    "DK-W014": (
        "関係機関に職員向けの文面",
        "庁外関係機関（都道府県、J-LIS、警察など）に、庁内の指示を含む職員向けの文面が"
        "届きます。正式な通知（こちらが誰か、何が起きたか、何をお願いするか、"
        "折り返し先）になっていません。",
        "シナリオに `agency_messages:`（`{{ callback }}` 入り）を加え、関係機関には "
        "`audience: staff` を付けないでください。",
    ),
}

NOUNS_JA: dict[str, str] = {
    # The kinds of things a message names (`what`, `kind` params), as the core says them.
    "person": "人",
    "role": "役割",
    "person or role": "人または役割",
    "role or person": "役割または人",
    "site": "拠点",
    "tree": "連絡網",
    "level": "段",
    "target": "目標",
    "scenario": "シナリオ",
    "playbook": "対応手順",
    "step": "手順",
    "inject": "状況付与",
    "contact": "人または役割",
    "a directory": "フォルダ",
    "a named pipe (FIFO)": "名前付きパイプ（FIFO）",
    "a device": "デバイス",
    "a socket": "ソケット",
    "a special file": "特殊なファイル",
}

MESSAGES_JA: dict[str, str] = {
    # -- fixes shared by many findings ------------------------------------------------
    "did_you_mean": "もしかして '{nearest}' ですか？",
    # -- files -------------------------------------------------------------------------
    "file.not_utf8": "文字コードが UTF-8 ではありません（{byte} バイト目）。",
    "file.not_utf8.fix": "ファイルを UTF-8 で保存してください。",
    "file.not_regular": "通常のファイルではなく{kind}です。",
    "file.not_regular.fix": "通常のファイルに置き換えるか、削除してください。",
    "file.link_loop": "自分自身を指すシンボリックリンク（循環）です。",
    "file.link_missing": "存在しないファイル（{target}）を指すシンボリックリンクです。",
    "file.link.fix": "リンクを実在のファイルに向けるか、削除してください。",
    "file.permission": "読み取る権限がありません。",
    "file.permission.fix": "drillkit を実行するユーザーに読み取り権限を与えてください。",
    "file.unreadable": "読み取れません（{reason}）。",
    "folder.unreadable": "フォルダ `{folder}/` の中身を一覧できません（{reason}）。",
    "folder.unreadable.fix": "`{folder}/` を YAML ファイルの入った読み取れるフォルダにしてください。",
    "plan.no_directory": "計画フォルダを開けません（{reason}）。",
    "plan.no_directory.fix": "存在する計画フォルダを指定してください。",
    "plan.no_plan_file": "{root} に plan.yaml がありません。",
    "plan.no_plan_file.fix": (
        "計画フォルダ（plan.yaml、`contacts/`、`scenarios/`、`playbooks/`）を指定してください。"
        "例: `drillkit validate path/to/plan`"
    ),
    "plan.no_sample": "同梱のサンプル計画が見つかりません。",
    # -- YAML --------------------------------------------------------------------------
    "yaml.syntax": "YAML の書き方に誤りがあります（{detail}）。",
    "yaml.date": "この値を日付として読めません。",
    "yaml.date.fix": "実在する日付を `YYYY-MM-DD` の形で書いてください。",
    "yaml.value": "この値を読めません。",
    "yaml.value.fix": "文字列のつもりなら引用符で囲んでください。",
    "yaml.alias_bomb": "エイリアス（`*名前`、`<<: *名前`）で増える値が {most} 個を超えます（エイリアス爆弾の疑い）。",
    "yaml.alias_bomb.fix": "繰り返す値はそのまま書くか、エイリアスの中でエイリアスを使うのを減らしてください。",
    "yaml.alias_loop": "エイリアスが自分自身を参照しています。",
    "yaml.alias_loop.fix": "循環しているエイリアスを消してください。",
    "yaml.merge": "マージキー（`<<`）の使い方が正しくありません。",
    "yaml.merge.fix": "`<<` で取り込めるのはキーの対応だけです。",
    "yaml.key": "キーが単純な語ではありません。",
    "yaml.key.fix": "キーは文字列で書いてください。",
    "key.twice": "キー '{name}' が二度出てきます。",
    "key.twice.fix": "どちらか一方だけを残してください。",
    "yaml.syntax.fix": "この行とその前の行の字下げと引用符を確かめてください。",
    "yaml.deep": "入れ子が深すぎます。",
    "yaml.not_mapping": "ファイルの中身がキーの対応（キー: 値）になっていません。",
    "yaml.not_mapping.fix": "ファイルの最初の行から `キー: 値` の形で書いてください。",
    "yaml.tag": "YAML タグ '{tag}' は使えません。",
    "yaml.tag.fix": "タグを消し、値を文字列・リスト・キーの対応として書いてください。",
    # -- size limits -------------------------------------------------------------------
    "limit.people": "人数が上限の {limit} 人を超えています（{count} 人）。",
    "limit.people.fix": "計画を分けるか、`{env}=<人数>` で上限を上げてください。",
    "limit.size": "計画の大きさが {size} MB で、上限の {limit} MB を超えています。",
    "limit.size.fix": "計画を分けるか、`{env}=<メガバイト数>` で上限を上げてください。",
    "limit.env": "`{name}={value}` は 1 から {most} までの整数ではありません。",
    "limit.env.fix": "設定を消すか、整数を書いてください。",
    # -- keys and values (pydantic) ----------------------------------------------------
    "key.unknown": "知らないキー '{name}' です。",
    "key.unknown.fix": "ここに書けるキーは {allowed} です。",
    "key.unknown.remove": "このキーを削除してください。",
    "key.missing": "キー '{name}' がありません。",
    "key.missing.fix": "'{name}' を追加してください。",
    "value.missing": "値がありません。",
    "value.invalid": "値が正しくありません（{detail}）。",
    # -- references --------------------------------------------------------------------
    "ref.undefined": "{what} '{ref}' は定義されていません。",
    "ref.undefined.fix": "{what} '{ref}' を定義するか、ID を直してください。",
    "ref.not_found": "{kind} '{ref}' が見つかりません。",
    "ref.not_found.fix": "{kind}のファイルを加えるか、一覧から外してください。",
    "ref.no_level": "連絡網 '{tree}' に段 '{level}' はありません。",
    "ref.no_step": "手順 '{step}' はこの対応手順にありません。",
    "ref.not_scenario_tree": "連絡網 '{tree}' はこのシナリオの連絡網ではありません。",
    "ref.not_scenario_tree.fix": "`trees` に加えるか、次のいずれかを使ってください: {choices}",
    "ref.not_member": "'{ref}' は連絡網 '{tree}' の段 '{level}' の構成員ではありません。",
    "ref.no_inject": "このシナリオに ID '{inject}' の状況付与はありません。",
    "ref.no_inject.fix": "状況付与に `id:` を付け、ここでその ID を書いてください。",
    "ref.no_playbook_step": "このシナリオの対応手順に手順 '{step}' はありません。",
    "ref.checklist": "'{item}' は drillkit の知っている点検項目ではありません。",
    "ref.use_one_of": "次のいずれかを使ってください: {choices}",
    "ref.unknown_name": "{kind} '{ref}' はありません。",
    "ref.unknown_name.fix": "{kind}の一覧: {choices}",
    # -- duplicates --------------------------------------------------------------------
    "dup.id": "{kind}の ID '{id}' はすでに使われています（{where}）。",
    "dup.id.fix": "別の ID を付けてください。",
    "dup.level": "段の ID '{id}' が二度出てきます。",
    "dup.level.fix": "連絡網の段にはそれぞれ別の ID を付けてください。",
    "dup.step": "手順の ID '{id}' が二度出てきます。",
    "dup.step.fix": "手順にはそれぞれ別の ID を付けてください。",
    "dup.inject": "状況付与の ID '{id}' が二度出てきます。",
    "dup.inject.fix": "状況付与にはそれぞれ別の ID を付けてください。",
    "dup.notice": "連絡網 '{tree}' の段 '{level}' を二つの通知が指定しています。",
    "dup.notice.fix": "段は一度だけ指定し、その段で呼び出す人はすべてその通知に書いてください。",
    # -- cycles ------------------------------------------------------------------------
    "cycle.deputies": "代理者が循環しています: {cycle}",
    "cycle.deputies.fix": "連鎖のどこかで、人を代理者にしてください。",
    "cycle.steps": "手順の依存関係が循環しています: {cycle}",
    "cycle.steps.fix": "循環している依存関係を一つ外してください。",
    # -- counts ------------------------------------------------------------------------
    "required.members": "{required} 人の応答が必要とされていますが、構成員は {members} 人です。",
    "required.members.fix": "`required` を減らすか、構成員を加えてください。",
    "required.paged": "{required} 人の応答が必要とされていますが、呼び出すのは {paged} 人です。",
    "required.paged.fix": "`required` を減らすか、呼び出す人を増やしてください。",
    # -- nobody to page, sample plan ---------------------------------------------------
    "nobody.role": "役割 '{role}' には担当者も代理者もいません。",
    "nobody.role.fix": "役割に担当者か代理者を決めてください。",
    "nobody.owner": "手順を受け持つ役割 '{role}' を持つ人がいません。",
    "nobody.owner.fix": "役割に担当者を決めるか、別の役割に受け持たせてください。",
    "sample.real": "サンプル計画には架空の連絡先しか書けません。",
    "sample.real.fix": "`095-000-XXXX`、`090-00XX-XXXX`、または `.example` のアドレスを使ってください。",
    # -- variables ---------------------------------------------------------------------
    "env.line": "`NAME=value` の形で書かれていません。",
    "env.line.fix": "1 行に 1 つ、`NAME=value` の形で変数を書いてください。",
    "env.bad_name": "'${{{name}}}' は変数名として使えません。",
    "env.bad_name.fix": "英字・数字・_ を使ってください（例: `${{TANAKA_MOBILE}}`）。",
    "env.unset": "${{{name}}} が設定されていません。",
    "env.unset.fix": "`{name}` を環境変数か、plan.yaml と同じフォルダの `.env` に設定してください。",
    # -- lint warnings ---------------------------------------------------------------
    "lint.no_holder": "役割 '{role}'（{name}）に担当者がいません。",
    "lint.no_holder.fix": "担当者を決めてください。",
    "lint.no_deputy": "役割 '{role}'（{name}）に代理者がいません。",
    "lint.no_deputy.fix": "`deputies:` に 1 人以上を書いてください。",
    "lint.deputy_is_holder": "'{holder}' は役割 '{role}' の担当者で、代理者にも入っています。",
    "lint.deputy_is_holder.fix": "別の人を代理者にしてください。",
    "lint.shared": "{shown} を {people} が共有しています。",
    "lint.shared.more": "{shown} を {people} ほか {more} 人が共有しています。",
    "lint.shared.fix": "一人ひとりに別の番号かアドレスを書いてください。",
    "lint.unreachable": (
        "'{person}' は連絡網 '{tree}' の段 '{level}' で呼び出されますが、その段の連絡手段"
        "（{channels}）を一つも持っていません。"
    ),
    "lint.unreachable.fix": "{channels}のいずれかの連絡先を加えてください。",
    "lint.critical": (
        "'{person}' が重要な役割を {count} 個持っています（{roles}）。計画が認めるのは "
        "{limit} 個までです。"
    ),
    "lint.critical.fix": "役割の一部を別の人に移し、代理者を置いてください。",
    "lint.agency": (
        "シナリオ '{scenario}' には{agency}への連絡が必要ですが、その連絡網（{trees}）の"
        "どれも届きません。"
    ),
    "lint.agency.fix": "それらの連絡網のどれかに `agency: {agency_id}` の役割を加えてください。",
    "lint.agency_not_noticed": (
        "シナリオ '{scenario}' には{agency}への連絡が必要ですが、通知のどれも呼び出しません。"
    ),
    "lint.agency_not_noticed.fix": (
        "`agency: {agency_id}` の役割を、どれかの通知の `members` に加えてください。"
    ),
    "lint.target": (
        "目標 '{target}'（{within}分）は、担当者が応答しないと達成できません。連絡網 "
        "'{tree}' の代理者に届くのは {worst} 分後です。"
    ),
    "lint.target.scenario": (
        "目標 '{target}'（{within}分）は、シナリオ '{scenario}' で担当者が応答しないと"
        "達成できません。連絡網 '{tree}' の代理者に届くのは {worst} 分後です。"
    ),
    "lint.target.fix": (
        "`ack_timeout_minutes` や `retries` を減らす（番号・アドレスごとに待ち時間が"
        "かかります）か、シナリオの連絡網を同時に起動する（`activation: parallel`）か、"
        "目標を見直してください。"
    ),
    "lint.target_after_inject": (
        "目標 '{target}'（{within}分）は、シナリオ '{scenario}' では必ず達成できません。"
        "連絡網 '{tree}' がある段を呼び出すのは、開始 {minute} 分後の状況付与のときです。"
    ),
    "lint.target_after_inject.fix": (
        "このシナリオを別の目標で測るか、その段をもっと早く呼び出してください。"
    ),
    "lint.no_role": "'{person}' は役割を持たず、代理者でもありません。",
    "lint.no_role.fix": "役割を与えるか、一覧から外してください。",
    "lint.landline": "{number} は携帯電話の番号ではありません。",
    "lint.landline.fix": "SMS には携帯電話の番号（070・080・090）を使ってください。",
    "lint.sms_long": (
        "シナリオ '{scenario}' の{language}の SMS は {segments} 通に分かれます（本文 "
        "{length} 文字に、訓練の表示・改行・{link} 文字のリンクが付きます）。"
    ),
    "lint.sms_long.fix": (
        "SMS の本文は日本語なら {ja_room} 文字、英語なら {en_room} 文字までにしてください。"
    ),
    "lint.pages_everyone": (
        "事案のシナリオ '{scenario}' が、連絡網（{trees}）の {count} 人全員を最初から呼び出します。"
    ),
    "lint.pages_everyone.fix": (
        "どの時点で誰に知らせるかを `notify:`（`tree`、`level`、`members`、`at_inject` "
        "または `after_step`）で書いてください。"
    ),
    "lint.agency_as_staff": (
        "シナリオ '{scenario}' が、庁外関係機関（{roles}）に職員向けの文面を送ります。"
    ),
    "lint.agency_messages.fix": (
        "`agency_messages:`（こちらが誰か、何が起きたか、何をお願いするか、折り返し先: "
        "`{{{{ callback }}}}`）を加えてください。"
    ),
    "lint.audience_staff.fix": ("それらを呼び出す通知から `audience: staff` を外してください。"),
    # -- message templates -----------------------------------------------------------
    "template.too_long": "文面テンプレートが {count} 文字あります。1 つのメッセージは {limit} 文字までです。",
    "template.syntax": "文面テンプレートの {line} 行目に書き方の誤りがあります。",
    "template.syntax_number": (
        "文面テンプレートに書き方の誤りがあります。`{{{{ }}}}` の中の数字は半角で書くか、"
        "差し込み項目の外に出してください。"
    ),
    "template.unknown": "知らない差し込み項目です（{names}）。使えるのは {allowed} です。",
    "template.output_long": (
        "名前が長いと、メッセージが {limit} 文字を超えます（{count} 文字）。差し込み項目を"
        "減らしてください。"
    ),
    "template.filter": (
        "フィルター '{name}' はメッセージでは使えません（{line} 行目）。使えるのは {allowed} です。"
    ),
    "template.test": (
        "テスト '{name}' はメッセージでは使えません（{line} 行目）。使えるのは {allowed} です。"
    ),
    "template.construct": (
        "この書き方（'{construct}'）はメッセージでは使えません（{line} 行目）。メッセージは"
        "差し込み項目と `{{% if %}}`、簡単なフィルターを使った文章です。"
    ),
    # -- rotas --------------------------------------------------------------------------
    "rota.holidays": "'{person}' は `skip` でも計画の人でもありません。",
    "rota.holidays.fix": (
        "`skip`（祝日は交代しない）か、祝日の当番を受け持つ人の ID を書いてください。"
    ),
    # -- calendar.yaml -----------------------------------------------------------------
    "calendar.not_mapping": "calendar.yaml はキーの対応（`キー: 値`）で書くファイルです。",
    "calendar.not_mapping.fix": (
        "`closed_periods`・`on_closed_day`・`misfire` などのキーで書き始めてください。"
    ),
    "calendar.lead_positive": "リマインダーの事前通知の時間は正の長さにしてください。",
    "calendar.lead_once": "同じ事前通知の時間が二度書かれています。",
    "calendar.all_closed": "一週間のすべての曜日が休みになっています。",
    # -- contents of plan.yaml ---------------------------------------------------------
    "contents.unlisted": "{kind} '{id}' が plan.yaml の `contents.{key}` に載っていません。",
    "contents.unlisted.fix": "'{id}' を `contents.{key}` に加えるか、削除してください。",
}

PYDANTIC_JA: dict[str, tuple[str, str]] = {
    # pydantic's error types (and the plan models' own): (message, fix), with its `ctx`
    "literal_error": ("書ける値ではありません。", "次のいずれかを書いてください: {expected}"),
    "enum": ("書ける値ではありません。", "次のいずれかを書いてください: {expected}"),
    "finite_number": (
        "有限の数ではありません。",
        "有限の数を書いてください（`.inf` や `.nan` は使えません）。",
    ),
    "less_than_equal": ("値が大きすぎます。", "{le} 以下の数を書いてください。"),
    "less_than": ("値が大きすぎます。", "{lt} より小さい数を書いてください。"),
    "greater_than_equal": ("値が小さすぎます。", "{ge} 以上の数を書いてください。"),
    "greater_than": ("値が小さすぎます。", "{gt} より大きい数を書いてください。"),
    "int_type": ("整数ではありません。", "整数を書いてください。"),
    "int_parsing": ("整数として読めません。", "整数を書いてください。"),
    "int_from_float": ("小数点があります。", "小数点のない整数を書いてください。"),
    "float_type": ("数ではありません。", "数を書いてください。"),
    "float_parsing": ("数として読めません。", "数を書いてください。"),
    "bool_type": ("真偽値ではありません。", "`true` か `false` を書いてください。"),
    "bool_parsing": ("真偽値として読めません。", "`true` か `false` を書いてください。"),
    "string_type": ("文字列ではありません。", "文字列を書いてください。"),
    "string_too_short": ("短すぎます。", "{min_length} 文字以上で書いてください。"),
    "string_too_long": ("長すぎます。", "{max_length} 文字以内で書いてください。"),
    "too_short": ("項目が足りません。", "{min_length} 個以上書いてください。"),
    "too_long": ("項目が多すぎます。", "{max_length} 個以内で書いてください。"),
    "string_pattern_mismatch": (
        "ID に使えない文字があります。",
        "ID には英小文字・数字・「-」・「_」を使ってください（例: `security-north`）。",
    ),
    "date_type": ("日付ではありません。", "日付を `YYYY-MM-DD` の形で書いてください。"),
    "date_parsing": ("日付として読めません。", "日付を `YYYY-MM-DD` の形で書いてください。"),
    "date_from_datetime_parsing": (
        "日付として読めません。",
        "日付を `YYYY-MM-DD` の形で書いてください。",
    ),
    "datetime_type": ("日時ではありません。", "日時を `YYYY-MM-DD HH:MM` の形で書いてください。"),
    "datetime_parsing": (
        "日時として読めません。",
        "日時を `YYYY-MM-DD HH:MM` の形で書いてください。",
    ),
    "datetime_from_date_parsing": (
        "日時として読めません。",
        "日時を `YYYY-MM-DD HH:MM` の形で書いてください。",
    ),
    "time_type": ("時刻ではありません。", "時刻を `HH:MM` の形で書いてください。"),
    "time_parsing": ("時刻として読めません。", "時刻を `HH:MM` の形で書いてください。"),
    "tuple_type": ("リストではありません。", "リスト（1 行に 1 つ「- 項目」）で書いてください。"),
    "list_type": ("リストではありません。", "リスト（1 行に 1 つ「- 項目」）で書いてください。"),
    "model_type": ("キーの対応ではありません。", "キーの対応（`キー: 値`）で書いてください。"),
    "model_attributes_type": (
        "キーの対応ではありません。",
        "キーの対応（`キー: 値`）で書いてください。",
    ),
    "dict_type": ("キーの対応ではありません。", "キーの対応（`キー: 値`）で書いてください。"),
    "phone_number": (
        "電話番号として正しくありません。",
        "桁を確かめてください（例: 095-829-1124、090-1234-5678、+81 95 829 1124）。",
    ),
    "email_address": ("メールアドレスとして正しくありません。", "アドレスを直してください。"),
    "contact_point": (
        "連絡先の手段が一つではありません。",
        "連絡先には `voice`・`sms`・`email` のどれか一つだけを書いてください。",
    ),
    "period": (
        "期間の終わりが始まりより前です。",
        "`to` は `from` より後にしてください。",
    ),
    "holder": (
        "役割に `holder` と `rotation` の両方があります。",
        "どちらか一方だけを残してください。",
    ),
    "channels": (
        "連絡手段の並びが正しくありません。",
        "連絡手段（`voice`・`sms`・`email`）を 1 つ以上、それぞれ一度ずつ書いてください。",
    ),
    "target": (
        "目標の指標に必要なキーがありません。",
        "`level_completed` には `tree` と `level`、`share_acknowledged` には `share` を"
        "書いてください。",
    ),
    "notice": (
        "`at_inject` と `after_step` の両方があります。",
        "通知が待つのはどちらか一方です。一方だけを書いてください。",
    ),
    "timezone": (
        "タイムゾーン '{zone}' はありません。",
        "`Asia/Tokyo` のような IANA の名前を書いてください。",
    ),
    "duration": (
        "'{value}' は時間の長さとして読めません。",
        "`1d`・`2h`・`30m`・`1h30m` のように書いてください。",
    ),
    "month_day": (
        "月日として読めません。",
        '`"12-29"` のように月と日を `MM-DD` で書いてください。',
    ),
    "choice": (
        "選択肢の表示が長すぎるか、2 行以上あります。",
        "選択肢の表示は 1 行、20 文字以内にしてください（例: 30分以内）。",
    ),
    "question": (
        "二つの選択肢が同じ '{value}' を使っています。",
        "選択肢ごとに別の `key` と表示を付けてください。",
    ),
}

YAML_JA: dict[str, str] = {
    # What PyYAML found wrong (the start of its `problem`), as the messages say it.
    "mapping values are not allowed": "ここでは `キー: 値` を書けません。字下げか、値の中の「:」を確かめてください",
    "found character '\\t' that cannot start any token": "タブ文字は使えません。字下げには空白を使ってください",
    "found a tab character": "タブ文字は使えません。字下げには空白を使ってください",
    "found character that cannot start any token": "ここに書けない文字があります",
    "block sequence entries are not allowed": "ここでは「- 項目」を書けません。字下げを確かめてください",
    "did not find expected ',' or ']'": "「]」で閉じられていません",
    "did not find expected ',' or '}'": "「}」で閉じられていません",
    "did not find expected '-' indicator": "「- 項目」の字下げがそろっていません",
    "found character": "ここに書けない文字があります",
    "could not find expected ':'": "「:」が見つかりません",
    "did not find expected key": "キーがあるはずの場所にありません",
    "did not find expected node content": "値があるはずの場所にありません",
    "expected <block end>": "字下げがそろっていません",
    "expected ',' or ']'": "「]」で閉じられていません",
    "expected ',' or '}'": "「}」で閉じられていません",
    "found unexpected end of stream": "引用符が閉じられないままファイルが終わっています",
    "found unknown escape character": "引用符の中に使えない「\\」の書き方があります",
    "found undefined alias": "定義されていないエイリアスを使っています",
    "found duplicate anchor": "同じ名前のアンカーが二つあります",
    "expected alphabetic or numeric character": "アンカーかエイリアスの名前がありません",
    "found unexpected ':'": "予期しない「:」があります",
}


ERRNO_JA: dict[str, str] = {
    # Why the system refused a file or folder (`errno` names), as the messages say it.
    "ENOENT": "見つかりません",
    "EACCES": "権限がありません",
    "EPERM": "権限がありません",
    "ELOOP": "シンボリックリンクが循環しています",
    "ENOTDIR": "フォルダではありません",
    "EISDIR": "フォルダです",
    "EIO": "入出力エラーです",
    "ENAMETOOLONG": "名前が長すぎます",
    "EMFILE": "開いているファイルが多すぎます",
    "ENFILE": "開いているファイルが多すぎます",
    "ENOMEM": "メモリーが足りません",
    "EBUSY": "使用中です",
}


AGENCY_JA: dict[str, str] = {
    # `Agency` values, as the console names them
    "prefecture": "都道府県",
    "jlis": "J-LIS",
    "ministry": "総務省",
    "vendor": "保守業者",
    "police": "警察",
    "regulator": "個人情報保護委員会",
}

_LANGUAGE_JA = {"ja": "日本語", "en": "英語"}


def _value(name: str, value: Param) -> str:
    """A parameter as a Japanese message shows it: lists of ids quoted and joined with 、,
    the kinds of things, channels, agencies and languages named in Japanese."""
    if isinstance(value, tuple):
        if name == "cycle":
            return " → ".join(f"'{item}'" for item in value)
        if name == "channels":
            return "・".join(CHANNEL.get(item, (item, item))[0] for item in value)
        return "、".join(f"'{item}'" for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    if name in ("what", "kind"):
        return NOUNS_JA.get(value, value)
    if name == "agency":
        return AGENCY_JA.get(value, value)
    if name == "language":
        return _LANGUAGE_JA.get(value, value)
    return value


def _fill(template: str, finding: Finding) -> str | None:
    """`template` filled with the finding's params; None when one is missing."""
    values = {name: _value(name, value) for name, value in finding.params}
    said = ERRNO_JA.get(str(finding.param("errno")))
    if said is not None:
        values["reason"] = said
    problem = finding.param("problem")
    if isinstance(problem, str):
        found = next((ja for en, ja in YAML_JA.items() if problem.startswith(en)), None)
        if found is not None:
            noticed = finding.param("noticed")
            values["detail"] = found + (f"。{noticed} 行目で気づきました" if noticed else "")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return None


class FindingWords:
    """The plan check's words in one language."""

    def __init__(self, lang: str) -> None:
        self.ja = lang != "en"
        self._index = 0 if self.ja else 1

    def frame(self, key: str, **values: object) -> str:
        text = FRAME[key][self._index]
        return text.format(**values) if values else text

    def severity(self, severity: Severity) -> str:
        return self.frame(f"severity.{severity.value}")

    # -- the codes ---------------------------------------------------------------------

    def title(self, code: str) -> str:
        if self.ja and code in CODES_JA:
            return CODES_JA[code][0]
        found = CODES.get(code)
        return found.title if found is not None else ""

    def explanation(self, code: str) -> str:
        if self.ja and code in CODES_JA:
            return CODES_JA[code][1]
        found = CODES.get(code)
        return found.explanation if found is not None else ""

    def code_fix(self, code: str) -> str:
        if self.ja and code in CODES_JA:
            return CODES_JA[code][2]
        found = CODES.get(code)
        return found.fix if found is not None else ""

    # -- one finding -------------------------------------------------------------------

    def message(self, finding: Finding) -> str:
        """What is wrong: in Japanese from its key, else the English the core made."""
        if not self.ja:
            return finding.message
        key = finding.message_key
        if key is not None:
            if key.startswith("pydantic."):
                said = self._pydantic(key.removeprefix("pydantic."), finding, 0)
                # A type this catalogue does not know: its English detail, in a sentence.
                return said or MESSAGES_JA["value.invalid"].format(detail=finding.message)
            template = MESSAGES_JA.get(key)
            said = _fill(template, finding) if template is not None else None
            if said is not None:
                return said
        return finding.message

    def _pydantic(self, kind: str, finding: Finding, part: int) -> str | None:
        pair = PYDANTIC_JA.get(kind)
        return _fill(pair[part], finding) if pair is not None else None

    def fix(self, finding: Finding) -> str | None:
        """What to do: the finding's own fix, else its code's."""
        if not self.ja:
            return finding.fix or self.code_fix(finding.code) or None
        key = finding.fix_key
        if key is not None:
            template = MESSAGES_JA.get(key)
            said = _fill(template, finding) if template is not None else None
            if said is not None:
                return said
        if finding.message_key is not None and finding.message_key.startswith("pydantic."):
            said = self._pydantic(finding.message_key.removeprefix("pydantic."), finding, 1)
            return said or self.code_fix(finding.code) or None
        if finding.fix and finding.message_key is None:
            return finding.fix  # made in the old style: the English is all there is
        return self.code_fix(finding.code) or None

    def line(self, finding: Finding, root: Path | None = None) -> str:
        """One finding on one line (greppable): severity, code, title, place, message, fix.

        English keeps the core's own line (`error DK-E007: file:line key: message — fix`)."""
        if not self.ja:
            return finding.render(root)
        where = finding.where(root)
        head = f"{self.severity(finding.severity)} {finding.code}（{self.title(finding.code)}）"
        text = (
            f"{head} {where}: {self.message(finding)}"
            if where
            else f"{head} {self.message(finding)}"
        )
        fix = self.fix(finding)
        if fix:
            text += f"　{self.frame('fix')}: {fix}"
        return text

    def plan_error(self, error: PlanError) -> tuple[str, str]:
        """The title and text of a PlanError's panel (a command other than `validate`
        that could not load the plan): every error on its own line."""
        # A title the raiser chose (in its language) stays; the class's own is translated.
        title = str(vars(error).get("title") or self.frame("plan_error"))
        errors = [f for f in error.findings if f.severity is Severity.ERROR]
        if not errors or all(f.file is None and f.message_key is None for f in errors):
            return title, error.message  # `PlanError.simple`: said as the command chose
        key = "plan_error.head.one" if len(errors) == 1 else "plan_error.head.many"
        head = self.frame(key, root=error.root or "", count=len(errors))
        return title, "\n".join([head, *(self.line(f, error.root) for f in errors)])


_WORDS: dict[bool, FindingWords] = {}


def finding_words(lang: str) -> FindingWords:
    """The plan check's words in `lang` ("en" for English, anything else Japanese)."""
    ja = lang != "en"
    found = _WORDS.get(ja)
    if found is None:
        found = _WORDS[ja] = FindingWords("ja" if ja else "en")
    return found
