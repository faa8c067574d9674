"""Browsing the plan, the contact trees and the scenarios, as a duty officer would."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import DataTable, Tree

from drill.tui.app import DrillApp
from tests.tui.conftest import REPO, make_app, ready, text_of


def _text(app: DrillApp, selector: str) -> str:
    return text_of(app.screen.query_one(selector))


async def test_number_keys_switch_screens_and_the_plan_shows_its_figures() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.current_mode == "plan"
        summary = _text(app, "#plan-summary")
        assert "サンプル市" in summary and "2026.1" in summary and "2026-04-01" in summary
        counts = _text(app, "#plan-counts")
        lines = counts.splitlines()
        # Full-width labels padded by cells: the figures line up in columns.
        assert lines[1] == "  人数                 49   役割                 24"
        assert lines[2] == "  代理者のいない役割    0   庁外関係機関          6"
        assert "全支所への連絡 10分以内" in _text(app, "#plan-targets")
        assert "指摘はありません" in _text(app, "#plan-findings-head")
        for key, mode in [("2", "contacts"), ("3", "scenarios"), ("4", "board"), ("5", "history")]:
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
        await pilot.click("#nav .nav-item")  # the mouse works too: "1 計画"
        await pilot.pause()
        assert app.current_mode == "plan"
        assert app.errors == []


async def test_a_plan_with_errors_opens_on_the_errors_with_their_fixes(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    shutil.copytree(REPO / "tests/plan/fixtures/minimal", plan_dir)
    roles = plan_dir / "contacts/roles.yaml"
    roles.write_text(roles.read_text().replace("holder: sato", "holder: satou"))
    app = make_app(plan_dir=plan_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.current_mode == "plan" and app.loaded is None
        assert "エラーが 1 件" in _text(app, "#plan-findings-head")
        findings = _text(app, "#plan-findings-list")
        assert "DK-E007" in findings and "roles.yaml" in findings
        assert "定義されていない参照" in findings  # the code's title, in Japanese
        assert "人または役割 'satou' は定義されていません。" in findings
        assert "直し方: もしかして 'sato' ですか？" in findings
        assert "did you mean" not in findings and "is not defined" not in findings
        await pilot.press("3")
        await pilot.pause()
        assert "計画を読み込めていない" in text_of(app.screen.query_one(".notice"))
        assert app.errors == []


async def test_the_plan_screen_says_the_errors_in_english_when_asked(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    shutil.copytree(REPO / "tests/plan/fixtures/minimal", plan_dir)
    roles = plan_dir / "contacts/roles.yaml"
    roles.write_text(roles.read_text().replace("holder: sato", "holder: satou"))
    app = make_app(plan_dir=plan_dir, language="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        findings = _text(app, "#plan-findings-list")
        assert "Unknown reference" in findings
        assert "person or role 'satou' is not defined" in findings
        assert "did you mean 'sato'?" in findings
        assert "定義されていません" not in findings and "もしかして" not in findings


async def test_contacts_tree_masking_search_and_a_persons_detail() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        tree = app.screen.query_one("#contacts-tree", Tree)

        # Each tree: levels, sites, roles, holders and deputies, channels.
        trees = [str(node.label) for node in tree.root.children]
        assert trees == ["庁内緊急時連絡網 (庁内)", "庁外の関係機関との緊急連絡網 (庁外)"]
        levels = [str(node.label) for node in tree.root.children[0].children]
        assert levels[0].startswith("第1段 統括責任者・システム管理者への連絡")
        assert "同時・全員の応答・電話→SMS・1.5分で次へ" in levels[0]
        labels = _labels(tree.root)
        assert "担当 山田 太郎 (やまだ たろう)" in labels
        assert "代理1 佐藤 花子 (さとう はなこ)" in labels
        # システム管理者 is a weekly rota (渡辺, 中村), then one deputy.
        assert "輪番 中村 彩 (なかむら あや)" in labels
        assert "代理1 Kevin Lee (ケビン リー)" in labels
        assert "サンプル警察署 [関係機関]" in labels

        # Numbers are masked until `n`, and masked again by a second `n`.
        assert "電話 095-***-**01 (庁舎)" in labels
        assert "電話 095-000-1101 (庁舎)" not in labels
        await pilot.press("n")
        await pilot.pause()
        labels = _labels(tree.root)
        assert "電話 095-000-1101 (庁舎)" in labels
        assert "SMS 090-0011-0001 (携帯)" in labels
        assert "番号を表示中" in _text(app, "#contacts-status")
        await pilot.press("n")
        await pilot.pause()
        assert "電話 095-***-**01 (庁舎)" in _labels(tree.root)

        # Search by name in kana or katakana, by site, by role.
        await pilot.press("slash")

        async def search(text: str) -> list[str]:
            await pilot.press("ctrl+a", "ctrl+k")  # empty the box
            await pilot.press(*text)
            await pilot.pause(0.3)
            return [label for label in _labels(tree.root) if "(" in label and "段" not in label]

        found = await search("ヤマダ")  # katakana finds やまだ
        assert any("山田 太郎" in label for label in found)
        assert not any("佐藤 花子" in label for label in found)
        assert "1 件" in _text(app, "#contacts-status")
        found = await search("島しょ")  # a site
        assert any("西村 学" in label for label in found)
        found = await search("システム管理者")  # a role: holder and deputies
        assert any("渡辺 健二" in label for label in found)
        assert any("Kevin Lee" in label for label in found)
        await search("zzz")
        assert "該当なし" in _text(app, "#contacts-status")

        # Enter picks the first match and shows the person's details.
        await search("わたなべ")
        await pilot.press("enter")
        await pilot.pause()
        detail = _text(app, "#person-detail")
        assert "渡辺 健二" in detail
        assert "連絡手段" in detail and "電話 095-***-**" in detail
        assert "担当する役割" in detail and "システム管理者" in detail
        assert "庁内緊急時連絡網" in detail
        await pilot.press("slash", "escape")
        await pilot.pause(0.3)
        assert "山田 太郎" in " ".join(_labels(tree.root))


def _labels(node: object) -> list[str]:
    out: list[str] = []
    for child in getattr(node, "children", []):
        out.append(str(child.label))
        out.extend(_labels(child))
    return out


async def test_scenarios_list_kind_injects_playbook_and_targets() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#scenarios-table", DataTable)
        assert table.row_count == 4
        await pilot.press("down", "down")
        await pilot.pause()
        text = _text(app, "#scenario-text")
        assert "統合端末の盗難" in text and "[実対応]" in text
        assert "開始0分後" in text and "操作者識別カードの失効手続き" in text
        assert "必要な関係機関: 警察、J-LIS、都道府県" in text
        assert "庁外関係機関への連絡完了 30分以内" in text
        assert "16-4" in text
