"""The stub's verify/settle counters are held to what each scenario's 200s must cost."""

from __future__ import annotations

from bench.facilitator_calls import call_errors
from bench.scenarios import SCENARIOS, Scenario


def scenario(key: str) -> Scenario:
    return next(s for s in SCENARIOS if s.key == key)


def test_before_response_settles_each_200_once_and_never_verifies() -> None:
    assert call_errors(scenario("d"), 100, {"settle": 100}, abandoned=8) == {}
    assert call_errors(scenario("d"), 100, {"settle": 108}, abandoned=8) == {}


def test_a_verify_call_on_before_response_is_an_error() -> None:
    errors = call_errors(scenario("d"), 100, {"verify": 100, "settle": 100}, abandoned=8)
    assert errors == {"verify calls beyond 0 per 200 (100 for 100 paid 200s)": 100}


def test_after_response_verifies_and_settles_each_200() -> None:
    assert call_errors(scenario("e"), 50, {"verify": 52, "settle": 50}, abandoned=4) == {}
    errors = call_errors(scenario("e"), 50, {"settle": 50}, abandoned=4)
    assert errors == {"paid 200 without its verify call at the facilitator": 50}


def test_a_paid_200_without_a_settle_is_an_error() -> None:
    errors = call_errors(scenario("f"), 100, {"settle": 97}, abandoned=8)
    assert errors == {"paid 200 without its settle call at the facilitator": 3}


def test_more_settles_than_abandoned_requests_explain_is_an_error() -> None:
    errors = call_errors(scenario("d"), 100, {"settle": 120}, abandoned=8)
    assert errors == {"settle calls beyond 1 per 200 (120 for 100 paid 200s)": 12}


def test_routes_that_pay_nothing_call_no_facilitator() -> None:
    for key in "abc":
        assert call_errors(scenario(key), 0, {}, abandoned=8) == {}
    errors = call_errors(scenario("c"), 0, {"settle": 1}, abandoned=8)
    assert errors == {"settle calls beyond 0 per 200 (1 for 0 paid 200s)": 1}
