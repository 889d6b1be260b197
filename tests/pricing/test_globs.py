"""OrderedGlobs: the first pattern written that matches wins, exactly like a naive scan."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.pricing.globs import OrderedGlobs, is_glob, literal_prefix


def naive_first_match(patterns: list[str], text: str) -> int | None:
    """The reference: try each pattern in order, fnmatch semantics, case-sensitive."""
    return next((i for i, p in enumerate(patterns) if fnmatchcase(text, p)), None)


@pytest.mark.parametrize(
    ("pattern", "glob", "prefix"),
    [
        ("gpt-4o", False, "gpt-4o"),
        ("gpt-4o*", True, "gpt-4o"),
        ("ft:gpt-4.1-mini:acme:*", True, "ft:gpt-4.1-mini:acme:"),
        ("claude-?-haiku", True, "claude-"),
        ("model-[ab]", True, "model-"),
        ("*", True, ""),
        ("", False, ""),
        ("a]b!", False, "a]b!"),
    ],
)
def test_is_glob_and_literal_prefix(pattern: str, glob: bool, prefix: str) -> None:
    assert is_glob(pattern) is glob
    assert literal_prefix(pattern) == prefix


def test_first_written_wins_not_most_specific() -> None:
    globs = OrderedGlobs(["gpt-4*", "gpt-4o*", "*"])
    assert globs.first_match("gpt-4o-mini") == 0
    assert globs.first_match("gpt-3.5") == 2
    assert OrderedGlobs(["*", "gpt-4*"]).first_match("gpt-4o") == 0
    assert len(globs) == 3


def test_later_longer_prefix_does_not_beat_an_earlier_short_one() -> None:
    # the prefix index must not let a later pattern with a longer literal prefix win
    globs = OrderedGlobs(["gpt-4o-mini-*", "g*", "gpt-4o-*"])
    assert globs.first_match("gpt-4o-mini-2024") == 0
    assert globs.first_match("gpt-4o-2024") == 1


@pytest.mark.parametrize(
    ("patterns", "text", "expected"),
    [
        (["GPT-*"], "gpt-4o", None),  # case-sensitive, like model IDs
        (["gpt-4o"], "gpt-4o", 0),  # a plain name matches only itself
        (["gpt-4o"], "gpt-4o-mini", None),
        (["claude-?-haiku"], "claude-3-haiku", 0),
        (["claude-?-haiku"], "claude-35-haiku", None),
        (["m-[ab]"], "m-b", 0),
        (["m-[!ab]"], "m-b", None),
        (["m-[!ab]"], "m-c", 0),
        (["a[b"], "a[b", 0),  # an unclosed bracket is a literal
        (["x*"], "x\ny", 0),  # * crosses any character, newlines too
        (["*"], "", 0),
        ([], "anything", None),
    ],
)
def test_fnmatch_semantics(patterns: list[str], text: str, expected: int | None) -> None:
    assert OrderedGlobs(patterns).first_match(text) == expected
    assert naive_first_match(patterns, text) == expected


ALPHABET = st.sampled_from([*"ab-:.", "*", "?", "[", "]", "!", "é"])
patterns = st.lists(st.text(ALPHABET, max_size=6), max_size=12)
texts = st.text(st.sampled_from([*"ab-:.[]!*?é"]), max_size=8)


@given(patterns=patterns, text=texts)
def test_matches_the_naive_scan(patterns: list[str], text: str) -> None:
    assert OrderedGlobs(patterns).first_match(text) == naive_first_match(patterns, text)


@given(patterns=patterns, data=st.data())
def test_matches_the_naive_scan_on_texts_built_from_the_patterns(
    patterns: list[str], data: st.DataObject
) -> None:
    # texts near the patterns (a pattern itself, or its prefix plus noise) hit many buckets
    if not patterns:
        return
    base = data.draw(st.sampled_from(patterns))
    text = data.draw(st.sampled_from([base, literal_prefix(base)])) + data.draw(texts)
    assert OrderedGlobs(patterns).first_match(text) == naive_first_match(patterns, text)


def test_thousands_of_patterns_keep_first_match_order() -> None:
    patterns = [f"org-{i}:model-{j}*" for i in range(50) for j in range(40)]
    patterns.insert(1500, "org-7:*")
    patterns.append("*")
    globs = OrderedGlobs(patterns)
    for text in ["org-7:model-3-x", "org-7:model-39", "org-30:model-12-ft", "other", "org-7:z"]:
        assert globs.first_match(text) == naive_first_match(patterns, text)
