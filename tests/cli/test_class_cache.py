"""Classes made with compiled code from the cache are the ones `exec` and `compile` make."""

from __future__ import annotations

import dataclasses
import importlib.util
import marshal
import pickle
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from types import FunctionType
from typing import Any

import pytest

from drill.cli import class_cache

# Written as drillkit writes its dataclasses (string annotations, frozen, slots, keyword
# only, defaults and factories, a base and a subclass), in a module of its own.
_SOURCE = textwrap.dedent(
    """
    from __future__ import annotations

    import dataclasses
    import datetime as dt


    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Base:
        at: dt.datetime
        elapsed: float

        def __post_init__(self) -> None:
            if self.at.tzinfo is None:
                raise ValueError("naive")


    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Started(Base):
        drill_id: str
        trees: tuple[str, ...] = ()
        speed: float | None = None


    @dataclasses.dataclass(frozen=True, slots=True)
    class Row:
        name: str
        seconds: float | None
        notes: list[str] = dataclasses.field(default_factory=list)


    @dataclasses.dataclass(order=True)
    class Mutable:
        count: int = 0
        label: str = dataclasses.field(default="x", compare=False, repr=False)
    """
)


def _module(name: str) -> Any:
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(_SOURCE, f"<{name}>", "exec"), module.__dict__)
    return module


def _methods(cls: type) -> dict[str, FunctionType]:
    """The methods @dataclass wrote (`__repr__` inside its recursion guard)."""
    found = {}
    for name, value in vars(cls).items():
        value = getattr(value, "__wrapped__", value)
        if isinstance(value, FunctionType) and value.__code__.co_filename == "<string>":
            found[name] = value
    return found


def _with_codes(monkeypatch: pytest.MonkeyPatch, codes: class_cache._Codes, name: str) -> Any:
    monkeypatch.setattr(dataclasses, "exec", codes.exec, raising=False)
    try:
        return _module(name)
    finally:
        monkeypatch.delattr(dataclasses, "exec")


@pytest.fixture
def plain() -> Any:
    return _module("class_cache_plain")


def test_the_methods_are_the_ones_exec_makes_first_compiled_then_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plain: Any
) -> None:
    file = tmp_path / "dataclasses.marshal"
    magic = importlib.util.MAGIC_NUMBER
    first = class_cache._Codes(file, magic)
    compiled = _with_codes(monkeypatch, first, "class_cache_compiled")
    assert first.added
    first.save()
    again = class_cache._Codes(file, magic)
    read = _with_codes(monkeypatch, again, "class_cache_read")
    assert not again.added  # every text was in the file: nothing compiled
    for name in ("Base", "Started", "Row", "Mutable"):
        expected = _methods(getattr(plain, name))
        assert set(expected) >= {"__init__", "__repr__", "__eq__"}
        for module in (compiled, read):
            methods = _methods(getattr(module, name))
            assert methods.keys() == expected.keys()
            for method, function in methods.items():
                want = expected[method]
                assert function.__code__ == want.__code__, (name, method)
                assert function.__qualname__ == want.__qualname__
                # `annotations` of this test module must not reach the methods
                assert function.__annotations__.keys() == want.__annotations__.keys()
                for key, value in function.__annotations__.items():
                    assert type(value) is type(want.__annotations__[key]), (name, method, key)


def test_instances_behave_as_exec_made_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plain: Any
) -> None:
    import datetime as dt

    codes = class_cache._Codes(tmp_path / "c.marshal", importlib.util.MAGIC_NUMBER)
    module = _with_codes(monkeypatch, codes, "class_cache_instances")
    at = dt.datetime(2026, 4, 6, tzinfo=dt.UTC)
    for made in (plain, module):
        one = made.Started(at=at, elapsed=1.0, drill_id="d", trees=("a",))
        same = made.Started(at=at, elapsed=1.0, drill_id="d", trees=("a",))
        assert one == same and hash(one) == hash(same)
        assert repr(one) == (
            "Started(at=datetime.datetime(2026, 4, 6, 0, 0, tzinfo=datetime.timezone.utc), "
            "elapsed=1.0, drill_id='d', trees=('a',), speed=None)"
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            one.drill_id = "e"  # type: ignore[misc]
        with pytest.raises(ValueError, match="naive"):
            made.Base(at=dt.datetime(2026, 4, 6), elapsed=0.0)  # noqa: DTZ001
        row = made.Row("n", None)
        assert row.notes == [] and row.notes is not made.Row("n", None).notes
        assert pickle.loads(pickle.dumps(row)) == row
        assert not hasattr(row, "__dict__")
        assert made.Mutable(1, "a") < made.Mutable(2, "b")
        assert made.Mutable(1, "a") == made.Mutable(1, "b")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not marshal data",
        marshal.dumps((b"\x00\x00\r\n", {}, {})),  # another Python's
        marshal.dumps((importlib.util.MAGIC_NUMBER, {})),  # another version's layout
        marshal.dumps((importlib.util.MAGIC_NUMBER, [], {})),
        marshal.dumps(["a", "list"]),
    ],
)
def test_a_file_that_cannot_be_used_is_not(tmp_path: Path, content: bytes) -> None:
    file = tmp_path / "dataclasses.marshal"
    file.write_bytes(content)
    codes = class_cache._Codes(file, importlib.util.MAGIC_NUMBER)
    assert codes.methods == {} and codes.expressions == {}


def test_exec_of_code_and_of_text_still_runs_as_the_builtin(tmp_path: Path) -> None:
    codes = class_cache._Codes(None, importlib.util.MAGIC_NUMBER)
    space: dict[str, Any] = {}
    codes.exec("x = 1 + 1", space)
    codes.exec(compile("y = x * 3", "<t>", "exec"), space)
    assert space["x"] == 2 and space["y"] == 6
    codes.exec("z = __name__")  # no scope given: the caller's, as the builtin takes it
    assert locals()["z"] == __name__
    codes.save()  # no file: nothing written, nothing raised


def test_a_command_keeps_its_classes_methods_for_the_next_run(tmp_path: Path) -> None:
    # In a fresh interpreter: the test session has long since made its dataclasses.
    env_home = tmp_path / "home"
    probe = (
        "import dataclasses, sys\n"
        "sys.argv = ['drillkit', 'explain', 'DK-E004']\n"
        "from drill.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('@@', 'exec' in vars(dataclasses))\n"
    )
    env = {"DRILLKIT_HOME": str(env_home), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=True,
            env=env,
        )
        assert done.stdout.rstrip().endswith("@@ True")
    stored = list((env_home / "cache").glob("classes.*.marshal"))
    assert len(stored) == 1
    magic, methods, expressions = marshal.loads(stored[0].read_bytes())
    assert magic == importlib.util.MAGIC_NUMBER and methods and expressions


def test_annotation_texts_compile_as_typing_compiles_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "c.marshal"
    magic = importlib.util.MAGIC_NUMBER
    texts = ["int", "str | None", "dict[str, Any]", "tuple[int, ...]", "Callable[[], None]"]
    for round_ in range(2):
        codes = class_cache._Codes(file, magic)
        monkeypatch.setattr(typing, "compile", codes.compile, raising=False)
        try:
            refs = [typing.ForwardRef(text) for text in texts]
            again = [typing.ForwardRef(text) for text in texts]
            with pytest.raises(SyntaxError, match="Forward reference must be an expression"):
                typing.ForwardRef("int |")
        finally:
            monkeypatch.delattr(typing, "compile")
        assert codes.added == (round_ == 0)  # the second round read every text from the file
        codes.save()
        for ref, same, text in zip(refs, again, texts, strict=True):
            # as typing (no future features) compiles it, not as this module would
            assert ref.__forward_code__ == compile(text, "<string>", "eval", dont_inherit=True)
            assert ref.__forward_code__ is same.__forward_code__
            assert ref == typing.ForwardRef(text)
    # any other call is the builtin's
    plain = compile("x = 1", "<t>", "exec", dont_inherit=True)
    assert codes.compile("x = 1", "<t>", "exec") == plain
    optimized = compile("__debug__", "<string>", "eval", 0, True, 2)
    assert codes.compile("__debug__", "<string>", "eval", 0, False, 2) == optimized
    assert optimized != compile("__debug__", "<string>", "eval", dont_inherit=True)
