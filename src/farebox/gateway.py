"""The paid request, top to bottom.

    check the upstream path -> read the body (when pricing or hooks need it) -> onRequest
    -> price it (a quote) -> onPriceResolved
    -> free? proxy
    -> no payment header? 402 + PAYMENT-REQUIRED
    -> decode, bind to this request's price, reserve (replay lock)
    -> before-response: settle (the facilitator verifies as it settles), then proxy
    -> after-response: verify, proxy, onResponse, settle unless 5xx or settle=False
    -> upto (per token): verify, proxy, onResponse, meter, settle the usage
    -> relay the response with PAYMENT-RESPONSE

Every refusal happens before money moves; a reservation is released whenever
nothing was served, so the payer can retry with the same authorization.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from x402.schemas import PaymentRequirements, SettleResponse

from farebox.asgi import (
    JSON_CONTENT_TYPE,
    BodyTooLarge,
    RawHeaders,
    Send,
    json_bytes,
    read_body,
    send_response,
)
from farebox.errors import GatewayError
from farebox.exchange import Exchange
from farebox.forward import (
    open_upstream,
    read_whole,
    relay,
    send_buffered,
    upstream_url,
    usage_stripper,
)
from farebox.hooks.context import hook_response, parse_json
from farebox.hooks.pricing_fn import FunctionPricer
from farebox.hooks.rendering import Rejected, apply_override, render_reject
from farebox.hooks.types import HookResponse, Reject, ResponseOverride
from farebox.llm.usage import Usage
from farebox.metered import is_event_stream, json_usage, relay_metered_stream
from farebox.payments.facilitator_client import FacilitatorUnavailable, GuardedFacilitator
from farebox.payments.header import (
    PAYMENT_SIGNATURE,
    PaymentRejected,
    bind_to_price,
    decode_payment,
    payer_of,
    payment_key,
)
from farebox.payments.offer import SCHEME_UPTO, PaymentOffer, payment_required
from farebox.pricing.models import ModelRejected
from farebox.pricing.quote import PricingError, Quote, RequestFacts
from farebox.proxy.headers import downstream_headers
from farebox.runtime import Runtime
from farebox.settlement import (
    facilitator_of,
    is_pending,
    payment_response_header,
    settle,
    settle_failure,
    settle_metered,
)

log = logging.getLogger("farebox.gateway")

# How long a served payment's key stays claimed; the facilitator's used-nonce
# check covers it after that.
SPENT_CLAIM_SECONDS = 3600.0
UPTO_RETRY_SECONDS = 30.0


async def handle_route(runtime: Runtime, exchange: Exchange, send: Send) -> None:
    exchange.upstream_url = upstream_url(exchange)
    await read_request(runtime, exchange)
    await on_request(exchange)
    quote = await price_request(runtime, exchange)
    if quote.free:
        await serve_free(runtime, exchange, send)
        return

    offered = await priced_requirements(exchange)
    exchange.header = exchange.headers.get(PAYMENT_SIGNATURE)
    if exchange.header is None:
        runtime.accounting.payment("missing")
        await send_payment_required(exchange, send, offered, error=None)
        return
    refusal = await take_payment(runtime, exchange, offered)
    if refusal is not None:
        runtime.accounting.payment("rejected")
        await send_payment_required(exchange, send, offered, error=refusal)
        return

    served = False
    try:
        assert exchange.requirements is not None
        metered = exchange.requirements.scheme == SCHEME_UPTO
        if metered or exchange.route.settlement == "after-response":
            # A settlement after serving needs a verified payment before the upstream is called.
            refusal = await verify_payment(runtime, exchange)
            if refusal is not None:
                await send_payment_required(exchange, send, offered, error=refusal)
                return
        if metered:
            served = await serve_metered(runtime, exchange, send, offered)
        elif exchange.route.settlement == "before-response":
            served = await serve_settled_first(runtime, exchange, send, offered)
        else:
            served = await serve_then_settle(runtime, exchange, send, offered)
    finally:
        if not served and not exchange.keep_claim:
            await runtime.replay.release(exchange.reserved_key or "")


# --- reading and pricing -------------------------------------------------------


async def read_request(runtime: Runtime, exchange: Exchange) -> None:
    """Read the body when pricing or a hook looks at it, and gather what pricing sees."""
    scope, route = exchange.scope, exchange.route
    body: Any = None
    if route.pricer.needs_body:
        body = await read_json_body(runtime, exchange)
    elif route.hooks:
        # Hooks see the parsed body when it is JSON; they do not make a bad body a 400.
        exchange.raw_body = await read_capped(runtime, exchange)
        body = parse_json(exchange.headers.get("content-type"), exchange.raw_body)
    query: dict[str, str] = {}
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), True):
        query.setdefault(name, value)  # the first value of a repeated name prices the request
    exchange.facts = RequestFacts(
        method=scope["method"],
        path=scope["path"],
        params=exchange.params,
        query=query,
        headers=exchange.headers,
        body=body,
        raw_body=exchange.raw_body or b"",
    )


async def read_capped(runtime: Runtime, exchange: Exchange) -> bytes:
    try:
        return await read_body(exchange.receive, runtime.max_priced_body)
    except BodyTooLarge as exc:
        raise GatewayError(413, str(exc)) from None


async def read_json_body(runtime: Runtime, exchange: Exchange) -> Any:
    exchange.raw_body = await read_capped(runtime, exchange)
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


async def on_request(exchange: Exchange) -> None:
    hooks = exchange.route.hooks
    if hooks.has("onRequest"):
        refuse(await hooks.run_on_request(exchange.hook_context("onRequest")))


async def price_request(runtime: Runtime, exchange: Exchange) -> Quote:
    route, facts = exchange.route, exchange.facts
    assert facts is not None
    try:
        if isinstance(route.pricer, FunctionPricer):
            quote = await route.pricer.quote_async(facts)
        else:
            quote = route.pricer.quote(facts)
    except PricingError as exc:
        if isinstance(exc, ModelRejected):
            runtime.accounting.price_refused()
        raise GatewayError(400, str(exc)) from None
    exchange.quote = quote
    if route.hooks.has("onPriceResolved"):
        change = await route.hooks.run_on_price_resolved(exchange.hook_context("onPriceResolved"))
        refuse(change if isinstance(change, Reject) else None)
        if isinstance(change, int):
            exchange.quote = quote = repriced(quote, change)
    runtime.accounting.price_resolved(exchange.trace, quote)
    return quote


def repriced(quote: Quote, amount: int) -> Quote:
    """A hook's price. On a metered quote the new price is the ceiling the caller
    authorizes; the usage is still charged at the route's rates, never above it."""
    return replace(quote, amount=amount, source=f"{quote.source}+hook")


def refuse(reject: Reject | None) -> None:
    if reject is not None:
        raise Rejected(reject)


async def priced_requirements(exchange: Exchange) -> list[PaymentRequirements]:
    route, quote = exchange.route, exchange.quote
    assert quote is not None
    if route.offer is None:
        # Only a hook can price a request on a route whose config prices everything at $0.
        raise GatewayError(
            500,
            f"route {route.key} was priced at {quote.amount} atomic units (by {quote.source}), "
            "but its config makes every request free, so it takes no payment; give the route "
            'a non-zero price (like "$0.01") so it has a payment offer',
        )
    if SCHEME_UPTO in quote.schemes and route.facilitator is not None:
        await ensure_upto(route.offer, route.facilitator, route.key)
    return route.offer.requirements(quote.amount, quote.pay_to, quote.schemes)


async def ensure_upto(offer: PaymentOffer, facilitator: GuardedFacilitator, key: str) -> None:
    """Learn the facilitator's upto support once (its address is part of the requirements).

    While the facilitator cannot be reached, ask again at most every UPTO_RETRY_SECONDS:
    meanwhile the route offers exact at the ceiling, and no 402 waits on the facilitator.
    """
    now = time.monotonic()
    if offer.upto_checked or now < offer.upto_retry_at:
        return
    try:
        supported = await facilitator.supported()
    except FacilitatorUnavailable as exc:
        offer.upto_retry_at = now + UPTO_RETRY_SECONDS
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


async def send_payment_required(
    exchange: Exchange, send: Send, offered: list[PaymentRequirements], error: str | None
) -> None:
    required = payment_required(offered, resource_url(exchange), error, exchange.route.description)
    # Serialized once: the body is the JSON the PAYMENT-REQUIRED header carries in base64,
    # byte for byte what the SDK's encode_payment_required_header produces.
    body = required.model_dump_json(by_alias=True, exclude_none=True).encode()
    await send_response(
        send, 402, body, [JSON_CONTENT_TYPE, (b"payment-required", base64.b64encode(body))]
    )


def resource_url(exchange: Exchange) -> str:
    """The URL the caller used; behind a trusted proxy (gateway.trustProxy), as the proxy
    says it was called."""
    headers = exchange.headers
    scheme = exchange.scope.get("scheme", "http")
    host = headers.get("host") or "localhost"
    if exchange.behind_proxy:
        scheme = _first(headers.get("x-forwarded-proto")) or scheme
        host = _first(headers.get("x-forwarded-host")) or host
    return f"{scheme}://{host}{exchange.scope['path']}"


def _first(value: str | None) -> str | None:
    """The client-side entry of a comma-separated X-Forwarded-* value."""
    return value.split(",")[0].strip() or None if value else None


# --- payment ------------------------------------------------------------------


async def take_payment(
    runtime: Runtime, exchange: Exchange, offered: list[PaymentRequirements]
) -> str | None:
    """Decode the payment, bind it to this price and reserve it; None, or why not."""
    assert exchange.header is not None
    try:
        exchange.payload = decode_payment(exchange.header)
        exchange.requirements = bind_to_price(exchange.payload, offered)
    except PaymentRejected as exc:
        return str(exc)
    runtime.accounting.paid_with(exchange.trace, exchange.payload, payer_of(exchange.payload))
    metered = exchange.requirements.scheme == SCHEME_UPTO  # always settled after serving
    exchange.trace.settlement = "after-response" if metered else exchange.route.settlement
    key = payment_key(exchange.payload)
    if not await runtime.replay.reserve(key, SPENT_CLAIM_SECONDS):
        return (
            "this payment has already been used for a request; sign a new payment "
            "(a fresh authorization) for this one"
        )
    exchange.reserved_key = key
    return None


async def verify_payment(runtime: Runtime, exchange: Exchange) -> str | None:
    """None when the facilitator accepts the payment, else the caller-facing reason."""
    assert exchange.payload is not None and exchange.requirements is not None
    try:
        result = await facilitator_of(exchange).verify(exchange.payload, exchange.requirements)
    except FacilitatorUnavailable as exc:
        raise GatewayError(exc.status, str(exc)) from None
    if result.is_valid:
        runtime.accounting.payment("verified")
        return None
    runtime.accounting.payment("rejected")
    reason = result.invalid_reason or "invalid payment"
    detail = f": {result.invalid_message}" if result.invalid_message else ""
    return f"payment was refused by the facilitator ({reason}{detail})"


# --- serving ------------------------------------------------------------------


@dataclass(slots=True)
class Answer:
    """The upstream's answer as the caller will get it, after onResponse."""

    upstream: aiohttp.ClientResponse
    status: int
    headers: RawHeaders
    body: bytes | None  # read whole (for a hook or metering); None: streamed through
    upstream_body: bytes | None = None  # the body as the upstream sent it (metering reads it)
    settle: bool = True


async def serve_free(runtime: Runtime, exchange: Exchange, send: Send) -> None:
    answer = await fetch(runtime, exchange, buffer=False)
    await deliver(exchange, answer, send, [])


async def serve_settled_first(
    runtime: Runtime, exchange: Exchange, send: Send, offered: list[PaymentRequirements]
) -> bool:
    """before-response: the facilitator's settle verifies the payment and moves it in one
    round trip; only then is the upstream called."""
    assert exchange.requirements is not None
    settled = await settle(runtime, exchange, exchange.requirements, after_serving=False)
    if not settled.success:
        await send_payment_required(exchange, send, offered, error=settle_failure(settled))
        return False
    exchange.keep_claim = True  # paid: even if the upstream fails now, this payment is spent
    try:
        answer = await fetch(runtime, exchange, buffer=False)
    except GatewayError as exc:
        exc.headers.append(payment_response_header(settled))  # charged: the error says so
        raise
    if not answer.settle:
        log.warning("route %s: onResponse said settle=False after settling", exchange.route.key)
    await deliver(exchange, answer, send, [payment_response_header(settled)])
    return True


async def serve_then_settle(
    runtime: Runtime, exchange: Exchange, send: Send, offered: list[PaymentRequirements]
) -> bool:
    """after-response: charge only when the upstream answered below 500 (and no hook said no)."""
    answer = await fetch_chargeable(runtime, exchange, send, buffer=False)
    if answer is None:
        return False
    assert exchange.requirements is not None
    try:
        settled = await settle(runtime, exchange, exchange.requirements, after_serving=True)
    except GatewayError:
        answer.upstream.release()
        raise
    if is_pending(settled):  # the facilitator may yet settle it: the caller gets its answer
        await deliver(exchange, answer, send, [])
        return True
    if not settled.success:
        answer.upstream.release()
        await send_payment_required(exchange, send, offered, error=settle_failure(settled))
        return False
    await deliver(exchange, answer, send, [payment_response_header(settled)])
    return True


async def serve_metered(
    runtime: Runtime, exchange: Exchange, send: Send, offered: list[PaymentRequirements]
) -> bool:
    """upto: proxy, meter the real usage, settle exactly that (never above the ceiling)."""
    quote = exchange.quote
    assert quote is not None and quote.metering is not None
    metering = quote.metering
    answer = await fetch_chargeable(runtime, exchange, send, buffer=True)
    if answer is None:
        return False
    if answer.body is None:  # a stream: settle after the last event, receipt as SSE comment

        async def settle_stream(amount: int, usage: Usage | None) -> SettleResponse:
            return await settle_metered(runtime, exchange, amount, usage, in_stream=True)

        settled = await relay_metered_stream(
            answer.upstream, send, metering, settle_stream, answer.status, answer.headers
        )
        if settled is None:
            runtime.accounting.not_settled(exchange.trace, "no usage to charge")
        return True
    # Metered on what the upstream answered, not on what an onResponse hook made of it.
    usage = json_usage(metering, answer.upstream_body or b"", answer.upstream.status)
    amount = metering.charge(usage) if usage is not None else 0
    extra: RawHeaders = []
    if amount:
        settled = await settle_metered(runtime, exchange, amount, usage, in_stream=False)
        if not settled.success and not is_pending(settled):
            await send_payment_required(exchange, send, offered, error=settle_failure(settled))
            return False
        if settled.success:  # when pending, the retry loop settles it: the answer goes out
            extra.append(payment_response_header(settled))
    else:
        runtime.accounting.not_settled(exchange.trace, "no usage to charge")
    await deliver(exchange, answer, send, extra)
    return True


async def fetch_chargeable(
    runtime: Runtime, exchange: Exchange, send: Send, *, buffer: bool
) -> Answer | None:
    """The upstream's answer when the payment may be settled for it; otherwise the
    answer goes to the caller unpaid (the payer keeps its funds) and this is None."""
    answer = await fetch(runtime, exchange, buffer=buffer)
    if await chargeable(runtime, exchange, answer):
        return answer
    await deliver(exchange, answer, send, [])
    return None


async def chargeable(runtime: Runtime, exchange: Exchange, answer: Answer) -> bool:
    """Whether a verified payment may be settled for this answer; says why not if not.

    An upstream 5xx is never charged, whatever onResponse made of it (a hook can
    prevent settlement, never force it); nor is a 5xx the hook made of a success.
    """
    upstream_status = answer.upstream.status
    if upstream_status >= 500:
        reason = f"upstream answered {upstream_status}"
        runtime.accounting.not_settled(exchange.trace, reason)
        response = hook_response(upstream_status, answer.upstream.raw_headers, answer.body)
        await on_error(exchange, reason, response)
        return False
    if answer.status >= 500:
        runtime.accounting.not_settled(exchange.trace, f"onResponse hook answered {answer.status}")
        return False
    if not answer.settle:
        runtime.accounting.not_settled(exchange.trace, "onResponse hook said settle=False")
        return False
    return True


async def fetch(runtime: Runtime, exchange: Exchange, *, buffer: bool) -> Answer:
    """Call the upstream and let onResponse see (and change) its answer.

    The answer is read whole when `buffer` (metering) or an onResponse hook needs
    it, except for event streams, which are always relayed as they arrive.
    """
    try:
        upstream = await open_upstream(runtime, exchange)
    except GatewayError as exc:
        await on_error(exchange, exc.message)
        raise
    hooks = exchange.route.hooks
    wants_hook = hooks.has("onResponse")
    body = None
    if (buffer or wants_hook) and not is_event_stream(upstream):
        body = await read_whole(upstream)
    answer = Answer(upstream, upstream.status, downstream_headers(upstream.raw_headers), body, body)
    if wants_hook:
        try:
            await apply_on_response(exchange, answer)
        except GatewayError:
            upstream.release()
            raise
    exchange.trace.status = answer.status  # known before settling: the ledger row carries it
    return answer


async def apply_on_response(exchange: Exchange, answer: Answer) -> None:
    response = hook_response(answer.status, answer.upstream.raw_headers, answer.body)
    ctx = exchange.hook_context("onResponse", response=response)
    override = await exchange.route.hooks.run_on_response(ctx)
    if override is None:
        return
    answer.settle = override.settle
    if answer.body is not None:
        answer.status, answer.headers, answer.body = apply_override(
            override, answer.status, answer.headers, answer.body
        )
        return
    if override.body is not None:
        log.warning("route %s: onResponse cannot replace a streamed body", exchange.route.key)
    head_only = ResponseOverride(status=override.status, headers=override.headers)
    answer.status, answer.headers, _ = apply_override(head_only, answer.status, answer.headers, b"")


async def deliver(exchange: Exchange, answer: Answer, send: Send, extra: RawHeaders) -> None:
    if answer.body is not None:
        await send_buffered(send, answer.status, answer.headers, answer.body, extra)
        return
    rewrite = usage_stripper(exchange, answer.upstream)
    await relay(answer.upstream, send, answer.status, answer.headers, extra, rewrite)


async def on_error(exchange: Exchange, error: str, response: HookResponse | None = None) -> None:
    hooks = exchange.route.hooks
    if hooks.has("onError") and exchange.facts is not None:
        await hooks.run_on_error(exchange.hook_context("onError", error=error, response=response))


async def send_error(send: Send, error: GatewayError) -> None:
    if isinstance(error, Rejected):
        status, body, headers = render_reject(error.reject)
        await send_response(send, status, body, headers)
        return
    await send_response(
        send,
        error.status,
        json_bytes({"error": error.message}),
        [(b"content-type", b"application/json"), *error.headers],
    )
