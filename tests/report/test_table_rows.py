"""The contacts table's rows are looked at once for characters to escape or replace, not
cell by cell: every row must be what escaping (HTML) or `_cell` (Markdown) each cell
writes, whatever its cells hold."""

from __future__ import annotations

from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from drill.report import html_report, markdown_report

_CELLS = st.lists(
    st.text(max_size=6) | st.sampled_from(["a&b", "<", "'", '"', "|", "\\", "x\ny", " 　 ", ""]),
    max_size=12,
).map(tuple)


@settings(max_examples=300, deadline=None)
@given(_CELLS)
def test_an_html_row_is_each_cell_escaped(cells: tuple[str, ...]) -> None:
    expected = "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
    assert html_report._row(cells) == expected


@settings(max_examples=300, deadline=None)
@given(_CELLS)
def test_a_markdown_row_is_each_cell_as_cell_writes_it(cells: tuple[str, ...]) -> None:
    expected = "| " + " | ".join(markdown_report._cell(c) for c in cells) + " |"
    assert markdown_report._row(cells) == expected
