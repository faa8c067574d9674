"""A template's plain pieces, read without Jinja's parser, are exactly the parser's.

`plain_pieces` reads text with `{{ name }}` placeholders itself (most messages) and
leaves anything else to Jinja; held here to what Jinja's own parse gives for any text.
"""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.plan.templates import parsed_pieces, plain_pieces


def _fresh(source: str) -> tuple[tuple[bool, str], ...] | None:
    plain_pieces.cache_clear()
    return plain_pieces(source)


_NAMES = sorted(
    {*keyword.kwlist, *(w.lower() for w in keyword.kwlist), "person", "_x", "x1", "and", "or"}
    | {"not", "in", "is", "if", "else", "none", "true", "false", "loop", "self", "range"}
)


@pytest.mark.parametrize("name", _NAMES)
def test_every_keyword_as_a_placeholder_reads_as_jinja_reads_it(name: str) -> None:
    for source in (f"{{{{ {name} }}}}", f"a{{{{{name}}}}}b", f"{{{{  {name}  }}}}\n"):
        assert _fresh(source) == parsed_pieces(source), source


@pytest.mark.parametrize(
    "source",
    [
        "",
        "plain text only\n",
        "{{ person }} 様\n{{ scenario }}について、第{{ number }}報（{{ time }} 時点）\n\n",
        "{{{ person }}",
        "{ {{ person }} }",
        "{{ person }}}",
        "{{ person }}}}",
        "{{-person}}",
        "{{ person -}}\n x",
        "{{+ person }}",
        "{{\tperson }}",
        "{{\nperson\n}}",
        "{{ person.name }}",
        "{{ person }}\r\n",
        "a\rb",
        "{% raw %}{{ person }}{% endraw %}",
        "{# note #}{{ person }}",
        "{{ person }}{#",
        "{{ 名前 }}",
        "{{ person",
        "}} {{ person }} %}",
        "{{ person }}{{ role }}",
    ],
)
def test_an_awkward_template_reads_as_jinja_reads_it(source: str) -> None:
    assert _fresh(source) == parsed_pieces(source)


_PIECES = st.sampled_from(
    [
        *("{{", "}}", "{%", "%}", "{#", "#}", "{", "}", " ", "\n", "\r", "\t", "-", "+"),
        *("名", "a", "x", "テキスト", "|", "'", '"', "~", "{% if x %}", "{% endif %}"),
        *("{{ person }}", "{{person}}", "{{ none }}", "{{ not }}", "{{ x.y }}"),
        *("{% raw %}", "{% endraw %}"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_any_text_reads_as_jinja_reads_it(source: str) -> None:
    assert _fresh(source) == parsed_pieces(source)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_characters_read_as_jinja_reads_them(source: str) -> None:
    assert _fresh(source) == parsed_pieces(source)
