"""What each return value of a hook means; anything else is refused with what would be right."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.hooks import (
    DEFAULT_MAX_PRICE,
    BadHookResult,
    PriceOverride,
    Reject,
    ResponseOverride,
    dollars_to_price,
    interpret_price,
    interpret_reject,
    interpret_response,
)
from farebox.pricing.money import parse_price

CENT = 10_000

# --- rejections -------------------------------------------------------------------


def test_none_lets_the_request_through() -> None:
    assert interpret_reject(None) is None


def test_a_reject_is_returned_as_is() -> None:
    reject = Reject(403, {"error": "forbidden", "code": 7}, {"Retry-After": "5"})
    assert interpret_reject(reject) is reject


def test_reject_defaults() -> None:
    assert Reject() == Reject(400, "Request rejected", None)


def test_the_dict_form_is_the_same_as_a_reject() -> None:
    result = {"reject": True, "status": 400, "body": "Unsupported model"}
    assert interpret_reject(result) == Reject(400, "Unsupported model")


def test_the_dict_form_has_the_same_defaults() -> None:
    assert interpret_reject({"reject": True}) == Reject()


def test_reject_false_lets_the_request_through() -> None:
    assert interpret_reject({"reject": False, "status": 400}) is None


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (True, "True is not a rejection; return Reject(400"),
        (False, "False is not a rejection"),
        ("no", '"no" is not a rejection'),
        (400, "400 is not a rejection"),
        ({"status": 400}, "is not a rejection"),
        ({"reject": "yes"}, '"reject" must be True or False, not "yes"'),
        ({"reject": True, "code": 1}, "unknown key 'code' in a rejection; the keys are"),
        ({"reject": True, "status": 200}, "Reject status 200 is not an error status; use 400-599"),
        ({"reject": True, "status": "400"}, "Reject status must be an int like 400"),
        ({"reject": True, "status": True}, "Reject status must be an int like 400"),
        ({"reject": True, "body": 5}, "Reject body must be text or a mapping"),
        ({"reject": True, "headers": ["x"]}, "headers must be a mapping"),
        ({"reject": True, "headers": {"X-A": "1\r\nSet-Cookie: a"}}, "not a one-line text value"),
        ({"reject": True, "headers": {"bad name": "1"}}, "is not a valid header name"),
        ({"reject": True, "headers": {"X-A": 1}}, "not a one-line text value"),
        ({"reject": True, "headers": {"Content-Length": "1"}}, "is set by farebox"),
        ({"reject": True, "headers": {"X-A": "caf\u00e9 \u2603"}}, "Latin-1 only"),
    ],
)
def test_unusable_rejections_say_what_would_be_right(result: object, message: str) -> None:
    with pytest.raises(BadHookResult, match=_literal(message)):
        interpret_reject(result)


def test_a_reject_built_directly_is_checked_too() -> None:
    with pytest.raises(BadHookResult, match="is not a one-line text value"):
        interpret_reject(Reject(400, "no", {"X-Why": "a\nb"}))


@pytest.mark.parametrize("status", [200, 302, 399, 600, -1])
def test_reject_refuses_a_status_that_is_not_an_error(status: int) -> None:
    with pytest.raises(ValueError, match="not an error status"):
        Reject(status)


# --- prices -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "atomic"),
    [
        (0.02, 2 * CENT),
        (1, 1_000_000),
        (0, 0),
        (Decimal("0.015"), 15_000),
        ("$0.02", 2 * CENT),
        ("0.02", 2 * CENT),
        (" $ 1_000.5 ", None),  # spaces after $ are fine, underscores too, but over $10
        (PriceOverride(price="$0.03"), 3 * CENT),
        (PriceOverride(price=0.03), 3 * CENT),
        (PriceOverride(atomic=12_345), 12_345),
        ({"price": "$0.04"}, 4 * CENT),
        ({"atomic": 7}, 7),
    ],
)
def test_prices_are_dollars_unless_said_atomic(result: object, atomic: int | None) -> None:
    if atomic is None:
        with pytest.raises(BadHookResult, match="above the maximum price"):
            interpret_price(result)
    else:
        assert interpret_price(result) == atomic


def test_none_keeps_the_quoted_price() -> None:
    assert interpret_price(None) is None


def test_float_noise_is_rounded_to_the_nearest_atomic_unit() -> None:
    assert 0.1 * 3 == 0.30000000000000004
    assert interpret_price(0.1 * 3) == 300_000
    assert interpret_price(0.7 * 3) == 2_100_000  # 2.0999999999999996


def test_sub_atomic_amounts_round_half_up() -> None:
    assert interpret_price(Decimal("0.0000014")) == 1
    assert interpret_price(Decimal("0.0000015")) == 2
    assert interpret_price("0.0123455") == 12_346


def test_a_positive_price_never_rounds_down_to_free() -> None:
    assert interpret_price(Decimal("0.0000000001")) == 1
    assert interpret_price(1e-12) == 1


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (-0.01, "-0.01 is negative; a price is zero or more"),
        ("-$1", "is not a price like"),
        (float("nan"), "nan is not a price"),
        (float("inf"), "inf is not a price"),
        (Decimal("NaN"), "is not a price"),
        ("Infinity", "is not a price"),
        ("abc", '"abc" is not a price like "$0.01"'),
        ("", "is not a price"),
        (True, "True is not a price; return a price in dollars"),
        ([0.01], "[0.01] is not a price"),
        ({"price": 1, "atomic": 1}, "exactly one of price="),
        ({}, "exactly one of price="),
        ({"prize": 1}, "unknown key 'prize' in a price"),
        ({"atomic": 1.5}, "atomic=1.5 is not a whole number"),
        ({"atomic": True}, "atomic=True is not a whole number"),
        ({"atomic": -1}, "atomic=-1 is negative"),
        (10.000001, "10.000001 is above the maximum price $10.00"),
        (1e40, "is above the maximum price"),
        (Decimal("1e999999"), "is above the maximum price"),
        ({"atomic": DEFAULT_MAX_PRICE + 1}, "atomic=10000001 is above the maximum price $10.00"),
    ],
)
def test_unusable_prices_say_what_would_be_right(result: object, message: str) -> None:
    with pytest.raises(BadHookResult, match=_literal(message)):
        interpret_price(result)


def test_the_maximum_is_inclusive_and_configurable() -> None:
    assert interpret_price(10) == DEFAULT_MAX_PRICE
    assert interpret_price(50, max_price=100_000_000) == 50_000_000
    with pytest.raises(BadHookResult, match=r"above the maximum price \$0.50; .* raise maxPrice"):
        interpret_price("$0.51", max_price=500_000)


def test_price_override_needs_exactly_one_amount() -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        PriceOverride()
    with pytest.raises(ValueError, match="exactly one of"):
        PriceOverride(price=1, atomic=1)


@given(st.decimals(min_value=0, max_value=10, places=6))
def test_exact_prices_convert_exactly_like_configured_prices(value: Decimal) -> None:
    assert dollars_to_price(value) == parse_price(value)
    assert dollars_to_price(f"${value}") == parse_price(f"${value}")


@given(st.floats(min_value=0, max_value=10, allow_nan=False))
def test_float_prices_are_within_half_a_unit_and_never_free_when_positive(value: float) -> None:
    atomic = dollars_to_price(value)
    exact = Decimal(repr(value)) * 10**6
    assert abs(Decimal(atomic) - exact) <= Decimal("0.5") or (exact < 1 and atomic == 1)
    assert (atomic == 0) == (value == 0)


# --- responses --------------------------------------------------------------------


def test_none_relays_the_response_and_settles_as_usual() -> None:
    assert interpret_response(None) is None


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"settle": False}, ResponseOverride(settle=False)),
        ({"settle": True}, ResponseOverride()),
        (
            {"status": 502, "headers": {"X-Why": "empty"}, "body": {"error": "empty"}},
            ResponseOverride(status=502, headers={"X-Why": "empty"}, body={"error": "empty"}),
        ),
        ({"body": "plain", "settle": False}, ResponseOverride(body="plain", settle=False)),
        ({"body": b"raw"}, ResponseOverride(body=b"raw")),
        ({"body": [1, 2]}, ResponseOverride(body=[1, 2])),
    ],
)
def test_response_dicts_mean_the_same_as_overrides(
    result: dict[str, Any], expected: ResponseOverride
) -> None:
    assert interpret_response(result) == expected


def test_a_response_override_is_returned_as_is() -> None:
    override = ResponseOverride(status=200, settle=False)
    assert interpret_response(override) is override
    assert override.changes_response and not ResponseOverride(settle=False).changes_response


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (False, 'False is not a response change; return {"settle": False}'),
        ("ok", '"ok" is not a response change'),
        ({"reject": True}, "onResponse cannot reject"),
        ({"settle": "no"}, "settle must be True or False, not 'no'"),
        ({"settle": 0}, "settle must be True or False"),
        ({"status": 99}, "response status must be an int in 100-599"),
        ({"status": "200"}, "response status must be an int in 100-599"),
        ({"body": 3}, '"body" must be bytes, text, a dict or a list, not 3'),
        ({"json": {}}, "unknown key 'json' in a response change; the keys are"),
        ({"headers": {"Transfer-Encoding": "chunked"}}, "is set by farebox"),
    ],
)
def test_unusable_response_changes_say_what_would_be_right(result: object, message: str) -> None:
    with pytest.raises(BadHookResult, match=_literal(message)):
        interpret_response(result)


def _literal(text: str) -> str:
    import re

    return re.escape(text)
