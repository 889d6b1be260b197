"""Building a hook's view of the request from the gateway's own objects.

The gateway calls these only on routes that have hooks or a pricing function,
so any other route pays nothing for them. Mappings are copied into read-only
views: a hook cannot change what the gateway forwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from farebox.hooks.types import HookPayment, HookQuote, HookRequest, HookResponse, HookRoute
from farebox.pricing.quote import Quote, RequestFacts

if TYPE_CHECKING:
    from x402.schemas import PaymentRequirements, SettleResponse

    from farebox.config.schema import Route

RawHeaders = Iterable[tuple[bytes, bytes]]


def hook_request(facts: RequestFacts) -> HookRequest:
    """The request as hooks and pricing functions see it."""
    return HookRequest(
        method=facts.method,
        path=facts.path,
        params=_frozen(facts.params),
        query=_frozen(facts.query),
        headers=_frozen(facts.headers),
        json=facts.body,
        body=facts.raw_body or None,
    )


def hook_route(key: str, route: Route) -> HookRoute:
    return HookRoute(
        key=key,
        upstream=route.upstream,
        settlement=route.settlement,
        type=route.type,
        metadata=MappingProxyType(dict(route.metadata or {})),
    )


def hook_quote(quote: Quote) -> HookQuote:
    return HookQuote(
        amount=quote.amount,
        source=quote.source,
        model=quote.model,
        scheme=quote.schemes[0] if quote.schemes else None,
    )


def hook_payment(
    requirements: PaymentRequirements,
    *,
    payer: str | None = None,
    settled: SettleResponse | None = None,
) -> HookPayment:
    """The payment as verified (`requirements`) or, once settled, as the facilitator settled it."""
    amount = int(requirements.amount)
    if settled is not None and settled.amount:
        amount = int(settled.amount)
    return HookPayment(
        payer=(settled.payer if settled is not None else None) or payer,
        amount=amount,
        network=str(requirements.network),
        scheme=requirements.scheme,
        transaction=(settled.transaction or None) if settled is not None else None,
    )


def hook_response(
    status: int, headers: Mapping[str, str] | RawHeaders, body: bytes | None
) -> HookResponse:
    """The upstream's answer; `json` is parsed when the content type says JSON."""
    names = _header_dict(headers)
    return HookResponse(
        status=status,
        headers=MappingProxyType(names),
        json=parse_json(names.get("content-type"), body),
        body=body,
    )


def parse_json(content_type: str | None, body: bytes | None) -> Any:
    """The parsed body for application/json (or any +json type); None if absent or invalid."""
    if not body or not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _header_dict(headers: Mapping[str, str] | RawHeaders) -> dict[str, str]:
    if isinstance(headers, Mapping):
        return {k.lower(): v for k, v in headers.items()}
    result: dict[str, str] = {}
    for name, value in headers:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        result[key] = f"{result[key]}, {text}" if key in result else text
    return result


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


__all__ = [
    "hook_payment",
    "hook_quote",
    "hook_request",
    "hook_response",
    "hook_route",
    "parse_json",
]
