"""The architecture holds: the core imports no edge (checked in a fresh interpreter), and
the layers contract of `pyproject.toml` covers the whole package and fails on an upward
import."""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_imports_no_ui_network_or_database_library() -> None:
    code = (
        "import sys, drill.plan, drill.engine.events, drill.engine.sink, drill.engine.notifier\n"
        "import pkgutil, importlib, drill.engine\n"
        "for m in pkgutil.walk_packages(drill.engine.__path__, 'drill.engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in ('textual', 'aiohttp', 'twilio', 'aiosmtplib', 'sqlalchemy', 'aiosqlite')"
        " if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""


def _layers() -> tuple[str, list[str]]:
    """The name and the layers of the `layers` contract in pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    contract = next(c for c in contracts if c["type"] == "layers")
    return str(contract["name"]), [str(layer) for layer in contract["layers"]]


def test_every_part_of_the_package_has_a_layer() -> None:
    """A new sub-package or top-level module outside the layers would be checked by nobody."""
    named = {part.strip() for layer in _layers()[1] for part in layer.replace(":", "|").split("|")}
    parts = {m.name for m in pkgutil.iter_modules([str(ROOT / "drill")])} - {"__main__"}
    assert parts == named


def test_an_import_running_up_the_layers_breaks_the_contract(tmp_path: Path) -> None:
    """The calendar importing the session (the composition root above it) must fail."""
    shutil.copytree(ROOT / "drill", tmp_path / "drill", ignore=shutil.ignore_patterns("_sample"))
    service = tmp_path / "drill" / "schedule" / "service.py"
    text = service.read_text(encoding="utf-8")
    service.write_text(
        text.replace("\nimport asyncio\n", "\nimport asyncio\n\nimport drill.session\n", 1),
        encoding="utf-8",
    )
    name, layers = _layers()
    lines = [
        "[importlinter]",
        "root_package = drill",
        "[importlinter:contract:layers]",
        f"name = {name}",
        "type = layers",
        "containers = drill",
        "layers =",
        *(f"    {layer}" for layer in layers),
    ]
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stdout
    assert "drill.schedule is not allowed to import drill.session" in result.stdout
