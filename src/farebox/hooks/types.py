"""What a hook receives (HookContext and its parts) and what it may return.

These are the types a hook author imports:

    from farebox import HookContext, Reject

Everything a hook receives is read-only: a hook changes what happens by what
it returns, never by mutating its context. Money is in USDC atomic units
(int, $0.01 == 10000); `dollars` properties give the same amount as a Decimal.

This module imports nothing from the rest of farebox, so `import farebox`
stays cheap and cycle-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

_ATOMIC_PER_DOLLAR = Decimal(10**6)  # USDC has 6 decimals (farebox.pricing.money)
_NO_STRINGS: Mapping[str, str] = MappingProxyType({})
_NO_VALUES: Mapping[str, Any] = MappingProxyType({})


def _no_strings() -> Mapping[str, str]:
    return _NO_STRINGS


def _no_values() -> Mapping[str, Any]:
    return _NO_VALUES


def _dollars(atomic: int) -> Decimal:
    return Decimal(atomic) / _ATOMIC_PER_DOLLAR


# --- what a hook receives -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class HookRequest:
    """The caller's request. Also what a pricing function `price(req)` receives."""

    method: str
    """Upper-case HTTP method, like "POST"."""
    path: str
    """The request path as the caller sent it, like "/v1/chat/completions"."""
    params: Mapping[str, str] = field(default_factory=_no_strings)
    """Route parameters: {"id": "42"} for a route "GET /items/:id"."""
    query: Mapping[str, str] = field(default_factory=_no_strings)
    """Query string, first value per name."""
    headers: Mapping[str, str] = field(default_factory=_no_strings)
    """Request headers, names in lower case."""
    json: Any = None
    """The parsed JSON body; None when the body is empty or not JSON."""
    body: bytes | None = None
    """The raw body bytes, when farebox read the body (always, on a route with hooks)."""

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header by name, case-insensitively."""
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True, slots=True)
class HookRoute:
    """The route that matched, as configured."""

    key: str
    """The route key, like "POST /v1/chat/completions"."""
    upstream: str
    """The name of the upstream (an entry under `upstreams:`)."""
    settlement: str
    """"before-response" or "after-response"."""
    type: str | None = None
    """"token-based" / "openai-compatible" for LLM routes, else None."""
    metadata: Mapping[str, Any] = field(default_factory=_no_values)
    """The route's `metadata:` mapping from the config."""


@dataclass(frozen=True, slots=True)
class HookQuote:
    """The price farebox computed for this request."""

    amount: int
    """USDC atomic units ($0.01 == 10000); 0 is free. On `upto` routes, the ceiling."""
    source: str
    """What set the price: "price", "match", "fallback", "default", "fn", "models", ..."""
    model: str | None = None
    """The LLM model priced, on LLM routes."""
    scheme: str | None = None
    """The preferred x402 scheme offered: "exact" (fixed amount) or "upto" (metered)."""

    @property
    def dollars(self) -> Decimal:
        return _dollars(self.amount)


@dataclass(frozen=True, slots=True)
class HookPayment:
    """The caller's payment (present once a payment was verified)."""

    payer: str | None
    """The paying wallet address, when the payment names one."""
    amount: int
    """USDC atomic units: the authorized amount, or the settled amount in onSettled."""
    network: str
    """CAIP-2 network, like "eip155:8453" (Base)."""
    scheme: str
    """"exact" or "upto"."""
    transaction: str | None = None
    """The settlement transaction hash, once settled (onSettled)."""

    @property
    def dollars(self) -> Decimal:
        return _dollars(self.amount)


@dataclass(frozen=True, slots=True)
class HookResponse:
    """The upstream's answer (onResponse, and onError when there was one)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=_no_strings)
    """Response headers, names in lower case."""
    json: Any = None
    """The parsed body when the upstream answered JSON, else None."""
    body: bytes | None = None
    """The raw body; None when it was not buffered (a streamed response)."""

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header by name, case-insensitively."""
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True, slots=True)
class HookContext:
    """Everything a hook can look at. Fields fill in as the request moves along."""

    hook: str
    """Which hook is running: "onRequest", "onPriceResolved", "onSettled", ..."""
    request: HookRequest
    route: HookRoute
    quote: HookQuote | None = None
    """Set from onPriceResolved on."""
    payment: HookPayment | None = None
    """Set once a payment was verified (onResponse, onSettled; onError when there was one)."""
    response: HookResponse | None = None
    """Set in onResponse (and in onError when the upstream answered)."""
    error: str | None = None
    """In onError: what failed, in words."""


# --- what a hook may return ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse the request before any money moves (onRequest, onPriceResolved, price()).

    `body` is sent as JSON: a string becomes {"error": body}, a mapping is sent as is.
    """

    status: int = 400
    body: str | Mapping[str, Any] = "Request rejected"
    headers: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise TypeError(f"Reject status must be an int like 400, not {self.status!r}")
        if not 400 <= self.status <= 599:
            raise ValueError(
                f"Reject status {self.status} is not an error status; use 400-599, like 400 or 403"
            )
        if not isinstance(self.body, str | Mapping):
            raise TypeError(
                f"Reject body must be text or a mapping (sent as JSON), "
                f"not {type(self.body).__name__}"
            )


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A new price from onPriceResolved: give `price` in dollars or `atomic` units, not both.

    Returning a plain number (dollars), a Decimal or a dollar string like "$0.02"
    does the same as PriceOverride(price=...).
    """

    price: int | float | Decimal | str | None = None
    """Dollars: 0.02, Decimal("0.02") or "$0.02"."""
    atomic: int | None = None
    """USDC atomic units: 20000 is $0.02. Handy for arithmetic on ctx.quote.amount."""

    def __post_init__(self) -> None:
        if (self.price is None) == (self.atomic is None):
            raise ValueError(
                'PriceOverride takes exactly one of price= (dollars, like 0.02 or "$0.02") '
                "or atomic= (USDC atomic units, like 20000)"
            )


@dataclass(frozen=True, slots=True)
class ResponseOverride:
    """What onResponse may return: a changed response, and/or a refusal to settle.

    Fields left as None keep the upstream's value. `body` may be bytes, text, or
    a JSON value (dict/list), which is sent as JSON. `settle=False` means the
    caller is not charged (after-response and metered routes); a hook can only
    prevent settlement, never force it.
    """

    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: bytes | str | dict[str, Any] | list[Any] | None = None
    settle: bool = True

    def __post_init__(self) -> None:
        if self.status is not None and (
            isinstance(self.status, bool)
            or not isinstance(self.status, int)
            or not 100 <= self.status <= 599
        ):
            raise ValueError(f"response status must be an int in 100-599, not {self.status!r}")
        if not isinstance(self.settle, bool):
            raise TypeError(f"settle must be True or False, not {self.settle!r}")

    @property
    def changes_response(self) -> bool:
        return self.status is not None or self.headers is not None or self.body is not None


__all__ = [
    "HookContext",
    "HookPayment",
    "HookQuote",
    "HookRequest",
    "HookResponse",
    "HookRoute",
    "PriceOverride",
    "Reject",
    "ResponseOverride",
]
