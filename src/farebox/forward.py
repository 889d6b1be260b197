"""Forwarding a request to its upstream and relaying the answer back."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import aiohttp

from farebox.asgi import RawHeaders, Send
from farebox.errors import GatewayError
from farebox.exchange import Exchange
from farebox.llm.usage import StreamMeter
from farebox.metered import is_event_stream
from farebox.proxy.headers import upstream_headers
from farebox.proxy.upstream import UpstreamError, stream_request_body
from farebox.routing.rewrite import PathError, upstream_target
from farebox.runtime import Runtime

log = logging.getLogger("farebox.forward")

# The most of an upstream answer read into memory (for onResponse hooks and metering).
MAX_BUFFERED_BODY = 64 * 1024 * 1024


def upstream_url(exchange: Exchange) -> str:
    """Where this request goes upstream; a path that would escape the base is a 400.

    Called before pricing, so a bad path is refused before any money moves.
    """
    scope, route = exchange.scope, exchange.route
    try:
        return upstream_target(
            route.upstream.base_url,
            route.path_template,
            exchange.raw_path,
            exchange.params,
            scope.get("query_string", b"").decode("latin-1"),
        )
    except PathError as exc:
        raise GatewayError(400, str(exc)) from None


async def open_upstream(runtime: Runtime, exchange: Exchange) -> aiohttp.ClientResponse:
    """Send the request upstream; returns once its status and headers arrived."""
    scope, route = exchange.scope, exchange.route
    url = exchange.upstream_url
    assert url is not None, "handle_route checks the upstream path before anything else"
    client = scope.get("client")
    injected = route.upstream.headers
    if exchange.metering_body is not None:
        injected = {**injected, "accept-encoding": "identity"}  # usage must be readable
    headers = upstream_headers(
        scope["headers"],
        injected,
        forwarded_for=client[0] if client else None,
        forwarded_proto=scope.get("scheme", "http"),
    )
    started = time.perf_counter()
    accounting = runtime.accounting
    try:
        upstream = await runtime.pool.send(
            route.upstream, scope["method"], url, headers, request_body(exchange)
        )
    except UpstreamError as exc:
        kind = "timeout" if exc.status == 504 else "unreachable"
        accounting.upstream(route.upstream.name, kind, time.perf_counter() - started)
        raise GatewayError(exc.status, str(exc)) from None
    accounting.upstream(route.upstream.name, upstream.status, time.perf_counter() - started)
    return upstream


def request_body(exchange: Exchange) -> bytes | AsyncIterator[bytes] | None:
    if exchange.metering_body is not None:
        return exchange.metering_body  # the caller's body with the output cap written in
    if exchange.raw_body is not None:
        return exchange.raw_body
    has_body = exchange.headers.get("content-length", "0") != "0"
    if has_body or "transfer-encoding" in exchange.headers:
        return stream_request_body(exchange.receive)
    return None


def usage_stripper(exchange: Exchange, upstream: aiohttp.ClientResponse) -> StreamMeter | None:
    """A meter that removes the usage chunk the gateway asked for and the caller did not."""
    metering = exchange.quote.metering if exchange.quote is not None else None
    if metering is None or not metering.strip_usage_chunk or not is_event_stream(upstream):
        return None
    return StreamMeter(metering.shape, strip_usage_chunk=True)


async def relay(
    upstream: aiohttp.ClientResponse,
    send: Send,
    status: int,
    headers: RawHeaders,
    extra: RawHeaders,
    rewrite: StreamMeter | None = None,
) -> None:
    """Stream the upstream's answer to the caller as it arrives.

    `status` and `headers` are the upstream's as onResponse left them, `extra`
    the gateway's own; `rewrite` filters the body (then its length is no longer
    the upstream's).
    """
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    length = upstream.headers.get("content-length")
    if length is not None and rewrite is None:
        headers.append((b"content-length", length.encode()))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
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


async def read_whole(upstream: aiohttp.ClientResponse) -> bytes:
    """The upstream's whole answer (for hooks and metering), bounded."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in upstream.content.iter_any():
            size += len(chunk)
            if size > MAX_BUFFERED_BODY:
                raise GatewayError(
                    502, f"upstream answer could not be read: larger than {MAX_BUFFERED_BODY} bytes"
                )
            chunks.append(chunk)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise GatewayError(502, f"upstream answer could not be read: {exc}") from None
    finally:
        upstream.release()
    return b"".join(chunks)


async def send_buffered(
    send: Send, status: int, headers: RawHeaders, body: bytes, extra: RawHeaders
) -> None:
    out = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    out += [*extra, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})
