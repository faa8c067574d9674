"""`drillkit init [DIR] [--from LIST]`: one's own plan directory in five minutes.

Without `--from` it writes a commented skeleton plan (two fictional people, one role with
a deputy, one tree, one scenario) that validates as it is; it is marked `sample: true`
because its numbers are the unassignable ones of the sample plan, so no real provider
takes it until real contacts replace them. With `--from contacts.csv` (or `.xlsx`) it
reads the contact list a municipality keeps — 氏名, ふりがな, 所属, 役割, 電話, 携帯, メール,
代理 … in Shift_JIS/CP932, UTF-8 (with or without the BOM Excel writes) or UTF-16 — and
writes the same plan around those people, then says row by row what it could not read.
The conversion is `drill.plan.intake`; this module reads the file and writes YAML.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import click
from rich.markup import escape

from drill.cli.console import err, out
from drill.errors import DrillError
from drill.plan.intake import ContactList, Problem, read_contact_list
from drill.words import Words, words

__all__ = ["COMMANDS", "init", "read_rows"]

_EXAMPLE_ROWS = [
    ["氏名", "ふりがな", "所属", "役割", "電話", "携帯", "メール", "代理"],
    [
        "例 太郎",
        "れい たろう",
        "本庁舎",
        "連絡網の責任者",
        "095-000-0001",
        "090-0000-0001",
        "rei.taro@city.example",
        "例 花子",
    ],
    [
        "例 花子",
        "れい はなこ",
        "本庁舎",
        "",
        "095-000-0002",
        "090-0000-0002",
        "rei.hanako@city.example",
        "",
    ],
]
"""The skeleton's contact list: fictional people whose numbers cannot be assigned."""


def read_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV (any encoding Excel writes) or an .xlsx workbook's first sheet."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DrillError(f"{path}: {exc.strerror or exc}", title="Cannot read the list") from None
    text = _decode(data, path)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",\t;"
        )
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]


def _decode(data: bytes, path: Path) -> str:
    """UTF-16 or UTF-8 by their BOM, else UTF-8, else Shift_JIS (CP932, as Excel saves)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DrillError(
        f"{path}: neither UTF-8 nor Shift_JIS (CP932). Save it from Excel as "
        "「CSV UTF-8（コンマ区切り）」 or 「CSV（コンマ区切り）」 and try again.",
        title="Cannot read the list",
    )


def _xlsx_rows(path: Path) -> list[list[str]]:
    # openpyxl reads the workbook's XML directly: no Excel, no LibreOffice needed.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        raise DrillError(
            f"{path}: not a readable .xlsx workbook ({exc})", title="Cannot read the list"
        ) from None
    try:
        sheet = book.worksheets[0]
        return [
            ["" if value is None else _cell_text(value) for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    # A phone number typed into a number cell loses its leading 0 (95… for 095…): give
    # it back, so the number is read as written.
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = f"{value:.0f}"
        return "0" + digits if len(digits) in (9, 10) and not digits.startswith("0") else digits
    return str(value)


# --- writing the plan ------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML scalar: JSON's double-quoted strings are YAML's."""
    return json.dumps(text, ensure_ascii=False)


def _plan_yaml(organisation: str, contacts: ContactList, sample: bool, today: dt.date) -> str:
    lines = [
        f"# {organisation} 緊急時対応計画（drillkit の計画ファイル）",
        "#",
        "# `drillkit init` が書いた雛形です。団体名・計画の名前・版・承認日を実際のものに",
        "# 直してください。連絡先と連絡網は contacts/、シナリオは scenarios/ にあります。",
        "# 直したら `drillkit validate` で確かめます。",
        "plan:",
        "  organisation:",
        f"    ja: {_q(organisation)}",
        "  title:",
        f"    ja: {_q('住民基本台帳ネットワークシステム緊急時対応計画書')}",
        f'  version: "{today.year}.1"',
        f"  approved_on: {today.isoformat()}",
        "  timezone: Asia/Tokyo",
        "  language: ja               # ja または en: メッセージと報告書の言語",
    ]
    if sample:
        lines += [
            "  # 雛形の連絡先は架空（割り当てられない番号と .example のアドレス）です。",
            "  # sample: true の計画は実際の電話・SMS・メール事業者では送信できません。",
            "  # 自分の連絡先に置き換えたら false にしてください。",
            "  sample: true",
        ]
    else:
        lines += ["  sample: false"]
    lines += [
        "",
        "# 拠点。regional_centre: true の拠点（支所）が「全支所への連絡」目標の対象です。",
        "sites:",
    ]
    for site in contacts.sites:
        lines += [
            f"  - id: {site.id}",
            "    name:",
            f"      ja: {_q(site.name)}",
            "    regional_centre: false",
        ]
    if not contacts.sites:
        lines[-1] = "sites: []"
    lines += [
        "",
        "# 報告書で確かめる目標。metric: tree_completed（連絡網の完了）、level_completed、",
        "# all_sites_reached（全支所への連絡）、share_acknowledged（応答の割合）。",
        "targets:",
        "  - id: internal-60min",
        "    name:",
        f"      ja: {_q('庁内緊急時連絡網の完了 60分以内')}",
        "    metric: tree_completed",
        "    tree: internal",
        "    within_minutes: 60",
        "",
    ]
    return "\n".join(lines)


def _contacts_yaml(contacts: ContactList, source: str | None) -> str:
    lines = [
        "# 連絡先（people）、役割（roles: 担当者 holder と代理者 deputies）、連絡網（trees）",
        "#",
    ]
    if source:
        lines += [f"# {source} から `drillkit init --from` で作りました。"]
    lines += [
        "# 電話番号は 095-829-1124 のように書けます（全角の数字も可）。",
        '# 番号を計画に書きたくないときは "${YAMADA_MOBILE}" と書き、値は環境変数か .env に。',
        "people:",
    ]
    for person in contacts.people:
        lines += [f"  - id: {person.id}", f"    name: {_q(person.name)}"]
        if person.kana:
            lines.append(f"    kana: {_q(person.kana)}")
        if person.site:
            lines.append(f"    site: {person.site}")
        channels = [f"{{voice: {_q(n)}, label: {_q(label)}}}" for n, label in person.voice]
        if person.sms:
            channels.append(f"{{sms: {_q(person.sms)}}}")
        if person.email:
            channels.append(f"{{email: {_q(person.email)}}}")
        if channels:
            lines.append("    channels:")
            lines += [f"      - {c}" for c in channels]
        else:
            lines.append(
                "    channels: []   # 連絡手段がありません: 電話・携帯・メールを書いてください"
            )
        if person.note:
            lines.append(f"    note: {_q(person.note)}")
    lines += ["", "roles:"]
    for role in contacts.roles:
        lines += [
            f"  - id: {role.id}",
            "    name:",
            f"      ja: {_q(role.name)}",
            f"    holder: {role.holder}",
        ]
        if role.deputies:
            lines.append(f"    deputies: [{', '.join(role.deputies)}]   # この順に呼び出します")
        else:
            lines.append(
                "    # deputies: []   代理者がいません（`drillkit validate` が注意します）"
            )
    if not contacts.roles:
        lines[-1] = "roles: []"
    members = [role.id for role in contacts.roles] + [p.id for p in contacts.unroled()]
    lines += [
        "",
        "# 連絡網。段（levels）は上から順に呼び出します。1人分の最長の時間 =",
        "# 番号・アドレスの数 ×（1 + retries）× ack_timeout_minutes。",
        "trees:",
        "  - id: internal",
        "    name:",
        f"      ja: {_q('庁内緊急時連絡網')}",
        "    scope: internal           # internal（庁内、自己点検 5-2）または external（庁外、5-3）",
        "    levels:",
        "      - id: everyone",
        "        name:",
        f"          ja: {_q('全員への連絡')}",
        "        mode: parallel        # parallel（同時）または sequential（順番）",
        "        required: all         # all（全員）、any（誰か1人）、または人数",
        "        ack_timeout_minutes: 3",
        "        retries: 0",
        "        channels: [voice, sms, email]",
        "        members:",
    ]
    lines += [f"          - {ref}" for ref in members]
    return "\n".join(lines) + "\n"


_SCENARIO = """\
# 緊急時連絡網の訓練
#
# 訓練中のメッセージには、送信時に【訓練】の表示が自動で付きます（ここには書きません）。
# 使える差し込み: person, role, site, scenario, organisation, deadline, started
id: roll-call
kind: drill
title:
  ja: 緊急時連絡網 訓練
  en: Contact tree drill
trees: [internal]
targets: [internal-60min]
injects:
  - at_minutes: 0
    text:
      ja: 訓練開始。連絡網の全員に連絡する。
      en: The drill starts; everyone on the contact tree is paged.
messages:
  ja:
    voice: "{{ organisation }}の、{{ scenario }}による連絡です。{{ person }}様、\\
      この連絡を受けたことを、{{ deadline }}までにお知らせください。"
    sms: "連絡網の確認。応答を"
    email_subject: "{{ organisation }} {{ scenario }}：応答のお願い"
    email_body: |
      {{ person }} 様

      {{ organisation }} 緊急時連絡網の確認の連絡です。
      この連絡を受けたことを、{{ deadline }}までに下のリンクから応答してください。
"""


def _write(root: Path, files: dict[str, str], force: bool) -> list[Path]:
    existing = [root / name for name in files if (root / name).exists()]
    if existing and not force:
        raise DrillError(
            f"{', '.join(str(p) for p in existing)}: already there. Choose an empty "
            "directory (`drillkit init my-plan`), or add --force to overwrite these files.",
            title="Plan files exist",
        )
    written = []
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def _problem_text(w: Words, problem: Problem) -> str:
    value = _mask(problem.value) if problem.code in ("bad_phone", "not_mobile") else problem.value
    why = w.cli(f"init.problem.{problem.code}", value=value)
    return w.cli("init.problem", row=problem.row, column=problem.column, why=why)


def _mask(text: str) -> str:
    """A number as written, masked like `mask_number` (first 3 and last 2 digits)."""
    digits = sum(ch.isdigit() for ch in text)
    seen, shown = 0, []
    for ch in text:
        if ch.isdigit():
            seen += 1
            shown.append(ch if seen <= 3 or seen > digits - 2 else "*")
        else:
            shown.append(ch)
    return "".join(shown)


@click.command()
@click.argument(
    "directory", required=False, default=".", type=click.Path(path_type=Path, file_okay=False)
)
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A contact list to convert: .csv (Shift_JIS or UTF-8, as Excel saves) or .xlsx.",
)
@click.option(
    "--organisation",
    default="〇〇市",
    show_default=True,
    help="The organisation's name, as written in plan.yaml.",
)
@click.option("--force", is_flag=True, help="Overwrite plan files already in DIRECTORY.")
@click.option(
    "--lang", type=click.Choice(["ja", "en"]), default=None, help="Language of the messages."
)
def init(
    directory: Path, source: Path | None, organisation: str, force: bool, lang: str | None
) -> None:
    """Write a plan directory to start from: a commented skeleton that validates as it is,
    or, with --from, your contact list (氏名, 所属, 役割, 電話, 携帯, メール, 代理 …) as
    contacts YAML, with a report of every cell it could not read.

    Then: `drillkit validate DIR` → `drillkit tree DIR --format html` (the paper copy) →
    `drillkit run DIR/scenarios/roll-call.yaml --simulate`.
    """
    from drill.cli.run_commands import progress_language

    w = words(progress_language(lang))
    rows = read_rows(source) if source is not None else _EXAMPLE_ROWS
    try:
        contacts = read_contact_list(rows, allow_fictional=source is None)
    except ValueError as exc:
        key = "init.no_name_column" if str(exc) == "no_name_column" else "init.empty"
        raise DrillError(
            w.cli(key, path=source, names="、".join(("氏名", "名前", "name"))),
            title=w.cli("init.cannot_read"),
        ) from None
    if not contacts.people:
        raise DrillError(w.cli("init.nobody", path=source), title=w.cli("init.cannot_read"))
    today = dt.datetime.now(dt.UTC).astimezone().date()
    files = {
        "plan.yaml": _plan_yaml(organisation, contacts, source is None, today),
        "contacts/contacts.yaml": _contacts_yaml(contacts, source.name if source else None),
        "scenarios/roll-call.yaml": _SCENARIO,
    }
    written = _write(directory, files, force)
    for path in written:
        out.print(escape(w.cli("init.wrote", path=path)), soft_wrap=True)
    if source is not None:
        out.print(
            escape(
                w.cli(
                    "init.read",
                    people=len(contacts.people),
                    roles=len(contacts.roles),
                    sites=len(contacts.sites),
                    blank=contacts.blank_rows,
                )
            ),
            soft_wrap=True,
        )
    if contacts.problems:
        err.print(
            f"[yellow]{escape(w.cli('init.problems', count=len(contacts.problems)))}[/]",
            soft_wrap=True,
        )
        for problem in contacts.problems:
            err.print(f"  {escape(_problem_text(w, problem))}", soft_wrap=True)
    # The plan is written either way: the problems are a to-do list, not a failure.
    out.print(escape(w.cli("init.next", dir=directory)), soft_wrap=True)


COMMANDS = [init]
