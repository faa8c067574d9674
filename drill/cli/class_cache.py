"""The methods `@dataclass` writes and the annotations `typing` reads, compiled once and
kept between runs.

`dataclasses` writes each class's `__init__`, `__repr__`, `__eq__`, `__hash__` and (when
frozen) `__setattr__` and `__delattr__` as source text and compiles it with `exec`: for
the 200-odd dataclasses a simulated run imports (drillkit's events and report rows,
and those of the libraries), compiling that text was a fifth of the whole run's
instructions. Python keeps a module's compiled code in `__pycache__`; nothing keeps this.

While a command runs, `dataclasses`' own `exec` (its module's name, which shadows the
builtin for that module alone) takes the code of a text it has compiled before from a
file in drillkit's cache folder, beside the report templates' (`drill.report.layout`),
and compiles any other text as `exec` would. The text is the key, whole: the same text
gives the same code, so each class gets the very functions `exec` would have made.
A file that cannot be read, or was written by another Python, is not used.

`typing` compiles the text of every annotation it meets as a forward reference (pydantic
and `typing.get_type_hints` make some 1,500 of them, of 450 texts, in a simulated run,
a twentieth of its instructions): `typing`'s `compile` keeps those the same way.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
import typing
from pathlib import Path
from typing import Any

from drill.cache_folder import cache_folder

__all__ = ["install"]

_MAX_ENTRIES = 20_000
"""Beyond this many texts (many versions' classes kept), the file starts afresh."""


class _Codes:
    """The compiled texts: those read from the file, and those compiled since."""

    def __init__(self, file: Path | None, magic: bytes) -> None:
        self.file = file
        self.magic = magic
        self.methods: dict[str, Any] = {}
        """Texts `dataclasses` executes, and their code."""
        self.expressions: dict[str, Any] = {}
        """Annotation texts `typing` compiles, and their code."""
        self.added = False
        if file is not None:
            self.methods, self.expressions = _read(file, magic)

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """`exec` as the builtin does it; a text seen before is not compiled again."""
        if globals is None:  # the caller's scope, as the builtin takes it
            caller = sys._getframe(1)
            globals = caller.f_globals
            if locals is None:
                locals = caller.f_locals
        if type(source) is not str:
            builtins.exec(source, globals, locals)
            return
        code = self.methods.get(source)
        if code is None:
            # As `exec` compiles a text: no future features of the caller (dataclasses
            # uses none; this module's `annotations` must not reach the methods).
            code = builtins.compile(source, "<string>", "exec", dont_inherit=True)
            self.methods[source] = code
            self.added = True
        builtins.exec(code, globals, locals)

    def compile(
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
    ) -> Any:
        """`compile` as the builtin does it when `typing` calls it (which has no future
        features to pass on); an annotation text seen before is not compiled again."""
        plain = not flags and optimize == -1
        if plain and type(source) is str and filename == "<string>" and mode == "eval":
            code = self.expressions.get(source)
            if code is None:
                code = builtins.compile(source, filename, mode, dont_inherit=True)
                self.expressions[source] = code
                self.added = True
            return code
        return builtins.compile(source, filename, mode, flags, True, optimize)

    def save(self) -> None:
        if not self.added or self.file is None:
            return
        stored = (self.magic, self.methods, self.expressions)
        if len(self.methods) + len(self.expressions) > _MAX_ENTRIES:
            stored = (self.magic, {}, {})
        temporary = self.file.with_name(f"{self.file.name}.{os.getpid()}")
        with contextlib.suppress(OSError, ValueError):
            temporary.write_bytes(marshal.dumps(stored))
            temporary.replace(self.file)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _read(file: Path, magic: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        stored = marshal.loads(file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}, {}
    if not (isinstance(stored, tuple) and len(stored) == 3 and stored[0] == magic):
        return {}, {}
    methods, expressions = stored[1], stored[2]
    if not (isinstance(methods, dict) and isinstance(expressions, dict)):
        return {}, {}
    return methods, expressions


def install() -> None:
    """Keep the compiled methods and annotations of the classes made from now on (once a
    process)."""
    if "exec" in vars(dataclasses):
        return
    from importlib.util import MAGIC_NUMBER  # the bytecode's version, as .pyc files carry

    folder = cache_folder()
    tag = sys.implementation.cache_tag or "python"
    file = None if folder is None else folder / f"classes.{tag}.marshal"
    codes = _Codes(file, MAGIC_NUMBER)
    dataclasses.exec = codes.exec  # type: ignore[attr-defined]
    typing.compile = codes.compile  # type: ignore[attr-defined]
    atexit.register(codes.save)
