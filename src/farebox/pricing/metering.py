"""What a per-token quote carries to the proxy: the rewritten request and how to meter it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from farebox.llm.catalog import CatalogPrice
from farebox.llm.shapes import ApiShape
from farebox.llm.usage import Usage
from farebox.pricing.models import catalog_rates
from farebox.pricing.rates import TokenRates


@dataclass(frozen=True, slots=True)
class Metering:
    shape: ApiShape
    rates: TokenRates  # in force at input_bound input tokens: what the ceiling is made of
    input_bound: int  # provable upper bound on input tokens
    output_cap: int  # the upstream cannot produce more output tokens than this
    stream: bool
    strip_usage_chunk: bool  # the gateway asked for stream usage the caller did not
    body: bytes  # the request body sent upstream (output cap injected)
    catalog: CatalogPrice | None = None  # catalog-priced: the rates come from it (tiers)
    markup: Decimal = Decimal(0)  # over the catalog's rates (catalog-priced only)
    cost: CatalogPrice | None = None  # what the upstream charges, for the ledger and audits

    @property
    def ceiling(self) -> int:
        """The most this request can cost: every input and output token at full rate."""
        return self.rates.ceiling(self.input_bound, self.output_cap)

    def rates_for(self, input_tokens: int) -> TokenRates:
        """The rates for a request of this many input tokens.

        Catalog prices can be tiered by input size: the ceiling assumes the tier of the
        bound, but a request that used fewer tokens costs the upstream a lower tier.
        """
        if self.catalog is None or not self.catalog.tiers:
            return self.rates
        return catalog_rates(self.catalog.at_input_tokens(input_tokens), self.markup)

    def charge(self, usage: Usage) -> int:
        """What the usage costs, never above the authorized ceiling."""
        metered = self.rates_for(usage.input_tokens).charge(
            usage.input_tokens,
            usage.output_tokens,
            usage.cached_input_tokens,
            usage.cache_write_tokens,
        )
        return min(metered, self.ceiling)
