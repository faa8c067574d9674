"""A list that narrows as the operator types: the dialogs that choose a contact or a
person (manual acknowledgement `a`, page now `g`) show the entries whose search key
holds every word typed (folded as `directory.fold` folds), the first highlighted."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from drill.tui.directory import fold

__all__ = ["highlighted_id", "show_matches"]


def show_matches(
    options: OptionList, entries: Iterable[tuple[str, str, str]], query: str, most: int
) -> None:
    """Fill `options` with the (label, id, search key) entries matching `query`: at most
    `most` of them, in order, the first highlighted."""
    wanted = [fold(word) for word in query.split()]
    shown = [
        Option(label, id=value) for label, value, key in entries if all(w in key for w in wanted)
    ][:most]
    options.clear_options()
    options.add_options(shown)
    if shown:
        options.highlighted = 0


def highlighted_id(options: OptionList) -> str | None:
    """The id of the entry highlighted in `options` (None: none)."""
    index = options.highlighted
    if index is None or index >= options.option_count:
        return None
    return options.get_option_at_index(index).id
