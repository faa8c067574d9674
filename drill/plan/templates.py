"""Message templates, rendered in a sandbox.

Scenario messages are written by users, so they are Jinja templates rendered by a
`SandboxedEnvironment` with `StrictUndefined`: `{{ person }}` works, attribute tricks that
could reach Python internals do not, and an unknown placeholder is an error both at
validation time and at render time.

A message is text with placeholders, so a template is also bounded: it may hold
placeholders, `{% if %}`, `~`, comparisons, slices and a few text filters, but no loops,
calls, arithmetic or assignments (`range(999999999)` or `'x' * 999999999` would take
minutes and gigabytes; the sandbox alone bounds neither). Without those, rendering takes
time and space in proportion to the template and its values, and `check_template` renders
each template once with the longest values a plan allows to prove its output fits
`MAX_OUTPUT_CHARACTERS`. All of this happens at validation, before anyone is paged.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "MAX_OUTPUT_CHARACTERS",
    "MAX_TEMPLATE_CHARACTERS",
    "PLACEHOLDERS",
    "UPDATE_PLACEHOLDERS",
    "TemplateProblem",
    "check_template",
    "compile_template",
    "parsed_pieces",
    "plain_pieces",
    "render_template",
]

PLACEHOLDERS: dict[str, str] = {
    "person": "the name of the person paged (田中 一郎)",
    "role": "the role they are paged for (システム管理者)",
    "site": "the site of that role, if any (北部支所)",
    "scenario": "the scenario title (都道府県サーバ集約センター障害)",
    "organisation": "the organisation (サンプル市)",
    "deadline": "the time by which to acknowledge (10:35)",
    "started": "when the drill or incident started (10:30)",
    "callback": "whom an outside agency calls back: the scenario's `callback` role, its "
    "holder and number (システム管理者 渡辺 健二 095-000-1234)",
}

UPDATE_PLACEHOLDERS: dict[str, str] = {
    "number": "the update's number, given by the engine (2 for 第2報)",
    "text": "what the duty officer wrote for this update",
    "time": "when the update was issued (10:45)",
    "person": PLACEHOLDERS["person"],
    "scenario": PLACEHOLDERS["scenario"],
    "organisation": PLACEHOLDERS["organisation"],
    "started": PLACEHOLDERS["started"],
    "callback": PLACEHOLDERS["callback"],
}
"""The placeholders of a status update's templates (第N報: `updates:` of a scenario)."""

# Far above any real message (an e-mail body is a few hundred characters), far below what
# could hurt: the trial render's output is at most this, so checking stays instant.
MAX_TEMPLATE_CHARACTERS = 20_000
MAX_OUTPUT_CHARACTERS = 50_000
_TRIAL_VALUE_CHARACTERS = 200  # a long name, role or title, for the trial render

# The constructs a message needs; each renders in time proportional to its size.
_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.Concat,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Test,
    nodes.Filter,
    nodes.Getitem,
    nodes.Slice,
)
_ALLOWED_FILTERS = frozenset(
    {"upper", "lower", "title", "capitalize", "trim", "default", "d", "truncate", "string"}
)
_ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string"})
_REFUSED: dict[type[nodes.Node], str] = {
    nodes.For: "loops ({% for %})",
    nodes.Call: "function calls such as range() or lipsum()",
    nodes.Getattr: "attributes (x.y)",
    nodes.Assign: "assignments ({% set %})",
    nodes.AssignBlock: "assignments ({% set %})",
    nodes.Macro: "macros",
    nodes.CallBlock: "macros",
    nodes.BinExpr: "arithmetic (+, -, *, /, %, **)",
    nodes.UnaryExpr: "arithmetic (+, -, *, /, %, **)",
    nodes.Include: "includes",
    nodes.Import: "imports",
    nodes.FromImport: "imports",
    nodes.Extends: "extends",
}

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class TemplateProblem(ValueError):
    """A template that cannot be used; the message says why and how to fix it.

    `key` and `values` say the same in other words (`drill.words.findings`, keys
    `template.*`); a problem raised with the message alone has neither."""

    def __init__(self, message: str, key: str | None = None, **values: str | int) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


def check_template(source: str, placeholders: Mapping[str, str] = PLACEHOLDERS) -> None:
    """Raise TemplateProblem for a syntax error, an unknown placeholder (one not in
    `placeholders`), a construct a message may not use, or an output that could exceed
    `MAX_OUTPUT_CHARACTERS`."""
    if len(source) > MAX_TEMPLATE_CHARACTERS:
        raise TemplateProblem(
            f"the template has {len(source):,} characters; a message may have at most "
            f"{MAX_TEMPLATE_CHARACTERS:,}: shorten it",
            "template.too_long",
            count=len(source),
            limit=MAX_TEMPLATE_CHARACTERS,
        )
    pieces = plain_pieces(source)
    if pieces is None or not {text for is_name, text in pieces if is_name} <= placeholders.keys():
        # Text with known placeholders only (most messages) has nothing to refuse and
        # nothing unknown: it needs neither a second parse nor Jinja's code generator
        # (which finds the placeholders), some two thirds of a sample plan's loading.
        try:
            parsed = _ENV.parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateProblem(
                f"template syntax error on its line {exc.lineno}: {exc.message}",
                "template.syntax",
                line=exc.lineno,
            ) from None
        except SyntaxError as exc:  # Jinja's lexer hands some numbers (０e０) to Python's parser
            raise TemplateProblem(
                f"template syntax error: {exc.msg}; write numbers with ASCII digits inside "
                "{{ }}, or leave them out of the placeholders",
                "template.syntax_number",
            ) from None
        # Before anything compiles it: Jinja folds constants at compile time, so even finding
        # the placeholders of `'x' * 999999999` would build the string.
        _check_bounded(parsed)
        unknown = sorted(meta.find_undeclared_variables(parsed) - placeholders.keys())
        if unknown:
            allowed = ", ".join("{{ " + name + " }}" for name in placeholders)
            raise TemplateProblem(
                f"unknown placeholder {', '.join(unknown)}; the placeholders are {allowed}",
                "template.unknown",
                names="、".join(f"'{name}'" for name in unknown),
                allowed="、".join("'{{ " + name + " }}'" for name in PLACEHOLDERS),
            )
    longest = "長" * _TRIAL_VALUE_CHARACTERS
    if pieces is not None:  # text and placeholders: its length without compiling it
        length = sum(_TRIAL_VALUE_CHARACTERS if is_name else len(text) for is_name, text in pieces)
    else:
        length = len(_render(source, dict.fromkeys(placeholders, longest)))
    if length > MAX_OUTPUT_CHARACTERS:
        raise TemplateProblem(
            f"with long names the message would exceed {MAX_OUTPUT_CHARACTERS:,} characters "
            f"({length:,}); use fewer placeholders",
            "template.output_long",
            limit=MAX_OUTPUT_CHARACTERS,
            count=length,
        )


def _check_bounded(parsed: nodes.Template) -> None:
    """Refuse every construct whose cost is not bounded by the template's own size."""
    for node in parsed.find_all(nodes.Node):
        if isinstance(node, _ALLOWED_NODES):
            if isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
                raise TemplateProblem(
                    f"the filter '{node.name}' is not allowed in a message (line {node.lineno}); "
                    f"use one of {', '.join(sorted(_ALLOWED_FILTERS))}",
                    "template.filter",
                    name=node.name,
                    line=node.lineno,
                    allowed="、".join(f"'{name}'" for name in sorted(_ALLOWED_FILTERS)),
                )
            if isinstance(node, nodes.Test) and node.name not in _ALLOWED_TESTS:
                raise TemplateProblem(
                    f"the test '{node.name}' is not allowed in a message (line {node.lineno}); "
                    f"use one of {', '.join(sorted(_ALLOWED_TESTS))}",
                    "template.test",
                    name=node.name,
                    line=node.lineno,
                    allowed="、".join(f"'{name}'" for name in sorted(_ALLOWED_TESTS)),
                )
            continue
        what = next(
            (text for kind, text in _REFUSED.items() if isinstance(node, kind)),
            f"'{type(node).__name__}'",
        )
        raise TemplateProblem(
            f"{what} are not allowed in a message (line {node.lineno}); a message is text "
            "with placeholders, {% if %} and simple filters",
            "template.construct",
            construct=type(node).__name__,
            line=node.lineno,
        )


@functools.lru_cache(maxsize=256)
def compile_template(source: str) -> Template:
    """The sandboxed template for `source`, compiled once per process (compiling costs
    about a millisecond; a large drill renders thousands of pages)."""
    try:
        return _ENV.from_string(source)
    except (TemplateSyntaxError, SyntaxError) as exc:
        raise TemplateProblem(f"cannot render message: {exc}") from None


@functools.lru_cache(maxsize=256)
def plain_pieces(source: str) -> tuple[tuple[bool, str], ...] | None:
    """`source` as (is a placeholder, text or name) pieces when it is only text and
    `{{ name }}` placeholders (most messages), else None.

    Joining the pieces with the values (`str` of each, as Jinja outputs them) gives what
    the sandbox renders, from the same parse: a page costs a few string joins instead of
    a Jinja context (a nationwide drill renders tens of thousands of pages). Anything
    else (`{% if %}`, filters, comparisons) renders through `compile_template`.
    """
    pieces = _scanned(source)
    if pieces is not None:
        return pieces
    return parsed_pieces(source)


def parsed_pieces(source: str) -> tuple[tuple[bool, str], ...] | None:
    """`plain_pieces` as Jinja's parser reads `source`: what the quick scan gives where it
    can tell, and what decides every other text."""
    try:
        parsed = _ENV.parse(source)
    except (TemplateSyntaxError, SyntaxError):
        return None
    found: list[tuple[bool, str]] = []
    for output in parsed.body:
        if not isinstance(output, nodes.Output):
            return None
        for node in output.nodes:
            if type(node) is nodes.TemplateData:
                found.append((False, node.data))
            elif type(node) is nodes.Name and node.ctx == "load":
                found.append((True, node.name))
            else:
                return None
    return tuple(found)


_TAG_START = re.compile(r"\{[{%#]")
"""Where Jinja's lexer ends a run of text: the first `{{`, `{%` or `{#`."""
_PLAIN_NAME = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}")
"""`{{ name }}` with spaces only and an ASCII name: what Jinja parses to one `Name`."""
_NOT_NAMES = frozenset({"true", "false", "True", "False", "none", "None", "not"})
"""The names Jinja reads otherwise: constants, or the start of `not …`."""


def _scanned(source: str) -> tuple[tuple[bool, str], ...] | None:
    """`plain_pieces` of a template written the usual way (text and `{{ name }}`), read
    without Jinja's parser (a millisecond or more a template, some 80 of them in the
    sample plan's loading); None for anything else, which the parser decides.

    Jinja's lexer cuts the text at the first `{{`, `{%` or `{#`, turns newlines in text
    into `\n` (so text with `\r` is left to it) and keeps a trailing newline (the
    environment's `keep_trailing_newline`); `tests/plan/test_templates.py` holds this to
    the parser's pieces for any text.
    """
    if "\r" in source:
        return None
    pieces: list[tuple[bool, str]] = []
    position = 0
    while True:
        tag = _TAG_START.search(source, position)
        end = len(source) if tag is None else tag.start()
        if end > position:
            pieces.append((False, source[position:end]))
        if tag is None:
            return tuple(pieces)
        name = _PLAIN_NAME.match(source, end)
        if name is None or name.group(1) in _NOT_NAMES:
            return None
        pieces.append((True, name.group(1)))
        position = name.end()


def render_template(source: str, values: Mapping[str, str]) -> str:
    """Render with the sandbox; TemplateProblem on anything a user could get wrong."""
    text = _render(source, values)
    if len(text) > MAX_OUTPUT_CHARACTERS:
        raise TemplateProblem(
            f"the message has {len(text):,} characters; at most {MAX_OUTPUT_CHARACTERS:,}"
        )
    return text


def _render(source: str, values: Mapping[str, str]) -> str:
    try:
        return compile_template(source).render(**values)
    except (UndefinedError, SecurityError, TemplateSyntaxError) as exc:
        raise TemplateProblem(f"cannot render message: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, MemoryError) as exc:
        # Unreachable for a template `check_template` accepted; kept so a template that
        # skipped validation still fails as a message problem, not a traceback.
        raise TemplateProblem(f"cannot render message: {type(exc).__name__}: {exc}") from None
