"""Does every configured LLM price still cover its upstream cost?

For each token-based route: each model it prices (exact keys, catalog models a
glob key or an inherited entry covers, catalog/markup pricing) is compared
with the catalog's cost for a reference request; the fallback is checked
against the dearest model the upstream serves; and catalog models that would
silently fall to the fallback are listed. Costs never come from anywhere but
the catalog: a model it does not know is reported as such, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from farebox.config.schema import Config, InheritedPrice, Route
from farebox.llm.catalog import Catalog, CatalogPrice
from farebox.llm.usage import Usage
from farebox.pricing.globs import OrderedGlobs, is_glob
from farebox.pricing.models import FINE_TUNE_PREFIX, ModelPrice, ModelPriceTable, ModelRejected
from farebox.pricing.money import ATOMIC_PER_DOLLAR
from farebox.pricing.rates import format_rate

OK, BELOW, LOSS, UNKNOWN = "ok", "below-target", "loss", "not-in-catalog"
FAILING = frozenset({BELOW, LOSS})


@dataclass(frozen=True, slots=True)
class Shape:
    """A reference request: this many input and output tokens."""

    input_tokens: int
    output_tokens: int
    observed_requests: int = 0  # > 0 when taken from the ledger's real averages

    def usage(self) -> Usage:
        return Usage(self.input_tokens, self.output_tokens)


@dataclass(frozen=True, slots=True)
class ModelRow:
    route: str
    model: str
    matched: str | None  # models key or glob that priced it; None for the catalog/fallback
    source: str  # models | glob | catalog | fallback
    basis: str  # "flat" or "per-token"
    shape: Shape
    cost: Decimal | None  # USD for the reference request; None when the catalog does not know it
    price: Decimal  # USD charged for the reference request
    margin: Decimal | None  # (price - cost) / price
    status: str
    rates: dict[str, str] = field(default_factory=dict)  # per-token: ours vs the catalog's


@dataclass(frozen=True, slots=True)
class FallbackCheck:
    route: str
    fallback: Decimal | None  # USD per request
    dearest_model: str | None
    dearest_cost: Decimal | None
    undercharged: list[str]  # models a caller could use to pay less than their cost
    status: str


@dataclass(frozen=True, slots=True)
class UnpricedModel:
    """A catalog model that has no entry and would be charged the fallback."""

    route: str
    model: str
    cost: Decimal
    charged: Decimal | None
    status: str


@dataclass
class RouteAudit:
    route: str
    provider: str | None
    rows: list[ModelRow] = field(default_factory=list)
    fallback: FallbackCheck | None = None
    unpriced: list[UnpricedModel] = field(default_factory=list)

    def statuses(self) -> list[str]:
        fallback = [self.fallback.status] if self.fallback is not None else []
        return [r.status for r in self.rows] + [u.status for u in self.unpriced] + fallback


@dataclass
class AuditReport:
    catalog_version: str
    catalog_date: str
    target_margin: Decimal
    routes: list[RouteAudit]

    @property
    def failing(self) -> bool:
        return any(status in FAILING for route in self.routes for status in route.statuses())


def margin_of(price: Decimal, cost: Decimal) -> Decimal:
    if price == 0:
        return Decimal(-1) if cost > 0 else Decimal(0)
    return (price - cost) / price


def status_of(price: Decimal, cost: Decimal | None, target: Decimal) -> str:
    if cost is None:
        return UNKNOWN
    if cost == 0:
        return OK  # a free upstream model cannot lose money
    if price < cost:
        return LOSS
    return BELOW if margin_of(price, cost) < target else OK


def audit_config(
    config: Config,
    catalog: Catalog,
    *,
    target_margin: Decimal,
    shape: Shape,
    observed: Mapping[str, Shape] | None = None,
) -> AuditReport:
    routes = [
        RouteAuditor(config, key, route, catalog, target_margin, shape, observed or {}).run()
        for key, route in config.routes.items()
        if route.token_based
    ]
    return AuditReport(catalog.version, catalog.snapshot_date, target_margin, routes)


class RouteAuditor:
    def __init__(
        self,
        config: Config,
        key: str,
        route: Route,
        catalog: Catalog,
        target: Decimal,
        shape: Shape,
        observed: Mapping[str, Shape],
    ) -> None:
        self.key, self.route, self.catalog, self.target = key, route, catalog, target
        self.default_shape, self.observed = shape, observed
        self.upstream_url = config.upstreams[route.upstream].url
        self.provider = route.provider or catalog.provider_for_url(self.upstream_url)
        self.fallback = next(
            (
                p
                for p in (route.fallback, route.static_price, config.defaults.price)
                if p is not None
            ),
            None,
        )
        self.table = ModelPriceTable(
            route, flat_fallback=self.fallback, catalog=catalog, upstream_url=self.upstream_url
        )

    def run(self) -> RouteAudit:
        audit = RouteAudit(self.key, self.provider)
        offered = self.provider_models()
        for model in self._priced_models(offered):
            row = self._row(model)
            if row is not None:
                audit.rows.append(row)
        audit.unpriced = self._unpriced(offered)
        audit.fallback = self._fallback_check(offered)
        return audit

    def provider_models(self) -> list[str]:
        if self.provider is None:
            return []
        return [
            m
            for m in self.catalog.models_for(self.provider)
            if not m.startswith(FINE_TUNE_PREFIX) and not m.endswith("-")
        ]

    def _priced_models(self, offered: list[str]) -> list[str]:
        """Exact keys, catalog models that glob keys or the catalog price, then globs
        that match no catalog model (reported as not-in-catalog)."""
        models = [k for k in self.route.models if not is_glob(k)]
        globs = OrderedGlobs([k for k in self.route.models if is_glob(k)])
        covered: set[int] = set()
        for model in offered:
            if model in self.route.models:
                continue
            index = globs.first_match(model)
            if index is not None:
                covered.add(index)
                models.append(model)
            elif self._catalog_priced(model):
                models.append(model)
        models += [glob for i, glob in enumerate(globs.patterns) if i not in covered]
        return models

    def _catalog_priced(self, model: str) -> bool:
        try:
            return self.table.resolve(model).source == "catalog"
        except ModelRejected:
            return False

    def _shape_for(self, model: str) -> Shape:
        return self.observed.get(model, self.default_shape)

    def _row(self, model: str) -> ModelRow | None:
        try:
            price = self.table.resolve(model)
        except ModelRejected:
            price = None
        glob_only = is_glob(model)
        if price is None and not glob_only:
            return None
        shape = self._shape_for(model)
        cost_source = None if glob_only else self._cost_price(model, price)
        cost = cost_source.cost(shape.usage()) if cost_source is not None else None
        if price is None:  # a glob key whose matches the catalog cannot name
            entry = self.route.models[model]
            charged = Decimal(entry) / ATOMIC_PER_DOLLAR if isinstance(entry, int) else Decimal(0)
            return ModelRow(
                self.key, model, model, "glob", "flat", shape, None, charged, None, UNKNOWN
            )
        charged, rates, basis = self._charged(price, shape, cost_source)
        margin = margin_of(charged, cost) if cost is not None else None
        if basis == "per-token" and cost_source is not None:
            margin = self._rate_margin(price, shape, cost_source)
            status = UNKNOWN if margin is None else self._status_from_margin(margin)
        else:
            status = status_of(charged, cost, self.target)
        return ModelRow(
            self.key,
            model,
            price.matched,
            price.source,
            basis,
            shape,
            cost,
            charged,
            margin,
            status,
            rates,
        )

    def _status_from_margin(self, margin: Decimal) -> str:
        if margin < 0:
            return LOSS
        return BELOW if margin < self.target else OK

    def _cost_price(self, model: str, price: ModelPrice | None) -> CatalogPrice | None:
        """What the upstream charges for `model`: the catalog's own entry, else its base's."""
        if price is not None and price.catalog is not None:
            return price.catalog
        found = self.lookup(model)
        if found is not None or price is None:
            return found
        entry = self.route.models.get(price.matched or "")
        return self.lookup(entry.base) if isinstance(entry, InheritedPrice) else None

    def lookup(self, model: str) -> CatalogPrice | None:
        return self.catalog.lookup(model, provider=self.provider, upstream_url=self.upstream_url)

    def _charged(
        self, price: ModelPrice, shape: Shape, cost: CatalogPrice | None
    ) -> tuple[Decimal, dict[str, str], str]:
        if price.flat is not None:
            return Decimal(price.flat) / ATOMIC_PER_DOLLAR, {}, "flat"
        rates = price.rates_for(shape.input_tokens)
        atomic = rates.charge(shape.input_tokens, shape.output_tokens)
        shown = {f"our {k}": v for k, v in rates.describe().items()}
        if cost is not None:
            at = cost.at_input_tokens(shape.input_tokens)
            shown["cost input"] = format_rate(at.input_per_mtok)
            shown["cost output"] = format_rate(at.output_per_mtok)
        return Decimal(atomic) / ATOMIC_PER_DOLLAR, shown, "per-token"

    def _rate_margin(self, price: ModelPrice, shape: Shape, cost: CatalogPrice) -> Decimal:
        """Per-token prices are compared rate by rate (input, output, cache reads and
        writes as billed): the thinnest margin is the margin."""
        ours = price.rates_for(shape.input_tokens)
        theirs = cost.at_input_tokens(shape.input_tokens)
        pairs = [
            (ours.input, theirs.input_per_mtok),
            (ours.output, theirs.output_per_mtok),
            (
                _or(ours.cached_input, ours.input),
                _or(theirs.cached_input_per_mtok, theirs.input_per_mtok),
            ),
            (
                _or(ours.cache_write, ours.input),
                _or(theirs.cache_write_per_mtok, theirs.input_per_mtok),
            ),
        ]
        return min(margin_of(our, their) for our, their in pairs)

    def _unpriced(self, offered: list[str]) -> list[UnpricedModel]:
        out: list[UnpricedModel] = []
        for model in offered:
            try:
                price = self.table.resolve(model)
            except ModelRejected:
                continue
            if price.source != "fallback":
                continue
            catalog_price = self.lookup(model)
            if catalog_price is None:
                continue
            cost = catalog_price.cost(self._shape_for(model).usage())
            charged = Decimal(price.flat or 0) / ATOMIC_PER_DOLLAR
            out.append(
                UnpricedModel(self.key, model, cost, charged, status_of(charged, cost, self.target))
            )
        return out

    def _fallback_check(self, offered: list[str]) -> FallbackCheck | None:
        if self.fallback is None:
            return None
        fallback = Decimal(self.fallback) / ATOMIC_PER_DOLLAR
        costs: list[tuple[Decimal, str]] = []
        for model in offered:
            price = self.lookup(model)
            if price is not None:
                costs.append((price.cost(self._shape_for(model).usage()), model))
        if not costs:
            return FallbackCheck(self.key, fallback, None, None, [], UNKNOWN)
        dearest_cost, dearest = max(costs)
        undercharged = sorted(m for c, m in costs if c > fallback)
        return FallbackCheck(
            self.key,
            fallback,
            dearest,
            dearest_cost,
            undercharged,
            status_of(fallback, dearest_cost, self.target),
        )


def _or(rate: Decimal | None, default: Decimal) -> Decimal:
    return default if rate is None else rate
