"""Parsing route keys: "METHOD /path" with ":param" segments and a final "*".

A key is parsed once, at startup; anything the matcher cannot honour exactly is
refused here with a message naming the key, so a typo never becomes a route
that silently matches nothing (or everything).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""The methods a route key may name, in the order an Allow header lists them."""

ANY_METHOD = "*"
_ANY_SPELLINGS = frozenset({"*", "ANY"})
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
CATCH_ALL = "*"


@dataclass(frozen=True, slots=True)
class Segment:
    """One path segment of a key: a literal, a ":name" param, or the "*" catch-all."""

    kind: str  # "static" | "param" | "catch_all"
    text: str  # the literal, the param name, or "*"


@dataclass(frozen=True, slots=True)
class RouteKey:
    key: str  # as written in the config
    method: str  # one of METHODS, or ANY_METHOD
    segments: tuple[Segment, ...]

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the captured values, in path order ("*" last for a catch-all)."""
        return tuple(s.text for s in self.segments if s.kind != "static")

    @property
    def is_static(self) -> bool:
        return all(s.kind == "static" for s in self.segments)

    @property
    def static_path(self) -> str:
        """The normalized path of a key without params ("/" for the root)."""
        return "/" + "/".join(s.text for s in self.segments)

    @property
    def pattern(self) -> tuple[tuple[str, str], ...]:
        """The shape two keys must share to collide (param names do not count)."""
        return tuple((s.kind, s.text if s.kind == "static" else "") for s in self.segments)


def parse_route_key(key: str) -> RouteKey:
    """Parse `"GET /items/:id"`; raise ValueError naming the key when it is malformed."""
    parts = key.split(None, 1)
    if len(parts) != 2:
        raise _invalid(key, 'it must be "METHOD /path", like "GET /items/:id"')
    method = _parse_method(key, parts[0])
    return RouteKey(key=key, method=method, segments=_parse_path(key, parts[1].strip()))


def _parse_method(key: str, word: str) -> str:
    if word in _ANY_SPELLINGS:
        return ANY_METHOD
    if word in METHODS:
        return word
    if word.upper() in METHODS or word.upper() in _ANY_SPELLINGS:
        raise _invalid(key, f'write the method in upper case: "{word.upper()}"')
    allowed = ", ".join([*METHODS, "*", "ANY"])
    raise _invalid(key, f'"{word}" is not a method; use one of {allowed}')


def _parse_path(key: str, path: str) -> tuple[Segment, ...]:
    if not path.startswith("/"):
        raise _invalid(key, f'the path "{path}" must start with "/"')
    if any(ch.isspace() for ch in path):
        raise _invalid(key, 'the path must not contain spaces; write "METHOD /path"')
    if "?" in path or "#" in path:
        why = "a route path cannot hold a query or fragment; match query values with "
        raise _invalid(key, why + "a match rule (where: {query.name: ...}) instead")
    # One trailing slash is not significant: "/items/" and "/items" are one route.
    raw = path[1:-1] if path.endswith("/") and path != "/" else path[1:]
    segments = tuple(_parse_segment(key, text) for text in (raw.split("/") if raw else []))
    _check_shape(key, segments)
    return segments


def _parse_segment(key: str, text: str) -> Segment:
    if text == "":
        raise _invalid(key, 'the path has an empty segment ("//")')
    if text == CATCH_ALL:
        return Segment("catch_all", CATCH_ALL)
    if "*" in text:
        raise _invalid(key, f'"{text}": "*" is only allowed as a whole, final segment')
    if not text.startswith(":"):
        return Segment("static", text)
    if not _PARAM_NAME.match(text[1:]):
        why = "(letters, digits and _, not starting with a digit)"
        raise _invalid(key, f'"{text}" is not a parameter like ":id" {why}')
    return Segment("param", text[1:])


def _check_shape(key: str, segments: tuple[Segment, ...]) -> None:
    if any(s.kind == "catch_all" for s in segments[:-1]):
        raise _invalid(key, '"*" captures the rest of the path, so it must be the last segment')
    names = [s.text for s in segments if s.kind == "param"]
    for name in names:
        if names.count(name) > 1:
            raise _invalid(key, f'":{name}" appears twice; give each parameter its own name')


def _invalid(key: str, why: str) -> ValueError:
    return ValueError(f'route key "{key}" is invalid: {why}')
