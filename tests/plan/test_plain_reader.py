"""The plain reader (a plan file built straight from the parser's events) gives exactly the
values and lines the careful reader gives: every error names the same line either way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drill.plan.source import load_document

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FILES = [
    ROOT / "plan.yaml",
    *sorted(
        path
        for folder in ("contacts", "scenarios", "playbooks")
        for path in (ROOT / folder).glob("*.yaml")
    ),
]


def _with_an_anchor(text: str) -> str:
    """The same document with an anchor on its first `key: value` (unused: same data), which
    sends it down the careful reader."""
    changed, count = re.subn(
        r"^(\s*[\w-]+: )(?![&*|>\[{'\"])(\S)", r"\1&first \2", text, count=1, flags=re.M
    )
    assert count == 1
    return changed


@pytest.mark.parametrize("source", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_plain_and_careful_readers_give_the_same_values_and_lines(
    tmp_path: Path, source: Path
) -> None:
    plain_file = tmp_path / "plain.yaml"
    careful_file = tmp_path / "careful.yaml"
    text = source.read_text(encoding="utf-8")
    plain_file.write_text(text, encoding="utf-8")
    careful_file.write_text(_with_an_anchor(text), encoding="utf-8")

    plain, plain_problems = load_document(plain_file)
    careful, careful_problems = load_document(careful_file)

    assert plain is not None and careful is not None
    assert plain_problems == careful_problems == []
    assert plain.data == careful.data
    assert plain.lines == careful.lines
    assert len(plain.lines) > 10
