"""First-match-wins glob lookup that stays fast with thousands of patterns.

Each pattern is indexed by its literal prefix (the text before its first
wildcard), so a lookup only tries patterns whose prefix the text starts
with: a handful of dict probes plus a few regex matches, instead of one
regex per pattern.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

_WILDCARDS = re.compile(r"[*?\[]")


def is_glob(pattern: str) -> bool:
    return _WILDCARDS.search(pattern) is not None


def literal_prefix(pattern: str) -> str:
    found = _WILDCARDS.search(pattern)
    return pattern if found is None else pattern[: found.start()]


class OrderedGlobs:
    """Patterns in the order written; `first_match` returns the index of the first that matches."""

    __slots__ = ("_by_prefix", "_max_prefix", "patterns")

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self._by_prefix: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        for index, pattern in enumerate(self.patterns):
            compiled = re.compile(fnmatch.translate(pattern))  # case-sensitive, like model IDs
            self._by_prefix.setdefault(literal_prefix(pattern), []).append((index, compiled))
        self._max_prefix = max((len(p) for p in self._by_prefix), default=0)

    def first_match(self, text: str) -> int | None:
        best: int | None = None
        for end in range(min(len(text), self._max_prefix) + 1):
            bucket = self._by_prefix.get(text[:end])
            if bucket is None:
                continue
            for index, compiled in bucket:
                if best is not None and index >= best:
                    break  # buckets are in pattern order: nothing earlier left here
                if compiled.match(text):
                    best = index
                    break
        return best

    def __len__(self) -> int:
        return len(self.patterns)
