"""Japanese prose that wraps the way Japanese is typeset.

Textual (like Rich) breaks lines only at spaces, so "CS から都道府県サーバに接続でき…"
leaves "CS" alone on a line and folds the rest below it. `fold` breaks between any two
full-width characters instead, keeps Latin words and numbers whole, and follows the
basic line-breaking rules (禁則処理): no line starts with 、。）」 and the like, none ends
with （「. `Prose` is a static text widget that folds its text for its own width.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text as RichText
from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

__all__ = ["Prose", "fold"]

_UNITS = re.compile(r"[ \t]+|[\x21-\x7e]+|.", re.DOTALL)
_NO_START = set(
    "、。，．・：；？！ー）」』】〕〉》”’ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々)]},.:;!?"
)
_NO_END = set("（「『【〔〈《“‘([{")


def _fold_line(plain: str, width: int) -> list[int]:
    """Offsets (into `plain`, one line without newlines) at which to break it."""
    breaks: list[int] = []
    used = 0
    units = [(m.start(), m.group()) for m in _UNITS.finditer(plain)]
    index = 0
    while index < len(units):
        start, unit = units[index]
        size = cell_len(unit)
        if unit.isspace():
            used += size
            index += 1
            continue
        if used + size <= width or used == 0:
            if size > width and used == 0:  # a Latin word wider than the line: cut it
                cut, cells = start, 0
                for ch in unit:
                    if cells + cell_len(ch) > width:
                        breaks.append(cut)
                        cells = 0
                    cells += cell_len(ch)
                    cut += 1
                used = cells
            else:
                used += size
            index += 1
            continue
        # Break before this unit, pulling a character that may not end a line down with
        # it, and not starting the new line with one that may not begin a line.
        at = index
        while (
            at > 0
            and index - at < 3
            and units[at][1][0] in _NO_START
            and not units[at - 1][1].isspace()
        ):
            at -= 1
        if at > 0 and units[at - 1][1][-1] in _NO_END:
            at -= 1
        if at == 0 or (breaks and units[at][0] <= breaks[-1]):
            at = index  # the line is too narrow to keep the rules: break where it must
        offset = units[at][0]
        while at < len(units) and units[at][1].isspace():  # no line starts with spaces
            at += 1
            offset = units[at][0] if at < len(units) else len(plain)
        breaks.append(offset)
        used = 0
        index = at
    return breaks


def fold(text: RichText, width: int) -> RichText:
    """`text` with line breaks where Japanese would break it at `width` cells."""
    if width <= 0:
        return text
    offsets: list[int] = []
    position = 0
    for line in text.plain.split("\n"):
        if cell_len(line) > width:
            offsets.extend(position + offset for offset in _fold_line(line, width))
        position += len(line) + 1
    if not offsets:
        return text
    pieces = text.divide(offsets)
    for piece in pieces:
        if piece.plain.strip():
            piece.rstrip()  # the space a line was broken at
    out = RichText("\n").join(pieces)
    out.no_wrap = True
    out.overflow = "crop"
    return out


class Prose(Widget):
    """Static text, folded for the widget's width the Japanese way."""

    DEFAULT_CSS = """
    Prose {
        height: auto;
    }
    """

    def __init__(
        self,
        text: RichText | str = "",
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.text = RichText(text) if isinstance(text, str) else text

    def update(self, text: RichText | str) -> None:
        self.text = RichText(text) if isinstance(text, str) else text
        self.refresh(layout=True)

    def render(self) -> RenderResult:
        return fold(self.text, self.content_region.width or self.size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return fold(self.text, width).plain.count("\n") + 1
