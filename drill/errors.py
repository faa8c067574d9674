"""The error root: every mistake a user can make surfaces as a `DrillError`.

The CLI prints one in a panel on stderr and exits non-zero; the TUI shows it in a modal.
Nobody sees a traceback for a user's mistake.
"""

from __future__ import annotations

__all__ = ["ChannelError", "ConfigError", "DrillError", "EngineError", "StoreError"]


class DrillError(Exception):
    """A problem the user can fix; `message` says what happened and what to do."""

    title = "drillkit error"
    exit_code = 2

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title


class ConfigError(DrillError):
    """The configuration (providers, public URL, secrets) is missing or wrong."""

    title = "Configuration error"


class StoreError(DrillError):
    """The event store cannot be opened, written or verified."""

    title = "Event store error"


class ChannelError(DrillError):
    """A channel (voice, SMS, e-mail) cannot be used as configured."""

    title = "Channel error"


class EngineError(DrillError):
    """The drill engine was asked to do something that is not possible now."""

    title = "Drill error"
