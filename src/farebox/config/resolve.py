"""Answers the app needs from a validated config: what a route accepts, whom it pays."""

from __future__ import annotations

from farebox.config.chain import friendly_network
from farebox.config.errors import ConfigError
from farebox.config.schema import Accept, Config, MatchRule, Route
from farebox.networks import to_caip2


def effective_accepts(config: Config, route: Route) -> list[Accept]:
    """The route's accepts, else the top-level accepts, else USDC on every wallet network."""
    if route.accepts:
        return list(route.accepts)
    if config.accepts:
        return list(config.accepts)
    return [Accept(network=network, asset="USDC") for network in config.wallets]


def pay_to_for(config: Config, route: Route, network: str, *, rule: MatchRule | None = None) -> str:
    """The address paid for a request on ``network`` (friendly name or CAIP-2).

    A matched rule's payTo wins over the route's, which wins over the wallet
    for that network. A config that passed validation always has an answer
    for the networks its routes accept.
    """
    caip = to_caip2(network)
    address = (rule.pay_to if rule else None) or route.pay_to or config.wallets.get(caip)
    if address is None:
        name = friendly_network(caip)
        fix = f'set payTo on the route or add wallets: {{{name}: "0x..."}}'
        raise ConfigError([f"no address to be paid to on {name}; {fix}"])
    return address


def base_price(config: Config, route: Route) -> int | None:
    """The price when no match rule applies: price, else fallback, else defaults.price."""
    for price in (route.static_price, route.fallback, config.defaults.price):
        if price is not None:
            return price
    return None


def route_prices(config: Config, route: Route) -> list[int]:
    """Every amount (atomic units) the route can charge: each rule's, then the base price."""
    base = base_price(config, route)
    return [rule.price for rule in route.match] + ([] if base is None else [base])


def is_paid(config: Config, route: Route) -> bool:
    # A token-based route prices per model (or from the catalog): it can always charge.
    return (
        route.token_based
        or route.price_fn is not None
        or any(price > 0 for price in route_prices(config, route))
    )
