"""Per-token rates: parsing, formatting, and charges that round up exactly once."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.llm.shapes import ApiShape
from farebox.llm.usage import Usage
from farebox.pricing.metering import Metering
from farebox.pricing.money import PriceError
from farebox.pricing.rates import TokenRates, format_rate, parse_percent, parse_rate


@pytest.mark.parametrize(
    ("text", "atomic_per_token"),
    [
        ("$2.00/1M", "2"),
        ("2/1M", "2"),
        ("$0.15/1M", "0.15"),
        (" $ 2.50 / 1M tokens ", "2.5"),
        ("$8/1m", "8"),
        ("$8/M", "8"),
        ("$0.002/1K", "2"),
        ("$0.002/k", "2"),
        ("$0.000002/token", "2"),
        ("$0.000002/tok", "2"),
        ("$0.000002/1 token", "2"),
        ("$1_000/1M", "1000"),
        ("$.5/1M", "0.5"),
        ("$0/1M", "0"),
        ("$0.0000001/1M", "0.0000001"),
    ],
)
def test_parse_rate(text: str, atomic_per_token: str) -> None:
    assert parse_rate(text) == Decimal(atomic_per_token)


@pytest.mark.parametrize(
    "value",
    ["", "$2", "2.00", "$-2/1M", "-2/1M", "$2/1B", "$2/10M", "$2/1M/1M", "two/1M", "$2./1M",
     "$1e3/1M", 2, 2.0, True, None, Decimal("2"), ["$2/1M"]],
)  # fmt: skip
def test_parse_rate_refuses_what_is_not_a_rate(value: object) -> None:
    with pytest.raises(PriceError, match=r'is not a per-token rate like "\$2\.00/1M"'):
        parse_rate(value)


@pytest.mark.parametrize(
    ("atomic_per_token", "text"),
    [
        ("2", "$2.00/1M"),
        ("2.5", "$2.50/1M"),
        ("0.15", "$0.15/1M"),
        ("0.125", "$0.125/1M"),
        ("200", "$200.00/1M"),
        ("1E+2", "$100.00/1M"),
        ("0", "$0.00/1M"),
        ("0E-12", "$0.00/1M"),
        ("0.0000001", "$0.0000001/1M"),
        ("2.400", "$2.40/1M"),
    ],
)
def test_format_rate(atomic_per_token: str, text: str) -> None:
    assert format_rate(Decimal(atomic_per_token)) == text


rates = st.decimals(min_value=0, max_value=10**6, places=9, allow_nan=False, allow_infinity=False)


@given(rate=rates)
def test_format_then_parse_is_the_same_rate(rate: Decimal) -> None:
    assert parse_rate(format_rate(rate)) == rate


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("30%", "0.30"), ("0%", "0"), ("12.5%", "0.125"), (" 50 % ", "0.5"), ("250%", "2.5")],
)
def test_parse_percent(text: str, fraction: str) -> None:
    assert parse_percent(text) == Decimal(fraction)


@pytest.mark.parametrize("value", ["30", 0.3, 30, "-5%", "%", "30 percent", "3,5%", None, True])
def test_parse_percent_refuses_anything_but_n_percent(value: object) -> None:
    with pytest.raises(PriceError, match='is not a percentage like "30%"'):
        parse_percent(value)


# --- charges ------------------------------------------------------------------------------


def exact(rates: TokenRates, input_tokens: int, output_tokens: int, cached: int = 0) -> Fraction:
    """The reference: exact rational arithmetic, no Decimal context involved."""
    cached = min(cached, input_tokens)
    cached_rate = rates.cached_input if rates.cached_input is not None else rates.input
    return (
        (input_tokens - cached) * Fraction(rates.input)
        + cached * Fraction(cached_rate)
        + output_tokens * Fraction(rates.output)
    )


def test_charge_rounds_up_to_a_whole_unit() -> None:
    rates = TokenRates(Decimal("0.15"), Decimal("0.6"))
    assert rates.charge(10, 0) == 2  # 1.5 -> 2
    assert rates.charge(20, 0) == 3  # exactly 3 stays 3
    assert rates.charge(0, 0) == 0
    assert rates.charge(1, 1) == 1  # 0.75 -> 1: any usage costs at least one unit


def test_cached_tokens_are_part_of_the_input_count() -> None:
    rates = TokenRates(Decimal(2), Decimal(8), cached_input=Decimal("0.5"))
    assert rates.charge(100, 10, 40) == 60 * 2 + 40 * 0.5 + 10 * 8
    assert rates.charge(100, 0, 1_000) == 100 * 0.5  # never more cached than input
    no_cached_rate = TokenRates(Decimal(2), Decimal(8))
    assert no_cached_rate.charge(100, 10, 40) == 100 * 2 + 10 * 8


def test_scaled_and_describe() -> None:
    rates = TokenRates(Decimal(2), Decimal(8), Decimal("0.5")).scaled(Decimal("1.25"))
    assert rates == TokenRates(Decimal("2.5"), Decimal(10), Decimal("0.625"))
    assert rates.describe() == {
        "input": "$2.50/1M",
        "output": "$10.00/1M",
        "cachedInput": "$0.625/1M",
    }
    assert TokenRates(Decimal(1), Decimal(3)).describe() == {
        "input": "$1.00/1M",
        "output": "$3.00/1M",
    }


# Rates as written in configs ("$0.15/1M" ... "$0.000001/token"), marked up, or arbitrary
# Decimals with many digits: the charge must not depend on Decimal's 28-digit context.
config_rates = st.builds(
    lambda units, scale: Decimal(units).scaleb(-scale),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=12),
)
long_rates = st.decimals(min_value=0, max_value=10**4, places=24, allow_nan=False)
any_rate = st.one_of(config_rates, long_rates)
tokens = st.integers(min_value=0, max_value=10**10)
token_rates = st.builds(TokenRates, any_rate, any_rate, st.one_of(st.none(), any_rate))


@given(rates=token_rates, input_tokens=tokens, output_tokens=tokens, cached=tokens)
def test_charge_is_the_exact_product_rounded_up(
    rates: TokenRates, input_tokens: int, output_tokens: int, cached: int
) -> None:
    charged = rates.charge(input_tokens, output_tokens, cached)
    product = exact(rates, input_tokens, output_tokens, cached)
    assert isinstance(charged, int)
    assert product <= charged < product + 1
    assert charged == math.ceil(product)


def metering(rates: TokenRates, input_bound: int, output_cap: int) -> Metering:
    return Metering(
        shape=ApiShape.OPENAI_CHAT,
        rates=rates,
        input_bound=input_bound,
        output_cap=output_cap,
        stream=False,
        strip_usage_chunk=False,
        body=b"{}",
    )


@given(
    rates=token_rates,
    input_bound=tokens,
    output_cap=st.integers(min_value=1, max_value=10**6),
    usage=st.tuples(tokens, tokens, tokens),
)
def test_no_usage_is_ever_charged_above_the_ceiling(
    rates: TokenRates, input_bound: int, output_cap: int, usage: tuple[int, int, int]
) -> None:
    meter = metering(rates, input_bound, output_cap)
    assert meter.ceiling == math.ceil(
        input_bound * Fraction(rates.dearest_input) + output_cap * Fraction(rates.output)
    )
    charged = meter.charge(Usage(usage[0], usage[1], min(usage[2], usage[0])))
    assert 0 <= charged <= meter.ceiling


@given(
    rates=st.builds(TokenRates, config_rates, config_rates),
    input_bound=tokens,
    output_cap=st.integers(min_value=1, max_value=10**6),
    data=st.data(),
)
def test_usage_within_the_bounds_costs_at_most_the_ceiling_uncapped(
    rates: TokenRates, input_bound: int, output_cap: int, data: st.DataObject
) -> None:
    # the ceiling is a true bound, not just a clamp: usage inside the bounds never needs it
    input_tokens = data.draw(st.integers(0, input_bound))
    output_tokens = data.draw(st.integers(0, output_cap))
    cached = data.draw(st.integers(0, input_tokens))
    meter = metering(rates, input_bound, output_cap)
    assert rates.charge(input_tokens, output_tokens, cached) <= meter.ceiling
    assert meter.charge(Usage(input_tokens, output_tokens, cached)) == rates.charge(
        input_tokens, output_tokens, cached
    )


def test_cache_reads_and_writes_are_billed_at_their_own_rates() -> None:
    rates = TokenRates(Decimal(3), Decimal(15), Decimal("0.3"), Decimal("3.75"))
    # 500 plain input + 200 cache reads + 300 cache writes + 10 output
    assert rates.charge(1000, 10, cached_input_tokens=200, cache_write_tokens=300) == (
        500 * 3 + 60 + 1125 + 150
    )
    # without their own rates, both fall back to the input rate
    assert TokenRates(Decimal(3), Decimal(15)).charge(1000, 10, 200, 300) == 3000 + 150


def test_the_ceiling_assumes_the_dearest_input_rate() -> None:
    rates = TokenRates(Decimal(3), Decimal(15), Decimal("0.3"), Decimal("3.75"))
    assert rates.dearest_input == Decimal("3.75")
    assert rates.ceiling(1000, 10) == 3750 + 150
    assert rates.ceiling(1000, 10) >= rates.charge(1000, 10, 0, 1000)
