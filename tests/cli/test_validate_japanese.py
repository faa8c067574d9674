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
