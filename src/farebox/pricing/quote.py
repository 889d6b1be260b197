"""What pricing takes in (RequestFacts) and gives back (Quote)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from farebox.pricing.metering import Metering

EXACT_ONLY: tuple[str, ...] = ("exact",)


@dataclass(frozen=True, slots=True)
class Quote:
    """The price of one request, and why it is that price."""

    amount: int  # USDC atomic units; 0 means free (no payment flow at all)
    source: str  # "price" | "match" | "fallback" | "default" | "models" | "glob" | "catalog"
    pay_to: str | None = None  # a match rule's payTo override, else None
    rule: int | None = None  # index of the match rule that priced it
    model: str | None = None  # the LLM model priced (LLM routes)
    schemes: tuple[str, ...] = EXACT_ONLY  # x402 schemes offered, in order of preference
    metering: Metering | None = None  # per-token routes: how to meter and what to send upstream

    @property
    def free(self) -> bool:
        return self.amount == 0


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """Everything pricing may look at; built by the gateway, never mutated."""

    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]  # first value per name
    headers: Mapping[str, str]  # lower-case names
    body: Any = None  # parsed JSON (None when not read / empty)
    raw_body: bytes = b""  # the bytes `body` was parsed from (bounds input tokens)


class PricingError(ValueError):
    """The request cannot be priced: refused with a 400 before any payment.

    The message names what was wrong and is safe to show the caller.
    """


class RoutePricer(Protocol):
    """A route's compiled pricing; built once at startup, asked once per request."""

    @property
    def needs_body(self) -> bool:
        """True when pricing looks at body.*: the gateway must read and parse the body."""
        ...

    def quote(self, facts: RequestFacts) -> Quote:
        """The price of this request; PricingError when it cannot be priced."""
        ...
