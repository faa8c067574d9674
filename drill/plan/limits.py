"""How big a plan may be: bytes read, people, and values that YAML aliases may add.

The limits stop a careless or hostile plan (a 50 MB file, 250,000 people, an alias
"billion laughs") with a clear error before it costs minutes and gigabytes. They sit well
above a nationwide plan (about 35,000 people, a few megabytes of YAML) and can be raised
with an environment variable, which each error names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["ENV_MAX_PEOPLE", "ENV_MAX_PLAN_MB", "PlanLimits"]

ENV_MAX_PLAN_MB = "DRILLKIT_MAX_PLAN_MB"
ENV_MAX_PEOPLE = "DRILLKIT_MAX_PEOPLE"

_DEFAULT_PLAN_MB = 32  # a 35,000-person plan is 5-10 MB of YAML
_DEFAULT_PEOPLE = 100_000  # nearly three times a nationwide plan
# What aliases (`*a`, `<<: *a`) may add beyond the values written out, before the
# allowance that grows with the file (`drill.plan.source`): a bomb multiplies, honest
# reuse adds a few values per entry.
MAX_ALIASED_VALUES = 100_000
_MOST = 1_000_000  # the largest override read: a million megabytes, a million people


@dataclass(frozen=True)
class PlanLimits:
    """The limits in effect; `from_env()` reads the overrides."""

    max_bytes: int = _DEFAULT_PLAN_MB * 1024 * 1024
    max_people: int = _DEFAULT_PEOPLE
    max_aliased_values: int = MAX_ALIASED_VALUES
    problems: tuple[str, ...] = ()
    """Overrides that could not be read (e.g. DRILLKIT_MAX_PEOPLE=lots): reported as
    errors, so a typo does not silently keep the default."""
    problem_values: tuple[tuple[str, str], ...] = ()
    """The variable and the value of each of `problems`, for the message in other words."""

    @classmethod
    def from_env(cls) -> PlanLimits:
        problems: list[str] = []
        values: list[tuple[str, str]] = []

        def read(name: str, default: int) -> int:
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if not 1 <= value <= _MOST:
                problems.append(f"{name}={raw!r} is not a whole number from 1 to {_MOST:,}")
                values.append((name, raw))
                return default
            return value

        megabytes = read(ENV_MAX_PLAN_MB, _DEFAULT_PLAN_MB)
        people = read(ENV_MAX_PEOPLE, _DEFAULT_PEOPLE)
        return cls(
            megabytes * 1024 * 1024, people, MAX_ALIASED_VALUES, tuple(problems), tuple(values)
        )

    @property
    def most(self) -> int:
        """The largest value an override may have."""
        return _MOST

    @property
    def max_megabytes(self) -> float:
        return self.max_bytes / (1024 * 1024)
