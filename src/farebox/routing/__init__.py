"""Routing: compile "METHOD /path" keys, match requests, build upstream URLs."""

from farebox.routing.keys import METHODS, RouteKey, parse_route_key
from farebox.routing.rewrite import PathError, TemplateError, check_template, upstream_target
from farebox.routing.table import RouteMatch, RouteTable

__all__ = [
    "METHODS",
    "PathError",
    "RouteKey",
    "RouteMatch",
    "RouteTable",
    "TemplateError",
    "check_template",
    "parse_route_key",
    "upstream_target",
]
