"""Schema problems come back as paths in the YAML's own spelling with plain messages."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from farebox.config.paths import format_path
from farebox.config.schema import NOT_YET_SUPPORTED

from .support import BASE, FREE_ROUTE, UPSTREAMS, WALLET, config, problems, problems_of

NOT_YET = "not supported yet by this farebox version"


def test_bad_price_names_the_route_and_the_value() -> None:
    assert problems('"GET /data": {upstream: api, price: abc}') == [
        'routes."GET /data".price: "abc" is not a price like "$0.01"'
    ]


def test_price_finer_than_usdc_is_refused() -> None:
    (problem,) = problems('"GET /data": {upstream: api, price: "$0.0000001"}')
    assert problem.startswith('routes."GET /data".price: "$0.0000001" is not a whole number')


def test_misspelt_key_suggests_the_right_one() -> None:
    assert problems('"GET /data": {upstream: api, prise: "$0.01", price: "$0.01"}') == [
        'routes."GET /data".prise: unknown key; did you mean "price"?'
    ]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys() -> None:
    assert problems('"GET /data": {upstream: api, price: "$0", zzzzzz: 1}') == [
        'routes."GET /data".zzzzzz: unknown key; allowed keys here: upstream, path, price, '
        "match, fallback, accepts, payTo, settlement, metadata, facilitator, type, models, "
        "markup, allowModels, unknownModels, modelFrom, deployments, maxOutputTokens, schemes, "
        "provider, hooks"
    ]


def test_python_field_names_are_not_accepted_in_yaml() -> None:
    assert problems(f'"GET /data": {{upstream: api, price: "$0.01", pay_to: "{WALLET}"}}') == [
        'routes."GET /data".pay_to: unknown key; did you mean "payTo"?'
    ]


def test_unknown_top_level_key() -> None:
    text = BASE + 'route:\n  "GET /x": {upstream: api, price: "$0"}\n' + FREE_ROUTE
    assert problems_of(text) == ['route: unknown key; did you mean "routes"?']


def test_camel_case_alias_is_used_in_paths() -> None:
    text = BASE + "gateway: {trustProxy: lots}\n" + FREE_ROUTE
    assert problems_of(text) == [
        'gateway.trustProxy: "lots" is not true, false, or a number of proxy hops like 1'
    ]


@pytest.mark.parametrize("key", ["rateLimit", "verificationCache"])
def test_route_keys_of_later_versions_are_not_supported_yet(key: str) -> None:
    assert problems(f'"POST /v1/chat": {{upstream: api, price: "$0.01", {key}: {{}}}}') == [
        f'routes."POST /v1/chat".{key}: {NOT_YET}'
    ]


@pytest.mark.parametrize("key", ["rateLimit", "settlement"])
def test_top_level_keys_of_later_versions_are_not_supported_yet(key: str) -> None:
    text = BASE + f"{key}: {{}}\n" + FREE_ROUTE
    assert problems_of(text) == [f"{key}: {NOT_YET}"]


def test_reserved_keys_are_never_real_fields() -> None:
    # Supporting a key means adding the field and deleting it from NOT_YET_SUPPORTED.
    for model, keys in NOT_YET_SUPPORTED.items():
        assert issubclass(model, BaseModel)
        fields = {info.alias or name for name, info in model.model_fields.items()}
        assert not keys & fields, model


def test_pricing_function_only_as_a_route_price() -> None:
    rule = '{where: {query.a: "1"}, price: {fn: ./price.py}}'
    assert problems(f'"GET /data": {{upstream: api, match: [{rule}], fallback: "$1"}}') == [
        'routes."GET /data".match[0].price: a pricing function (price: {fn: ...}) can only be '
        "a route's price"
    ]


def test_split_pay_to_is_not_supported_yet() -> None:
    routes = (
        f'"GET /data": {{upstream: api, price: "$1", payTo: [{{address: "{WALLET}", share: 1}}]}}'
    )
    assert problems(routes) == [
        f'routes."GET /data".payTo: splitting a payment between several addresses is {NOT_YET}'
    ]


def test_missing_required_key_says_what_to_write() -> None:
    text = "upstreams:\n  api: {headers: {}}\n" + FREE_ROUTE
    assert problems_of(text) == [
        'upstreams.api.url: required; set it to an http(s) URL like "https://api.openai.com"'
    ]


def test_route_without_upstream() -> None:
    assert problems('"GET /y": {price: "$0"}') == [
        'routes."GET /y".upstream: required; set it to the name of an entry under upstreams'
    ]


def test_upstream_url_must_be_http() -> None:
    text = 'upstreams:\n  api: {url: "ftp://x"}\n' + FREE_ROUTE
    assert problems_of(text) == [
        'upstreams.api.url: "ftp://x" is not an http(s) URL like "https://api.openai.com"'
    ]


def test_wrong_types_read_in_plain_words() -> None:
    text = (
        "gateway: {port: abc, discovery: maybe, metrics: [1]}\n"
        "upstreams:\n  api: {url: https://a.example, headers: {X-Tier: 1}, timeout: soon}\n"
        'routes:\n  "GET /y": {upstream: api, price: "$0", metadata: 3}\n'
        '  "GET /z":\n'
    )
    assert problems_of(text) == [
        'gateway.port: "abc" is not a whole number',
        'gateway.discovery: "maybe" is not true or false',
        "gateway.metrics: a list is not valid here; expected true or false",
        "upstreams.api.headers.X-Tier: 1 is not text; put it in quotes",
        'upstreams.api.timeout: "soon" is not a number',
        'routes."GET /y".metadata: 3 is not valid here; expected a mapping (key: value lines)',
        'routes."GET /z": an empty value is not valid here; '
        "expected a mapping of settings (key: value lines)",
    ]


def test_limits() -> None:
    text = (
        "gateway: {port: 70000}\ndefaults: {timeout: 0}\n"
        'upstreams:\n  api: {url: "https://a.example"}\n'
        'routes:\n  "GET /y": {upstream: api, price: "$0"}\n'
    )
    assert problems_of(text) == [
        "gateway.port: 70000 is too large; it must be at most 65535",
        "defaults.timeout: 0 is too small; it must be more than 0",
    ]


def test_settlement_must_be_a_known_mode() -> None:
    assert problems('"GET /y": {upstream: api, price: "$0", settlement: now}') == [
        'routes."GET /y".settlement: "now" is not a valid choice; '
        'use "before-response" or "after-response"'
    ]


@pytest.mark.parametrize(
    "value", ["local", "https://x402.org/facilitator", "http://127.0.0.1:4022"]
)
def test_facilitator_accepts_local_or_a_url(value: str) -> None:
    assert config(f'"GET /y": {{upstream: api, price: "$0", facilitator: "{value}"}}')


@pytest.mark.parametrize("where", ["top", "route"])
def test_facilitator_must_be_local_or_a_url(where: str) -> None:
    message = (
        '"x402.org" is not a facilitator; use an http(s) URL like '
        '"https://x402.org/facilitator", or "local" for the embedded one'
    )
    if where == "top":
        text = BASE + "facilitator: x402.org\n" + FREE_ROUTE
        assert problems_of(text) == [f"facilitator: {message}"]
    else:
        routes = '"GET /y": {upstream: api, price: "$0", facilitator: x402.org}'
        assert problems(routes) == [f'routes."GET /y".facilitator: {message}']


def test_evm_addresses_are_checked() -> None:
    text = (
        'wallets:\n  base-sepolia: "0x1234"\n'
        '  base: "0x036CbD53842c5426634e7929541eC2318f3dCF7E"\n'
        'upstreams:\n  api: {url: "https://a.example"}\n'
        'routes:\n  "GET /y": {upstream: api, price: "$0.01", payTo: 12}\n'
    )
    assert problems_of(text) == [
        'wallets.base-sepolia: "0x1234" is not an address; write 0x followed by 40 hex digits',
        'wallets.base: "0x036CbD53842c5426634e7929541eC2318f3dCF7E" has a wrong checksum '
        "(its upper/lower case letters); check it for a typo, or write it all in lower case",
        'routes."GET /y".payTo: 12 is not an address; write 0x followed by 40 hex digits',
    ]


def test_checksummed_and_lower_case_addresses_are_fine() -> None:
    text = 'wallets:\n  base-sepolia: "0x036CbD53842c5426634e7929541eC2318f3dCF7e"\n  base: "%s"\n'
    loaded = config('"GET /y": {upstream: api, price: "$0.01"}', head=text % WALLET + UPSTREAMS)
    assert loaded.wallets == {
        "eip155:84532": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        "eip155:8453": WALLET,
    }


def test_unknown_network() -> None:
    text = f'wallets:\n  bse: "{WALLET}"\n' + UPSTREAMS + FREE_ROUTE
    assert problems_of(text) == [
        'wallets.bse: "bse" is not a supported network; use one of "base", "base-sepolia", '
        '"eip155:8453", "eip155:84532"'
    ]


def test_accepts_asset_must_be_usdc() -> None:
    text = BASE + "accepts:\n  - {asset: USDT, network: base-sepolia}\n" + FREE_ROUTE
    assert problems_of(text) == [
        'accepts[0].asset: "USDT" is not supported; use "USDC" '
        "(on base-sepolia that is 0x036CbD53842c5426634e7929541eC2318f3dCF7e)"
    ]


@pytest.mark.parametrize(
    ("asset", "kept"),
    [
        ("USDC", "USDC"),
        ("usdc", "USDC"),
        (
            "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
            "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        ),
        (
            "0x036cbd53842c5426634e7929541ec2318f3dcf7e",
            "0x036cbd53842c5426634e7929541ec2318f3dcf7e",
        ),
    ],
)
def test_accepts_usdc_by_symbol_or_contract(asset: str, kept: str) -> None:
    head = BASE + f"accepts:\n  - {{asset: {asset}, network: base-sepolia}}\n"
    loaded = config('"GET /y": {upstream: api, price: "$0.01"}', head=head)
    assert loaded.accepts is not None
    assert (loaded.accepts[0].asset, loaded.accepts[0].network) == (kept, "eip155:84532")


def test_usdc_of_another_network_is_refused() -> None:
    base_usdc = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
    routes = f"""\
    "GET /y":
      upstream: api
      price: "$0.01"
      accepts: [{{asset: "{base_usdc}", network: base-sepolia}}]
    """
    (problem,) = problems(routes)
    assert problem.startswith(f'routes."GET /y".accepts[0].asset: "{base_usdc}" is not supported')


def test_accepts_cannot_be_empty() -> None:
    assert problems('"GET /y": {upstream: api, price: "$0", accepts: []}') == [
        'routes."GET /y".accepts: needs at least 1 item(s)'
    ]


def test_match_rule_where_must_name_a_request_part() -> None:
    routes = """\
    "POST /v1/chat":
      upstream: api
      match:
        - where: {model: gpt-4o, body.n: [1]}
          price: "$0.01"
    """
    assert problems(routes) == [
        'routes."POST /v1/chat".match[0].where.model: "model" does not say where to look; '
        'start it with body., query., headers. or params., like "body.model"',
        'routes."POST /v1/chat".match[0].where."body.n": a list cannot be matched; '
        "use text, a number, or true/false",
    ]


def test_match_rule_needs_where_and_price() -> None:
    assert problems('"POST /v1/chat": {upstream: api, match: [{}]}') == [
        'routes."POST /v1/chat".match[0].where: required; set it to conditions like '
        '{body.model: "gpt-4o"}',
        'routes."POST /v1/chat".match[0].price: required; set it to a price like "$0.01"',
    ]


def test_cors_settings_are_checked_inside_the_mapping() -> None:
    text = BASE + 'gateway:\n  cors: {origins: "*", credential: true}\n' + FREE_ROUTE
    assert problems_of(text) == [
        'gateway.cors.origins: "*" is not valid here; expected a list (one "- " line per item)',
        'gateway.cors.credential: unknown key; did you mean "credentials"?',
    ]


def test_cors_switch() -> None:
    head = BASE + "gateway: {cors: true, trustProxy: 2}\n"
    loaded = config('"GET /y": {upstream: api, price: "$0"}', head=head)
    assert loaded.gateway.cors is True
    assert loaded.gateway.trust_proxy == 2
    text = BASE + "gateway: {cors: maybe}\n" + FREE_ROUTE
    assert problems_of(text) == ['gateway.cors: "maybe" is not true or false']


def test_every_problem_is_reported_at_once() -> None:
    routes = """\
    "GET /a": {upstream: api, price: abc}
    "GET /b": {upstream: nope, price: "$0", prise: 1}
    "get /c": {upstream: api, price: "$0"}
    """
    assert problems(routes, head=BASE + "gateway: {port: abc}\n") == [
        'gateway.port: "abc" is not a whole number',
        'routes."GET /a".price: "abc" is not a price like "$0.01"',
        'routes."GET /b".upstream: "nope" is not an upstream; the upstreams are "api"',
        'routes."GET /b".prise: unknown key; did you mean "price"?',
        'routes."get /c": write the method in upper case: "GET /c"',
    ]


def test_messages_carry_no_pydantic_jargon() -> None:
    text = (
        "gateway: {port: [1], cors: 3, hostname: {a: 1}}\nwallets: []\n"
        "upstreams:\n  api: 3\n"
        'routes:\n  "GET /y": {upstream: api, price: [1], match: {a: 1}, accepts: 3}\n'
    )
    found = problems_of(text)
    assert len(found) >= 8
    for problem in found:
        for jargon in ("Input should", "pydantic", "http://errors", "model", "dict", "Value error"):
            assert jargon not in problem, problem


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("routes", "GET /data", "price"), 'routes."GET /data".price'),
        (
            ("routes", "GET /d", "match", 0, "where", "body.model"),
            'routes."GET /d".match[0].where."body.model"',
        ),
        (("wallets", "base-sepolia"), "wallets.base-sepolia"),
        (("upstreams", "a", "headers", "X-Api-Key"), "upstreams.a.headers.X-Api-Key"),
        (("wallets", "eip155:8453"), 'wallets."eip155:8453"'),
        (("metadata", ""), 'metadata.""'),
        (("accepts", 2), "accepts[2]"),
    ],
)
def test_path_spelling(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text
