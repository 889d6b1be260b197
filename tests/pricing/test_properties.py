"""The matcher and the resolution order against plain reference implementations."""

from fnmatch import fnmatchcase
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from farebox.config.schema import Defaults, MatchRule, Route
from farebox.pricing import PricingError, Quote, RequestFacts, build_pricer
from farebox.pricing.conditions import compile_condition, text_of

glob_text = st.text(alphabet=st.sampled_from([*"ab*?[]!-^\\.\n", "é"]), max_size=8)
plain_text = st.text(max_size=8)
texts = st.one_of(glob_text, plain_text)
json_scalars = st.one_of(
    texts,
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    st.one_of(st.none(), json_scalars),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)


def facts(body: Any = None, query: dict[str, str] | None = None) -> RequestFacts:
    return RequestFacts("GET", "/", params={}, query=query or {}, headers={}, body=body)


@given(pattern=texts, value=texts)
def test_string_matching_is_fnmatchcase(pattern: str, value: str) -> None:
    holds = compile_condition("query.v", pattern)
    assert holds(facts(query={"v": value})) == fnmatchcase(value, pattern)


@given(expected=json_scalars, value=json_scalars)
def test_scalars_compare_by_their_text(expected: Any, value: Any) -> None:
    holds = compile_condition("body.v", expected)
    pattern, text = text_of(expected), text_of(value)
    assert pattern is not None and text is not None
    assert holds(facts(body={"v": value})) == fnmatchcase(text, pattern)


@given(pattern=texts, body=json_values, name=texts)
def test_a_missing_field_never_matches(pattern: str, body: Any, name: str) -> None:
    assume(name and "." not in name)
    if isinstance(body, dict):
        body.pop(name, None)
    holds = compile_condition(f"body.{name}", pattern)
    assert not holds(facts(body=body))
    assert not compile_condition(f"query.{name}", pattern)(facts(query={}))


@given(body=json_values)
def test_any_json_body_is_safe_to_price(body: Any) -> None:
    for field in ["body.a", "body.a.0", "body.0.a.b", "body.0"]:
        compile_condition(field, "*")(facts(body=body))  # never raises


# --- resolution against a reference ---------------------------------------------------------

prices = st.integers(min_value=0, max_value=10**9)
wheres = st.dictionaries(
    st.sampled_from(["query.a", "query.b", "query.c"]),
    st.sampled_from(["1", "2", "*", "[12]"]),
    min_size=1,
)
rules = st.lists(st.tuples(wheres, prices), max_size=5)
optional_price = st.one_of(st.none(), prices)
queries = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "2", "3"]))


def reference(
    rule_list: list[tuple[dict[str, str], int]],
    price: int | None,
    fallback: int | None,
    default: int | None,
    query: dict[str, str],
) -> Quote | None:
    for index, (where, amount) in enumerate(rule_list):
        if all(
            field[len("query.") :] in query and fnmatchcase(query[field[len("query.") :]], pattern)
            for field, pattern in where.items()
        ):
            return Quote(amount, "match", rule=index)
    for candidate, source in [(price, "price"), (fallback, "fallback"), (default, "default")]:
        if candidate is not None:
            return Quote(candidate, source)
    return None


@given(
    rule_list=rules,
    price=optional_price,
    fallback=optional_price,
    default=optional_price,
    query=queries,
)
def test_resolution_order_matches_the_reference(
    rule_list: list[tuple[dict[str, str], int]],
    price: int | None,
    fallback: int | None,
    default: int | None,
    query: dict[str, str],
) -> None:
    assume(rule_list or price is not None or fallback is not None or default is not None)
    route = Route.model_construct(
        upstream="api",
        price=price,
        fallback=fallback,
        match=[MatchRule.model_construct(where=w, price=p, pay_to=None) for w, p in rule_list],
    )
    pricer = build_pricer(route, Defaults.model_construct(price=default), key="GET /r")
    expected = reference(rule_list, price, fallback, default, query)
    if expected is None:
        try:
            pricer.quote(facts(query=query))
        except PricingError:
            return
        raise AssertionError("an unpriced request must be refused, never served")
    assert pricer.quote(facts(query=query)) == expected
