"""Which price a model ID gets on a token-based route.

Resolution, first that applies wins:

1. `allowModels` (if set): a model matching none of its globs is refused;
2. an exact key in `models`;
3. glob keys in `models`, in the order written;
4. with `unknownModels: reject`, anything else is refused here;
5. the catalog (genai-prices), when the route prices from it (`markup` set, or a
   bare route with no `models`, `price` or `fallback`): upstream cost plus markup,
   per token. `ft:` IDs are never priced from the catalog: a fine-tune is only
   ever priced by an entry that names it;
6. the route's `fallback`, then its `price`, then `defaults.price` (flat);
7. otherwise the model is refused.

A `models` entry is a flat price per request, per-token rates, or
`{base, markup}`: the base model's price (from `models`, else the catalog) with
that markup. Results are cached per model ID.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from decimal import Decimal

from farebox.config.schema import InheritedPrice, PerTokenPrice, Route
from farebox.llm.catalog import Catalog, CatalogError, CatalogPrice
from farebox.pricing.globs import OrderedGlobs, is_glob
from farebox.pricing.quote import PricingError
from farebox.pricing.rates import TokenRates

DEFAULT_CATALOG_MARKUP = Decimal("0.20")
"""Markup over upstream cost on a bare token-based route (no models, no fallback)."""

FINE_TUNE_PREFIX = "ft:"
_CACHE_SIZE = 4096  # bounded: callers choose model IDs, so unbounded would be a memory leak
_MAX_INHERITANCE = 8


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """How one model is priced on a route."""

    model: str
    source: str  # "models" | "glob" | "catalog" | "fallback"
    matched: str | None = None  # the models key, glob or catalog ID that priced it
    flat: int | None = None  # atomic units per request
    rates: TokenRates | None = None  # per token; None for flat prices
    catalog: CatalogPrice | None = None  # catalog-priced: tiers depend on the input size
    markup: Decimal = Decimal(0)

    @property
    def metered(self) -> bool:
        return self.flat is None

    def rates_for(self, input_tokens: int) -> TokenRates:
        """Per-token rates in force for a request of this many input tokens."""
        if self.catalog is not None:
            return catalog_rates(self.catalog.at_input_tokens(input_tokens), self.markup)
        if self.rates is None:
            raise ValueError(f"{self.model} has a flat price, not per-token rates")
        return self.rates


def catalog_rates(price: CatalogPrice, markup: Decimal) -> TokenRates:
    # Dollars per million tokens equals atomic units (1e-6 dollars) per token.
    return TokenRates(
        input=price.input_per_mtok,
        output=price.output_per_mtok,
        cached_input=price.cached_input_per_mtok,
        cache_write=price.cache_write_per_mtok,
    ).scaled(1 + markup)


class ModelRejected(PricingError):
    def __init__(self, model: str, why: str = "") -> None:
        super().__init__(f"model '{model}' is not offered on this route{why}")
        self.model = model
        self.why = why


class ModelPriceTable:
    """A token-based route's `models` map, compiled for fast repeated lookups."""

    def __init__(
        self,
        route: Route,
        *,
        flat_fallback: int | None,
        catalog: Catalog | None,
        upstream_url: str | None,
    ) -> None:
        self._route = route
        self._exact = {k: v for k, v in route.models.items() if not is_glob(k)}
        self._glob_keys = [k for k in route.models if is_glob(k)]
        self._globs = OrderedGlobs(self._glob_keys)
        self._allow = OrderedGlobs(route.allow_models) if route.allow_models is not None else None
        self._reject_unknown = route.unknown_models == "reject"
        self._catalog = catalog
        self._provider = route.provider
        self._upstream_url = upstream_url
        self._flat_fallback = flat_fallback
        self._markup = route.markup
        # Bare means the route's own fields: defaults.price stays the last resort,
        # after the catalog.
        bare = not route.models and route.static_price is None and route.fallback is None
        if self._markup is None and bare:
            self._markup = DEFAULT_CATALOG_MARKUP
        # A refusal is cached as its reason: a fresh exception per request keeps tracebacks short.
        self._cache: OrderedDict[str, ModelPrice | str] = OrderedDict()
        self._check_provider()
        self._check_inheritance()

    @property
    def prices_from_catalog(self) -> bool:
        return self._markup is not None and not self._reject_unknown

    def resolve(self, model: str) -> ModelPrice:
        cached = self._cache.get(model)
        if cached is None:
            try:
                cached = self._resolve(model)
            except ModelRejected as exc:
                cached = exc.why
            self._remember(model, cached)
        if isinstance(cached, str):
            raise ModelRejected(model, cached)
        return cached

    def _remember(self, model: str, result: ModelPrice | str) -> None:
        self._cache[model] = result
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    def _resolve(self, model: str) -> ModelPrice:
        if self._allow is not None and self._allow.first_match(model) is None:
            raise ModelRejected(model, " (it is not in allowModels)")
        if model in self._exact:
            return self._entry_price(model, model, "models", self._route.models[model])
        index = self._globs.first_match(model)
        if index is not None:
            key = self._glob_keys[index]
            return self._entry_price(model, key, "glob", self._route.models[key])
        if self._reject_unknown:
            raise ModelRejected(model)
        from_catalog = self._from_catalog(model)
        if from_catalog is not None:
            return from_catalog
        if self._flat_fallback is not None:
            return ModelPrice(model, "fallback", flat=self._flat_fallback)
        raise ModelRejected(model, " (no price is configured for it and there is no fallback)")

    def _entry_price(
        self, model: str, key: str, source: str, entry: int | PerTokenPrice | InheritedPrice
    ) -> ModelPrice:
        if isinstance(entry, int):
            return ModelPrice(model, source, key, flat=entry)
        if isinstance(entry, PerTokenPrice):
            rates = TokenRates(entry.input, entry.output, entry.cached_input, entry.cache_write)
            return ModelPrice(model, source, key, rates=rates)
        base = self._base_price(entry.base, depth=1)
        return self._marked_up(replace(base, model=model, source=source, matched=key), entry.markup)

    def _base_price(self, base: str, depth: int) -> ModelPrice:
        if depth > _MAX_INHERITANCE:
            raise ValueError(f"models: inheritance through '{base}' is too deep or circular")
        entry = self._exact.get(base)
        if entry is not None:
            if isinstance(entry, InheritedPrice):
                inner = self._base_price(entry.base, depth + 1)
                return self._marked_up(inner, entry.markup)
            return self._entry_price(base, base, "models", entry)
        catalog_price = self._lookup(base)
        if catalog_price is None:
            raise ValueError(
                f"models: base model '{base}' is neither a models key nor in the price catalog"
            )
        return ModelPrice(base, "catalog", catalog_price.model, catalog=catalog_price)

    @staticmethod
    def _marked_up(price: ModelPrice, markup: Decimal) -> ModelPrice:
        if price.flat is not None:
            return replace(price, flat=math.ceil(price.flat * (1 + markup)))
        if price.catalog is not None:
            return replace(price, markup=(1 + price.markup) * (1 + markup) - 1)
        assert price.rates is not None
        return replace(price, rates=price.rates.scaled(1 + markup))

    def _from_catalog(self, model: str) -> ModelPrice | None:
        if self._markup is None or model.startswith(FINE_TUNE_PREFIX):
            return None
        found = self._lookup(model)
        if found is None:
            return None
        return ModelPrice(model, "catalog", found.model, catalog=found, markup=self._markup)

    def upstream_price(self, model: str) -> CatalogPrice | None:
        """What the upstream charges for `model` (for ledger costs, not for pricing)."""
        return self._lookup(model)

    def _lookup(self, model: str) -> CatalogPrice | None:
        if self._catalog is None:
            return None
        return self._catalog.lookup(model, provider=self._provider, upstream_url=self._upstream_url)

    def _check_provider(self) -> None:
        """A misspelt provider is a config error, not a lookup failure on every request."""
        if self._provider is None or self._catalog is None:
            return
        try:
            self._catalog.models_for(self._provider)
        except CatalogError as exc:
            raise ValueError(f"provider: {exc}") from None

    def _check_inheritance(self) -> None:
        """Resolve every {base: ...} entry once at startup, so a bad base is a config error."""
        for entry in self._route.models.values():
            if isinstance(entry, InheritedPrice):
                self._base_price(entry.base, depth=1)
