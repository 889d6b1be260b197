"""Pricing functions: the cookbook examples, and every way a price can be unusable."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.hooks import (
    DEFAULT_MAX_PRICE,
    CodeLoader,
    FunctionPricer,
    Hook,
    HookLoadError,
    PricingFunctionError,
    Reject,
    Rejected,
    call_pricing_function,
    load_pricing_function,
)
from farebox.pricing.quote import PricingError, RequestFacts

from .support import EXAMPLES, request, write

CENT = 10_000
WHERE = 'routes."POST /x".price.fn'


def example(name: str) -> Hook:
    return load_pricing_function(f"pricing/{name}", loader=CodeLoader(EXAMPLES), where=WHERE)


def own(tmp_path: Path, source: str) -> Hook:
    write(tmp_path, "pricing/fn.py", source)
    return load_pricing_function("pricing/fn.py", loader=CodeLoader(tmp_path), where=WHERE)


async def price_of(fn: Hook, json: Any = None, **parts: Any) -> int:
    return await call_pricing_function(fn, request(json, **parts))


def usd(text: str) -> int:
    return int(Decimal(text) * 10**6)


# --- parameter-based, with clamped ranges ----------------------------------------

BY_PARAMS = example("by_params.py")


@pytest.mark.parametrize(
    ("query", "dollars"),
    [
        ({"minutes": "30", "quality": "hd"}, "0.09"),
        ({"minutes": "30", "quality": "sd"}, "0.03"),
        ({"minutes": "30", "quality": "4K"}, "0.24"),  # case-insensitive
        ({"minutes": "30", "quality": "8k"}, "0.09"),  # unknown: the default quality
        ({"minutes": "240"}, "0.72"),
        ({"minutes": "100000"}, "0.72"),  # clamped to 240
        ({"minutes": "0"}, "0.003"),  # clamped to 1
        ({"minutes": "-40"}, "0.003"),
        ({"minutes": "abc"}, "0.003"),  # unreadable: the default
        ({"minutes": "1.5"}, "0.003"),
        ({}, "0.003"),
    ],
)
async def test_by_params(query: dict[str, str], dollars: str) -> None:
    assert await price_of(BY_PARAMS, query=query, method="GET", path="/stream/abc") == usd(dollars)


# --- body-based ----------------------------------------------------------------------

BY_BODY = example("by_body.py")


@pytest.mark.parametrize(
    ("body", "dollars"),
    [
        ({"n": 2, "size": "1024x1024", "quality": "hd"}, "0.16"),
        ({"n": 3, "size": "256x256"}, "0.048"),
        ({"prompt": "a fox"}, "0.04"),  # defaults: one image, 1024x1024, standard
        ({"n": 50}, "0.40"),  # clamped to 10
        ({"n": 0}, "0.04"),  # clamped to 1
        ({"n": -2}, "0.04"),
        ({"n": "3"}, "0.04"),  # not a number: one
        ({"n": True}, "0.04"),
        ({"n": 2.5}, "0.04"),
        ({"size": "9x9"}, "0.04"),  # unknown size: the default
        (None, "0.04"),  # no body
    ],
)
async def test_by_body(body: Any, dollars: str) -> None:
    assert await price_of(BY_BODY, body) == usd(dollars)


async def test_by_body_refuses_a_body_that_is_not_an_object() -> None:
    with pytest.raises(PricingError, match=r"send a JSON object"):
        await price_of(BY_BODY, ["a fox"])


# --- caps and floors ---------------------------------------------------------------

CAPPED = example("caps_and_floors.py")


@pytest.mark.parametrize(
    ("rows", "dollars"),
    [
        ("5000", "0.10"),
        ("1", "0.002"),  # floor
        ("100", "0.002"),  # exactly the floor
        ("101", "0.00202"),
        ("12500", "0.25"),  # exactly the cap
        ("12501", "0.25"),
        ("10000000000", "0.25"),  # cap
        ("0", "0.02"),  # not positive: the default 1000 rows
        ("-5", "0.02"),
        ("lots", "0.02"),
        (None, "0.02"),
    ],
)
async def test_caps_and_floors(rows: str | None, dollars: str) -> None:
    query = {} if rows is None else {"rows": rows}
    assert await price_of(CAPPED, query=query, method="GET") == usd(dollars)


@given(st.integers(min_value=-(10**12), max_value=10**12))
async def test_caps_and_floors_stay_in_range(rows: int) -> None:
    atomic = await price_of(CAPPED, query={"rows": str(rows)}, method="GET")
    assert usd("0.002") <= atomic <= usd("0.25")


# --- tiered --------------------------------------------------------------------------

TIERED = example("tiered.py")


@pytest.mark.parametrize(
    ("items", "dollars"),
    [
        (0, "0.001"),  # the minimum
        (1, "0.001"),  # $0.0005 is below the minimum
        (2, "0.001"),
        (3, "0.0015"),
        (100, "0.05"),
        (150, "0.065"),
        (1000, "0.32"),
        (1500, "0.37"),
    ],
)
async def test_tiered(items: int, dollars: str) -> None:
    assert TIERED.is_async
    assert await price_of(TIERED, {"input": ["text"] * items}) == usd(dollars)


@pytest.mark.parametrize("body", [None, {}, {"input": "one text"}, {"input": 5}, [1, 2]])
async def test_tiered_odd_bodies_cost_the_minimum(body: Any) -> None:
    assert await price_of(TIERED, body) == usd("0.001")


@given(st.integers(min_value=0, max_value=3000))
async def test_tiered_never_costs_less_for_more_and_each_item_costs_no_more_than_the_last(
    items: int,
) -> None:
    tiered_total = TIERED.fn.__globals__["tiered_total"]  # type: ignore[attr-defined]
    step = tiered_total(items + 1) - tiered_total(items)
    assert step > 0
    assert step <= tiered_total(items) - tiered_total(items - 1) if items > 0 else True


# --- a caller's maximum ------------------------------------------------------------

GUARD = example("caller_max_guard.py")


@pytest.mark.parametrize(
    ("body", "header", "dollars"),
    [
        ({"durationSeconds": 600}, None, "0.30"),
        ({"durationSeconds": 600}, "$0.50", "0.30"),
        ({"durationSeconds": 600}, "0.30", "0.30"),  # equal is fine
        ({"durationSeconds": 61}, None, "0.06"),  # whole minutes, rounded up
        ({"durationSeconds": 10**9}, None, "3.60"),  # at most 120 minutes
        ({"durationSeconds": -1}, None, "0.03"),
        ({}, "not money", "0.03"),  # an unreadable header is ignored
    ],
)
async def test_caller_max_guard_prices(body: Any, header: str | None, dollars: str) -> None:
    headers = {} if header is None else {"x-max-price": header}
    assert await price_of(GUARD, body, headers=headers) == usd(dollars)


async def test_caller_max_guard_refuses_above_the_callers_maximum() -> None:
    with pytest.raises(Rejected) as caught:
        await price_of(GUARD, {"durationSeconds": 600}, headers={"x-max-price": "$0.20"})
    assert caught.value.reject == Reject(
        400, "this render costs $0.30, above your X-Max-Price of $0.20"
    )
    assert caught.value.status == 400


# --- what a price function may return -----------------------------------------------


@pytest.mark.parametrize(
    ("returns", "atomic"),
    [
        ("0.01", CENT),
        ('"$0.01"', CENT),
        ("Decimal('0.01')", CENT),
        ("0.1 + 0.2", 300_000),
        ("0", 0),
        ("10", DEFAULT_MAX_PRICE),
    ],
)
async def test_a_price_function_returns_dollars(tmp_path: Path, returns: str, atomic: int) -> None:
    fn = own(tmp_path, f"from decimal import Decimal\ndef price(req):\n    return {returns}\n")
    assert await price_of(fn) == atomic


async def test_an_async_price_function_is_awaited(tmp_path: Path) -> None:
    fn = own(
        tmp_path,
        "import asyncio\nasync def price(req):\n    await asyncio.sleep(0)\n    return '$0.02'\n",
    )
    assert fn.is_async and await price_of(fn) == 2 * CENT


@pytest.mark.parametrize(
    ("returns", "message"),
    [
        ("-0.01", "returned an unusable price: -0.01 is negative; a price is zero or more"),
        ("float('nan')", "returned an unusable price: nan is not a price"),
        ("float('inf')", "inf is not a price"),
        (
            "None",
            'None is not a price; return a price in dollars, like 0.01, Decimal("0.01") or "$0.01"',
        ),
        ("'cheap'", '"cheap" is not a price like "$0.01"'),
        ("[0.01]", "[0.01] is not a price"),
        ("{'price': 0.01}", "is not a price"),
        ("True", "True is not a price"),
        ("10.01", "10.01 is above the maximum price $10.00"),
        ("10000", "10000 is above the maximum price $10.00"),  # atomic units by mistake
        ("{'reject': False}", '{"reject": False} is not a price'),
        ("{'reject': True, 'status': 200}", "Reject status 200 is not an error status"),
    ],
)
async def test_unusable_prices_fail_closed_naming_the_file(
    tmp_path: Path, returns: str, message: str
) -> None:
    fn = own(tmp_path, f"def price(req):\n    return {returns}\n")
    with pytest.raises(PricingFunctionError) as caught:
        await price_of(fn)
    assert caught.value.status == 500 and caught.value.hook_name == "price"
    assert caught.value.message.startswith(
        "pricing function pricing/fn.py returned an unusable price: "
    )
    assert message in caught.value.message


async def test_max_price_is_per_route(tmp_path: Path) -> None:
    fn = own(tmp_path, "def price(req):\n    return 50\n")
    assert await call_pricing_function(fn, request(), max_price=100 * 10**6) == 50 * 10**6
    with pytest.raises(PricingFunctionError, match=r"above the maximum price \$0.01"):
        await call_pricing_function(
            own(tmp_path, "def price(req):\n    return 0.02\n"), request(), max_price=CENT
        )


async def test_a_raising_price_function_fails_closed(tmp_path: Path) -> None:
    fn = own(tmp_path, "def price(req):\n    return 1 / 0\n")
    with pytest.raises(PricingFunctionError) as caught:
        await price_of(fn)
    assert (
        caught.value.message
        == "pricing function pricing/fn.py failed: ZeroDivisionError: division by zero"
    )


async def test_a_slow_price_function_times_out(tmp_path: Path) -> None:
    fn = own(tmp_path, "import asyncio\nasync def price(req):\n    await asyncio.Event().wait()\n")
    with pytest.raises(
        PricingFunctionError, match=r"^pricing function pricing/fn.py timed out after 0.05s$"
    ):
        await call_pricing_function(fn, request(), timeout=0.05)


async def test_pricing_error_refuses_the_request_with_its_message(tmp_path: Path) -> None:
    fn = own(
        tmp_path,
        "from farebox import PricingError\n"
        "def price(req):\n"
        "    raise PricingError('say how many pages')\n",
    )
    with pytest.raises(PricingError, match="say how many pages"):
        await price_of(fn)


async def test_a_reject_dict_refuses_the_request(tmp_path: Path) -> None:
    fn = own(
        tmp_path,
        "def price(req):\n"
        "    return {'reject': True, 'status': 422, 'body': {'error': 'no pages'}}\n",
    )
    with pytest.raises(Rejected) as caught:
        await price_of(fn)
    assert caught.value.reject == Reject(422, {"error": "no pages"})


def test_a_file_without_price_is_a_load_error(tmp_path: Path) -> None:
    write(tmp_path, "pricing/fn.py", "def hook(ctx):\n    return 1\n")
    with pytest.raises(HookLoadError) as caught:
        load_pricing_function("pricing/fn.py", loader=CodeLoader(tmp_path), where=WHERE)
    assert str(caught.value) == (
        'routes."POST /x".price.fn: "pricing/fn.py" defines no function price(req); '
        'add "def price(req): ..."'
    )


# --- as a route's pricer -------------------------------------------------------------


async def test_function_pricer_quotes_from_request_facts() -> None:
    pricer = FunctionPricer(BY_BODY)
    assert pricer.needs_body
    facts = RequestFacts(
        method="POST", path="/v1/images/generations", params={}, query={}, headers={}, body={"n": 2}
    )
    quote = await pricer.quote_async(facts)
    assert (quote.amount, quote.source) == (8 * CENT, "fn")
    with pytest.raises(TypeError, match=r"priced asynchronously; await quote_async"):
        pricer.quote(facts)


async def test_function_pricer_applies_its_max_price() -> None:
    pricer = FunctionPricer(BY_BODY, max_price=5 * CENT)
    facts = RequestFacts(method="POST", path="/", params={}, query={}, headers={}, body={"n": 2})
    with pytest.raises(PricingFunctionError, match=r"above the maximum price \$0.05"):
        await pricer.quote_async(facts)
