"""ModelPriceTable: the resolution order, step by step, and against a reference.

1. allowModels  2. exact key  3. globs in order  4. unknownModels: reject  5. the catalog
(with markup, or on a bare route)  6. fallback / price / defaults.price  7. refused.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.config.schema import Route
from farebox.llm.catalog import Catalog, CatalogPrice
from farebox.pricing.models import ModelPrice, ModelPriceTable, ModelRejected
from farebox.pricing.rates import TokenRates

CENT = 10_000


class StubCatalog:
    """A catalog that knows exactly the prices it is given (any provider, any URL)."""

    def __init__(self, prices: dict[str, CatalogPrice]) -> None:
        self.prices = prices
        self.asked: list[str] = []

    def lookup(
        self, model_id: str, *, provider: str | None = None, upstream_url: str | None = None
    ) -> CatalogPrice | None:
        self.asked.append(model_id)
        return self.prices.get(model_id)


def catalog_price(model: str, input_rate: str, output_rate: str, **extra: Any) -> CatalogPrice:
    return CatalogPrice("stub", model, Decimal(input_rate), Decimal(output_rate), None, **extra)


CATALOG = {
    "gpt-4.1": catalog_price("gpt-4.1", "2", "8"),
    "gpt-4.1-mini": catalog_price("gpt-4.1-mini", "0.4", "1.6"),
    "ft:gpt-4.1:acme:x": catalog_price("ft:gpt-4.1:acme:x", "3", "12"),  # never used for ft:
}


def table(spec: dict[str, Any], default: int | None = None, catalog: Any = None) -> ModelPriceTable:
    """A table built the way TokenPricer builds it (flat fallback: fallback, price, default)."""
    route = Route.model_validate({"upstream": "api", "type": "token-based", **spec})
    flat = next((p for p in (route.fallback, route.price, default) if p is not None), None)
    return ModelPriceTable(
        route,
        flat_fallback=flat,
        catalog=StubCatalog(CATALOG) if catalog is None else catalog,
        upstream_url="http://127.0.0.1:1",
    )


def refusal(t: ModelPriceTable, model: str) -> str:
    with pytest.raises(ModelRejected) as info:
        t.resolve(model)
    assert info.value.model == model
    return str(info.value)


def rates_of(price: ModelPrice, input_tokens: int = 0) -> tuple[Decimal, Decimal]:
    rates = price.rates_for(input_tokens)
    return rates.input, rates.output


# --- step by step ----------------------------------------------------------------------


def test_an_exact_key_beats_a_glob_written_before_it() -> None:
    t = table({"models": {"gpt-*": "$0.01", "gpt-4o": "$0.05"}})
    assert t.resolve("gpt-4o") == ModelPrice("gpt-4o", "models", "gpt-4o", flat=5 * CENT)
    assert t.resolve("gpt-4.1") == ModelPrice("gpt-4.1", "glob", "gpt-*", flat=CENT)


def test_globs_match_in_the_order_written() -> None:
    t = table({"models": {"gpt-4*": "$0.04", "gpt-4o*": "$0.01", "*": "$0.09"}})
    assert t.resolve("gpt-4o-mini").matched == "gpt-4*"
    assert t.resolve("claude").matched == "*"
    reordered = table({"models": {"gpt-4o*": "$0.01", "gpt-4*": "$0.04"}})
    assert reordered.resolve("gpt-4o-mini").flat == CENT


def test_allow_models_refuses_before_anything_else() -> None:
    t = table(
        {
            "allowModels": ["gpt-4o*"],
            "models": {"gpt-4o": "$0.05", "gpt-4.1": "$0.04", "*": "$0.03"},
            "fallback": "$0.02",
        }
    )
    assert t.resolve("gpt-4o").flat == 5 * CENT
    assert t.resolve("gpt-4o-mini").flat == 3 * CENT
    message = refusal(t, "gpt-4.1")
    assert message == "model 'gpt-4.1' is not offered on this route (it is not in allowModels)"


def test_reject_refuses_what_models_does_not_name_with_the_documented_message() -> None:
    t = table(
        {
            "unknownModels": "reject",
            "markup": "20%",
            "models": {"gpt-4o": "$0.05", "ft:gpt-4o:acme:*": "$0.08"},
            "fallback": "$0.02",
        }
    )
    assert t.resolve("gpt-4o").flat == 5 * CENT
    assert t.resolve("ft:gpt-4o:acme:v2").flat == 8 * CENT
    assert refusal(t, "gpt-4.1") == "model 'gpt-4.1' is not offered on this route"  # in catalog
    assert refusal(t, "gpt-4o-mini") == "model 'gpt-4o-mini' is not offered on this route"
    assert not t.prices_from_catalog


def test_the_catalog_prices_unknown_models_on_a_markup_route() -> None:
    t = table({"markup": "30%", "models": {"gpt-4o": "$0.05"}, "fallback": "$0.02"})
    price = t.resolve("gpt-4.1")
    assert (price.source, price.matched, price.metered) == ("catalog", "gpt-4.1", True)
    assert rates_of(price) == (Decimal("2.6"), Decimal("10.4"))
    assert t.resolve("gpt-4o").flat == 5 * CENT  # models still come first
    assert t.resolve("unknown-model") == ModelPrice("unknown-model", "fallback", flat=2 * CENT)
    assert t.prices_from_catalog


def test_a_glob_beats_the_catalog() -> None:
    t = table({"markup": "30%", "models": {"gpt-4.*": "$0.04"}})
    assert t.resolve("gpt-4.1").source == "glob"


def test_without_markup_a_route_with_models_never_asks_the_catalog() -> None:
    stub = StubCatalog(CATALOG)
    t = table({"models": {"gpt-4o": "$0.05"}, "fallback": "$0.02"}, catalog=stub)
    assert t.resolve("gpt-4.1").source == "fallback"
    assert stub.asked == []


@pytest.mark.parametrize("default", [None, 7 * CENT])
def test_a_bare_route_prices_from_the_catalog_with_20_percent(default: int | None) -> None:
    t = table({}, default=default)
    assert rates_of(t.resolve("gpt-4.1")) == (Decimal("2.4"), Decimal("9.6"))
    if default is None:
        assert "no price is configured" in refusal(t, "not-in-catalog")
    else:  # defaults.price is the last resort, after the catalog
        assert t.resolve("not-in-catalog").flat == default


@pytest.mark.parametrize(
    ("spec", "flat"),
    [
        ({"price": "$0.06"}, 6 * CENT),
        ({"fallback": "$0.02"}, 2 * CENT),
        ({"price": "$0.06", "fallback": "$0.02"}, 2 * CENT),  # fallback before price
    ],
)
def test_a_route_with_a_price_or_fallback_is_not_bare(spec: dict[str, Any], flat: int) -> None:
    t = table(spec, default=9 * CENT)
    assert t.resolve("gpt-4.1") == ModelPrice("gpt-4.1", "fallback", flat=flat)


def test_no_price_at_all_is_a_refusal() -> None:
    t = table({"models": {"gpt-4o": "$0.05"}})
    message = refusal(t, "gpt-4.1")
    assert message == (
        "model 'gpt-4.1' is not offered on this route "
        "(no price is configured for it and there is no fallback)"
    )


@pytest.mark.parametrize("spec", [{"markup": "20%"}, {}, {"markup": "20%", "fallback": "$0.03"}])
def test_a_fine_tune_is_never_priced_from_the_catalog(spec: dict[str, Any]) -> None:
    # the stub catalog knows "ft:gpt-4.1:acme:x" and "gpt-4.1": neither prices the fine-tune
    t = table(spec)
    for model in ("ft:gpt-4.1:acme:x", "ft:gpt-4.1"):
        if "fallback" in spec:
            assert t.resolve(model) == ModelPrice(model, "fallback", flat=3 * CENT)
        else:
            refusal(t, model)


# --- base: inheritance --------------------------------------------------------------------


def test_base_from_a_flat_models_entry_rounds_up() -> None:
    t = table({"models": {"tiny": "$0.000003", "ft:tiny:*": {"base": "tiny", "markup": "50%"}}})
    price = t.resolve("ft:tiny:v1")
    assert (price.source, price.matched, price.flat) == ("glob", "ft:tiny:*", 5)  # 4.5 -> 5


def test_base_from_per_token_models_entry_scales_every_rate() -> None:
    spec = {
        "models": {
            "house": {"input": "$1.00/1M", "output": "$4.00/1M", "cachedInput": "$0.10/1M"},
            "ft:house:v1": {"base": "house", "markup": "10%"},
        }
    }
    price = table(spec).resolve("ft:house:v1")
    assert price.rates == TokenRates(Decimal("1.1"), Decimal("4.4"), Decimal("0.11"))
    assert (price.model, price.source, price.matched) == ("ft:house:v1", "models", "ft:house:v1")


def test_base_from_the_catalog_takes_its_own_markup_not_the_routes() -> None:
    spec = {
        "markup": "20%",
        "models": {"ft:gpt-4.1-mini:acme:*": {"base": "gpt-4.1-mini", "markup": "50%"}},
        "fallback": "$0.03",
    }
    t = table(spec)
    price = t.resolve("ft:gpt-4.1-mini:acme:bot")
    assert price.catalog is not None and price.catalog.model == "gpt-4.1-mini"
    assert rates_of(price) == (Decimal("0.6"), Decimal("2.4"))
    # another org's fine-tune of the same base is not guessed from it
    assert t.resolve("ft:gpt-4.1-mini:other:bot").source == "fallback"
    # while the base itself is priced from the catalog with the route's markup
    assert rates_of(t.resolve("gpt-4.1-mini")) == (Decimal("0.48"), Decimal("1.92"))


def test_base_from_the_catalog_works_without_route_markup_or_with_reject() -> None:
    spec = {
        "unknownModels": "reject",
        "models": {"ft:gpt-4.1:acme:*": {"base": "gpt-4.1"}},
    }
    t = table(spec)
    assert rates_of(t.resolve("ft:gpt-4.1:acme:1")) == (Decimal(2), Decimal(8))
    refusal(t, "gpt-4.1")  # the base itself is not offered


def test_inheritance_chains_compound_markups() -> None:
    spec = {
        "models": {
            "a": {"input": "$1.00/1M", "output": "$2.00/1M"},
            "b": {"base": "a", "markup": "50%"},
            "c": {"base": "b", "markup": "100%"},
            "d*": {"base": "c", "markup": "10%"},
        }
    }
    t = table(spec)
    assert rates_of(t.resolve("c")) == (Decimal(3), Decimal(6))
    assert rates_of(t.resolve("d-1")) == (Decimal("3.3"), Decimal("6.6"))


@pytest.mark.parametrize(
    ("models", "error"),
    [
        ({"x": {"base": "nope"}}, "base model 'nope' is neither a models key nor in the price"),
        ({"x": {"base": "y"}, "y": {"base": "x"}}, "too deep or circular"),
        ({"x": {"base": "x"}}, "too deep or circular"),
        ({"x*": {"base": "y*"}, "y*": "$0.01"}, "base model 'y*' is neither"),
    ],
)
def test_a_bad_base_is_a_config_error(models: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)) as info:
        table({"models": models})
    assert not isinstance(info.value, ModelRejected)


# --- the real catalog ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_catalog() -> Catalog:
    return Catalog()


def test_a_dated_snapshot_resolves_to_its_catalog_model(real_catalog: Catalog) -> None:
    t = table({"markup": "20%", "fallback": "$0.02"}, catalog=real_catalog)
    price = t.resolve("claude-sonnet-4-5-20250929")
    assert (price.source, price.matched) == ("catalog", "claude-sonnet-4-5")
    assert rates_of(price, 1_000) == (Decimal("3.6"), Decimal("18"))
    # above 200k input tokens the catalog's higher tier applies
    assert rates_of(price, 200_001) == (Decimal("7.2"), Decimal("27"))
    assert t.resolve("gpt-4o-2024-08-06").matched == "gpt-4o"
    assert t.resolve("ft:gpt-4o-2024-08-06:acme::x").source == "fallback"


def test_a_models_entry_beats_the_catalog_for_a_dated_id(real_catalog: Catalog) -> None:
    t = table({"markup": "20%", "models": {"claude-sonnet-4-5-*": "$0.09"}}, catalog=real_catalog)
    assert t.resolve("claude-sonnet-4-5-20250929").flat == 9 * CENT


# --- caching ------------------------------------------------------------------------------


def test_results_and_refusals_are_cached() -> None:
    stub = StubCatalog(CATALOG)
    t = table({"markup": "20%"}, catalog=stub)
    assert t.resolve("gpt-4.1") is t.resolve("gpt-4.1")
    first, second = refusal(t, "unknown"), refusal(t, "unknown")
    assert first == second
    assert stub.asked == ["gpt-4.1", "unknown"]


def test_the_cache_is_bounded() -> None:
    t = table({"fallback": "$0.01"})
    for i in range(5_000):
        t.resolve(f"model-{i}")
    assert len(t._cache) <= 4_096
    assert t.resolve("model-0").flat == CENT


# --- against a reference ------------------------------------------------------------------

ALPHABET = st.sampled_from([*"ab-:", "*", "?"])
names = st.text(ALPHABET, min_size=1, max_size=4)
fine_tunes = st.builds(lambda s: "ft:" + s, names)
keys = st.lists(st.one_of(names, fine_tunes), max_size=6, unique=True)
STUB_KNOWS = ["a", "ab", "b-a", "ft:a"]


def reference(
    models: list[str],
    allow: list[str] | None,
    reject: bool,
    markup: bool,
    fallback: bool,
    model: str,
) -> tuple[str, int | None]:
    """(source, flat price) or ("refused", None), read straight off the documented order.

    The i-th models key costs $(i+1); the fallback costs $0.50; the catalog prices
    STUB_KNOWS per token.
    """
    if allow is not None and not any(fnmatchcase(model, glob) for glob in allow):
        return "refused", None
    exact = [k for k in models if not any(c in k for c in "*?[")]
    if model in exact:
        return "models", (models.index(model) + 1) * 1_000_000
    for index, key in enumerate(models):
        if key not in exact and fnmatchcase(model, key):
            return "glob", (index + 1) * 1_000_000
    if reject:
        return "refused", None
    bare = not models and not fallback
    if (markup or bare) and not model.startswith("ft:") and model in STUB_KNOWS:
        return "catalog", None
    if fallback:
        return "fallback", 500_000
    return "refused", None


@given(
    models=keys,
    allow=st.one_of(st.none(), st.lists(st.one_of(names, fine_tunes), max_size=3)),
    reject=st.booleans(),
    markup=st.booleans(),
    fallback=st.booleans(),
    model=st.one_of(names, fine_tunes, st.sampled_from(STUB_KNOWS)),
)
def test_resolution_matches_the_reference(
    models: list[str],
    allow: list[str] | None,
    reject: bool,
    markup: bool,
    fallback: bool,
    model: str,
) -> None:
    spec: dict[str, Any] = {"models": {k: f"${i + 1}" for i, k in enumerate(models)}}
    if allow is not None:
        spec["allowModels"] = allow
    if reject:
        spec["unknownModels"] = "reject"
    if markup:
        spec["markup"] = "10%"
    if fallback:
        spec["fallback"] = "$0.50"
    stub = StubCatalog({name: catalog_price(name, "1", "2") for name in STUB_KNOWS})
    t = table(spec, catalog=stub)
    source, flat = reference(models, allow, reject, markup, fallback, model)
    if source == "refused":
        refusal(t, model)
        return
    price = t.resolve(model)
    assert (price.source, price.flat) == (source, flat)
    if source == "catalog":
        expected_markup = Decimal("0.1") if markup else Decimal("0.2")
        assert price.rates_for(0) == TokenRates(1 + expected_markup, 2 * (1 + expected_markup))


def test_an_inherited_entry_outside_allow_models_is_refused_not_a_startup_crash() -> None:
    t = table({"allowModels": ["gpt-*"], "models": {"ft:x": {"base": "gpt-4.1"}}})
    assert refusal(t, "ft:x").endswith("(it is not in allowModels)")
    assert "no price is configured" in refusal(t, "gpt-4.1")


def test_an_unknown_provider_is_a_config_error_not_a_500_per_request() -> None:
    with pytest.raises(ValueError, match="provider: unknown provider 'opnai'") as info:
        table({"markup": "20%", "provider": "opnai"}, catalog=Catalog())
    assert not isinstance(info.value, ModelRejected)
    assert (
        table({"markup": "20%", "provider": "openai"}, catalog=Catalog()).resolve("gpt-4.1").matched
        == "gpt-4.1"
    )
