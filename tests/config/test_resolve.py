"""effective_accepts, pay_to_for and the price helpers the app builds on."""

from __future__ import annotations

import pytest

from farebox.config import ConfigError, effective_accepts, is_paid, pay_to_for, route_prices
from farebox.config.schema import Accept, Config, MatchRule, Route

from .support import OTHER, WALLET

THIRD = "0x3333333333333333333333333333333333333333"
SEPOLIA, BASE_NET = "eip155:84532", "eip155:8453"


def _config(**fields: object) -> Config:
    return Config.model_validate(
        {"upstreams": {"api": {"url": "https://a.example"}}, **fields}, by_alias=True
    )


def test_accepts_default_to_usdc_on_every_wallet_network() -> None:
    config = _config(wallets={"base-sepolia": WALLET, "base": OTHER})
    assert effective_accepts(config, Route(upstream="api")) == [
        Accept(network=SEPOLIA, asset="USDC"),
        Accept(network=BASE_NET, asset="USDC"),
    ]


def test_top_level_accepts_win_over_wallets() -> None:
    config = _config(wallets={"base-sepolia": WALLET, "base": OTHER}, accepts=[{"network": "base"}])
    assert effective_accepts(config, Route(upstream="api")) == [Accept(network=BASE_NET)]


def test_route_accepts_win_over_everything() -> None:
    config = _config(wallets={"base": OTHER}, accepts=[{"network": "base"}])
    route = Route.model_validate({"upstream": "api", "accepts": [{"network": "base-sepolia"}]})
    assert effective_accepts(config, route) == [Accept(network=SEPOLIA)]


def test_no_wallets_and_no_accepts_accept_nothing() -> None:
    assert effective_accepts(_config(), Route(upstream="api")) == []


def test_pay_to_prefers_rule_then_route_then_wallet() -> None:
    config = _config(wallets={"base-sepolia": WALLET})
    rule = MatchRule.model_validate({"where": {}, "price": "$1", "payTo": THIRD})
    bare = Route(upstream="api")
    routed = Route.model_validate({"upstream": "api", "payTo": OTHER})
    assert pay_to_for(config, bare, SEPOLIA) == WALLET
    assert pay_to_for(config, bare, "base-sepolia") == WALLET
    assert pay_to_for(config, routed, SEPOLIA) == OTHER
    assert pay_to_for(config, routed, SEPOLIA, rule=rule) == THIRD
    rule_without = MatchRule.model_validate({"where": {}, "price": "$1"})
    assert pay_to_for(config, routed, SEPOLIA, rule=rule_without) == OTHER


def test_pay_to_without_an_address_says_what_to_add() -> None:
    config = _config(wallets={"base-sepolia": WALLET})
    with pytest.raises(ConfigError) as caught:
        pay_to_for(config, Route(upstream="api"), "base")
    assert str(caught.value) == (
        'no address to be paid to on base; set payTo on the route or add wallets: {base: "0x..."}'
    )


def test_route_prices_follow_tollbooth_precedence() -> None:
    config = _config(defaults={"price": "$0.5"})
    rules = [{"where": {"body.model": "a"}, "price": "$0.01"}]
    cases = [
        ({}, [500_000]),
        ({"price": "$0"}, [0]),
        ({"fallback": "$0.2"}, [200_000]),
        ({"price": "$0.1", "fallback": "$0.2"}, [100_000]),
        ({"match": rules}, [10_000, 500_000]),
        ({"match": rules, "fallback": "$0"}, [10_000, 0]),
    ]
    for fields, prices in cases:
        route = Route.model_validate({"upstream": "api", **fields})
        assert route_prices(config, route) == prices, fields
        assert is_paid(config, route) == any(prices), fields


def test_a_route_with_only_free_rules_and_no_default_is_free() -> None:
    route = Route.model_validate({"upstream": "api", "match": [{"where": {}, "price": "$0"}]})
    assert route_prices(_config(), route) == [0]
    assert not is_paid(_config(), route)
