"""The calendar's own error: a schedule that cannot be added, found or run as asked."""

from __future__ import annotations

from drill.errors import DrillError

__all__ = ["ScheduleError"]


class ScheduleError(DrillError):
    """A schedule request is wrong (a time in the past, an unknown job id, a bad --cron)."""

    title = "Schedule error"
