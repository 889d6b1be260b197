"""Checks that look at more than one field of a config.

Structural checks read the raw (interpolated) YAML data, so they run even when
the schema rejected some other value and the user sees every problem at
once. Payment checks need validated prices, so they run on the Config model.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from farebox.config.chain import friendly_network
from farebox.config.errors import Problem
from farebox.config.resolve import base_price, effective_accepts, is_paid
from farebox.config.route_keys import RouteKeyError, parse_route_key
from farebox.config.schema import NOT_YET, Config, Route

_ROUTE_EXAMPLE = '"GET /data": {upstream: api, price: "$0.01"}'
_TEMPLATE = re.compile(r"\$\{([^{}]*)\}")


def check_structure(data: Mapping[str, object]) -> list[Problem]:
    routes = data.get("routes")
    if "routes" not in data or routes == {}:
        return [Problem(("routes",), f"no routes; add at least one, like {_ROUTE_EXAMPLE}")]
    if not isinstance(routes, dict):
        return []  # the schema reports the wrong type
    upstreams = data.get("upstreams", {})
    names = [str(n) for n in upstreams] if isinstance(upstreams, dict) else None
    problems: list[Problem] = []
    for key, route in routes.items():
        if not isinstance(route, dict):
            continue
        if names is not None:
            problems += _check_upstream(str(key), route.get("upstream"), names)
        problems += _check_rewrite(str(key), route.get("path"))
        problems += _check_rules(str(key), route.get("match"))
    return problems


def _check_rules(key: str, rules: object) -> list[Problem]:
    # Not a schema rule: code may build a Route with an empty `where`, and the
    # pricer refuses it on its own; here it is reported with every other problem.
    if not isinstance(rules, list):
        return []
    return [
        Problem(("routes", key, "match", index, "where"), _EMPTY_WHERE)
        for index, rule in enumerate(rules)
        if isinstance(rule, dict) and rule.get("where") == {}
    ]


_EMPTY_WHERE = (
    'empty; a rule needs a condition, like {body.model: "gpt-4o"} '
    "(for one price for every request, use price: on the route)"
)


def _check_upstream(key: str, name: object, names: list[str]) -> list[Problem]:
    if not isinstance(name, str) or name in names:
        return []
    path = ("routes", key, "upstream")
    if not names:
        fix = 'add upstreams: {NAME: {url: "https://..."}}'
        return [Problem(path, f'"{name}" is not defined; there are no upstreams yet, {fix}')]
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return [Problem(path, f'"{name}" is not an upstream; did you mean "{close[0]}"?')]
    known = ", ".join(f'"{n}"' for n in names)
    return [Problem(path, f'"{name}" is not an upstream; the upstreams are {known}')]


def _check_rewrite(key: str, rewrite: object) -> list[Problem]:
    if not isinstance(rewrite, str):
        return []
    try:
        route_key = parse_route_key(key)
    except RouteKeyError:
        return []  # the schema reports the key; its params are unknown
    path = ("routes", key, "path")
    if not rewrite.startswith("/"):
        return [Problem(path, f'"{rewrite}" must start with "/", like "/{rewrite}"')]
    available = [f"params.{p}" for p in route_key.params]
    available += ["params.*"] if route_key.catch_all else []
    return [
        Problem(path, _unknown_param(reference, available))
        for reference in _TEMPLATE.findall(rewrite)
        if reference not in available
    ]


def _unknown_param(reference: str, params: list[str]) -> str:
    # Only params.* and query.* references get here: interpolation took the rest.
    available = ["${" + p + "}" for p in params]
    shown = "${" + reference + "}"
    if reference.startswith("query."):
        # tollbooth fills these from the query string; farebox forwards the query as is.
        return f"{shown} in a path rewrite is {NOT_YET}; the request's query string is forwarded"
    if reference == "params.*":
        return f"{shown} needs a route key that ends in /* (a catch-all)"
    if not available:
        return f"{shown} is not a parameter of this route; its key has no :name or * segments"
    names = [p.removeprefix("params.") for p in params]
    close = difflib.get_close_matches(reference.removeprefix("params."), names, n=1)
    if close:
        return f"{shown} is not a parameter of this route; did you mean ${{params.{close[0]}}}?"
    return f"{shown} is not a parameter of this route; use " + " or ".join(available)


def check_payments(config: Config) -> list[Problem]:
    problems: list[Problem] = []
    unpayable: list[str] = []
    for key, route in config.routes.items():
        problems += _check_llm_fields(key, route)
        priced_by_code = route.token_based or route.price_fn is not None
        if not priced_by_code and not route.match and base_price(config, route) is None:
            problems.append(Problem(("routes", key), _NO_PRICE))
            continue
        if not is_paid(config, route):
            continue
        if not effective_accepts(config, route):
            unpayable.append(key)
            continue
        problems += _check_pay_to(config, key, route)
    if unpayable:
        problems.append(Problem(("wallets",), _no_wallets(unpayable)))
    return problems


LLM_ONLY_FIELDS = {
    "models": "models",
    "markup": "markup",
    "allow_models": "allowModels",
    "deployments": "deployments",
    "max_output_tokens": "maxOutputTokens",
    "schemes": "schemes",
    "provider": "provider",
}


def _check_llm_fields(key: str, route: Route) -> list[Problem]:
    """LLM pricing keys mean nothing on a plain route: say so instead of ignoring them."""
    if route.token_based:
        if route.match:
            return [
                Problem(
                    ("routes", key, "match"),
                    "match rules do not apply to token-based routes; price each model under models",
                )
            ]
        return []
    set_fields = route.model_fields_set
    extra = [alias for name, alias in LLM_ONLY_FIELDS.items() if name in set_fields] + [
        alias
        for name, alias in (("unknown_models", "unknownModels"), ("model_from", "modelFrom"))
        if name in set_fields
    ]
    return [
        Problem(("routes", key, alias), "only applies to LLM routes; add type: token-based")
        for alias in extra
    ]


_NO_PRICE = (
    'no price and no defaults.price; set price: "$0.01" (or any price), '
    'or price: "$0" for a free route'
)


def _no_wallets(keys: list[str]) -> str:
    routes = ", ".join(f'"{k}"' for k in keys)
    return (
        f"paid routes ({routes}) have no wallet to be paid to; "
        'add wallets: {base-sepolia: "0x..."} (your address on each network you accept)'
    )


def _check_pay_to(config: Config, key: str, route: Route) -> list[Problem]:
    if route.pay_to:
        return []
    networks = dict.fromkeys(accept.network for accept in effective_accepts(config, route))
    missing = [friendly_network(n) for n in networks if n not in config.wallets]
    if not missing:
        return []
    base = base_price(config, route)
    if base is not None and base > 0:
        return [Problem(("routes", key, "payTo"), _no_pay_to(n, "this route")) for n in missing]
    return [
        Problem(("routes", key, "match", index, "payTo"), _no_pay_to(n, "this rule"))
        for index, rule in enumerate(route.match)
        if rule.price > 0 and rule.pay_to is None
        for n in missing
    ]


def _no_pay_to(network: str, owner: str) -> str:
    return (
        f"no address to be paid to on {network}; "
        f'set payTo: "0x..." on {owner}, or add wallets: {{{network}: "0x..."}}'
    )
