from typing import Any

import pytest

from farebox.config.schema import Defaults, Route
from farebox.pricing import PricingError, Quote, RoutePricer, build_pricer
from tests.pricing.support import facts

WALLET_A = "0x" + "a" * 40
WALLET_B = "0x" + "b" * 40
CENT = 10_000


def pricer(spec: dict[str, Any], default: str | None = None, key: str = "POST /x") -> RoutePricer:
    route = Route.model_validate({"upstream": "api", **spec})
    defaults = Defaults.model_validate({} if default is None else {"price": default})
    return build_pricer(route, defaults, key=key)


CLAUDE = {
    "match": [
        {"where": {"body.model": "claude-haiku-*"}, "price": "$0.005"},
        {"where": {"body.model": "claude-sonnet-*"}, "price": "$0.015"},
        {"where": {"body.model": "claude-opus-*"}, "price": "$0.075"},
    ]
}


# --- resolution order -------------------------------------------------------------------


def test_static_price() -> None:
    assert pricer({"price": "$0.01"}).quote(facts()) == Quote(CENT, "price")


def test_default_price_when_route_has_none() -> None:
    assert pricer({}, default="$0.002").quote(facts()) == Quote(2_000, "default")


def test_route_price_beats_default() -> None:
    assert pricer({"price": "$0.01"}, default="$0.002").quote(facts()) == Quote(CENT, "price")


@pytest.mark.parametrize(
    ("model", "amount", "rule"),
    [("claude-haiku-3", 5_000, 0), ("claude-sonnet-4", 15_000, 1), ("claude-opus-4", 75_000, 2)],
)
def test_match_rules(model: str, amount: int, rule: int) -> None:
    quote = pricer(CLAUDE).quote(facts({"model": model}))
    assert quote == Quote(amount, "match", rule=rule)


def test_first_matching_rule_wins_top_to_bottom() -> None:
    p = pricer(
        {
            "match": [
                {"where": {"body.model": "gpt-4o-mini*"}, "price": "$0.001"},
                {"where": {"body.model": "gpt-4o*"}, "price": "$0.01"},
                {"where": {"body.model": "gpt-4o-mini"}, "price": "$9"},  # shadowed
            ]
        }
    )
    assert p.quote(facts({"model": "gpt-4o-mini"})) == Quote(1_000, "match", rule=0)
    assert p.quote(facts({"model": "gpt-4o"})) == Quote(CENT, "match", rule=1)


def test_fallback_when_no_rule_matches() -> None:
    p = pricer({**CLAUDE, "fallback": "$0.015"})
    assert p.quote(facts({"model": "mistral-large"})) == Quote(15_000, "fallback")
    assert p.quote(facts({"model": "claude-haiku-3"})).source == "match"


def test_price_beats_fallback_and_rules_beat_price() -> None:
    p = pricer({**CLAUDE, "price": "$0.02", "fallback": "$0.015"})
    assert p.quote(facts({"model": "claude-opus-4"})) == Quote(75_000, "match", rule=2)
    assert p.quote(facts({"model": "other"})) == Quote(20_000, "price")


def test_fallback_beats_default() -> None:
    p = pricer({**CLAUDE, "fallback": "$0.015"}, default="$0.001")
    assert p.quote(facts({"model": "other"})) == Quote(15_000, "fallback")


def test_default_after_rules_when_no_price_or_fallback() -> None:
    p = pricer(CLAUDE, default="$0.001")
    assert p.quote(facts({"model": "other"})) == Quote(1_000, "default")
    assert p.quote(facts({"model": "claude-haiku-3"})).source == "match"


def test_all_conditions_of_a_rule_must_hold() -> None:
    p = pricer(
        {
            "match": [
                {
                    "where": {"body.model": "gpt-4o", "query.tier": "pro", "headers.x-fast": True},
                    "price": "$0.1",
                }
            ],
            "fallback": "$0.01",
        }
    )
    yes = facts({"model": "gpt-4o"}, query={"tier": "pro"}, headers={"x-fast": "true"})
    assert p.quote(yes).source == "match"
    assert p.quote(facts({"model": "gpt-4o"}, query={"tier": "pro"})).source == "fallback"
    assert p.quote(facts({"model": "gpt-4o"}, headers={"x-fast": "true"})).source == "fallback"
    no_body = facts(query={"tier": "pro"}, headers={"x-fast": "true"})
    assert p.quote(no_body).source == "fallback"


def test_each_where_kind_prices() -> None:
    p = pricer(
        {
            "match": [
                {"where": {"params.id": "vip-*"}, "price": "$1"},
                {"where": {"query.format": "pdf"}, "price": "$0.5"},
                {"where": {"headers.X-Priority": "high"}, "price": "$0.2"},
                {"where": {"body.options.hd": True}, "price": "$0.1"},
            ],
            "fallback": "$0.01",
        }
    )
    assert p.quote(facts(params={"id": "vip-7"})).rule == 0
    assert p.quote(facts(query={"format": "pdf"})).rule == 1
    assert p.quote(facts(headers={"x-priority": "high"})).rule == 2
    assert p.quote(facts({"options": {"hd": True}})).rule == 3
    assert p.quote(facts({"options": {"hd": False}})).source == "fallback"


# --- payTo and free ---------------------------------------------------------------------


def test_rule_pay_to_override() -> None:
    p = pricer(
        {
            "payTo": WALLET_A,  # route-level: applied elsewhere, never in the quote
            "match": [
                {"where": {"query.shop": "b"}, "price": "$0.01", "payTo": WALLET_B},
                {"where": {"query.shop": "*"}, "price": "$0.02"},
            ],
            "price": "$0.03",
        }
    )
    assert p.quote(facts(query={"shop": "b"})) == Quote(CENT, "match", pay_to=WALLET_B, rule=0)
    assert p.quote(facts(query={"shop": "a"})) == Quote(20_000, "match", pay_to=None, rule=1)
    assert p.quote(facts()).pay_to is None


def test_free_route() -> None:
    quote = pricer({"price": "$0"}).quote(facts())
    assert quote == Quote(0, "price")
    assert quote.free


def test_free_default_makes_unpriced_routes_free() -> None:
    assert pricer({}, default="$0").quote(facts()) == Quote(0, "default")


def test_free_match_rule_and_paid_fallback() -> None:
    p = pricer({"match": [{"where": {"query.preview": "1"}, "price": "$0"}], "fallback": "$0.01"})
    assert p.quote(facts(query={"preview": "1"})).free
    assert not p.quote(facts()).free


def test_paid_rule_over_free_price() -> None:
    p = pricer({"match": [{"where": {"query.hd": "1"}, "price": "$0.05"}], "price": "$0"})
    assert p.quote(facts(query={"hd": "1"})).amount == 50_000
    assert p.quote(facts()).free


# --- no match: refused, never free ----------------------------------------------------------


def test_no_match_without_fallback_or_default_is_a_pricing_error() -> None:
    p = pricer(CLAUDE, key="POST /ai/claude")
    with pytest.raises(PricingError) as info:
        p.quote(facts({"model": "gpt-4o"}))
    message = str(info.value)
    assert message.startswith('no pricing rule of route "POST /ai/claude" matched this request;')
    assert 'body.model "claude-haiku-*" ($0.005)' in message
    assert 'body.model "claude-opus-*" ($0.075)' in message


def test_no_match_when_body_is_missing() -> None:
    with pytest.raises(PricingError):
        pricer(CLAUDE).quote(facts(None))


def test_pricing_error_is_a_value_error() -> None:
    assert issubclass(PricingError, ValueError)


def test_no_match_message_shows_typed_values_and_free_rules() -> None:
    p = pricer(
        {"match": [{"where": {"body.stream": True, "query.n": 3}, "price": "$0"}]}, key="GET /y"
    )
    with pytest.raises(PricingError, match=r'body.stream "true" and query.n "3" \(free\)'):
        p.quote(facts())


def test_no_match_message_is_bounded() -> None:
    rules = [{"where": {"query.n": str(i)}, "price": "$0.01"} for i in range(40)]
    with pytest.raises(PricingError) as info:
        pricer({"match": rules}).quote(facts())
    assert "35 more" in str(info.value)
    assert len(str(info.value)) < 400


def test_message_without_a_key() -> None:
    route = Route.model_validate({"upstream": "api", **CLAUDE})
    p = build_pricer(route, Defaults())
    with pytest.raises(PricingError, match="no pricing rule of this route matched"):
        p.quote(facts())


# --- building -------------------------------------------------------------------------------


def test_route_without_any_price_is_refused_at_build_time() -> None:
    with pytest.raises(ValueError) as info:
        pricer({}, key="GET /nothing")
    assert 'route "GET /nothing" has no price' in str(info.value)
    assert "defaults.price" in str(info.value)


def test_empty_where_is_refused() -> None:
    with pytest.raises(ValueError, match=r'route "POST /x", match\[1\]: `where` is empty'):
        pricer(
            {"match": [{"where": {"query.a": "1"}, "price": "$1"}, {"where": {}, "price": "$1"}]}
        )


def test_bad_where_field_is_refused_naming_rule_and_field() -> None:
    # bypass the schema's own check: the pricer must not trust its input blindly
    rule = Route.model_validate(
        {"upstream": "api", "match": [{"where": {"body.a": "1"}, "price": "$1"}]}
    )
    bad = rule.match[0].model_copy(update={"where": {"cookie.a": "1"}})
    route = rule.model_copy(update={"match": [bad]})
    with pytest.raises(ValueError, match=r'route "K", match\[0\].where: "cookie.a" is not'):
        build_pricer(route, Defaults(), key="K")


def test_needs_body_only_when_a_rule_reads_the_body() -> None:
    assert pricer(CLAUDE).needs_body
    assert not pricer({"price": "$0.01"}).needs_body
    assert not pricer(
        {"match": [{"where": {"query.a": "1"}, "price": "$1"}], "fallback": "$0"}
    ).needs_body
    mixed = {
        "match": [
            {"where": {"query.a": "1"}, "price": "$1"},
            {"where": {"body.b": 1}, "price": "$2"},
        ]
    }
    assert pricer(mixed).needs_body


def test_quote_returns_prebuilt_quotes() -> None:
    p = pricer({**CLAUDE, "fallback": "$0.01"})
    request = facts({"model": "claude-haiku-3"})
    assert p.quote(request) is p.quote(request)
    assert p.quote(facts()) is p.quote(facts())
