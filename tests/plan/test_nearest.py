"""`nearest` ("did you mean") among many ids answers what difflib alone answers."""

from __future__ import annotations

import difflib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from drill.plan.findings import nearest


def by_difflib(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def test_among_a_nationwide_plans_ids_a_misspelt_id_finds_the_same_as_difflib() -> None:
    rng = random.Random(7)
    names = ["yamada", "sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe"]
    ids = [f"{rng.choice(names)}-{rng.choice(names)}-{n:06d}" for n in range(3000)]
    words = [
        *(i.replace("a", "e", 1) for i in rng.sample(ids, 40)),  # misspelt
        *(i[:-1] for i in rng.sample(ids, 20)),  # cut short
        *(f"{rng.choice(names)}-{n:06d}" for n in range(20)),  # a file's ids gone
        "x",
        "",
        "zzzzzzzzzzzzzzzzzzzz",
    ]
    assert [nearest(w, ids) for w in words] == [by_difflib(w, ids) for w in words]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text("abc-", min_size=1, max_size=8), min_size=500, max_size=700),
    st.lists(st.text("abcd-", max_size=9), min_size=1, max_size=10),
)
def test_ties_and_near_misses_are_broken_as_difflib_breaks_them(
    choices: list[str], words: list[str]
) -> None:
    # A small alphabet: many choices share the best ratio, and difflib takes the
    # greatest of them.
    assert [nearest(w, choices) for w in words] == [by_difflib(w, choices) for w in words]
