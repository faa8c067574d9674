"""The plan check speaks Japanese first: `drillkit validate` and `explain` (and the
console's plan screen, tests/tui) say every finding's title, message and fix in Japanese,
with no English sentence inside, and English with DRILLKIT_LANG=en or `--lang en`; the
code catalogue has Japanese for every code; `--json` keeps its English shape."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from drill.cli import cli
from drill.plan.findings import CODES
from drill.words.findings import (
    AGENCY_JA,
    CODES_JA,
    ERRNO_JA,
    FRAME,
    MESSAGES_JA,
    NOUNS_JA,
    PYDANTIC_JA,
    YAML_JA,
)
from tests.cli.test_cli_words import _LATIN, _QUOTED

ROOT = Path(__file__).resolve().parents[2]

_ALLOWED = {"SMS", "ID", "YAML", "UTF-", "FIFO", "IANA", "MB", "J-LIS", "README", "drillkit"}
"""Latin words a Japanese finding may hold: product names, codes and formats."""
_CODE_LIKE = re.compile(
    r"'[^']*'"  # ids, keys and values, quoted as the user wrote them
    r"|DK-[EW]\d{3}"  # finding codes
    r"|[\w./-]+\.(?:yaml|yml|env)\b"  # file names
    r"|\$\{[^}]*\}"  # variables
    r"|[+\d][\d-]*X+[X\d-]*"  # fictional number patterns
)


def _english(text: str) -> set[str]:
    """The Latin words of `text` once code, ids, file names and allowed words are gone."""
    bare = _CODE_LIKE.sub("", _QUOTED.sub("", text))
    return set(_LATIN.findall(bare)) - _ALLOWED


def _sample(tmp_path: Path) -> Path:
    plan = tmp_path / "plan"
    plan.mkdir()
    shutil.copy(ROOT / "plan.yaml", plan / "plan.yaml")
    for name in ("contacts", "scenarios", "playbooks"):
        shutil.copytree(ROOT / name, plan / name)
    return plan


def _drillkit(
    tmp_path: Path, *args: str, lang: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DRILLKIT_HOME": str(tmp_path / "home"), "COLUMNS": "400"}
    env.pop("DRILLKIT_LANG", None)
    if lang is not None:
        env["DRILLKIT_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "drill", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


# -- the catalogue ------------------------------------------------------------------------


def test_every_code_has_a_japanese_title_explanation_and_fix() -> None:
    assert set(CODES_JA) == set(CODES)
    for code, (title, explanation, fix) in CODES_JA.items():
        assert title and explanation and fix, code
        assert title != CODES[code].title, code
        for text in (title, explanation, fix):
            assert not _english(text), f"{code}: English in {text!r}: {_english(text)}"
            assert re.search(r"[ぁ-んァ-ン一-龥]", text), f"{code}: no Japanese in {text!r}"


def test_no_english_sentence_in_the_japanese_messages() -> None:
    templates = [
        *MESSAGES_JA.values(),
        *(text for pair in PYDANTIC_JA.values() for text in pair),
        *(ja for ja, _ in FRAME.values()),
        *YAML_JA.values(),
        *ERRNO_JA.values(),
        *NOUNS_JA.values(),
        *AGENCY_JA.values(),
    ]
    for text in templates:
        bare = re.sub(r"\{[^}]*\}", "", text)
        assert not _english(bare), f"English in {text!r}: {_english(bare)}"


def test_the_english_words_are_caught_by_the_check() -> None:
    # The check itself must see an English sentence, or the tests above prove nothing.
    assert _english("person or role 'sato2' is not defined") >= {"person", "defined"}
    assert not _english("人または役割 'sato2' は定義されていません。")


# -- validate and explain: the framing ------------------------------------------------------


def test_validate_of_the_sample_says_it_is_usable_in_japanese(tmp_path: Path) -> None:
    result = _drillkit(tmp_path, "validate", "--strict")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("エラーはありません: サンプル市"), lines[0]
    assert "承認日 2026年" in lines[0]
    assert "人数 49・役割 24（うち庁外関係機関 6）" in lines[1]
    assert "サンプル計画です" in lines[2]
    assert lines[-1].strip() == "注意はありません。"
    for line in lines:
        assert not _english(line), line


def test_validate_speaks_english_when_asked(tmp_path: Path) -> None:
    by_env = _drillkit(tmp_path, "validate", lang="en")
    by_option = _drillkit(tmp_path, "validate", "--lang", "en")
    for result in (by_env, by_option):
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("OK サンプル市")
        assert "people 49 · roles 24" in result.stdout
        assert result.stdout.splitlines()[-1].strip() == "no warnings"


def test_explain_says_a_code_in_japanese_and_in_english() -> None:
    runner = CliRunner()
    ja = runner.invoke(cli, ["explain", "e007"], env={"DRILLKIT_LANG": "ja"})
    assert ja.exit_code == 0
    assert ja.stdout.splitlines() == [
        "DK-E007 定義されていない参照",
        CODES_JA["DK-E007"][1],
        f"直し方: {CODES_JA['DK-E007'][2]}",
    ]
    en = runner.invoke(cli, ["explain", "e007", "--lang", "en"])
    assert "DK-E007 Unknown reference" in en.stdout
    assert f"What to do: {CODES['DK-E007'].fix}" in en.stdout
    listing = runner.invoke(cli, ["explain"], env={"DRILLKIT_LANG": "ja"}).stdout
    assert "DK-W001 代理者のいない役割" in listing and "Role without" not in listing
    # --json stays English, in the same shape
    data = json.loads(runner.invoke(cli, ["explain", "e007", "--json"]).stdout)
    assert data == {
        "code": "DK-E007",
        "title": "Unknown reference",
        "explanation": CODES["DK-E007"].explanation,
        "fix": CODES["DK-E007"].fix,
    }


def test_an_unknown_code_is_a_japanese_error_with_the_nearest_code() -> None:
    result = CliRunner().invoke(cli, ["explain", "e07"], env={"DRILLKIT_LANG": "ja"})
    assert result.exit_code == 2
    assert "計画のエラー" in result.stderr
    assert "検査結果のコード 'DK-E07' はありません。もしかして 'DK-E017' ですか？" in result.stderr


# -- validate: the findings themselves ------------------------------------------------------


def _edit(file: Path, old: str, new: str) -> int:
    """Replace the first `old` in `file`; the line it was on."""
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def _planted(tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of the sample plan with an error of each kind the catalogue says in
    Japanese; the Japanese lines `validate` must print for them (place, title, message,
    fix)."""
    plan = _sample(tmp_path)
    people, roles = plan / "contacts" / "people.yaml", plan / "contacts" / "roles.yaml"
    missing = _edit(
        roles, "    name:\n      ja: システム管理責任者", "    nam:\n      ja: システム管理責任者"
    )
    cycle = _edit(roles, "deputies: [sato-hanako]", "deputies: [security-chief]")
    _edit(roles, "deputies: [takahashi-yoko]", "deputies: [juki-chief]")
    key = _edit(people, "kana: やまだ たろう", "kanna: やまだ たろう")
    phone = _edit(people, "voice: 090-0011-0002", "voice: 12")
    unset = _edit(people, "kana: さとう はなこ", "kana: ${DRILLKIT_TEST_NOT_SET}")
    inf = _edit(
        plan / "scenarios" / "aggregation-centre-outage.yaml", "at_minutes: 5", "at_minutes: .inf"
    )
    ref = _edit(
        plan / "scenarios" / "unauthorized-access.yaml",
        "[internal, external]",
        "[internl, external]",
    )
    sms = _edit(
        plan / "scenarios" / "stolen-terminal.yaml",
        'sms: "{{ scenario }}。',
        "sms: \"{{ scenario|attr('x') }}。",
    )
    step = _edit(
        plan / "playbooks" / "annual-roll-call.yaml", "id: confirm-centres", "id: start-drill"
    )
    holidays = _edit(roles, "      holidays: skip", "      holidays: skp")
    roll_call = plan / "scenarios" / "annual-roll-call.yaml"
    too_long = _edit(
        roll_call,
        "{ja: 不可, en: Cannot}",
        "{ja: 不可（本日は遠方へ出張中のため出社できません）, en: Cannot}",
    )
    (plan / "scenarios" / "broken.yaml").write_text('title: "abc\n\n', encoding="utf-8")
    (plan / "playbooks" / "unsafe.yaml").write_text(
        "id: unsafe\nsteps: !!python/object:os.system []\n", encoding="utf-8"
    )
    os.mkfifo(plan / "playbooks" / "pipe.yaml")
    expected = [
        f"エラー DK-E007（定義されていない参照） scenarios/unauthorized-access.yaml:{ref} trees[0]: "
        "連絡網 'internl' は定義されていません。　直し方: もしかして 'internal' ですか？",
        f"エラー DK-E004（知らないキー） contacts/people.yaml:{key} people[0].kanna: "
        "知らないキー 'kanna' です。　直し方: もしかして 'kana' ですか？",
        f"エラー DK-E005（必須のキーがありません） contacts/roles.yaml:{missing - 1} roles[2].name: "
        "キー 'name' がありません。　直し方: 'name' を追加してください。",
        f"エラー DK-E004（知らないキー） contacts/roles.yaml:{missing} roles[2].nam: "
        "知らないキー 'nam' です。　直し方: もしかして 'name' ですか？",
        f"エラー DK-E011（電話番号が正しくありません） contacts/people.yaml:{phone} "
        "people[1].channels[1].voice: 電話番号として正しくありません。　直し方: 桁を確かめてください",
        f"エラー DK-E010（未設定の変数） contacts/people.yaml:{unset} people[1].kana: "
        "${DRILLKIT_TEST_NOT_SET} が設定されていません。　直し方: `DRILLKIT_TEST_NOT_SET` を環境変数か、",
        f"エラー DK-E006（値が正しくありません） scenarios/aggregation-centre-outage.yaml:{inf} "
        "injects[1].at_minutes: 有限の数ではありません。　直し方: 有限の数を書いてください",
        f"エラー DK-E013（文面テンプレートの誤り） scenarios/stolen-terminal.yaml:{sms} "
        "messages.ja.sms: フィルター 'attr' はメッセージでは使えません（1 行目）。",
        f"エラー DK-E008（ID の重複） playbooks/annual-roll-call.yaml:{step} steps[1].id: "
        "手順の ID 'start-drill' が二度出てきます。　直し方: 手順にはそれぞれ別の ID を",
        "エラー DK-E002（YAML の書き方の誤り） scenarios/broken.yaml:1: YAML の書き方に誤りが"
        "あります（引用符が閉じられないままファイルが終わっています。3 行目で気づきました）。",
        "エラー DK-E003（使えない YAML タグ） playbooks/unsafe.yaml:2 steps: YAML タグ "
        "'!!python/object:os.system' は使えません。　直し方: タグを消し、",
        "エラー DK-E001（ファイルを読めません） playbooks/pipe.yaml: 通常のファイルではなく"
        "名前付きパイプ（FIFO）です。　直し方: 通常のファイルに置き換えるか、削除してください。",
        f"エラー DK-E007（定義されていない参照） contacts/roles.yaml:{holidays} "
        "roles[3].rotation.holidays: 'skp' は `skip` でも計画の人でもありません。　直し方: "
        "もしかして 'skip' ですか？",
        f"エラー DK-E006（値が正しくありません） scenarios/annual-roll-call.yaml:{too_long} "
        "question.choices[2].label: 選択肢の表示が長すぎるか、2 行以上あります。",
        f"エラー DK-E009（循環） contacts/roles.yaml:{cycle} roles[0].deputies: 代理者が循環して"
        "います: 'juki-chief' → 'security-chief' → 'juki-chief'　直し方: 連鎖のどこかで、",
    ]
    return plan, expected


def test_two_choices_with_one_label_read_in_japanese(tmp_path: Path) -> None:
    plan = _sample(tmp_path)
    roll_call = plan / "scenarios" / "annual-roll-call.yaml"
    _edit(roll_call, "{ja: 30分以内, en: Within 30 min}", "{ja: 出社可能, en: Within 30 min}")
    question = _edit(roll_call, "question:", "question:")
    result = _drillkit(tmp_path, "validate", str(plan))
    assert result.returncode == 2, result.stderr
    assert (
        f"エラー DK-E006（値が正しくありません） scenarios/annual-roll-call.yaml:{question} "
        "question: 二つの選択肢が同じ '出社可能' を使っています。　直し方: 選択肢ごとに別の "
        "`key` と表示を付けてください。"
    ) in result.stderr


def _said(line: str) -> str:
    """A finding line without its place (file:line key), which is code, not a sentence."""
    head, _, rest = line.partition("） ")
    _, _, said = rest.partition(": ")
    return head + said


def test_each_kind_of_error_reads_in_japanese_with_its_place_title_and_fix(
    tmp_path: Path,
) -> None:
    plan, expected = _planted(tmp_path)
    result = _drillkit(tmp_path, "validate", str(plan))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("エラー DK-")]
    for text in expected:
        assert any(line.startswith(text) for line in lines), (text, lines)
    for line in lines:
        assert "直し方: " in line, line
        assert not _english(_said(line)), f"English in {line!r}: {_english(_said(line))}"
    assert f"エラー {len(lines)} 件。すべて直すまでこの計画は使えません。" in result.stderr
    assert "error(s)" not in result.stderr and "error DK-" not in result.stderr


def test_the_same_errors_read_in_english_when_asked(tmp_path: Path) -> None:
    plan, expected = _planted(tmp_path)
    result = _drillkit(tmp_path, "validate", str(plan), lang="en")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error DK-")]
    assert len(lines) >= len(expected)
    assert any(
        "trees[0]: tree 'internl' is not defined — did you mean 'internal'?" in line
        for line in lines
    ), lines
    assert any("unknown key 'kanna' — did you mean 'kana'?" in line for line in lines), lines
    assert f"{len(lines)} errors — the plan cannot be used until they are fixed." in result.stderr
    assert not re.search(r"[ぁ-ん]", "\n".join(_said(line) for line in lines).replace("やまだ", ""))


def test_json_keeps_the_english_messages_and_its_shape(tmp_path: Path) -> None:
    plan, _ = _planted(tmp_path)
    result = _drillkit(tmp_path, "validate", str(plan), "--json")
    data = json.loads(result.stdout)
    assert data["ok"] is False
    finding = next(f for f in data["findings"] if f["key"] == "trees[0]")
    assert finding == {
        "code": "DK-E007",
        "severity": "error",
        "file": "scenarios/unauthorized-access.yaml",
        "line": finding["line"],
        "key": "trees[0]",
        "message": "tree 'internl' is not defined",
        "fix": "did you mean 'internal'?",
    }


def test_size_limits_and_their_variables_read_in_japanese(tmp_path: Path) -> None:
    plan = _sample(tmp_path)
    text = (plan / "contacts" / "people.yaml").read_text(encoding="utf-8")
    line = text[: text.index("\npeople:")].count("\n") + 2
    env = {**os.environ, "DRILLKIT_HOME": str(tmp_path / "home"), "DRILLKIT_LANG": "ja"}
    people = subprocess.run(
        [sys.executable, "-m", "drill", "validate", str(plan)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "DRILLKIT_MAX_PEOPLE": "10"},
        timeout=120,
        check=False,
    )
    assert people.returncode == 2
    assert (
        f"エラー DK-E017（計画が大きすぎます） contacts/people.yaml:{line} people: 人数が上限の 10 人を"
        "超えています（" in people.stderr
    ), people.stderr
    assert "直し方: 計画を分けるか、`DRILLKIT_MAX_PEOPLE=<人数>` で上限を上げてください。" in (
        people.stderr
    )
    typo = subprocess.run(
        [sys.executable, "-m", "drill", "validate", str(plan)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "DRILLKIT_MAX_PLAN_MB": "lots"},
        timeout=120,
        check=False,
    )
    assert typo.returncode == 2
    assert (
        "エラー DK-E006（値が正しくありません） `DRILLKIT_MAX_PLAN_MB=lots` は 1 から 1,000,000 "
        "までの整数ではありません。　直し方: 設定を消すか、整数を書いてください。" in typo.stderr
    ), typo.stderr


def test_lint_warnings_read_in_japanese(tmp_path: Path) -> None:
    plan = _sample(tmp_path)
    roles, people = plan / "contacts" / "roles.yaml", plan / "contacts" / "people.yaml"
    _edit(roles, "    deputies: [sato-hanako]\n", "")
    text = roles.read_text(encoding="utf-8")
    role = text[: text.index("  - id: juki-chief")].count("\n") + 1
    landline = _edit(people, "sms: 090-0011-0001", "sms: 095-000-1199")
    result = _drillkit(tmp_path, "validate", str(plan), "--strict")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("注意 DK-W")]
    assert any(
        line.startswith(
            f"注意 DK-W001（代理者のいない役割） contacts/roles.yaml:{role} roles[0]: "
            "役割 'juki-chief'（住基ネット統括責任者）に代理者がいません。　直し方: "
            "`deputies:` に 1 人以上を書いてください。"
        )
        for line in lines
    ), lines
    assert any(
        line.startswith(
            f"注意 DK-W009（固定電話への SMS） contacts/people.yaml:{landline} "
            "people[0].channels[2]: 095-***-**99 は携帯電話の番号ではありません。"
        )
        for line in lines
    ), lines
    for line in lines:
        assert "直し方: " in line, line
        assert not _english(_said(line)), f"English in {line!r}: {_english(_said(line))}"
    assert result.stdout.splitlines()[-1].strip() == f"注意 {len(lines)} 件"


def test_every_message_key_the_core_gives_has_japanese() -> None:
    """A key with no Japanese would silently fall back to English: each one the plan
    package names (message_key, fix_key, the walker's and templates' keys) is in the
    catalogue."""
    pattern = re.compile(
        r'"((?:lint|ref|dup|key|yaml|file|folder|plan|limit|env|cycle|required|nobody|sample'
        r'|contents|template|value)\.[a-z_.]+)"'
    )
    named = {
        key
        for source in (ROOT / "drill" / "plan").glob("*.py")
        for key in pattern.findall(source.read_text(encoding="utf-8"))
    } - {"plan.yaml", "plan.yml"}
    assert len(named) > 60, named  # the pattern still finds the keys
    assert named - MESSAGES_JA.keys() == set()


def test_another_command_on_a_plan_with_errors_says_them_in_its_panel(tmp_path: Path) -> None:
    plan, _ = _planted(tmp_path)
    ja = _drillkit(tmp_path, "tree", str(plan))
    assert ja.returncode == 2 and "Traceback" not in ja.stderr
    assert "計画のエラー" in ja.stderr and "件あります。" in ja.stderr
    assert "連絡網 'internl' は定義されていません。" in ja.stderr
    assert "error(s)" not in ja.stderr and "is not defined" not in ja.stderr
    en = _drillkit(tmp_path, "tree", str(plan), lang="en")
    assert en.returncode == 2
    assert "Plan error" in en.stderr and "errors in the plan at" in en.stderr
    assert "tree 'internl' is not defined" in en.stderr
