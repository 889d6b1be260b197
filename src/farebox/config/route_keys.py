"""Route keys: "METHOD /path" with :param segments and an optional final * catch-all."""

from __future__ import annotations

import re
from dataclasses import dataclass

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ANY_METHOD = "*"
"""Written "*" or "ANY" in a route key: the route matches every method."""

_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXAMPLE = '"GET /data"'


class RouteKeyError(ValueError):
    """A route key that is not "METHOD /path"; the message says how to write it."""


@dataclass(frozen=True)
class RouteKey:
    method: str
    """An upper-case method from METHODS, or ANY_METHOD."""
    path: str
    params: tuple[str, ...]
    """The :param names, in path order."""
    catch_all: bool
    """True when the last segment is "*" (available to rewrites as ${params.*})."""


def parse_route_key(key: str) -> RouteKey:
    method, space, path = key.partition(" ")
    if not space or not path:
        raise RouteKeyError(f'not a route key; write "METHOD /path", like {_EXAMPLE}')
    method = _parse_method(method, path)
    if not path.startswith("/"):
        suggestion = "/" + path.strip().lstrip("/")
        raise RouteKeyError(f'the path must start with "/", like "{method} {suggestion}"')
    if any(c.isspace() for c in path):
        raise RouteKeyError('the path must not contain spaces; write "METHOD /path"')
    if "?" in path or "#" in path:
        raise RouteKeyError("a route key matches the path only; remove the query string")
    params, catch_all = _parse_segments(path)
    return RouteKey(method=method, path=path, params=params, catch_all=catch_all)


def _parse_method(method: str, path: str) -> str:
    if method in METHODS or method == ANY_METHOD:
        return method
    if method == "ANY":
        return ANY_METHOD
    upper = method.upper()
    if upper in (*METHODS, "ANY"):
        raise RouteKeyError(f'write the method in upper case: "{upper} {path}"')
    choices = ", ".join(METHODS)
    raise RouteKeyError(
        f'"{method}" is not an HTTP method; use one of {choices}, or * (or ANY) for every method'
    )


def _parse_segments(path: str) -> tuple[tuple[str, ...], bool]:
    segments = path[1:].split("/")
    params: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "*":
            if not last:
                raise RouteKeyError('"*" is only allowed as the last segment (a catch-all)')
            return tuple(params), True
        if not segment and not last:
            raise RouteKeyError('the path has an empty segment ("//")')
        if segment.startswith(":"):
            params.append(_parse_param(segment[1:], params))
        elif "*" in segment:
            raise RouteKeyError(
                f'"{segment}" mixes text with "*"; a catch-all is a whole final segment: "/*"'
            )
    return tuple(params), False


def _parse_param(name: str, seen: list[str]) -> str:
    if not _PARAM_NAME.fullmatch(name):
        raise RouteKeyError(
            f'":{name}" is not a parameter; a parameter is ":" then a name like ":id" '
            "(letters, digits, _)"
        )
    if name in seen:
        raise RouteKeyError(f'the parameter ":{name}" appears twice; give each a different name')
    return name
