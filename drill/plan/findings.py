"""Findings: the errors and lint warnings a plan check reports, each pointing at a place.

A finding names the file, the line, the key, what is wrong and what to do. Every kind of
finding has a stable code (`DK-E…` for errors, `DK-W…` for warnings) that a user can look
up with `drillkit explain CODE`.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from drill.errors import DrillError

__all__ = [
    "CODES",
    "Finding",
    "Param",
    "PlanError",
    "Severity",
    "did_you_mean",
    "format_path",
    "nearest",
    "os_params",
    "params",
    "suggest",
]

Param = str | int | float | tuple[str, ...]
"""A value a finding's message is made of: an id, a key, a count, or a list of ids."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a plan, with where it is and how to fix it."""

    code: str
    severity: Severity
    message: str
    file: Path | None = None
    line: int | None = None
    key: str | None = None
    fix: str | None = None
    message_key: str | None = None
    """The message's key in the word catalogue (`drill.words.findings`), which says it in
    Japanese from `params`; None where the call site gives only the English `message`."""
    fix_key: str | None = None
    """The same for `fix`."""
    params: tuple[tuple[str, Param], ...] = ()
    """The values of both messages, by name (`params(ref="sato2")`): a tuple, so that a
    finding stays hashable."""

    def param(self, name: str) -> Param | None:
        return next((value for key, value in self.params if key == name), None)

    def where(self, root: Path | None = None) -> str:
        """`contacts/people.yaml:12 people[3].channels` (relative to the plan root)."""
        parts: list[str] = []
        if self.file is not None:
            shown = self.file
            if root is not None:
                with contextlib.suppress(ValueError):
                    shown = self.file.relative_to(root)
            parts.append(f"{shown}:{self.line}" if self.line else str(shown))
        if self.key:
            parts.append(self.key)
        return " ".join(parts)

    def render(self, root: Path | None = None) -> str:
        where = self.where(root)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" — {self.fix}"
        return f"{self.severity.value} {self.code}: {text}"

    def as_dict(self, root: Path | None = None) -> dict[str, object]:
        file: str | None = None
        if self.file is not None:
            try:
                file = str(self.file.relative_to(root)) if root else str(self.file)
            except ValueError:
                file = str(self.file)
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": file,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "fix": self.fix,
        }


class PlanError(DrillError):
    """The plan cannot be loaded; `findings` lists every error found in one pass."""

    title = "Plan error"

    def __init__(self, findings: Sequence[Finding], root: Path | None = None) -> None:
        self.findings = tuple(findings)
        self.root = root
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        lines = [f.render(root) for f in errors]
        head = f"{len(errors)} error(s) in the plan" + (f" at {root}" if root else "")
        super().__init__(head + ":\n" + "\n".join(lines))

    @classmethod
    def simple(cls, message: str, fix: str | None = None) -> PlanError:
        """A plan error that is about a name the user typed, not about a file."""
        error = cls([Finding("DK-E007", Severity.ERROR, message, fix=fix)])
        error.message = message + (f" — {fix}" if fix else "")
        return error


_CLOSE = 0.6
"""How alike a choice must be to be offered (difflib's ratio; its usual cutoff)."""

_MANY_CHOICES = 500
"""From how many choices `nearest` narrows them down before difflib compares them."""


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The nearest valid spelling of `word`, or None: what `difflib.get_close_matches`
    picks (its best ratio of at least 0.6, the greatest choice among equals).

    Among many choices (a nationwide plan's 35,000 person ids), difflib alone compares
    every one: 0.4 s for one misspelt id. There rapidfuzz's Indel ratio, in C, bounds
    difflib's from above (difflib's matching blocks are a common subsequence, the Indel
    ratio counts the longest one), so choices are tried best bound first and the search
    stops once no bound is left to reach the best ratio found: the same answer."""
    options = choices if isinstance(choices, (list, tuple)) else list(choices)
    if len(options) < _MANY_CHOICES:
        close = difflib.get_close_matches(word, options, n=1, cutoff=_CLOSE)
        return close[0] if close else None
    from rapidfuzz import fuzz, process

    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    best: tuple[float, str] | None = None
    bounds = process.extract(
        word, options, scorer=fuzz.ratio, limit=None, score_cutoff=_CLOSE * 100 - 1e-6
    )
    for choice, bound, _ in bounds:  # best bound first
        if best is not None and bound / 100 + 1e-9 < best[0]:
            break
        matcher.set_seq1(choice)
        if matcher.real_quick_ratio() >= _CLOSE and matcher.quick_ratio() >= _CLOSE:
            ratio = matcher.ratio()
            if ratio >= _CLOSE and (best is None or (ratio, choice) > best):
                best = (ratio, choice)
    return None if best is None else best[1]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The nearest valid spelling, phrased for a message, or None."""
    close = nearest(word, choices)
    return f"did you mean '{close}'?" if close else None


def params(**values: Param | None) -> tuple[tuple[str, Param], ...]:
    """A finding's `params` from keywords; None values are left out."""
    return tuple((name, value) for name, value in values.items() if value is not None)


def os_params(exc: BaseException) -> tuple[tuple[str, Param], ...]:
    """Why a file or folder cannot be used, as params: the system's reason (English) and
    its errno name (ELOOP, EACCES, …), by which a catalogue says it in other words."""
    if isinstance(exc, OSError):
        name = errno.errorcode.get(exc.errno) if exc.errno is not None else None
        return params(reason=exc.strerror or str(exc), errno=name)
    # Python 3.11 raises RuntimeError for a symlink loop in Path.resolve().
    return params(reason=str(exc), errno="ELOOP" if isinstance(exc, RuntimeError) else None)


def suggest(word: str, choices: Iterable[str], fix: str, fix_key: str) -> tuple[str, str, str]:
    """The fix for a misspelt `word`: "did you mean 'x'?" when a choice is close, else
    `fix`; with its key in the word catalogue and the nearest choice ("" when none).

    `fix_text, fix_key, close = suggest(...)`, then `params(..., nearest=close)`."""
    close = nearest(word, choices)
    if close is None:
        return fix, fix_key, ""
    return f"did you mean '{close}'?", "did_you_mean", close


def format_path(path: Sequence[str | int]) -> str:
    """`("people", 3, "channels", 0)` -> `people[3].channels[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True)
class _Code:
    title: str
    explanation: str
    fix: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


CODES: dict[str, _Code] = {
    # Errors: the plan cannot be used until they are fixed.
    "DK-E001": _Code(
        "File cannot be read",
        "The file is missing, unreadable or not UTF-8.",
        "Save the file as UTF-8 and check its permissions.",
    ),
    "DK-E002": _Code(
        "YAML syntax error",
        "The file is not valid YAML.",
        "Fix the indentation or quoting at the line shown.",
    ),
    "DK-E003": _Code(
        "Unsafe or unknown YAML tag",
        "Only plain YAML is accepted; tags such as !!python/object could run code.",
        "Remove the tag and write the value as plain text, a list or a mapping.",
    ),
    "DK-E004": _Code(
        "Unknown key",
        "A key that this part of the plan does not have.",
        "Correct the spelling (see 'did you mean') or remove the key.",
    ),
    "DK-E005": _Code("Missing key", "A required key is absent.", "Add the key."),
    "DK-E006": _Code(
        "Invalid value",
        "A value has the wrong type or is out of range.",
        "Write the value as the message says.",
    ),
    "DK-E007": _Code(
        "Unknown reference",
        "A reference to a person, role, site, tree, level, playbook, step, "
        "target or checklist item that the plan does not define.",
        "Correct the id (see 'did you mean') or define it.",
    ),
    "DK-E008": _Code(
        "Duplicate id",
        "Two things of the plan share one id.",
        "Give each person, role, site, tree, scenario and playbook its own id.",
    ),
    "DK-E009": _Code(
        "Cycle",
        "Deputies or step dependencies refer back to themselves.",
        "Break the cycle so that every chain ends.",
    ),
    "DK-E010": _Code(
        "Undefined variable",
        "A ${VAR} has no value in the environment or .env.",
        "Set the variable in the environment or in the .env file beside plan.yaml.",
    ),
    "DK-E011": _Code(
        "Invalid phone number",
        "A phone number that is not a valid number.",
        "Write it as people do (095-829-1124) or in E.164 (+81958291124).",
    ),
    "DK-E012": _Code(
        "Invalid e-mail address", "An e-mail address that is not valid.", "Correct the address."
    ),
    "DK-E013": _Code(
        "Template error",
        "A message template has a syntax error or uses an unknown placeholder.",
        "Use only the placeholders listed in the message.",
    ),
    "DK-E014": _Code(
        "Nobody to page",
        "A role used by a tree or playbook has no holder and no "
        "deputy, so nobody can be paged or own the step.",
        "Name a holder (and deputies) for the role.",
    ),
    "DK-E015": _Code(
        "Sample plan with real contact details",
        "A plan marked `sample: true` must only use fictional numbers "
        "(095-000-XXXX, 090-00XX-XXXX) and addresses under .example.",
        "Use fictional details, or remove `sample: true` if this is your own plan.",
    ),
    "DK-E016": _Code(
        "Plan file missing",
        "The directory has no plan.yaml.",
        "Create plan.yaml at the root of the plan directory (see README).",
    ),
    "DK-E017": _Code(
        "Plan too large",
        "The plan's files together, or its people, exceed drillkit's limits (32 MB and "
        "100,000 people by default: about three times a nationwide plan). The limits stop "
        "a mistaken or hostile file before it costs minutes and gigabytes.",
        "Split the plan, or raise the limits with DRILLKIT_MAX_PLAN_MB and DRILLKIT_MAX_PEOPLE.",
    ),
    # Warnings: the plan works, but a reviewer or an auditor would object.
    "DK-W001": _Code(
        "Role without a deputy",
        "Every role should have a deputy (代理者): when "
        "the holder cannot be reached, nobody else is paged.",
        "Add one or more deputies to the role.",
    ),
    "DK-W002": _Code(
        "Deputy is the holder",
        "A role lists its holder as a deputy, which adds nobody.",
        "Name a different person as deputy.",
    ),
    "DK-W003": _Code(
        "Shared number",
        "Two people share one phone number or address; one answer would acknowledge for both.",
        "Give each person their own number, or check the plan for a typo.",
    ),
    "DK-W004": _Code(
        "Unreachable person",
        "A person who is paged by a tree has no channel that the tree uses.",
        "Add a voice number, SMS number or e-mail address.",
    ),
    "DK-W005": _Code(
        "Too many critical roles",
        "One person holds more critical roles than the "
        "plan allows; in an incident they become the bottleneck.",
        "Spread the roles or give each a deputy who is someone else.",
    ),
    "DK-W006": _Code(
        "Outside agency missing",
        "A scenario needs an outside agency (police, "
        "J-LIS, prefecture, …) that none of its trees reaches (checklist 5-3).",
        "Add the agency's role to the external tree the scenario activates.",
    ),
    "DK-W007": _Code(
        "Target out of reach",
        "A target cannot be met if a holder does not "
        "answer: the deputy is paged only after the target has passed, or the "
        "tree's timeouts add up past it. A silent holder's ladder is one wait per "
        "number or address of each channel kind, repeated for each retry.",
        "Shorten the acknowledgement timeouts or retries, page deputies in parallel, "
        "or revise the target.",
    ),
    "DK-W008": _Code(
        "Person without a role",
        "A person who holds no role and is no deputy is never paged.",
        "Give them a role or remove them.",
    ),
    "DK-W009": _Code(
        "SMS to a landline",
        "Japanese landlines cannot receive SMS.",
        "Use a mobile number for SMS.",
    ),
    "DK-W010": _Code(
        "Long SMS",
        "An SMS template needs more than one segment (70 characters "
        "in Japanese); some phones show the parts out of order.",
        "Shorten the SMS text.",
    ),
    "DK-W011": _Code(
        "Vacant role", "A role has no holder; its deputies are paged directly.", "Name a holder."
    ),
    "DK-W012": _Code(
        "Not listed in plan.yaml",
        "A tree, scenario or playbook file is present but "
        "plan.yaml lists the contents explicitly and leaves it out.",
        "Add it to the lists in plan.yaml, or delete the file.",
    ),
    "DK-W013": _Code(
        "Incident pages everyone",
        "An incident scenario pages every member of every level of its trees from the "
        "start: in a theft the regional centres, the vendor and the Ministry are called "
        "at once, and the police hear of a centre outage.",
        "Say who is told at which point with `notify:` (tree, level, members, at_inject "
        "or after_step), as the source documents do.",
    ),
    "DK-W014": _Code(
        "Agency told as staff",
        "An outside agency (prefecture, J-LIS, police, …) would get the message meant for "
        "the city's own staff, with internal instructions, instead of a formal "
        "notification: who we are, what happened, what we ask of them, whom to call back.",
        "Add `agency_messages:` to the scenario (with {{ callback }}), and do not give "
        "agencies `audience: staff`.",
    ),
}
