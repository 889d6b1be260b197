"""Compiling `where` conditions of match rules into cheap predicates.

A condition is `FIELD: PATTERN`. FIELD is one of

- `body.a.b`   a dotted path into the parsed JSON body; a part that is a
               number indexes a list (`body.messages.0.role`)
- `query.name` the first value of a query parameter (names are case-sensitive)
- `headers.name` a request header (names are case-insensitive)
- `params.name` a path parameter (`params.*` is the catch-all)

PATTERN is compared with the field's text, case-sensitively, as an
fnmatch-style glob: `*` any run of characters, `?` one character, `[abc]` /
`[!abc]` one character of (not of) a set; a pattern without these characters
is compared for equality. Texts of JSON values: strings as they are, `true` /
`false` for booleans, numbers in their shortest form with a whole float
written like an integer (so `3`, `3.0` and `"3"` all match `where: 3`). A YAML
number or boolean in `where` stands for that same text.

A missing field never matches, whatever the pattern (even `*`): an absent
header, query parameter or body field, a body that was not JSON, and JSON
`null`. A JSON object or array has no text; it matches only the pattern `*`,
which makes `body.tools: "*"` a test for presence.

Everything is compiled once, at startup; a request costs a few dict lookups
and at most one precompiled regex match per condition.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

from farebox.pricing.quote import RequestFacts

Predicate = Callable[[RequestFacts], bool]
Getter = Callable[[RequestFacts], Any]
WhereValue = str | int | float | bool

SOURCES = ("body", "query", "headers", "params")
_MISSING: Any = object()
_GLOB_CHARS = frozenset("*?[")
_INDEX = re.compile(r"[0-9]+\Z")


def compile_condition(field: str, expected: WhereValue) -> Predicate:
    """A predicate for one `where` entry; ValueError (naming the field) if malformed."""
    return _predicate(_getter(field), _pattern(field, expected))


def reads_body(field: str) -> bool:
    return field.startswith("body.")


def text_of(value: Any) -> str | None:
    """The text a JSON or YAML scalar is compared as; None for objects and arrays."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # beyond Python's int->str digit limit: no honest text
            return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def _getter(field: str) -> Getter:
    source, dot, name = field.partition(".")
    if source not in SOURCES or not dot or not name:
        shown = ", ".join(f"{s}.NAME" for s in SOURCES)
        raise ValueError(f'"{field}" is not a request field; use {shown} (like "body.model")')
    if source == "query":
        return lambda facts: facts.query.get(name, _MISSING)
    if source == "params":
        return lambda facts: facts.params.get(name, _MISSING)
    if source == "headers":
        lowered = name.lower()
        return lambda facts: facts.headers.get(lowered, _MISSING)
    return _body_getter(field, name.split("."))


def _body_getter(field: str, parts: list[str]) -> Getter:
    if "" in parts:
        raise ValueError(f'"{field}" has an empty part; write a path like "body.messages.0.role"')
    # Each step: (dict key, list index or -1). "0" may be either, decided by the JSON.
    steps = tuple((p, int(p) if _INDEX.match(p) else -1) for p in parts)

    def get(facts: RequestFacts) -> Any:
        node = facts.body
        for key, index in steps:
            if isinstance(node, dict):
                node = node.get(key, _MISSING)
                if node is _MISSING:
                    return _MISSING
            elif isinstance(node, list) and 0 <= index < len(node):
                node = node[index]
            else:
                return _MISSING
        return node

    return get


def _pattern(field: str, expected: WhereValue) -> Callable[[str], bool] | None:
    """A test for a field's text; None stands for "*" (anything present)."""
    text = text_of(expected)
    if text is None:
        raise ValueError(f'"{field}": {expected!r} is not a string, number or boolean')
    if text == "*":
        return None
    if _GLOB_CHARS.isdisjoint(text):
        return text.__eq__
    match = re.compile(fnmatch.translate(text)).match
    return lambda value: match(value) is not None


def _predicate(get: Getter, test: Callable[[str], bool] | None) -> Predicate:
    if test is None:

        def present(facts: RequestFacts) -> bool:
            value = get(facts)
            return value is not _MISSING and value is not None

        return present

    def holds(facts: RequestFacts) -> bool:
        value = get(facts)
        if type(value) is str:  # the common case: query, headers, params, most JSON
            return test(value)
        text = text_of(value)
        return text is not None and test(text)

    return holds
