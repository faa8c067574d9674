"""Message templates, rendered in a sandbox.

Scenario messages are written by users, so they are Jinja templates rendered by a
`SandboxedEnvironment` with `StrictUndefined`: `{{ person }}` works, attribute tricks that
could reach Python internals do not, and an unknown placeholder is an error both at
validation time and at render time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "PLACEHOLDERS",
    "TemplateProblem",
    "check_template",
    "compile_template",
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

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class TemplateProblem(ValueError):
    """A template that cannot be used; the message says why and how to fix it."""


def check_template(source: str) -> None:
    """Raise TemplateProblem for a syntax error or an unknown placeholder."""
    try:
        parsed = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"template syntax error on its line {exc.lineno}: {exc.message}"
        ) from None
    except SyntaxError as exc:  # Jinja's lexer hands some numbers (０e０) to Python's parser
        raise TemplateProblem(
            f"template syntax error: {exc.msg}; write numbers with ASCII digits inside "
            "{{ }}, or leave them out of the placeholders"
        ) from None
    unknown = sorted(meta.find_undeclared_variables(parsed) - PLACEHOLDERS.keys())
    if unknown:
        allowed = ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS)
        raise TemplateProblem(
            f"unknown placeholder {', '.join(unknown)}; the placeholders are {allowed}"
        )


@functools.lru_cache(maxsize=256)
def compile_template(source: str) -> Template:
    """The sandboxed template for `source`, compiled once per process (compiling costs
    about a millisecond; a large drill renders thousands of pages)."""
    try:
        return _ENV.from_string(source)
    except (TemplateSyntaxError, SyntaxError) as exc:
        raise TemplateProblem(f"cannot render message: {exc}") from None


def render_template(source: str, values: Mapping[str, str]) -> str:
    """Render with the sandbox; TemplateProblem on anything a user could get wrong."""
    try:
        return compile_template(source).render(**values)
    except (UndefinedError, SecurityError, TemplateSyntaxError) as exc:
        raise TemplateProblem(f"cannot render message: {exc}") from None
