"""Checks spanning several fields: upstream names, rewrites, prices and who gets paid."""

from __future__ import annotations

import pytest

from .support import BASE, OTHER, UPSTREAMS, WALLET, config, problems, problems_of

NO_WALLETS = UPSTREAMS


# -- upstream references --------------------------------------------------------


def test_unknown_upstream_suggests_a_close_name() -> None:
    head = BASE + "  openai: {url: https://api.openai.com}\n"
    assert problems('"GET /y": {upstream: opneai, price: "$0"}', head=head) == [
        'routes."GET /y".upstream: "opneai" is not an upstream; did you mean "openai"?'
    ]


def test_unknown_upstream_lists_the_upstreams() -> None:
    head = BASE + "  other: {url: https://b.example}\n"
    assert problems('"GET /y": {upstream: zzz, price: "$0"}', head=head) == [
        'routes."GET /y".upstream: "zzz" is not an upstream; the upstreams are "api", "other"'
    ]


def test_unknown_upstream_when_none_are_defined() -> None:
    text = 'routes:\n  "GET /y": {upstream: api, price: "$0"}\n'
    assert problems_of(text) == [
        'routes."GET /y".upstream: "api" is not defined; there are no upstreams yet, '
        'add upstreams: {NAME: {url: "https://..."}}'
    ]


# -- path rewrites ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "rewrite"),
    [
        ("GET /d/:id", "/v1/q/${params.id}/results"),
        ("GET /d/:a/:b", "/${params.b}/${params.a}"),
        ("GET /files/*", "/store/${params.*}"),
        ("GET /search", "/v2/search?api-version=2024-06-01"),
        ("GET /plain", "/other"),
    ],
)
def test_rewrites_may_use_the_route_params(key: str, rewrite: str) -> None:
    loaded = config(f'"{key}": {{upstream: api, price: "$0", path: "{rewrite}"}}')
    assert loaded.routes[key].path == rewrite


@pytest.mark.parametrize(
    ("key", "rewrite", "message"),
    [
        (
            "GET /d/:id",
            "/q/${params.qid}",
            "${params.qid} is not a parameter of this route; did you mean ${params.id}?",
        ),
        (
            "GET /d/:id/:name",
            "/q/${params.zzzzzz}",
            "${params.zzzzzz} is not a parameter of this route; use ${params.id} or ${params.name}",
        ),
        (
            "GET /d",
            "/q/${params.id}",
            "${params.id} is not a parameter of this route; its key has no :name or * segments",
        ),
        (
            "GET /d/:id",
            "/q/${params.*}",
            "${params.*} needs a route key that ends in /* (a catch-all)",
        ),
        (
            "GET /search",
            "/v2/search?q=${query.q}",
            "${query.q} in a path rewrite is not supported yet by this farebox version; "
            "the request's query string is forwarded",
        ),
        (
            "GET /d/:id",
            "/q/${body.model}",
            "${body.model} is not an environment variable reference; a route's path rewrite "
            "may use ${params.NAME}",
        ),
        (
            "GET /d/:id",
            "q/${params.id}",
            '"q/${params.id}" must start with "/", like "/q/${params.id}"',
        ),
    ],
)
def test_rewrites_may_only_use_params_of_their_key(key: str, rewrite: str, message: str) -> None:
    routes = f'"{key}": {{upstream: api, price: "$0", path: "{rewrite}"}}'
    assert problems(routes) == [f'routes."{key}".path: {message}']


def test_structural_checks_run_even_when_the_schema_fails() -> None:
    routes = '"GET /d/:id": {upstream: apx, price: abc, path: "/${params.x}"}'
    assert problems(routes) == [
        'routes."GET /d/:id".upstream: "apx" is not an upstream; did you mean "api"?',
        'routes."GET /d/:id".price: "abc" is not a price like "$0.01"',
        'routes."GET /d/:id".path: ${params.x} is not a parameter of this route; use ${params.id}',
    ]


# -- prices -------------------------------------------------------------------------


def test_a_route_needs_some_price() -> None:
    assert problems('"GET /y": {upstream: api}') == [
        'routes."GET /y": no price and no defaults.price; set price: "$0.01" (or any price), '
        'or price: "$0" for a free route'
    ]


def test_defaults_price_prices_routes_without_one() -> None:
    loaded = config('"GET /y": {upstream: api}', head=BASE + 'defaults: {price: "$0.003"}\n')
    assert loaded.routes["GET /y"].price is None
    assert loaded.defaults.price == 3000


def test_match_rules_alone_are_a_price() -> None:
    routes = """\
    "POST /v1/chat":
      upstream: api
      match:
        - {where: {body.model: gpt-4o}, price: "$0.02"}
    """
    assert config(routes).routes["POST /v1/chat"].match[0].price == 20_000


def test_a_match_rule_needs_a_condition() -> None:
    routes = """\
    "POST /v1/chat":
      upstream: api
      match:
        - {where: {body.model: a}, price: "$0.01"}
        - {where: {}, price: "$0.02"}
    """
    assert problems(routes) == [
        'routes."POST /v1/chat".match[1].where: empty; a rule needs a condition, like '
        '{body.model: "gpt-4o"} (for one price for every request, use price: on the route)'
    ]


# -- getting paid -----------------------------------------------------------------


def test_free_routes_need_no_wallet() -> None:
    loaded = config('"GET /y": {upstream: api, price: "$0"}', head=NO_WALLETS)
    assert loaded.wallets == {}


def test_paid_routes_without_any_wallet_say_to_add_one() -> None:
    routes = """\
    "GET /a": {upstream: api, price: "$0.01"}
    "GET /b": {upstream: api}
    "GET /c": {upstream: api, price: "$0"}
    """
    head = NO_WALLETS + 'defaults: {price: "$0.001"}\n'
    assert problems(routes, head=head) == [
        'wallets: paid routes ("GET /a", "GET /b") have no wallet to be paid to; '
        'add wallets: {base-sepolia: "0x..."} (your address on each network you accept)'
    ]


def test_each_accepted_network_needs_an_address() -> None:
    head = BASE + "accepts:\n  - {network: base-sepolia}\n  - {network: base}\n"
    assert problems('"GET /y": {upstream: api, price: "$0.01"}', head=head) == [
        'routes."GET /y".payTo: no address to be paid to on base; '
        'set payTo: "0x..." on this route, or add wallets: {base: "0x..."}'
    ]


def test_route_accepts_a_network_without_a_wallet() -> None:
    routes = '"GET /y": {upstream: api, price: "$0.01", accepts: [{network: base}]}'
    assert problems(routes) == [
        'routes."GET /y".payTo: no address to be paid to on base; '
        'set payTo: "0x..." on this route, or add wallets: {base: "0x..."}'
    ]
    with_pay_to = routes[:-1] + f', payTo: "{OTHER}"}}'
    assert config(with_pay_to).routes["GET /y"].pay_to == OTHER


def test_route_pay_to_is_enough_without_wallets() -> None:
    head = NO_WALLETS + "accepts: [{network: base-sepolia}]\n"
    loaded = config(f'"GET /y": {{upstream: api, price: "$1", payTo: "{OTHER}"}}', head=head)
    assert loaded.routes["GET /y"].pay_to == OTHER


def test_paid_match_rules_need_their_own_pay_to_when_nothing_else_pays() -> None:
    head = NO_WALLETS + "accepts: [{network: base-sepolia}]\n"
    routes = f"""\
    "POST /v1/chat":
      upstream: api
      match:
        - {{where: {{body.model: a}}, price: "$0.01", payTo: "{WALLET}"}}
        - {{where: {{body.model: b}}, price: "$0.02"}}
        - {{where: {{body.model: c}}, price: "$0"}}
      fallback: "$0"
    """
    assert problems(routes, head=head) == [
        'routes."POST /v1/chat".match[1].payTo: no address to be paid to on base-sepolia; '
        'set payTo: "0x..." on this rule, or add wallets: {base-sepolia: "0x..."}'
    ]


def test_a_paid_fallback_needs_a_route_level_address() -> None:
    head = NO_WALLETS + "accepts: [{network: base-sepolia}]\n"
    routes = f"""\
    "POST /v1/chat":
      upstream: api
      match:
        - {{where: {{body.model: a}}, price: "$0.01", payTo: "{WALLET}"}}
      fallback: "$0.05"
    """
    assert problems(routes, head=head) == [
        'routes."POST /v1/chat".payTo: no address to be paid to on base-sepolia; '
        'set payTo: "0x..." on this route, or add wallets: {base-sepolia: "0x..."}'
    ]
