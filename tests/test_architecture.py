"""The core (plan, engine) never imports the edges: checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys


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
