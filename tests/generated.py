"""The generated nationwide plans of the benchmarks (bench/gen_plan.py), for tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def generator() -> ModuleType:
    """bench/gen_plan.py, loaded: `generator().write_plan(people, folder)`."""
    spec = importlib.util.spec_from_file_location("gen_plan", ROOT / "bench" / "gen_plan.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_plan"] = module
    spec.loader.exec_module(module)
    return module
