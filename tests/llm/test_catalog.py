"""Catalog lookups over the bundled genai-prices snapshot."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from farebox.llm import (
    ApiShape,
    Catalog,
    CatalogError,
    CatalogPrice,
    PriceTier,
    Usage,
    price_context,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def test_gpt_4o(catalog: Catalog) -> None:
    price = catalog.lookup("gpt-4o")
    assert price is not None
    assert (price.provider, price.model) == ("openai", "gpt-4o")
    assert price.input_per_mtok == Decimal("2.5")
    assert price.output_per_mtok == Decimal("10")
    assert price.cached_input_per_mtok == Decimal("1.25")
    assert all(isinstance(v, Decimal) for v in (price.input_per_mtok, price.output_per_mtok))


def test_gpt_4o_mini(catalog: Catalog) -> None:
    price = catalog.lookup("gpt-4o-mini")
    assert price is not None
    assert (price.model, price.input_per_mtok, price.output_per_mtok) == (
        "gpt-4o-mini",
        Decimal("0.15"),
        Decimal("0.6"),
    )


def test_claude_sonnet_4_5_and_its_dated_snapshot(catalog: Catalog) -> None:
    base = catalog.lookup("claude-sonnet-4-5")
    dated = catalog.lookup("claude-sonnet-4-5-20250929")
    assert base is not None and dated is not None
    assert dated == base
    assert (base.provider, base.model) == ("anthropic", "claude-sonnet-4-5")
    assert (base.input_per_mtok, base.output_per_mtok) == (Decimal("3"), Decimal("15"))
    assert base.cached_input_per_mtok == Decimal("0.3")


def test_long_context_tier_is_kept_and_applied(catalog: Catalog) -> None:
    price = catalog.lookup("claude-sonnet-4-5")
    assert price is not None
    assert price.tiers == (
        PriceTier(200_000, Decimal("6"), Decimal("22.5"), Decimal("0.6"), Decimal("12")),
    )
    assert price.at_input_tokens(200_000).input_per_mtok == Decimal("3")
    above = price.at_input_tokens(200_001)
    assert (above.input_per_mtok, above.output_per_mtok, above.tiers) == (
        Decimal("6"),
        Decimal("22.5"),
        (),
    )


def test_unknown_model_is_none(catalog: Catalog) -> None:
    assert catalog.lookup("my-private-finetune-v3") is None
    assert catalog.lookup("gpt-4o", upstream_url="http://localhost:8000/v1") is not None  # inferred
    assert catalog.lookup("no-such-model", provider="openai") is None


def test_provider_from_url(catalog: Catalog) -> None:
    assert catalog.provider_for_url("https://api.openai.com/v1") == "openai"
    assert catalog.provider_for_url("https://api.anthropic.com") == "anthropic"
    assert catalog.provider_for_url("api.anthropic.com/v1") == "anthropic"
    assert catalog.provider_for_url("https://generativelanguage.googleapis.com/v1beta") == "google"
    assert catalog.provider_for_url("https://openrouter.ai/api/v1") == "openrouter"
    assert catalog.provider_for_url("HTTPS://API.OPENAI.COM:443/v1") == "openai"
    assert catalog.provider_for_url("http://localhost:11434/v1") is None


def test_upstream_url_selects_the_provider(catalog: Catalog) -> None:
    via_openai = catalog.lookup("gpt-4o", upstream_url="https://api.openai.com/v1")
    assert via_openai is not None and via_openai.provider == "openai"
    via_router = catalog.lookup("openai/gpt-4o", upstream_url="https://openrouter.ai/api/v1")
    assert via_router is not None and via_router.provider == "openrouter"
    # a provider that does not list the model: unknown, not another provider's price
    assert catalog.lookup("claude-sonnet-4-5", upstream_url="https://api.openai.com/v1") is None


def test_vendor_prefixed_ids_fall_back_to_the_vendor(catalog: Catalog) -> None:
    price = catalog.lookup("anthropic/claude-sonnet-4.5")
    assert price is not None and (price.provider, price.model) == ("anthropic", "claude-sonnet-4-5")


def test_explicit_provider(catalog: Catalog) -> None:
    price = catalog.lookup("gpt-4o", provider="openai")
    assert price is not None and price.provider == "openai"
    with pytest.raises(
        CatalogError, match=r"unknown provider 'nope'; known providers: .*anthropic"
    ):
        catalog.lookup("gpt-4o", provider="nope")


def test_second_lookup_hits_the_cache() -> None:
    catalog = Catalog()
    first = catalog.lookup("gpt-4o-mini")
    before = catalog.cache_info()
    second = catalog.lookup("gpt-4o-mini")
    after = catalog.cache_info()
    assert second is first
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_misses_are_cached_too() -> None:
    catalog = Catalog()
    catalog.lookup("unknown-model-x")
    catalog.lookup("unknown-model-x")
    assert catalog.cache_info().hits == 1


def test_service_tier_variant(catalog: Catalog) -> None:
    standard = catalog.lookup("gpt-4o")
    priority = catalog.lookup("gpt-4o", context={"service_tier": "priority"})
    assert standard is not None and priority is not None
    assert priority.input_per_mtok > standard.input_per_mtok


def test_time_of_day_prices_take_the_highest_rate(catalog: Catalog) -> None:
    """DeepSeek's off-peak discount: a quote must cover a peak-hour request."""
    price = catalog.lookup("deepseek-chat")
    assert price is not None
    assert (price.input_per_mtok, price.output_per_mtok) == (Decimal("0.27"), Decimal("1.1"))


def test_non_token_prices_are_not_flat_rates(catalog: Catalog) -> None:
    assert catalog.lookup("whisper-1") is None  # per audio hour
    assert catalog.lookup("sonar", provider="perplexity") is None  # per-request fee


def test_models_for_provider(catalog: Catalog) -> None:
    models = catalog.models_for("anthropic")
    assert "claude-sonnet-4-5" in models
    assert all(isinstance(model, str) for model in models)
    with pytest.raises(CatalogError):
        catalog.models_for("no-such-provider")


def test_freshness(catalog: Catalog) -> None:
    assert catalog.version.count(".") >= 2
    newest = datetime.date.fromisoformat(catalog.snapshot_date)
    assert datetime.date(2024, 1, 1) < newest <= datetime.datetime.now(datetime.UTC).date()


def test_cost_uses_cached_and_cache_write_rates_exactly() -> None:
    price = CatalogPrice(
        provider="p",
        model="m",
        input_per_mtok=Decimal("3"),
        output_per_mtok=Decimal("15"),
        cached_input_per_mtok=Decimal("0.3"),
        cache_write_per_mtok=Decimal("3.75"),
    )
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=2_000,
        cached_input_tokens=400_000,
        cache_write_tokens=100_000,
    )
    expected = (
        Decimal(500_000) * 3
        + Decimal(400_000) * Decimal("0.3")
        + Decimal(100_000) * Decimal("3.75")
        + Decimal(2_000) * 15
    ) / 1_000_000
    assert price.cost(usage) == expected == Decimal("2.025")


def test_cost_applies_the_tier_of_the_input_size(catalog: Catalog) -> None:
    price = catalog.lookup("claude-sonnet-4-5")
    assert price is not None
    assert price.cost(Usage(100_000, 0)) == Decimal("0.3")
    assert price.cost(Usage(300_000, 0)) == Decimal("1.8")


def test_cost_without_cache_rates_charges_input_rate() -> None:
    price = CatalogPrice("p", "m", Decimal("2"), Decimal("8"), None)
    assert price.cost(Usage(1000, 0, cached_input_tokens=1000)) == Decimal("0.002")


@pytest.mark.parametrize(
    ("shape", "body", "context"),
    [
        (ApiShape.OPENAI_CHAT, {"service_tier": "priority"}, {"service_tier": "priority"}),
        (ApiShape.OPENAI_RESPONSES, {"service_tier": "flex"}, {"service_tier": "flex"}),
        (ApiShape.OPENAI_CHAT, {"service_tier": "auto"}, {}),
        (ApiShape.ANTHROPIC_MESSAGES, {"speed": "fast"}, {"speed": "fast"}),
        (ApiShape.ANTHROPIC_MESSAGES, {"service_tier": "priority"}, {}),
        (ApiShape.GEMINI, {}, {}),
        (ApiShape.OPENAI_CHAT, None, {}),
    ],
)
def test_price_context_from_the_request(
    shape: ApiShape, body: object, context: dict[str, str]
) -> None:
    assert price_context(shape, body) == context
