"""Relaying a per-token (upto) response while metering it, then settling the usage.

JSON responses are read whole (usage sits at the end), metered with
json_usage, settled, and delivered with PAYMENT-RESPONSE. Streams are relayed
as they arrive; the settlement happens after the last event, and its result
reaches the caller as a final SSE comment line (`: x402-receipt <base64 JSON>`),
which SSE clients ignore.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from x402.http.utils import encode_payment_response_header
from x402.schemas import SettleResponse

from farebox.asgi import RawHeaders, Send
from farebox.llm.usage import StreamMeter, Usage, estimate_from_json, usage_from_json
from farebox.pricing.metering import Metering

log = logging.getLogger("farebox.metered")

RECEIPT_COMMENT = b": x402-receipt "

Settle = Callable[[int, Usage | None], Awaitable[SettleResponse]]
"""Settle this many atomic units for this usage (the settler attaches the receipt)."""


def is_event_stream(upstream: aiohttp.ClientResponse) -> bool:
    return upstream.headers.get("content-type", "").startswith("text/event-stream")


def receipt(
    model: str | None, metering: Metering, usage: Usage | None, amount: int, ceiling: int
) -> dict[str, Any]:
    """What the caller is told it paid for; `ceiling` is what it authorized."""
    body: dict[str, Any] = {
        "model": model,
        "amount": str(amount),
        "ceiling": str(ceiling),
        # the rates charged: a tiered catalog price depends on the real input count
        "rates": metering.rates_for(
            usage.input_tokens if usage is not None else metering.input_bound
        ).describe(),
    }
    if usage is not None:
        body.update(
            inputTokens=usage.input_tokens,
            outputTokens=usage.output_tokens,
            cachedInputTokens=usage.cached_input_tokens,
            estimated=usage.estimated,
        )
    return body


def json_usage(metering: Metering, body: bytes, status: int) -> Usage | None:
    """The usage to charge for a JSON answer: reported, else estimated; None: charge nothing."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    reported = usage_from_json(metering.shape, parsed) if parsed is not None else None
    if reported is not None or status >= 400:
        return reported  # an upstream error without usage billed nothing: neither do we
    if parsed is None:
        return None
    return estimate_from_json(
        metering.shape, parsed, metering.input_bound, output_cap=metering.output_cap
    )


async def relay_metered_stream(
    upstream: aiohttp.ClientResponse,
    send: Send,
    metering: Metering,
    settle: Settle,
    status: int,
    headers: RawHeaders,
) -> SettleResponse | None:
    """Relay with `status` and `headers` (the upstream's, as onResponse left them), meter,
    then settle; the settlement, or None when there was nothing to charge."""
    meter = StreamMeter(metering.shape, strip_usage_chunk=metering.strip_usage_chunk)
    # The stream grows by a receipt line: no length header (a hook's included) can hold.
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    completed = await _pump(upstream, send, meter)
    usage = _stream_usage(metering, meter, completed, upstream.status)
    amount = metering.charge(usage) if usage is not None else 0
    settled = await settle(amount, usage) if amount else None
    if settled is not None:
        line = RECEIPT_COMMENT + encode_payment_response_header(settled).encode() + b"\n\n"
        await send({"type": "http.response.body", "body": line, "more_body": True})
        if not settled.success:
            log.error("metered stream delivered but settlement failed: %s", settled.error_reason)
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return settled


async def _pump(upstream: aiohttp.ClientResponse, send: Send, meter: StreamMeter) -> bool:
    """Forward the stream through the meter; False when it ended early."""
    try:
        async for chunk in upstream.content.iter_any():
            out = meter.feed(chunk)
            if out:
                await send({"type": "http.response.body", "body": out, "more_body": True})
        completed = True
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("metered stream from upstream ended early: %s", exc)
        completed = False
    finally:
        upstream.release()
    rest = meter.finish()
    if rest:
        await send({"type": "http.response.body", "body": rest, "more_body": True})
    return completed


def _stream_usage(
    metering: Metering, meter: StreamMeter, completed: bool, status: int
) -> Usage | None:
    if meter.usage is not None:
        return meter.usage
    if status >= 400:
        return None
    if not completed and meter.delivered_output_bytes == 0:
        return None  # failed before any output: nothing was delivered, nothing is charged
    return meter.estimate(metering.input_bound, output_cap=metering.output_cap)
