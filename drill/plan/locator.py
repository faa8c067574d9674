"""Where each thing of a plan was written: file, key path and line, for findings about it.

The loader fills a `Locator` while it reads the YAML files; the loader's own checks and
the lint (`drill.plan.lint`) both turn "role 'police'" into `contacts/roles.yaml:31
roles[3]` through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from drill.plan.findings import Finding, Param, Severity, format_path
from drill.plan.source import Document

__all__ = ["Locator", "Place"]


@dataclass(frozen=True)
class Place:
    """Where a thing of the plan was written."""

    file: Path
    path: tuple[str | int, ...]


@dataclass
class Locator:
    """Finds the file and line of any plan entity, for findings about it."""

    documents: dict[Path, Document] = field(default_factory=dict)
    places: dict[tuple[str, str], Place] = field(default_factory=dict)

    def add(
        self, kind: str, item_id: str, file: Path, path: tuple[str | int, ...], *also: str
    ) -> None:
        """Note where `item_id` was written, as a `kind` and as each of the kinds `also`
        (one place for all: a person is a contact too); the first place noted stays."""
        place: Place | None = None
        for name in (kind, *also):
            if (name, item_id) not in self.places:
                place = place or Place(file, path)
                self.places[name, item_id] = place

    def finding(
        self,
        code: str,
        severity: Severity,
        message: str,
        kind: str,
        item_id: str,
        *sub: str | int,
        fix: str | None = None,
        message_key: str | None = None,
        fix_key: str | None = None,
        params: tuple[tuple[str, Param], ...] = (),
    ) -> Finding:
        """A finding about the thing `kind` `item_id` (at `sub` inside it); the keys and
        params say it in other languages (`Finding.message_key`)."""
        place = self.places.get((kind, item_id))
        if place is None:
            return Finding(
                code, severity, message, None, None, f"{kind} {item_id}", fix,
                message_key, fix_key, params,
            )  # fmt: skip
        path = (*place.path, *sub)
        document = self.documents.get(place.file)
        line = document.line_of(path) if document else None
        return Finding(
            code, severity, message, place.file, line, format_path(path), fix,
            message_key, fix_key, params,
        )  # fmt: skip
