"""Japanese line breaking: at any full-width character, never before 、。 or after 「."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from drill.tui.prose import fold

DESCRIPTION = (
    "平日の午前、CS から都道府県サーバに接続できなくなる。原因は J-LIS が運用する"
    "都道府県サーバ集約センターの障害で、本人確認情報の照会が止まる。"
)


def test_japanese_folds_at_the_edge_not_at_the_spaces() -> None:
    lines = fold(Text(DESCRIPTION), 30).plain.split("\n")
    assert lines[0] == "平日の午前、CS から都道府県"  # サ stays with ー
    assert all(cell_len(line) <= 30 for line in lines)
    assert "".join(lines).replace(" ", "") == DESCRIPTION.replace(" ", "")


def test_no_line_starts_with_closing_punctuation_or_ends_with_an_opening_one() -> None:
    for width in range(12, 40):
        for line in fold(Text(DESCRIPTION + "「確認」（J-LIS）。"), width).plain.split("\n")[1:]:
            assert line[:1] not in "、。）」]"
        for line in fold(Text("障害  [実対応] 「重要」な連絡"), width).plain.split("\n")[:-1]:
            assert line[-1:] not in "「（["


def test_latin_words_stay_whole_and_styles_survive() -> None:
    text = Text("Start a REAL incident: real people will be called.")
    text.stylize("bold", 8, 12)
    folded = fold(text, 20)
    assert folded.plain.split("\n") == [
        "Start a REAL",
        "incident: real",
        "people will be",
        "called.",
    ]
    assert any(span.style == "bold" for span in folded.spans)
