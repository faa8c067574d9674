"""`drillkit --help` starts fast: it lists every command without importing any of them.

Run in a fresh interpreter, because the test session has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from drill.cli import _COMMANDS, _SUMMARIES, cli

HEAVY = ("sqlalchemy", "alembic", "aiohttp", "twilio", "textual", "matplotlib", "jinja2")

_PROBE = """
import json, sys
from drill.cli import main
sys.argv = ["drillkit", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print("\\n@@" + json.dumps(sorted(sys.modules)))
"""


def _modules_after(*argv: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=True,
    )
    text, _, modules = done.stdout.rpartition("\n@@")
    return text, set(json.loads(modules))


def _top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_help_lists_every_command_and_imports_no_command_module() -> None:
    text, modules = _modules_after("--help")
    for name in _COMMANDS:
        assert f"  {name} " in text
    assert not _top_level(modules) & set(HEAVY)
    command_modules = {target.partition(":")[0] for target in _COMMANDS.values()}
    assert not modules & command_modules


def test_the_probe_sees_a_heavy_import_when_one_happens() -> None:
    # The same probe on `report --help` must see what the report command imports, or the
    # test above would pass for the wrong reason.
    _, modules = _modules_after("report", "--help")
    assert "drill.cli.report_commands" in modules


# What a simulated run of the sample plan has no use for, on a store already at the
# schema's head: the migrations' Alembic, the real channels, the console, the public
# holidays package (its table is read instead), the signing library (no anchor key is
# configured), SQLAlchemy's PostgreSQL dialect, the async driver with the asyncio
# extension and its ORM (a SQLite file is reached through sqlite3 on the store's threads),
# the phone number library (the sample's numbers are fictional, read without it) and the
# report's paper tree (the run writes the report, not the binder's tree).
NOT_IN_A_SIMULATED_RUN = (
    "alembic",
    "aiosqlite",
    "aiohttp",
    "twilio",
    "textual",
    "matplotlib",
    "holidays",
    "cryptography",
    "phonenumbers",
)


def test_a_simulated_run_of_the_sample_imports_nothing_it_does_not_use() -> None:
    argv = ("run", "annual-roll-call", "--simulate", "--seed", "7", "-q")
    _modules_after(*argv)  # creates the store: migrating it is the first open's work
    text, modules = _modules_after(*argv)
    assert "sample" in text or "模擬" in text  # the drill ran and said so
    assert "drill.engine.runner" in modules and "drill.report.files" in modules
    assert not _top_level(modules) & set(NOT_IN_A_SIMULATED_RUN)
    for module in (
        "sqlalchemy.dialects.postgresql",
        "sqlalchemy.ext.asyncio",
        "sqlalchemy.orm",
        "drill.report.paper_tree",
    ):
        assert module not in modules


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_each_listed_summary_is_the_command_s_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    for limit in (45, 60, 10_000):
        listed = click.Command(name, help=_SUMMARIES[name]).get_short_help_str(limit)
        assert listed == command.get_short_help_str(limit)
