"""The methods `@dataclass` writes, compiled once and kept between runs.

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
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["install"]

_MAX_ENTRIES = 20_000
"""Beyond this many texts (many versions' classes kept), the file starts afresh."""


class _Codes:
    """The compiled texts: those read from the file, and those compiled since."""

    def __init__(self, file: Path | None, magic: bytes) -> None:
        self.file = file
        self.magic = magic
        self.codes: dict[str, Any] = {}
        self.added = False
        if file is not None:
            self.codes = _read(file, magic)

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """`exec` as the builtin does it; a text seen before is not compiled again."""
        if type(source) is not str:
            builtins.exec(source, globals, locals)
            return
        code = self.codes.get(source)
        if code is None:
            # As `exec` compiles a text: no future features of the caller (dataclasses
            # uses none; this module's `annotations` must not reach the methods).
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.codes[source] = code
            self.added = True
        builtins.exec(code, globals, locals)

    def save(self) -> None:
        if not self.added or self.file is None:
            return
        codes = self.codes if len(self.codes) <= _MAX_ENTRIES else {}
        temporary = self.file.with_name(f"{self.file.name}.{os.getpid()}")
        with contextlib.suppress(OSError, ValueError):
            temporary.write_bytes(marshal.dumps((self.magic, codes)))
            temporary.replace(self.file)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _read(file: Path, magic: bytes) -> dict[str, Any]:
    try:
        stored = marshal.loads(file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == magic):
        return {}
    codes = stored[1]
    return codes if isinstance(codes, dict) else {}


def _folder() -> Path | None:
    home = os.environ.get("DRILLKIT_HOME")
    if home:
        base = Path(home) / "cache"
    else:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("drillkit"))
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return base


def install() -> None:
    """Keep the compiled methods of the dataclasses made from now on (once a process)."""
    if "exec" in vars(dataclasses):
        return
    from importlib.util import MAGIC_NUMBER  # the bytecode's version, as .pyc files carry

    folder = _folder()
    tag = sys.implementation.cache_tag or "python"
    file = None if folder is None else folder / f"dataclasses.{tag}.marshal"
    codes = _Codes(file, MAGIC_NUMBER)
    dataclasses.exec = codes.exec  # type: ignore[attr-defined]
    atexit.register(codes.save)
