"""The paid request, top to bottom.

    match route -> read body (only if pricing needs it) -> quote
    -> free? proxy
    -> no payment header? 402 + PAYMENT-REQUIRED
    -> decode, bind to this request's price, reserve (replay lock), verify
    -> before-response: settle, then proxy
    -> after-response: proxy, settle only if the upstream answered below 500
    -> relay the upstream response with PAYMENT-RESPONSE

Every refusal happens before money moves; a reservation is released whenever
nothing was served, so the payer can retry with the same authorization.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from x402.http.utils import encode_payment_required_header, encode_payment_response_header
from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse

from farebox.asgi import (
    BodyTooLarge,
    ClientDisconnected,
    Receive,
    Scope,
    Send,
    json_bytes,
    read_body,
    send_json,
    send_response,
)
from farebox.errors import GatewayError
from farebox.llm.usage import StreamMeter
from farebox.metered import (
    MeteredBodyTooLarge,
    Settle,
    is_event_stream,
    relay_metered_json,
    relay_metered_stream,
)
from farebox.payments.facilitator_client import FacilitatorUnavailable, GuardedFacilitator
from farebox.payments.header import (
    PAYMENT_SIGNATURE,
    PaymentRejected,
    bind_to_price,
    decode_payment,
    payment_key,
)
from farebox.payments.offer import SCHEME_UPTO, PaymentOffer, payment_required
from farebox.pricing.quote import PricingError, Quote, RequestFacts
from farebox.proxy.headers import downstream_headers, upstream_headers
from farebox.proxy.upstream import UpstreamError, stream_request_body
from farebox.routing.rewrite import PathError, upstream_target
from farebox.runtime import CompiledRoute, Runtime

log = logging.getLogger("farebox.gateway")

# How long a served payment's key stays claimed; the facilitator's used-nonce
# check covers it after that.
SPENT_CLAIM_SECONDS = 3600.0


@dataclass(slots=True)
class Exchange:
    """One request's state as it moves through the pipeline."""

    scope: Scope
    receive: Receive
    route: CompiledRoute
    params: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes | None = None
    quote: Quote | None = None
    payload: PaymentPayload | None = None
    requirements: PaymentRequirements | None = None
    reserved_key: str | None = None
    extra_headers: list[tuple[bytes, bytes]] = field(default_factory=list)


async def handle_route(runtime: Runtime, exchange: Exchange, send: Send) -> None:
    route = exchange.route
    facts = await request_facts(runtime, exchange)
    exchange.quote = quote_request(route, facts)
    if exchange.quote.amount == 0:
        await proxy_and_relay(runtime, exchange, send)
        return

    offered = await priced_requirements(exchange)
    header = exchange.headers.get(PAYMENT_SIGNATURE)
    if header is None:
        await send_payment_required(exchange, send, offered, error=None)
        return
    try:
        exchange.payload = decode_payment(header)
        exchange.requirements = bind_to_price(exchange.payload, offered)
    except PaymentRejected as exc:
        await send_payment_required(exchange, send, offered, error=str(exc))
        return

    if not await reserve_payment(runtime, exchange):
        await send_payment_required(
            exchange, send, offered, error="this payment has already been used for a request"
        )
        return
    served = False
    try:
        assert exchange.requirements is not None
        refusal = await verify_payment(exchange)
        if refusal is not None:
            await send_payment_required(exchange, send, offered, error=refusal)
            return
        if exchange.requirements.scheme == SCHEME_UPTO:
            served = await proxy_metered(runtime, exchange, send, offered)
        elif route.settlement == "before-response":
            settled = await settle_payment(exchange)
            if not settled.success:
                reason = settle_failure(settled)
                await send_payment_required(exchange, send, offered, error=reason)
                return
            exchange.extra_headers.append(payment_response_header(settled))
            served = True  # the money moved: the claim stays even if the upstream fails
            await proxy_and_relay(runtime, exchange, send)
        else:
            served = await proxy_then_settle(runtime, exchange, send, offered)
    finally:
        if not served:
            await runtime.replay.release(exchange.reserved_key or "")


# --- reading and pricing -------------------------------------------------------


async def request_facts(runtime: Runtime, exchange: Exchange) -> RequestFacts:
    scope = exchange.scope
    body: Any = None
    if exchange.route.pricer.needs_body:
        body = await read_json_body(runtime, exchange)
    query = dict(
        parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    )
    return RequestFacts(
        method=scope["method"],
        path=scope["path"],
        params=exchange.params,
        query=query,
        headers=exchange.headers,
        body=body,
        raw_body=exchange.raw_body or b"",
    )


async def read_json_body(runtime: Runtime, exchange: Exchange) -> Any:
    try:
        exchange.raw_body = await read_body(exchange.receive, runtime.max_priced_body)
    except BodyTooLarge as exc:
        raise GatewayError(413, str(exc)) from None
    if not exchange.raw_body.strip():
        return None
    try:
        return json.loads(exchange.raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GatewayError(
            400,
            f"request body is not valid JSON ({exc}); this route prices requests by their "
            "JSON body, so send Content-Type: application/json with a JSON object",
        ) from None


def quote_request(route: CompiledRoute, facts: RequestFacts) -> Quote:
    try:
        return route.pricer.quote(facts)
    except PricingError as exc:
        raise GatewayError(400, str(exc)) from None


async def priced_requirements(exchange: Exchange) -> list[PaymentRequirements]:
    route, quote = exchange.route, exchange.quote
    assert quote is not None
    if route.offer is None:
        raise GatewayError(500, f"route {route.key} has a price but no payment configuration")
    if SCHEME_UPTO in quote.schemes and route.facilitator is not None:
        await ensure_upto(route.offer, route.facilitator, route.key)
    return route.offer.requirements(quote.amount, quote.pay_to, quote.schemes)


async def send_payment_required(
    exchange: Exchange, send: Send, offered: list[PaymentRequirements], error: str | None
) -> None:
    required = payment_required(offered, resource_url(exchange), error, exchange.route.description)
    body = required.model_dump(by_alias=True, exclude_none=True)
    await send_json(
        send,
        402,
        body,
        [(b"payment-required", encode_payment_required_header(required).encode())],
    )


def resource_url(exchange: Exchange) -> str:
    scope = exchange.scope
    host = exchange.headers.get("host") or "localhost"
    return f"{scope.get('scheme', 'http')}://{host}{scope['path']}"


# --- payment ------------------------------------------------------------------


async def reserve_payment(runtime: Runtime, exchange: Exchange) -> bool:
    assert exchange.payload is not None
    key = payment_key(exchange.payload)
    if not await runtime.replay.reserve(key, SPENT_CLAIM_SECONDS):
        return False
    exchange.reserved_key = key
    return True


def facilitator_of(exchange: Exchange) -> GuardedFacilitator:
    facilitator = exchange.route.facilitator
    if facilitator is None:
        raise GatewayError(500, f"route {exchange.route.key} has no facilitator")
    return facilitator


async def verify_payment(exchange: Exchange) -> str | None:
    """None when the facilitator accepts the payment, else the caller-facing reason."""
    assert exchange.payload is not None and exchange.requirements is not None
    try:
        result = await facilitator_of(exchange).verify(exchange.payload, exchange.requirements)
    except FacilitatorUnavailable as exc:
        raise GatewayError(exc.status, str(exc)) from None
    if result.is_valid:
        return None
    reason = result.invalid_reason or "invalid payment"
    detail = f": {result.invalid_message}" if result.invalid_message else ""
    return f"payment was refused by the facilitator ({reason}{detail})"


async def settle_payment(exchange: Exchange) -> SettleResponse:
    assert exchange.payload is not None and exchange.requirements is not None
    try:
        return await facilitator_of(exchange).settle(exchange.payload, exchange.requirements)
    except FacilitatorUnavailable as exc:
        raise GatewayError(exc.status, str(exc)) from None


def settle_failure(result: SettleResponse) -> str:
    detail = f": {result.error_message}" if result.error_message else ""
    return f"payment could not be settled ({result.error_reason or 'unknown reason'}{detail})"


def payment_response_header(result: SettleResponse) -> tuple[bytes, bytes]:
    return (b"payment-response", encode_payment_response_header(result).encode())


# --- proxying -----------------------------------------------------------------


async def open_upstream(runtime: Runtime, exchange: Exchange) -> aiohttp.ClientResponse:
    scope, route = exchange.scope, exchange.route
    raw_path = scope.get("raw_path") or scope["path"].encode()
    try:
        url = upstream_target(
            route.upstream.base_url,
            route.path_template,
            raw_path.decode("latin-1"),
            exchange.params,
            scope.get("query_string", b"").decode("latin-1"),
        )
    except PathError as exc:
        raise GatewayError(400, str(exc)) from None
    client = scope.get("client")
    injected = route.upstream.headers
    if exchange.quote is not None and exchange.quote.metering is not None:
        injected = {**injected, "accept-encoding": "identity"}  # usage must be readable
    headers = upstream_headers(
        scope["headers"],
        injected,
        forwarded_for=client[0] if client else None,
        forwarded_proto=scope.get("scheme", "http"),
    )
    try:
        return await runtime.pool.send(
            route.upstream, scope["method"], url, headers, request_body(exchange)
        )
    except UpstreamError as exc:
        raise GatewayError(exc.status, str(exc)) from None


def request_body(exchange: Exchange) -> bytes | AsyncIterator[bytes] | None:
    if exchange.quote is not None and exchange.quote.metering is not None:
        return exchange.quote.metering.body  # the caller's body with the output cap written in
    if exchange.raw_body is not None:
        return exchange.raw_body
    has_body = "content-length" in exchange.headers and exchange.headers["content-length"] != "0"
    if has_body or "transfer-encoding" in exchange.headers:
        return stream_request_body(exchange.receive)
    return None


async def proxy_and_relay(runtime: Runtime, exchange: Exchange, send: Send) -> None:
    upstream = await open_upstream(runtime, exchange)
    await relay(upstream, send, exchange.extra_headers, usage_stripper(exchange, upstream))


async def proxy_then_settle(
    runtime: Runtime, exchange: Exchange, send: Send, offered: list[PaymentRequirements]
) -> bool:
    """After-response settlement. Returns True when a response was bought."""
    upstream = await open_upstream(runtime, exchange)
    if upstream.status >= 500:
        await relay(upstream, send, [])  # the caller sees the failure and keeps its funds
        return False
    try:
        settled = await settle_payment(exchange)
    except GatewayError:
        upstream.release()
        raise
    if not settled.success:
        upstream.release()
        await send_payment_required(exchange, send, offered, error=settle_failure(settled))
        return False
    await relay(
        upstream, send, [payment_response_header(settled)], usage_stripper(exchange, upstream)
    )
    return True


async def proxy_metered(
    runtime: Runtime, exchange: Exchange, send: Send, offered: list[PaymentRequirements]
) -> bool:
    """upto: proxy, meter the real usage, settle exactly that. True when a response was bought."""
    quote = exchange.quote
    assert quote is not None and quote.metering is not None
    upstream = await open_upstream(runtime, exchange)
    if upstream.status >= 500:
        await relay(upstream, send, [])
        return False
    if is_event_stream(upstream):
        settle = metered_settler(exchange, during_stream=True)
        await relay_metered_stream(upstream, send, quote.metering, quote.model, settle)
        return True
    settle = metered_settler(exchange, during_stream=False)
    try:
        result = await relay_metered_json(upstream, send, quote.metering, quote.model, settle)
    except (aiohttp.ClientError, TimeoutError, MeteredBodyTooLarge) as exc:
        raise GatewayError(502, f"upstream answer could not be read: {exc}") from None
    if isinstance(result, SettleResponse):
        await send_payment_required(exchange, send, offered, error=settle_failure(result))
        return False
    return True


def metered_settler(exchange: Exchange, *, during_stream: bool) -> Settle:
    """Settle a metered amount against the ceiling the caller authorized."""

    async def settle(amount: int, receipt: dict[str, Any]) -> SettleResponse:
        assert exchange.requirements is not None and exchange.payload is not None
        metered = exchange.requirements.model_copy(update={"amount": str(amount)})
        try:
            result = await facilitator_of(exchange).settle(exchange.payload, metered)
        except FacilitatorUnavailable as exc:
            if not during_stream:
                raise GatewayError(exc.status, str(exc)) from None
            result = SettleResponse(
                success=False,
                error_reason="facilitator_unavailable",
                error_message=str(exc),
                transaction="",
                network=exchange.requirements.network,
            )
        return result.model_copy(update={"extra": {**(result.extra or {}), "receipt": receipt}})

    return settle


def usage_stripper(exchange: Exchange, upstream: aiohttp.ClientResponse) -> StreamMeter | None:
    """A meter that removes the usage chunk the gateway asked for and the caller did not."""
    metering = exchange.quote.metering if exchange.quote is not None else None
    if metering is None or not metering.strip_usage_chunk or not is_event_stream(upstream):
        return None
    return StreamMeter(metering.shape, strip_usage_chunk=True)


async def ensure_upto(offer: PaymentOffer, facilitator: GuardedFacilitator, key: str) -> None:
    """Learn the facilitator's upto support once (its address is part of the requirements)."""
    if offer.upto_checked:
        return
    try:
        supported = await facilitator.supported()
    except FacilitatorUnavailable as exc:
        log.warning("route %s: cannot offer upto yet: %s", key, exc)
        return
    offer.upto_checked = True
    missing = offer.add_upto(supported)
    if missing:
        log.warning(
            "route %s: facilitator %s does not support upto on %s; those networks get exact at "
            "the ceiling price",
            key,
            facilitator.name,
            ", ".join(missing),
        )


async def relay(
    upstream: aiohttp.ClientResponse,
    send: Send,
    extra: list[tuple[bytes, bytes]],
    rewrite: StreamMeter | None = None,
) -> None:
    headers = downstream_headers(upstream.raw_headers)
    length = upstream.headers.get("content-length")
    if length is not None and rewrite is None:
        headers.append((b"content-length", length.encode()))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
    try:
        async for chunk in upstream.content.iter_any():
            out = rewrite.feed(chunk) if rewrite is not None else chunk
            if out:
                await send({"type": "http.response.body", "body": out, "more_body": True})
    except (aiohttp.ClientError, TimeoutError) as exc:
        # Headers are out; all we can do is end the stream early and say why in the log.
        log.warning("upstream stream ended early: %s", exc)
    finally:
        upstream.release()
    tail = rewrite.finish() if rewrite is not None else b""
    await send({"type": "http.response.body", "body": tail, "more_body": False})


async def send_error(send: Send, error: GatewayError) -> None:
    await send_response(
        send,
        error.status,
        json_bytes({"error": error.message}),
        [(b"content-type", b"application/json"), *error.headers],
    )


__all__ = ["ClientDisconnected", "Exchange", "handle_route", "send_error"]
