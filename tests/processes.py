"""The processes a test's child started, as anyone sees them in /proc (Linux)."""

from __future__ import annotations

from pathlib import Path


def children(parent: int, command: bytes) -> list[int]:
    """The pids of `parent`'s running children whose command line holds `command`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            line = (entry / "cmdline").read_bytes()
        except OSError:  # it has ended meanwhile
            continue
        state, parent_pid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z" and int(parent_pid) == parent and command in line:
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has ended: only its parent has not reaped it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
