"""drillkit's cache folder: what is kept between runs only to save time (compiled report
templates, compiled dataclass methods, earlier drills' year-on-year figures).

`DRILLKIT_HOME/cache` when `DRILLKIT_HOME` is set, else the user's cache folder
(platformdirs). Everything in it may be deleted at any time: each user of it treats a
missing, unreadable or foreign entry as absent.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_folder"]


def cache_folder(name: str | None = None) -> Path | None:
    """The cache folder (or its subfolder `name`), made if needed; None when it cannot be
    made (a read-only home): the caller then works without it."""
    home = os.environ.get("DRILLKIT_HOME")
    if home:
        base = Path(home) / "cache"
    else:
        import platformdirs  # not for a command run with DRILLKIT_HOME (start-up)

        base = Path(platformdirs.user_cache_dir("drillkit"))
    folder = base / name if name else base
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder
