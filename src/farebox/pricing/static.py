"""Static and match-rule pricing of a route (the tollbooth semantics).

Resolution, first that applies wins:

1. `match` rules, top to bottom: the first rule whose every `where`
   condition holds gives its price (and its `payTo`, if any);
2. the route's `price`;
3. the route's `fallback`;
4. `defaults.price`.

If none applies (a route priced only by rules, none of which matched, with no
fallback and no default), the request is refused with a PricingError (a 400):
an unpriced request is never served for free. A price of "$0" is free.
A route that can never be priced is refused at startup instead.

All of it is decided at build time: each outcome is a prebuilt Quote, so
`quote()` only evaluates conditions and returns one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from farebox.pricing.conditions import Predicate, compile_condition, reads_body, text_of
from farebox.pricing.money import format_dollars
from farebox.pricing.quote import PricingError, Quote, RequestFacts, RoutePricer

if TYPE_CHECKING:
    from farebox.config.schema import Defaults, MatchRule, Route

_RULES_SHOWN = 5


class RulePricer:
    """Prices a route from its match rules and its chain of static prices."""

    __slots__ = ("_no_match", "_otherwise", "_rules", "needs_body")

    def __init__(
        self,
        rules: Sequence[tuple[tuple[Predicate, ...], Quote]],
        otherwise: Quote | None,
        *,
        needs_body: bool,
        no_match: str,
    ) -> None:
        self._rules = tuple(rules)
        self._otherwise = otherwise
        self._no_match = no_match
        self.needs_body = needs_body

    def quote(self, facts: RequestFacts) -> Quote:
        for conditions, quote in self._rules:
            for holds in conditions:
                if not holds(facts):
                    break
            else:
                return quote
        if self._otherwise is None:
            raise PricingError(self._no_match)
        return self._otherwise


def build_pricer(route: Route, defaults: Defaults, *, key: str | None = None) -> RoutePricer:
    """Compile a route's pricing; ValueError (naming `key` and the rule) if it is unusable."""
    where = f'route "{key}"' if key else "this route"
    rules = [_compile_rule(where, index, rule) for index, rule in enumerate(route.match)]
    otherwise = _otherwise(route, defaults)
    if otherwise is None and not rules:
        raise ValueError(
            f'{where} has no price: set price (like "$0.01", or "$0" for free), or add '
            "match rules with a fallback, or set defaults.price"
        )
    return RulePricer(
        rules,
        otherwise,
        needs_body=any(reads_body(f) for rule in route.match for f in rule.where),
        no_match=_no_match_message(where, route.match),
    )


def _compile_rule(where: str, index: int, rule: MatchRule) -> tuple[tuple[Predicate, ...], Quote]:
    if not rule.where:
        raise ValueError(
            f"{where}, match[{index}]: `where` is empty, so the rule would match every "
            'request; give it conditions like {body.model: "gpt-4o*"} or use `price`'
        )
    try:
        conditions = tuple(compile_condition(f, v) for f, v in rule.where.items())
    except ValueError as exc:
        raise ValueError(f"{where}, match[{index}].where: {exc}") from None
    return conditions, Quote(rule.price, "match", pay_to=rule.pay_to, rule=index)


def _otherwise(route: Route, defaults: Defaults) -> Quote | None:
    """The static price chain after the rules: price, then fallback, then the default."""
    if route.static_price is not None:
        return Quote(route.static_price, "price")
    if route.fallback is not None:
        return Quote(route.fallback, "fallback")
    if defaults.price is not None:
        return Quote(defaults.price, "default")
    return None


def _no_match_message(where: str, rules: Sequence[MatchRule]) -> str:
    """Prebuilt: tells the caller which requests this route can price."""
    shown = [_describe(rule) for rule in rules[:_RULES_SHOWN]]
    if len(rules) > _RULES_SHOWN:
        shown.append(f"{len(rules) - _RULES_SHOWN} more")
    return (
        f"no pricing rule of {where} matched this request; a request must match one of: "
        + "; ".join(shown)
    )


def _describe(rule: MatchRule) -> str:
    conditions = " and ".join(f'{f} "{text_of(v)}"' for f, v in rule.where.items())
    return f"{conditions} ({format_dollars(rule.price) if rule.price else 'free'})"
