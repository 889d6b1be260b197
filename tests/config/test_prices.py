"""Prices written in a config land as exact USDC atomic units."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from farebox.pricing.money import format_dollars

from .support import config

_atomic = st.integers(min_value=0, max_value=10**15)


@given(_atomic)
def test_formatted_prices_round_trip_through_yaml(atomic: int) -> None:
    text = format_dollars(atomic)
    loaded = config(f'"GET /y": {{upstream: api, price: "{text}", fallback: "{text}"}}')
    route = loaded.routes["GET /y"]
    assert (route.price, route.fallback) == (atomic, atomic)


@given(_atomic)
def test_unquoted_yaml_numbers_are_exact(atomic: int) -> None:
    # YAML reads 0.01 as a float; the config must still mean exactly one cent.
    number = Decimal(atomic).scaleb(-6).normalize()
    rule = f"{{where: {{body.model: m}}, price: {number:f}}}"
    loaded = config(f'"GET /y": {{upstream: api, match: [{rule}], fallback: "$0"}}')
    assert loaded.routes["GET /y"].match[0].price == atomic
