"""Safe YAML with line numbers, and `${VAR}` substitution.

PyYAML's safe loader is used only to compose nodes and to construct plain scalars; the
node tree is then walked by hand so that every value keeps the line it came from. Tags
other than YAML's own (e.g. `!!python/object`) are refused, duplicate keys are errors
(plain YAML silently keeps the last one), and alias cycles cannot recurse forever.
What aliases may add, how large a file may be and what kind of file it is are checked
against `drill.plan.limits` before anything is built.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drill.plan.findings import Finding, Param, Severity, format_path, os_params, params
from drill.plan.limits import ENV_MAX_PEOPLE, ENV_MAX_PLAN_MB, PlanLimits

__all__ = [
    "Document",
    "load_document",
    "people_limit",
    "plain_document",
    "read_dotenv",
    "read_regular_file",
    "substitute_env",
    "too_large",
]

Path_ = tuple[str | int, ...]

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:merge",
}
# libyaml's parser is about ten times faster and gives the same marks; it is a build option
# of PyYAML, so fall back to the pure-Python parser where it is missing.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Files larger than this have their people counted before the full parse (see
# `_too_many_people`); a nationwide plan's contacts are several megabytes.
_PRESCAN_CHARACTERS = 1_000_000


@dataclass
class Document:
    """A parsed YAML file: its data and the line of every value, keyed by path."""

    file: Path
    data: Any
    variables: bool = True
    """False when the file has no `$` at all, so `substitute_env` has nothing to do."""
    text: str | None = field(default=None, repr=False)
    """The text of a file read the fast way (`_read_plain`), until its lines are needed."""
    _lines: dict[Path_, int] | None = field(default=None, repr=False)

    @property
    def lines(self) -> dict[Path_, int]:
        """The line of every value, keyed by path. The careful reader notes them as it
        reads; a file read the fast way has them found on its text when first asked for:
        only a finding needs a line, and the map of a nationwide plan's contacts is a
        million entries that a plan without findings would build for nothing."""
        if self._lines is None:
            self._lines = {} if self.text is None else _plain_lines(self.text)
            self.text = None
        return self._lines

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        lines = self.lines
        probe = tuple(path)
        while probe:
            if probe in lines:
                return lines[probe]
            probe = probe[:-1]
        return lines.get((), None)


_Say = tuple[str | None, str | None, tuple[tuple[str, Param], ...]]
"""A finding's message key, fix key and params (`Finding.message_key`)."""
_NO: _Say = (None, None, ())


def _syntax_params(exc: yaml.MarkedYAMLError) -> tuple[tuple[str, Param], ...]:
    """What YAML found wrong, for a message in other words: its own phrase (`problem`),
    the whole English text as a fallback, and the line where it noticed an unfinished
    construct."""
    text = exc.problem or exc.context or "invalid YAML"
    noticed = None
    if exc.context and exc.problem_mark and exc.context_mark:
        noticed = exc.problem_mark.line + 1
        text += f" ({exc.context} opened here, noticed on line {noticed})"
    return params(detail=text, problem=exc.problem, context=exc.context, noticed=noticed)


class _Refused(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding


def _decode(raw: bytes, file: Path) -> tuple[str, Finding | None]:
    """A file's text (UTF-8, a BOM allowed), or the error that names the first bad byte."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return "", Finding(
            "DK-E001",
            Severity.ERROR,
            f"not UTF-8 (byte {exc.start})",
            file,
            fix="save the file as UTF-8",
            message_key="file.not_utf8",
            fix_key="file.not_utf8.fix",
            params=params(byte=exc.start),
        )


def load_document(
    file: Path, limits: PlanLimits | None = None
) -> tuple[Document | None, list[Finding]]:
    """Parse one YAML file. Returns the document, or None with every error found in it."""
    limits = limits or PlanLimits()
    raw, problem = read_regular_file(file, limits)
    if problem is not None:
        return None, [problem]
    assert raw is not None
    text, problem = _decode(raw, file)
    if problem is not None:
        return None, [problem]
    doc = Document(file, None)
    walker: _Walker | None = None
    large = len(text) > _PRESCAN_CHARACTERS
    try:
        plain = _read_plain(file, text, limits.max_people if large else None)
    except _TooManyPeople as over:
        return None, [people_limit(file, over.count, limits)]
    if plain is not None:
        return plain, []
    if large:
        people = _too_many_people(text, limits.max_people)
        if people is not None:
            return None, [people_limit(file, people, limits)]
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return doc, []
            walker = _Walker(loader, doc, limits, len(text))
            doc.data = walker.value(node, ())
        finally:
            loader.dispose()
    except _Refused as refused:
        return None, [*(walker.problems if walker else []), refused.finding]
    except yaml.MarkedYAMLError as exc:
        # Report where the unfinished construct was opened (an unclosed bracket or quote)
        # when YAML knows it: the problem line is often the one after the mistake.
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark else None
        problem_text = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem_mark and exc.context_mark:
            problem_text += (
                f" ({exc.context} opened here, noticed on line {exc.problem_mark.line + 1})"
            )
        return None, [
            Finding(
                "DK-E002",
                Severity.ERROR,
                f"YAML syntax: {problem_text}",
                file,
                line,
                fix="check the indentation and quoting on this line and the one before",
                message_key="yaml.syntax",
                fix_key="yaml.syntax.fix",
                params=_syntax_params(exc),
            )
        ]
    except yaml.YAMLError as exc:
        return None, [
            Finding(
                "DK-E002",
                Severity.ERROR,
                f"YAML: {exc}",
                file,
                message_key="yaml.syntax",
                params=params(detail=str(exc)),
            )
        ]
    except RecursionError:
        return None, [
            Finding("DK-E002", Severity.ERROR, "nesting is too deep", file, message_key="yaml.deep")
        ]
    if walker.problems:
        # Every problem of the file at once; its values are not used until they are fixed.
        return None, walker.problems
    return doc, []


def plain_document(file: Path, limits: PlanLimits) -> Document | None:
    """The document `load_document` gives when it reads `file` the fast way and finds
    nothing wrong; None for anything else (`load_document` then reads it and says why)."""
    raw, problem = read_regular_file(file, limits)
    if problem is not None or raw is None:
        return None
    text, problem = _decode(raw, file)
    if problem is not None:
        return None
    large = len(text) > _PRESCAN_CHARACTERS
    try:
        return _read_plain(file, text, limits.max_people if large else None)
    except _TooManyPeople:
        return None


_STR = "tag:yaml.org,2002:str"
# First characters after which a plain scalar may be something other than text (YAML 1.1
# ints, floats, bools, nulls, dates, merge keys): only those go through the resolver.
_NOT_ALWAYS_TEXT = frozenset(ch for ch in _Loader.yaml_implicit_resolvers if ch)


def _read_plain(file: Path, text: str, max_people: int | None = None) -> Document | None:
    """The document built straight from the parser's events, or None to take the slow path.

    Composing nodes and resolving every scalar in Python costs about four times the parse;
    a plan file is almost always plain data (no tags, anchors, aliases, merge keys or
    duplicate keys), and this reads such a file in one pass over the events, with the same
    values and the same lines as `_Walker`. Anything else, an error included, returns None
    and `load_document` reads the file again the careful way, which explains the problem.

    With `max_people`, it raises `_TooManyPeople` as soon as the top-level `people` list
    passes that many, as `_too_many_people` would: the count rides on this one pass instead
    of a second parse of every large file.
    """
    doc = Document(file, None, variables="$" in text, text=text)
    loader = _Loader(text)
    try:
        return _build_plain(loader, doc, max_people)
    except (yaml.YAMLError, ValueError, OverflowError, _NotPlain):
        return None
    finally:
        loader.dispose()


def _plain_lines(text: str) -> dict[Path_, int]:
    """The lines of a file `_read_plain` read, keyed by path as `_Walker` notes them: found
    again on the parser's events alone, no value built a second time."""
    lines: dict[Path_, int] = {}
    scalar_event, end_events = yaml.ScalarEvent, (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    # Per open container: its path, whether it is a mapping, and how many items or keys
    # it has so far; `key` is a mapping's key waiting for its value.
    stack: list[tuple[Path_, bool, int]] = []
    path: Path_ = ()
    in_map, count, at_root = False, 0, True
    key: str | None = None
    loader = _Loader(text)
    get = loader.get_event
    try:
        get()  # the stream start
        if loader.check_event(yaml.StreamEndEvent):
            return lines
        get()  # the document start
        while True:
            event: Any = get()
            kind = type(event)
            if kind is scalar_event:
                if at_root:
                    lines[()] = event.start_mark.line + 1
                elif not in_map:
                    lines[(*path, count)] = event.start_mark.line + 1
                    count += 1
                elif key is None:
                    key = event.value  # a plain file's keys are text as written
                    line = event.start_mark.line + 1
                    if not count:
                        lines.setdefault((*path, "<key>"), line)
                    lines[(*path, key)] = line
                    count += 1
                else:
                    key = None  # a mapping's value: its line is its key's
            elif kind is mapping_start or kind is sequence_start:
                child: Path_ = ()
                if at_root:
                    lines[()] = event.start_mark.line + 1
                elif in_map:
                    assert key is not None  # a plain file's containers are never keys
                    child = (*path, key)
                else:
                    child = (*path, count)
                    lines[child] = event.start_mark.line + 1
                    count += 1
                stack.append((path, in_map, count))
                path, in_map, count, key, at_root = child, kind is mapping_start, 0, None, False
            elif kind in end_events:
                path, in_map, count = stack.pop()
                key, at_root = None, not stack
            else:
                break  # the document's end: `_read_plain` read no more either
    except yaml.YAMLError:
        pass  # it was read this way once already; what was found is kept
    finally:
        loader.dispose()
    return lines


class _NotPlain(Exception):
    """The file needs the careful reader (`_Walker`)."""


class _TooManyPeople(Exception):
    """The file's `people` list passed the limit (`count` people counted so far)."""

    def __init__(self, count: int) -> None:
        self.count = count


def _build_plain(
    loader: yaml.SafeLoader | yaml.CSafeLoader, doc: Document, max_people: int | None = None
) -> Document:
    scalar_event, end_events = yaml.ScalarEvent, (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    containers: list[Any] = []  # the open mappings and sequences
    keys: list[str | None] = []  # per open mapping: the key waiting for its value
    parent: Any = None
    key: str | None = None
    resolved: dict[str, str] = {}
    # Each key text once, however many entries write it: a nationwide plan's contacts write
    # `voice`, `label`, `id`… 700,000 times, and one string per key makes the values the
    # second core sends back (`marshal` writes a string it has seen as a reference) and
    # the plan in memory smaller, and their read-back faster.
    key_texts: dict[str, str] = {}
    # The top-level `people` list, while `max_people` is to be enforced (else a list that
    # never is `parent`); its length is checked only when something is added to it.
    people: Any = None if max_people is None else []
    limit = max_people if max_people is not None else 0
    check, get = loader.check_event, loader.get_event
    resolve: Any = loader.resolve  # untyped in PyYAML's stubs
    get()  # the stream start
    if check(yaml.StreamEndEvent):
        return doc
    get()  # the document start
    while True:
        event: Any = get()
        kind = type(event)
        if kind is scalar_event:
            if event.tag is not None or event.anchor is not None:
                raise _NotPlain
            raw = event.value
            value: Any = raw
            if event.implicit[0] and (not raw or raw[0] in _NOT_ALWAYS_TEXT):
                tag = resolved.get(raw) or resolved.setdefault(
                    raw, resolve(yaml.ScalarNode, raw, (True, False))
                )
                if tag != _STR:
                    value = _plain_value(loader, event, tag)
            if key is not None:  # a mapping's value
                parent[key] = value
                key = None
            elif parent is None:
                doc.data = value
            elif type(parent) is dict:
                if type(value) is not str or value in parent:
                    raise _NotPlain  # keys the careful reader converts or refuses
                key = key_texts.setdefault(value, value)
            else:
                parent.append(value)
                if parent is people and len(parent) > limit:
                    raise _TooManyPeople(len(parent))
        elif kind is mapping_start or kind is sequence_start:
            if (event.tag is not None and not event.implicit) or event.anchor is not None:
                raise _NotPlain
            new: Any = {} if kind is mapping_start else []
            if parent is None:
                doc.data = new
            elif key is not None:
                parent[key] = new
                if people is not None and key == "people" and len(containers) == 1:
                    people = new  # the root mapping's `people` (only a list is counted)
                key = None
            elif type(parent) is dict:
                raise _NotPlain  # a mapping or list as a key
            else:
                parent.append(new)
                if parent is people and len(parent) > limit:
                    raise _TooManyPeople(len(parent))
            containers.append(parent)
            keys.append(key)
            parent, key = new, None
        elif kind in end_events:
            parent, key = containers.pop(), keys.pop()
        elif kind is yaml.DocumentEndEvent:
            break
        else:
            raise _NotPlain  # an alias
    if not check(yaml.StreamEndEvent):
        raise _NotPlain  # a second document: the careful reader says so
    return doc


def _plain_value(loader: yaml.SafeLoader | yaml.CSafeLoader, event: Any, tag: str) -> Any:
    """A plain scalar that YAML reads as something other than text (a number, a date…)."""
    if tag not in _STANDARD_TAGS or tag.endswith(":merge"):
        raise _NotPlain
    raw = event.value
    value = loader.construct_object(
        yaml.ScalarNode(tag, raw, event.start_mark, event.end_mark), deep=True
    )
    # As `_Walker._scalar`: digits written with a leading 0 or + are text (phone numbers).
    if isinstance(value, int) and not isinstance(value, bool) and len(raw) > 1 and raw[0] in "0+":
        return raw
    return value


def _too_many_people(text: str, limit: int) -> int | None:
    """How many people a large file lists, when that is over `limit` (else None).

    Counted on YAML's event stream, which is several times faster than building the node
    tree, and stopped as soon as the count passes the limit: a 250,000-person file is
    refused in seconds instead of being parsed for minutes.
    """
    loader = _Loader(text)
    depth = 0
    in_people = False
    expect_key = False
    last_key: str | None = None
    count = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                if in_people and depth == 2:
                    count += 1
                if depth == 1 and expect_key is False:
                    in_people = last_key == "people" and isinstance(event, yaml.SequenceStartEvent)
                depth += 1
                expect_key = isinstance(event, yaml.MappingStartEvent) and depth == 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                if depth == 1:
                    in_people = False
                    expect_key = True
            elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                if in_people and depth == 2:
                    count += 1
                if depth == 1:
                    if expect_key:
                        last_key = event.value if isinstance(event, yaml.ScalarEvent) else None
                    expect_key = not expect_key
            if count > limit:
                return count
    except yaml.YAMLError:
        return None  # the full parse reports it, with its line
    finally:
        loader.dispose()
    return None


def people_limit(file: Path, count: int, limits: PlanLimits) -> Finding:
    """The error for a file (or a plan) with more people than the limit."""
    return Finding(
        "DK-E017",
        Severity.ERROR,
        f"more than {limits.max_people:,} people ({count:,} counted)",
        file,
        key="people",
        fix=f"split the plan, or raise the limit with {ENV_MAX_PEOPLE}=<number>",
        message_key="limit.people",
        fix_key="limit.people.fix",
        params=params(limit=limits.max_people, count=count, env=ENV_MAX_PEOPLE),
    )


def read_regular_file(file: Path, limits: PlanLimits) -> tuple[bytes | None, Finding | None]:
    """The bytes of `file`, or the reason it cannot be a plan file: missing, unreadable, a
    symlink loop, not a regular file (a FIFO would block, /dev/zero never ends), or larger
    than the plan limit."""
    try:
        info = file.stat()
    except OSError as exc:
        return None, _file_problem(file, exc)
    if not stat.S_ISREG(info.st_mode):
        return None, Finding(
            "DK-E001",
            Severity.ERROR,
            f"not a regular file but {_file_kind(info.st_mode)}",
            file,
            fix="replace it with an ordinary file, or remove it",
            message_key="file.not_regular",
            fix_key="file.not_regular.fix",
            params=params(kind=_file_kind(info.st_mode)),
        )
    if info.st_size > limits.max_bytes:
        return None, too_large(file, info.st_size, limits)
    try:
        with file.open("rb") as handle:
            # Read at most one byte past its size (and the limit): a file that grows
            # while it is read is still bounded.
            raw = handle.read(min(limits.max_bytes, info.st_size) + 1)
    except OSError as exc:
        return None, _file_problem(file, exc)
    if len(raw) > limits.max_bytes:
        return None, too_large(file, len(raw), limits)
    return raw, None


def too_large(file: Path, size: int, limits: PlanLimits) -> Finding:
    """The error for a plan (or a file of it) over the size limit."""
    return Finding(
        "DK-E017",
        Severity.ERROR,
        f"the plan is {size / (1024 * 1024):.1f} MB; the limit is {limits.max_megabytes:g} MB",
        file,
        fix=f"split the plan, or raise the limit with {ENV_MAX_PLAN_MB}=<megabytes>",
        message_key="limit.size",
        fix_key="limit.size.fix",
        params=params(
            size=f"{size / (1024 * 1024):.1f}", limit=limits.max_megabytes, env=ENV_MAX_PLAN_MB
        ),
    )


def _file_problem(file: Path, exc: OSError) -> Finding:
    if exc.errno == errno.ELOOP:
        return Finding(
            "DK-E001",
            Severity.ERROR,
            "a symbolic link that points to itself (a loop)",
            file,
            fix="point the link at a real file, or remove it",
            message_key="file.link_loop",
            fix_key="file.link.fix",
        )
    if exc.errno == errno.ENOENT and file.is_symlink():
        return Finding(
            "DK-E001",
            Severity.ERROR,
            f"a symbolic link to a missing file ({file.readlink()})",
            file,
            fix="point the link at a real file, or remove it",
            message_key="file.link_missing",
            fix_key="file.link.fix",
            params=params(target=str(file.readlink())),
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Finding(
            "DK-E001",
            Severity.ERROR,
            "cannot read: permission denied",
            file,
            fix="give the user running drillkit read access to it",
            message_key="file.permission",
            fix_key="file.permission.fix",
        )
    return Finding(
        "DK-E001",
        Severity.ERROR,
        f"cannot read: {exc.strerror or exc}",
        file,
        message_key="file.unreadable",
        params=os_params(exc),
    )


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


class _Walker:
    def __init__(
        self,
        loader: yaml.SafeLoader | yaml.CSafeLoader,
        doc: Document,
        limits: PlanLimits,
        characters: int,
    ) -> None:
        self.loader = loader
        self.doc = doc
        self.limits = limits
        self.active: set[int] = set()
        self.seen: set[int] = set()
        # Values produced by aliases, beyond what the file writes out: an alias bomb is
        # measured by what aliases add, never by the file's honest size.
        self.aliased = 0
        self.in_alias = 0
        # Honest reuse (`<<: *defaults` in every person) grows with the file; a bomb grows
        # exponentially. So the allowance grows with the file too: about one value per 20
        # characters written, which bounds even a 32 MB file's expansion to a few hundred MB.
        self.max_aliased = limits.max_aliased_values + characters // 20
        self.problems: list[Finding] = []

    def _finding(
        self, code: str, message: str, node: yaml.Node, path: Path_, fix: str, say: _Say
    ) -> Finding:
        return Finding(
            code,
            Severity.ERROR,
            message,
            self.doc.file,
            node.start_mark.line + 1,
            format_path(path) or None,
            fix,
            *say,
        )

    def _refuse(
        self, code: str, message: str, node: yaml.Node, path: Path_, fix: str, say: _Say = _NO
    ) -> None:
        """Stop reading the file (the problem makes the rest meaningless or unbounded)."""
        raise _Refused(self._finding(code, message, node, path, fix, say))

    def _problem(
        self, code: str, message: str, node: yaml.Node, path: Path_, fix: str, say: _Say = _NO
    ) -> None:
        """Note a problem and keep reading, so one pass reports all of them."""
        self.problems.append(self._finding(code, message, node, path, fix, say))

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
            if node.tag.endswith(":timestamp"):
                self._problem(
                    "DK-E006",
                    f"cannot read this value as a date: {exc}",
                    node,
                    path,
                    "write a real date as YYYY-MM-DD",
                    ("yaml.date", "yaml.date.fix", ()),
                )
            else:
                self._problem(
                    "DK-E006",
                    f"cannot read this value: {exc}",
                    node,
                    path,
                    "quote the value if it is meant as text",
                    ("yaml.value", "yaml.value.fix", ()),
                )
            return None
        # 0958291124 or +81958291124 would become an integer and lose its leading 0 or +:
        # digits written that way are always meant as text (phone numbers).
        # A plain scalar's style is None in PyYAML's Python composer and "" in libyaml's.
        if isinstance(value, int) and not isinstance(value, bool) and not node.style:
            text = str(node.value)
            if len(text) > 1 and text[0] in "0+":
                return text
        return value

    def value(self, node: yaml.Node, path: Path_) -> Any:
        again = id(node) in self.seen
        self.seen.add(id(node))
        if again:
            self.in_alias += 1
        try:
            return self._value(node, path)
        finally:
            if again:
                self.in_alias -= 1

    def _value(self, node: yaml.Node, path: Path_) -> Any:
        if self.in_alias:
            self.aliased += 1
            if self.aliased > self.max_aliased:
                self._refuse(
                    "DK-E002",
                    f"aliases (*name, <<: *name) add more than "
                    f"{self.max_aliased:,} values (an alias bomb?)",
                    node,
                    path,
                    "write repeated values out, or reuse fewer aliases inside aliases",
                    ("yaml.alias_bomb", "yaml.alias_bomb.fix", params(most=self.max_aliased)),
                )
        if node.tag not in _STANDARD_TAGS:
            self._problem(
                "DK-E003",
                f"tag {node.tag!r} is not allowed",
                node,
                path,
                "write plain YAML values without tags",
                (
                    "yaml.tag",
                    "yaml.tag.fix",
                    params(tag=node.tag.replace("tag:yaml.org,2002:", "!!")),
                ),
            )
            return None
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self.active:
            self._problem(
                "DK-E002",
                "an alias refers to itself",
                node,
                path,
                "remove the recursive alias",
                ("yaml.alias_loop", "yaml.alias_loop.fix", ()),
            )
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if path == ("people",) and len(node.value) > self.limits.max_people:
                    finding = people_limit(self.doc.file, len(node.value), self.limits)
                    raise _Refused(dataclasses.replace(finding, line=node.start_mark.line + 1))
                return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            written = {id(key_node) for key_node, _ in node.value}
            try:
                self.loader.flatten_mapping(node)
            except yaml.constructor.ConstructorError as exc:
                self._problem(
                    "DK-E002",
                    f"bad merge key: {exc.problem}",
                    node,
                    path,
                    "merge only mappings with <<",
                    ("yaml.merge", "yaml.merge.fix", ()),
                )
                return None
            out: dict[Any, Any] = {}
            merged: set[str] = (
                set()
            )  # keys that came from `<<: *x`, which keys written here override
            for key_node, value_node in node.value:
                key = self.value(key_node, (*path, "<key>"))
                if not isinstance(key, str | int | bool) or key is None:
                    self._problem(
                        "DK-E006",
                        "keys must be plain words",
                        key_node,
                        path,
                        "write the key as text",
                        ("yaml.key", "yaml.key.fix", ()),
                    )
                    continue
                key_text = str(key)
                child = (*path, key_text)
                if id(key_node) not in written:
                    merged.add(key_text)
                elif key_text in merged:
                    merged.discard(key_text)
                    del out[key_text]
                if key_text in out and key_text not in merged:
                    self._problem(
                        "DK-E006",
                        f"key '{key_text}' appears twice",
                        key_node,
                        child,
                        "keep one of them",
                        ("key.twice", "key.twice.fix", params(name=key_text)),
                    )
                    continue
                self.doc.lines[child] = key_node.start_mark.line + 1
                out[key_text] = self.value(value_node, child)
            return out
        finally:
            self.active.discard(id(node))


_VAR = re.compile(r"\$(\$?)\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_dotenv(file: Path) -> tuple[dict[str, str], list[Finding]]:
    """`NAME=value` lines; `#` comments; optional quotes. Missing file: empty."""
    values: dict[str, str] = {}
    findings: list[Finding] = []
    try:
        file.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return values, findings  # no .env: the environment alone
    except OSError:
        pass  # unreadable: read_regular_file says why, with the path
    content, problem = read_regular_file(file, PlanLimits())
    if problem is not None:
        return values, [problem]
    assert content is not None
    text, problem = _decode(content, file)
    if problem is not None:
        return values, [problem]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ")
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            findings.append(
                Finding(
                    "DK-E006",
                    Severity.ERROR,
                    "expected NAME=value",
                    file,
                    number,
                    fix="write one variable per line as NAME=value",
                    message_key="env.line",
                    fix_key="env.line.fix",
                )
            )
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values, findings


def substitute_env(doc: Document, env: Mapping[str, str]) -> list[Finding]:
    """Replace `${NAME}` in every string of `doc` (in place); `$${` writes a literal `${`."""
    findings: list[Finding] = []
    if not doc.variables:
        return findings

    def replace(text: str, path: Path_) -> str:
        def one(match: re.Match[str]) -> str:
            escaped, name = match.group(1), match.group(2)
            if escaped:
                return "${" + name + "}"
            if not _NAME.match(name):
                findings.append(
                    Finding(
                        "DK-E010",
                        Severity.ERROR,
                        f"'${{{name}}}' is not a variable name",
                        doc.file,
                        doc.line_of(path),
                        format_path(path),
                        "use letters, digits and _ (e.g. ${TANAKA_MOBILE})",
                        "env.bad_name",
                        "env.bad_name.fix",
                        params(name=name),
                    )
                )
                return match.group(0)
            if name not in env:
                findings.append(
                    Finding(
                        "DK-E010",
                        Severity.ERROR,
                        f"${{{name}}} is not set",
                        doc.file,
                        doc.line_of(path),
                        format_path(path),
                        f"set {name} in the environment or in .env beside plan.yaml",
                        "env.unset",
                        "env.unset.fix",
                        params(name=name),
                    )
                )
                return match.group(0)
            return env[name]

        return _VAR.sub(one, text)

    def walk(value: Any, path: Path_) -> Any:
        if isinstance(value, str) and "$" in value:
            return replace(value, path)
        if isinstance(value, list):
            return [walk(item, (*path, i)) for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        return value

    doc.data = walk(doc.data, ())
    return findings


def environment_for(plan_dir: Path) -> tuple[dict[str, str], list[Finding]]:
    """The process environment over the plan's `.env` (the environment wins)."""
    values, findings = read_dotenv(plan_dir / ".env")
    values.update(os.environ)
    return values, findings
