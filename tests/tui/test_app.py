"""The console as a whole: language setting, help, command palette, errors as modals."""

from __future__ import annotations

from textual.command import CommandPalette

from drill.errors import StoreError
from drill.tui.dialogs import ErrorDialog
from drill.tui.screens.help import HelpScreen
from tests.tui.conftest import make_app, ready, text_of, wait_for


async def test_language_help_and_errors_as_modals() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        nav = app.screen.query_one("#nav")
        assert "1 計画" in " ".join(text_of(s) for s in nav.query(".nav-item"))
        await pilot.press("l")
        await pilot.pause()
        labels = " ".join(text_of(s) for s in app.screen.query(".nav-item"))
        assert "1 Plan" in labels and "2 Contacts" in labels
        assert "Sample City" in text_of(app.screen.query_one("#plan-summary"))
        keys = [b.binding.description for b in app.screen.active_bindings.values()]
        assert "Help" in keys and "Quit" in keys
        await pilot.press("2")  # a screen made before the switch follows it too
        await pilot.pause()
        assert "Numbers are masked" in str(app.screen.query_one("#contacts-status").render())
        await pilot.press("l")
        await pilot.pause()
        assert "番号は伏せ字です" in str(app.screen.query_one("#contacts-status").render())

        # The help screen explains the screens and keys.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        assert "手動で応答を記録" in text_of(app.screen.query_one("#help-text"))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

        # An error is a modal that says what happened, never a traceback.
        app.show_error(StoreError("Cannot open the event store /x/events.db: disk full."))
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.error_title == "Event store error"
        assert "disk full" in text_of(dialog.query_one(".dialog-text"))
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorDialog)


async def test_every_action_has_a_command_palette_entry() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for words in ["計画を表示", "連絡網を表示", "連絡先を検索", "電話番号の表示", "訓練として開始",
                      "実対応として開始", "手動で応答を記録", "手順を完了", "メモを追加", "一時停止",
                      "中止", "絞り込み", "履歴を表示", "選択した記録を開く", "報告書", "ヘルプ",
                      "表示言語", "終了"]:  # fmt: skip
            assert any(words in title for title in titles), words
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"連絡網を表示")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "contacts")
