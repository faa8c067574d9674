"""DK-W010 counts what the SMS channel adds: the drill marker, a line break, a real link."""

from __future__ import annotations

import shutil
from pathlib import Path

from drill.plan import Finding, load_plan
from drill.plan.lint import _sms_with_link, sms_segments

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
FIXTURE_SMS = '    sms: "{{ scenario }}。確認を"'


def w010(tmp_path: Path, sms: str) -> tuple[Path, list[Finding]]:
    root = tmp_path / "plan"
    shutil.copytree(MINIMAL, root)
    scenario = root / "scenarios" / "theft.yaml"
    text = scenario.read_text(encoding="utf-8")
    assert FIXTURE_SMS in text
    scenario.write_text(text.replace(FIXTURE_SMS, f'    sms: "{sms}"'), encoding="utf-8")
    return root, [f for f in load_plan(root).findings if f.code == "DK-W010"]


def test_eleven_japanese_characters_fit_beside_the_marker_and_the_link(tmp_path: Path) -> None:
    assert w010(tmp_path, "あ" * 11)[1] == []


def test_twelve_do_not_and_the_warning_says_what_it_assumed(tmp_path: Path) -> None:
    root, [finding] = w010(tmp_path, "あ" * 12)
    text = finding.render(root)
    assert "the ja SMS of 'theft' needs 2 segments (12 characters + marker and link" in text
    assert "【訓練】, a line break and a 54-character link" in text
    assert "https:// + a 25-character host + /a/ + an 18-character token" in text
    assert "keep Japanese SMS to 11 characters, English to 95" in text


def test_the_scenario_title_is_counted_as_it_will_be_sent(tmp_path: Path) -> None:
    # 統合端末の盗難。確認を: the fixture's title, 11 characters in all.
    assert w010(tmp_path, "{{ scenario }}。確認を")[1] == []
    assert len(w010(tmp_path / "longer", "{{ scenario }}。確認して")[1]) == 1


def test_english_counts_the_marker_brackets_as_two_septets() -> None:
    assert _sms_with_link("a", "en").startswith("[DRILL] a\nhttps://")
    assert sms_segments(_sms_with_link("a" * 95, "en")) == 1
    assert sms_segments(_sms_with_link("a" * 96, "en")) == 2
    assert sms_segments("[" * 80) == 1 and sms_segments("[" * 81) == 2
