"""Safe YAML with line numbers, and `${VAR}` substitution.

PyYAML's safe loader is used only to compose nodes and to construct plain scalars; the
node tree is then walked by hand so that every value keeps the line it came from. Tags
other than YAML's own (e.g. `!!python/object`) are refused, duplicate keys are errors
(plain YAML silently keeps the last one), and alias cycles cannot recurse forever.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drill.plan.findings import Finding, Severity, format_path

__all__ = ["Document", "load_document", "read_dotenv", "substitute_env"]

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
_MAX_NODES = 200_000  # a plan is thousands of values; this stops alias "billion laughs"


@dataclass
class Document:
    """A parsed YAML file: its data and the line of every value, keyed by path."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), None)


class _Refused(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding


def load_document(file: Path) -> tuple[Document | None, list[Finding]]:
    """Parse one YAML file. Returns the document, or None with the errors found."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [
            Finding(
                "DK-E001",
                Severity.ERROR,
                f"not UTF-8 (byte {exc.start})",
                file,
                fix="save the file as UTF-8",
            )
        ]
    except OSError as exc:
        return None, [Finding("DK-E001", Severity.ERROR, f"cannot read: {exc.strerror}", file)]
    doc = Document(file, None)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return doc, []
            doc.data = _Walker(loader, doc).value(node, ())
        finally:
            loader.dispose()
    except _Refused as refused:
        return None, [refused.finding]
    except yaml.MarkedYAMLError as exc:
        # Report where the unfinished construct was opened (an unclosed bracket or quote)
        # when YAML knows it: the problem line is often the one after the mistake.
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem_mark and exc.context_mark:
            problem += f" ({exc.context} opened here, noticed on line {exc.problem_mark.line + 1})"
        return None, [
            Finding(
                "DK-E002",
                Severity.ERROR,
                f"YAML syntax: {problem}",
                file,
                line,
                fix="check the indentation and quoting on this line and the one before",
            )
        ]
    except yaml.YAMLError as exc:
        return None, [Finding("DK-E002", Severity.ERROR, f"YAML: {exc}", file)]
    except RecursionError:
        return None, [Finding("DK-E002", Severity.ERROR, "nesting is too deep", file)]
    return doc, []


class _Walker:
    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.active: set[int] = set()
        self.count = 0

    def _refuse(self, code: str, message: str, node: yaml.Node, path: Path_, fix: str) -> None:
        raise _Refused(
            Finding(
                code,
                Severity.ERROR,
                message,
                self.doc.file,
                node.start_mark.line + 1,
                format_path(path) or None,
                fix,
            )
        )

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
            if node.tag.endswith(":timestamp"):
                self._refuse(
                    "DK-E006",
                    f"cannot read this value as a date: {exc}",
                    node,
                    path,
                    "write a real date as YYYY-MM-DD",
                )
            self._refuse(
                "DK-E006",
                f"cannot read this value: {exc}",
                node,
                path,
                "quote the value if it is meant as text",
            )
        # 0958291124 or +81958291124 would become an integer and lose its leading 0 or +:
        # digits written that way are always meant as text (phone numbers).
        if isinstance(value, int) and not isinstance(value, bool) and node.style is None:
            text = str(node.value)
            if len(text) > 1 and text[0] in "0+":
                return text
        return value

    def value(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            self._refuse(
                "DK-E002",
                "the file expands to too many values (alias bomb?)",
                node,
                path,
                "remove the repeated aliases",
            )
        if node.tag not in _STANDARD_TAGS:
            self._refuse(
                "DK-E003",
                f"tag {node.tag!r} is not allowed",
                node,
                path,
                "write plain YAML values without tags",
            )
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self.active:
            self._refuse(
                "DK-E002", "an alias refers to itself", node, path, "remove the recursive alias"
            )
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            try:
                self.loader.flatten_mapping(node)
            except yaml.constructor.ConstructorError as exc:
                self._refuse(
                    "DK-E002",
                    f"bad merge key: {exc.problem}",
                    node,
                    path,
                    "merge only mappings with <<",
                )
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.value(key_node, (*path, "<key>"))
                if not isinstance(key, str | int | bool) or key is None:
                    self._refuse(
                        "DK-E006",
                        "keys must be plain words",
                        key_node,
                        path,
                        "write the key as text",
                    )
                key_text = str(key)
                child = (*path, key_text)
                if key_text in out:
                    self._refuse(
                        "DK-E006",
                        f"key '{key_text}' appears twice",
                        key_node,
                        child,
                        "keep one of them",
                    )
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
    if not file.is_file():
        return values, findings
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return values, [Finding("DK-E001", Severity.ERROR, f"cannot read: {exc}", file)]
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
