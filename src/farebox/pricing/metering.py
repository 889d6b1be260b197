"""What a per-token quote carries to the proxy: the rewritten request and how to meter it."""

from __future__ import annotations

from dataclasses import dataclass

from farebox.llm.catalog import CatalogPrice
from farebox.llm.shapes import ApiShape
from farebox.llm.usage import Usage
from farebox.pricing.rates import TokenRates


@dataclass(frozen=True, slots=True)
class Metering:
    shape: ApiShape
    rates: TokenRates
    input_bound: int  # provable upper bound on input tokens
    output_cap: int  # the upstream cannot produce more output tokens than this
    stream: bool
    strip_usage_chunk: bool  # the gateway asked for stream usage the caller did not
    body: bytes  # the request body sent upstream (output cap injected)
    catalog: CatalogPrice | None = None  # upstream cost, when the catalog knows the model

    @property
    def ceiling(self) -> int:
        """The most this request can cost: every input and output token at full rate."""
        return self.rates.charge(self.input_bound, self.output_cap)

    def charge(self, usage: Usage) -> int:
        """What the usage costs, never above the authorized ceiling."""
        metered = self.rates.charge(
            usage.input_tokens, usage.output_tokens, usage.cached_input_tokens
        )
        return min(metered, self.ceiling)
