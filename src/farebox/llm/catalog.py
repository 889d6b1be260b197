"""Upstream LLM prices from the `genai-prices` package's bundled snapshot (no network, ever).

A model's prices become flat per-token rates, in Decimal dollars per million tokens:
  * Token-count tiers (e.g. Claude Sonnet 4.5 costs more above 200k input tokens): the flat
    fields hold the base (first-tier) rates; `tiers` and at_input_tokens() give the higher
    rates, and cost() applies the right one. Quote with at_input_tokens(input bound).
  * Rates by modality (audio or image tokens dearer than text): the highest one, since Usage
    does not split tokens by modality. Likewise the dearest cache-write TTL.
  * Time-of-day prices (DeepSeek's off-peak discount): the highest of the day, so a quote
    made off-peak still covers a peak-time request, and the cache does not depend on the hour.
  * Dated price changes: the prices in force today (UTC); the cache is keyed by the day.
  * Per-request fees, per-character, per-second or per-page prices: not expressible as
    token rates, so lookup() returns None (the caller's fallback applies). Fees for
    server-side tools (web search, code execution) are left out: bounds refuses requests
    that use them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import genai_prices
from genai_prices.data import providers as bundled_providers
from genai_prices.data_snapshot import DataSnapshot, find_provider_by_id
from genai_prices.types import (
    ModelInfo,
    ModelPrice,
    Provider,
    StartDateConstraint,
    TieredPrices,
    TimeOfDateConstraint,
)

from farebox.llm._usage_fields import Usage
from farebox.llm.shapes import OPENAI_SHAPES, ApiShape

MILLION = Decimal(1_000_000)
_LOOKUP_CACHE_SIZE = 4096
# Billed only when a server-side tool runs; bounds.input_token_bound refuses those requests.
_TOOL_CALL_PRICE_KEYS = frozenset(
    {
        "web_searches_kcount",
        "social_searches_kcount",
        "storage_searches_kcount",
        "code_executions_kcount",
    }
)


class CatalogError(LookupError):
    """A lookup the catalog cannot answer because its question is wrong (unknown provider)."""


@dataclass(frozen=True)
class PriceTier:
    """The rates that apply when a request's input tokens exceed above_input_tokens."""

    above_input_tokens: int
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Decimal | None
    cache_write_per_mtok: Decimal | None


@dataclass(frozen=True)
class CatalogPrice:
    """Flat upstream rates of one model, in dollars per million tokens.

    cached_input_per_mtok / cache_write_per_mtok are None when the catalog has no separate
    rate (cost() then uses input_per_mtok).
    """

    provider: str
    model: str  # the catalog's model ID, e.g. "claude-sonnet-4-5" for a dated snapshot ID
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Decimal | None
    cache_write_per_mtok: Decimal | None = None
    tiers: tuple[PriceTier, ...] = ()
    context_window: int | None = None

    def at_input_tokens(self, input_tokens: int) -> CatalogPrice:
        """The flat rates in force for a request of this many input tokens (cached included)."""
        applicable = [tier for tier in self.tiers if input_tokens > tier.above_input_tokens]
        if not applicable:
            return replace(self, tiers=())
        tier = applicable[-1]
        return replace(
            self,
            input_per_mtok=tier.input_per_mtok,
            output_per_mtok=tier.output_per_mtok,
            cached_input_per_mtok=tier.cached_input_per_mtok,
            cache_write_per_mtok=tier.cache_write_per_mtok,
            tiers=(),
        )

    def cost(self, usage: Usage) -> Decimal:
        """What the upstream charges for this usage, in dollars (exact)."""
        rates = self.at_input_tokens(usage.input_tokens)
        cached, written = usage.cached_input_tokens, usage.cache_write_tokens
        uncached = max(usage.input_tokens - cached - written, 0)
        cached_rate = _or(rates.cached_input_per_mtok, rates.input_per_mtok)
        write_rate = _or(rates.cache_write_per_mtok, rates.input_per_mtok)
        total = (
            uncached * rates.input_per_mtok
            + cached * cached_rate
            + written * write_rate
            + usage.output_tokens * rates.output_per_mtok
        )
        return total / MILLION


def _or(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value


class Catalog:
    """Lookups over the bundled genai-prices snapshot, cached (they sit on the request path)."""

    def __init__(self) -> None:
        # A snapshot of our own: genai-prices' global one may be replaced by UpdatePrices.
        self._snapshot = DataSnapshot(providers=bundled_providers, from_auto_update=False)
        self._providers = {provider.id: provider for provider in bundled_providers}
        self._cached_lookup = functools.lru_cache(maxsize=_LOOKUP_CACHE_SIZE)(self._lookup)
        self._cached_provider_for_url = functools.lru_cache(maxsize=256)(self._provider_for_url)

    @property
    def version(self) -> str:
        """The genai-prices release whose bundled prices are used."""
        return genai_prices.__version__

    @functools.cached_property
    def snapshot_date(self) -> str:
        """The newest price-change date in the data that is not in the future (ISO).

        genai-prices records no build date; this tells how recent its knowledge is.
        """
        return _newest_change(bundled_providers, _today()).isoformat()

    @property
    def provider_ids(self) -> list[str]:
        return sorted(self._providers)

    def lookup(
        self,
        model_id: str,
        *,
        provider: str | None = None,
        upstream_url: str | None = None,
        context: Mapping[str, str] | None = None,
    ) -> CatalogPrice | None:
        """The upstream price of model_id, or None when the catalog has no token price for it.

        The provider is `provider` (a genai-prices provider ID), else the one serving
        upstream_url, else inferred from the model ID. Matching is genai-prices' own: dated
        snapshots resolve to their model ("claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5").
        "vendor/model" IDs (LiteLLM, OpenRouter style) fall back to the vendor's price.
        context selects price variants, e.g. {"service_tier": "priority"} (see price_context).
        Raises CatalogError for an unknown provider ID.
        """
        context_key = frozenset(context.items()) if context else frozenset()
        return self._cached_lookup(model_id, provider, upstream_url, context_key, _today())

    def cache_info(self) -> Any:
        """Statistics of the lookup cache (functools' CacheInfo: hits, misses, ...)."""
        return self._cached_lookup.cache_info()

    def models_for(self, provider: str) -> list[str]:
        """Catalog model IDs of a provider, e.g. for an audit of configured prices."""
        return [model.id for model in self._provider(provider).models]

    def provider_for_url(self, url: str) -> str | None:
        """The provider serving an API base URL ("https://api.openai.com/v1" -> "openai")."""
        return self._cached_provider_for_url(url)

    def _provider_for_url(self, url: str) -> str | None:
        url = url.strip()
        parts = urlsplit(url if "://" in url else f"https://{url}")
        normalized = f"{parts.scheme.lower()}://{parts.hostname or ''}{parts.path}"
        for candidate in bundled_providers:
            if re.match(candidate.api_pattern, normalized):
                return candidate.id
        return None

    def _provider(self, provider_id: str) -> Provider:
        found = find_provider_by_id(bundled_providers, provider_id)
        if found is None:
            raise CatalogError(
                f"unknown provider {provider_id!r}; known providers: {', '.join(self.provider_ids)}"
            )
        return found

    def _lookup(
        self,
        model_id: str,
        provider: str | None,
        upstream_url: str | None,
        context: frozenset[tuple[str, str]],
        today: date,
    ) -> CatalogPrice | None:
        found = self._find(model_id, provider, upstream_url)
        if found is None:
            return None
        provider_info, model = found
        return _catalog_price(provider_info.id, model, today, dict(context))

    def _find(
        self, model_id: str, provider: str | None, upstream_url: str | None
    ) -> tuple[Provider, ModelInfo] | None:
        if provider is not None:
            return self._match(self._provider(provider), model_id)
        url_provider = self.provider_for_url(upstream_url) if upstream_url else None
        if url_provider is not None:
            return self._match(self._providers[url_provider], model_id)
        try:
            return self._snapshot.find_provider_model(model_id, None, None, None)
        except LookupError:
            pass
        vendor, _, vendor_model = model_id.partition("/")
        vendor_provider = find_provider_by_id(bundled_providers, vendor) if vendor_model else None
        return self._match(vendor_provider, vendor_model) if vendor_provider else None

    def _match(self, provider: Provider, model_id: str) -> tuple[Provider, ModelInfo] | None:
        model = provider.find_model(model_id, all_providers=bundled_providers)
        return (provider, model) if model is not None else None


def price_context(shape: ApiShape, body: Any) -> dict[str, str]:
    """Request fields that select a catalog price variant.

    OpenAI `service_tier` ("priority" costs more, "flex" less) and Anthropic `speed: "fast"`.
    OpenAI's "auto" lets the project default decide: the tier actually used is in the
    response's `service_tier`, the better source for settling.
    """
    if not isinstance(body, dict):
        return {}
    tier = body.get("service_tier")
    if shape in OPENAI_SHAPES and isinstance(tier, str) and tier != "auto":
        return {"service_tier": tier}
    if shape is ApiShape.ANTHROPIC_MESSAGES and body.get("speed") == "fast":
        return {"speed": "fast"}
    return {}


# --- from genai-prices' model prices to flat rates ----------------------------------------

_Rate = Decimal | TieredPrices
_GROUPS = ("input", "output", "cached", "write")


def _today() -> date:
    return datetime.now(UTC).date()


def _catalog_price(
    provider_id: str, model: ModelInfo, today: date, context: dict[str, str]
) -> CatalogPrice | None:
    groups: dict[str, list[_Rate]] = {group: [] for group in _GROUPS}
    for prices in _prices_in_force(model, today, context):
        for key, value in prices.items():
            group = _group_of(key)
            if group is None:
                return None  # priced in a unit that is not tokens
            if group != "ignored":
                groups[group].append(value)
    if not groups["input"] or not groups["output"]:
        return None
    starts = sorted(
        {
            tier.start
            for rates in groups.values()
            for rate in rates
            if isinstance(rate, TieredPrices)
            for tier in rate.tiers
        }
    )
    base = _rates_at(groups, 0)
    tiers = tuple(PriceTier(start, *_rates_at(groups, start + 1)) for start in starts)
    return CatalogPrice(
        provider_id, model.id, *base, tiers=tiers, context_window=model.context_window
    )


def _rates_at(
    groups: dict[str, list[_Rate]], input_tokens: int
) -> tuple[Decimal, Decimal, Decimal | None, Decimal | None]:
    def highest(group: str) -> Decimal | None:
        rates = [_rate_at(rate, input_tokens) for rate in groups[group]]
        return max(rates) if rates else None

    input_rate, output_rate = highest("input"), highest("output")
    assert input_rate is not None and output_rate is not None
    return input_rate, output_rate, highest("cached"), highest("write")


def _rate_at(rate: _Rate, input_tokens: int) -> Decimal:
    """genai-prices' threshold rule: a tier applies to all tokens once input exceeds its start."""
    if not isinstance(rate, TieredPrices):
        return rate
    for tier in reversed(rate.tiers):
        if input_tokens > tier.start:
            return tier.price
    return rate.base


def _group_of(price_key: str) -> str | None:
    if price_key in _TOOL_CALL_PRICE_KEYS:
        return "ignored"
    if not price_key.endswith("_mtok"):
        return None
    if price_key.startswith("input_"):
        return "input"
    if price_key.startswith("output_"):
        return "output"
    if price_key.startswith("cache_"):
        return "write" if "write" in price_key else "cached"
    return None


def _prices_in_force(
    model: ModelInfo, today: date, context: dict[str, str]
) -> list[dict[str, _Rate]]:
    """Every price set that can apply today: the dated one in force plus any time-of-day ones
    that override it during part of the day, each with the context's variants applied."""
    if isinstance(model.prices, ModelPrice):
        candidates = [model.prices]
    else:
        entries = model.prices
        in_force = max(
            (i for i, e in enumerate(entries) if _started(e.constraint, today)), default=0
        )
        candidates = [entries[in_force].prices] + [
            entry.prices
            for entry in entries[in_force + 1 :]
            if isinstance(entry.constraint, TimeOfDateConstraint)
        ]
    overrides = _variant_overrides(model, today, context)
    return [{**_set_prices(candidate), **overrides} for candidate in candidates]


def _started(constraint: object, today: date) -> bool:
    if constraint is None:
        return True
    return isinstance(constraint, StartDateConstraint) and constraint.start_date <= today


def _variant_overrides(model: ModelInfo, today: date, context: dict[str, str]) -> dict[str, _Rate]:
    """Like genai-prices: the first matching variant sets each key. Variants with a time-of-day
    constraint count as matching (none exist in the data)."""
    overrides: dict[str, _Rate] = {}
    if not context:
        return overrides
    for variant in model.price_variants or ():
        if isinstance(variant.constraint, StartDateConstraint) and not _started(
            variant.constraint, today
        ):
            continue
        if all(context.get(key) == value for key, value in variant.when.items()):
            for key, value in _set_prices(variant.prices).items():
                overrides.setdefault(key, value)
    return overrides


def _set_prices(prices: ModelPrice) -> dict[str, _Rate]:
    return {
        key: value
        for key, value in vars(prices).items()
        if not key.startswith("_") and isinstance(value, Decimal | TieredPrices)
    }


def _newest_change(providers: list[Provider], today: date) -> date:
    dates = [date(2000, 1, 1)]
    for provider in providers:
        for model in provider.models:
            entries = [] if isinstance(model.prices, ModelPrice) else model.prices
            constraints = [e.constraint for e in entries] + [
                v.constraint for v in model.price_variants or ()
            ]
            dates += [
                c.start_date
                for c in constraints
                if isinstance(c, StartDateConstraint) and c.start_date <= today
            ]
    return max(dates)
