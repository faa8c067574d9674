"""Property: whatever YAML a user writes, loading ends in a valid plan or a PlanError."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.plan import PlanError, load_plan
from drill.plan.templates import TemplateProblem, check_template

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
FILES = sorted(str(p.relative_to(MINIMAL)) for p in MINIMAL.rglob("*.yaml"))
RAN = {"random": 0, "mutated": 0}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["${NOPE}", "095-000-0001", "2026-02-30", "!!", "*a"]),
    st.dates().map(str),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "name",
                    "people",
                    "roles",
                    "trees",
                    "levels",
                    "members",
                    "plan",
                    "kind",
                    "steps",
                    "voice",
                    "holder",
                    "deputies",
                    "channels",
                    "title",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)


def _load(root: Path) -> None:
    try:
        load_plan(root)
    except PlanError as exc:
        assert exc.findings, "a PlanError always says what is wrong"
        for finding in exc.findings:
            assert finding.render(root)


def _copy() -> Path:
    root = Path(tempfile.mkdtemp(prefix="drillkit-fuzz-")) / "plan"
    shutil.copytree(MINIMAL, root)
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=st.sampled_from(FILES), document=documents)
def test_random_yaml_ends_in_plan_or_plan_error(file: str, document: object) -> None:
    root = _copy()
    try:
        (root / file).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        _load(root)
        RAN["random"] += 1
    finally:
        shutil.rmtree(root.parent)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file=st.sampled_from(FILES),
    edits=st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(0, 6),
            st.sampled_from(
                [
                    "",
                    ":",
                    "- ",
                    "  ",
                    "\t",
                    "[",
                    "{",
                    "}",
                    "&a ",
                    "*a",
                    "!!python/name:os.system ",
                    "\n",
                    "'",
                    '"',
                    "#",
                    "<<: *a\n",
                    "${X}",
                    "０",
                    "\x00",
                    "\ufeff",
                ]
            ),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_mutated_yaml_ends_in_plan_or_plan_error(
    file: str, edits: list[tuple[int, int, str]]
) -> None:
    root = _copy()
    try:
        text = (root / file).read_text(encoding="utf-8")
        for position, cut, insert in edits:
            at = position % (len(text) + 1)
            text = text[:at] + insert + text[at + cut :]
        (root / file).write_bytes(text.encode("utf-8", "surrogatepass"))
        _load(root)
        RAN["mutated"] += 1
    finally:
        shutil.rmtree(root.parent)


def test_fuzz_ran_the_cases_it_claims() -> None:
    # Runs after the two properties in file order; documents how many cases ran.
    print(f"fuzzed plans: {RAN['random']} random documents, {RAN['mutated']} mutated files")
    assert RAN["random"] >= 100 and RAN["mutated"] >= 200


def test_a_full_width_number_in_a_placeholder_is_a_clear_error() -> None:
    """Found by the fuzzer: Jinja hands `０e０` to Python's own parser, whose SyntaxError
    must become a plan error, not a traceback."""
    with pytest.raises(TemplateProblem, match="syntax error"):
        check_template("【訓練】{{ ０e０ }}")
