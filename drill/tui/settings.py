"""The console's own settings (the display language), kept beside the user's data.

Precedence: the `--lang` option, then `DRILLKIT_LANG`, then the last choice saved from
the console, then Japanese.
"""

from __future__ import annotations

import contextlib
import getpass
import json
from pathlib import Path

from drill.tui.i18n import Language
from drill.words import choose_language

__all__ = ["default_operator", "initial_language", "save_language", "settings_file"]


def settings_file() -> Path:
    from drill.config import data_dir  # pydantic: not needed for the first paint

    return data_dir() / "tui.json"


def _saved() -> dict[str, object]:
    try:
        data = json.loads(settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def initial_language(option: str | None = None) -> Language:
    """The console's language, which the CLI's progress lines follow too."""
    return choose_language(option, _saved().get("language"))


def save_language(value: Language) -> None:
    """Remember the choice; a read-only data directory only loses the preference."""
    data = _saved()
    data["language"] = value
    with contextlib.suppress(OSError):
        settings_file().write_text(json.dumps(data), encoding="utf-8")


def default_operator() -> str:
    """Who is at the console, as the dialogs suggest it (the login name)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""
