"""The route table: which configured route answers a request.

Precedence (the most specific route wins, whatever the order in the YAML):

1. Paths are compared segment by segment from the left. At each segment a
   literal ("/items/new") beats a parameter ("/items/:id"), which beats the
   catch-all ("/items/*"). If the more specific branch fails further right,
   the next one is tried, so "/items/:id/detail" still answers
   "/items/new/detail" when "/items/new" has no "/detail" below it.
2. Only routes that accept the request's method take part: a route for the
   exact method, else an any-method route ("*" or "ANY") with the same path,
   else, for HEAD only, the GET route with the same path. So with
   "GET /items/new" and "POST /items/:id", a POST to /items/new reaches the
   second.
3. One trailing slash is ignored ("/items/" is "/items"), except that a
   catch-all keeps it in its value. A parameter never matches an empty
   segment; the catch-all matches the rest of the path, which may be empty or
   span several segments ("/files/*" answers "/files", "/files/" and
   "/files/a/b").

Request paths are raw (percent-encoded as received). Each segment is decoded
once before comparison, so "%2F" inside a segment never acts as a separator;
parameter values are handed out decoded, the catch-all under "*".

Speed: routes without parameters sit in one dict keyed by their path; the rest
form a segment trie. A request costs one dict lookup, plus a short trie walk
when a dynamic route may apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from farebox.routing.keys import ANY_METHOD, METHODS, RouteKey, parse_route_key
from farebox.routing.paths import decode_segment, split_raw_path
from farebox.routing.rewrite import check_template

if TYPE_CHECKING:
    from farebox.config.schema import Route

_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RouteMatch:
    key: str  # the config key, e.g. "GET /items/:id"
    route: Route  # the config model
    params: Mapping[str, str]  # decoded param values; catch-all under "*"


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    route: Route
    param_names: tuple[str, ...]


@dataclass(slots=True)
class _Leaf:
    """The routes sharing one path shape, by the method they answer."""

    declared: dict[str, _Entry] = field(default_factory=dict)
    by_method: dict[str, _Entry] = field(default_factory=dict)
    any: _Entry | None = None

    def add(self, parsed: RouteKey, entry: _Entry) -> None:
        if (clash := self.declared.get(parsed.method)) is not None:
            raise ValueError(
                f'route key "{parsed.key}" is invalid: it matches the same requests as '
                f'"{clash.key}"; remove one of them or change its method or path'
            )
        self.declared[parsed.method] = entry
        self.any = self.declared.get(ANY_METHOD)
        self.by_method = {m: e for m in METHODS if (e := self._resolve(m)) is not None}

    def pick(self, method: str) -> _Entry | None:
        entry = self.by_method.get(method)
        return entry if entry is not None else self.any

    def _resolve(self, method: str) -> _Entry | None:
        entry = self.declared.get(method) or self.declared.get(ANY_METHOD)
        if entry is None and method == "HEAD":
            return self.declared.get("GET")
        return entry


@dataclass(slots=True)
class _Node:
    static: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    leaf: _Leaf | None = None  # routes ending exactly here
    catch_all: _Leaf | None = None  # routes ending with "*" here

    def insert(self, parsed: RouteKey, entry: _Entry) -> None:
        node = self
        for segment in parsed.segments:
            if segment.kind == "static":
                node = node.static.setdefault(segment.text, _Node())
            elif segment.kind == "param":
                node.param = node.param or _Node()
                node = node.param
            else:
                node.catch_all = node.catch_all or _Leaf()
                node.catch_all.add(parsed, entry)
                return
        node.leaf = node.leaf or _Leaf()
        node.leaf.add(parsed, entry)


class RouteTable:
    """Compiled routes; build once with `from_routes`, then `match` per request."""

    __slots__ = ("_static", "_trie")

    def __init__(self, static: dict[str, _Leaf], trie: _Node) -> None:
        self._static = static
        self._trie = trie

    @classmethod
    def from_routes(cls, routes: Mapping[str, Route]) -> RouteTable:
        """Compile config routes; raise ValueError naming the key of a bad route."""
        static: dict[str, _Leaf] = {}
        trie = _Node()
        for key, route in routes.items():
            parsed = parse_route_key(key)
            if route.path is not None:
                check_template(route.path, parsed.param_names, key=key)
            entry = _Entry(key=key, route=route, param_names=parsed.param_names)
            if parsed.is_static:
                static.setdefault(parsed.static_path, _Leaf()).add(parsed, entry)
            else:
                trie.insert(parsed, entry)
        return cls(static, trie)

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route answering `method` on the raw request `path`, or None."""
        if not path.startswith("/"):
            return None
        if "%" not in path:
            leaf = self._static.get(path[:-1] if len(path) > 1 and path[-1] == "/" else path)
            entry = leaf.pick(method) if leaf is not None else None
            if entry is not None:
                return RouteMatch(entry.key, entry.route, _NO_PARAMS)
        raw, trailing = split_raw_path(path)
        segments = [decode_segment(s) for s in raw]
        if "%" in path and not any("/" in s for s in segments):
            leaf = self._static.get("/" + "/".join(segments))
            entry = leaf.pick(method) if leaf is not None else None
            if entry is not None:
                return RouteMatch(entry.key, entry.route, _NO_PARAMS)
        found = _walk(self._trie, segments, 0, trailing, method, [])
        if found is None:
            return None
        entry, values = found
        return RouteMatch(entry.key, entry.route, dict(zip(entry.param_names, values, strict=True)))

    def allowed_methods(self, path: str) -> list[str]:
        """Methods some route answers on `path` (for a 405's Allow); [] means 404."""
        return [m for m in METHODS if self.match(m, path) is not None]


def _walk(
    node: _Node, segments: list[str], i: int, trailing: bool, method: str, values: list[str]
) -> tuple[_Entry, list[str]] | None:
    """Depth-first, most specific branch first: literal, then param, then catch-all."""
    if i == len(segments):
        entry = node.leaf.pick(method) if node.leaf is not None else None
        if entry is not None:
            return entry, values
    else:
        segment = segments[i]
        child = node.static.get(segment)
        if child is not None and (found := _walk(child, segments, i + 1, trailing, method, values)):
            return found
        if node.param is not None and segment:
            values.append(segment)
            found = _walk(node.param, segments, i + 1, trailing, method, values)
            if found is not None:
                return found
            values.pop()
    if node.catch_all is not None and (entry := node.catch_all.pick(method)) is not None:
        # The catch-all keeps a trailing slash: upstreams may tell "/a/" from "/a".
        rest = "/".join(segments[i:]) + ("/" if trailing and i < len(segments) else "")
        return entry, [*values, rest]
    return None
