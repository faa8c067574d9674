"""The CLI's last line of defence: an unexpected error becomes one line, a log and exit 70.

A `DrillError` is a mistake the user can fix and is printed as such (`console.fail`).
Anything else is a bug in drillkit or a broken environment: the user sees one line
naming the error and the log file, the full traceback goes to that log (in the drillkit
home's `logs/`, beside the event store), and the exit code is 70 (`EX_SOFTWARE` in
sysexits.h), so scripts can tell it from a plan error (2) or a failed check (1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import NoReturn

__all__ = ["EXIT_SOFTWARE", "LOG_NAME", "crash_log_path", "report_crash"]

EXIT_SOFTWARE = 70
LOG_NAME = "drillkit.log"
_MAX_LOG_BYTES = 1024 * 1024  # one crash log is enough to read; older ones are rotated


def crash_log_path() -> Path:
    """Where the traceback goes: `<drillkit home>/logs/drillkit.log` (DRILLKIT_HOME or
    the platform's data directory), else the temporary directory when that cannot be
    created (a read-only home must not turn one error into two)."""
    try:
        from drill.config import data_dir

        directory = data_dir() / "logs"
        directory.mkdir(parents=True, exist_ok=True)
        return directory / LOG_NAME
    except Exception:
        return Path(tempfile.gettempdir()) / f"drillkit-{os.getuid()}.log"


def _write_log(exc: BaseException) -> Path | None:
    path = crash_log_path()
    try:
        if path.exists() and path.stat().st_size > _MAX_LOG_BYTES:
            path.replace(path.with_suffix(".log.1"))
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {stamp} drillkit {' '.join(sys.argv[1:])}\n")
            log.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _crash_line(what: str, path: Path | None, english: bool) -> str:
    """The one line, in the catalogue's words; in plain words if the catalogue itself is
    what broke (the line must come out whatever failed)."""
    try:
        from drill.words.cli import CLI

        def say(key: str, **values: object) -> str:
            return CLI[key][1 if english else 0].format(**values)

        where = say("crash.logged", path=path) if path else say("crash.no_log")
        # The program's name leads the line, as Unix tools do: not a word to translate.
        return "drillkit: " + say("crash.line", what=what, where=where)
    except Exception:
        return f"drillkit: unexpected error ({what}); log: {path}"


def report_crash(exc: BaseException) -> NoReturn:
    """Log `exc` with its traceback, print one line naming the log, exit 70."""
    path = _write_log(exc)
    english = os.environ.get("DRILLKIT_LANG", "ja").strip().lower().startswith("en")
    line = _crash_line(_one_line(exc), path, english)
    # Plain stderr, not Rich: the line must show even if the console is what failed.
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)
    sys.exit(EXIT_SOFTWARE)
