"""Hostile CLI: `drillkit demo` needs nothing beyond a plain `pip install` (found: it died
with "TLS in the mail sandbox needs trustme", a dev-only extra)."""

from __future__ import annotations

import tomllib
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _names(requirements: list[str]) -> set[str]:
    return {r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip() for r in requirements}


def test_the_demo_s_certificate_library_is_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "trustme" in _names(project["dependencies"])
    installed = [r for r in requires("drillkit") or [] if "extra ==" not in r]
    assert "trustme" in _names(installed)
