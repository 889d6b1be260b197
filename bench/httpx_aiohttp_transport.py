"""Prototype: an httpx transport that sends over aiohttp.

Handed to the SDK's HTTPFacilitatorClient as `FacilitatorConfig(http_client=
httpx.AsyncClient(transport=AiohttpTransport()))`, it keeps the SDK client and
all it does (auth headers, response parsing, the extension side channel) and
replaces only httpcore's connection pool underneath. Measured beside the
standalone AiohttpFacilitatorClient, it shows how much of httpx's cost is the
pool and how much the client layer above it.
"""

from __future__ import annotations

import aiohttp
import httpx

DEFAULT_TIMEOUT = 15.0


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Buffered requests and responses over one pooled aiohttp session (no streaming)."""

    def __init__(self, max_connections: int = 100) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        body = await request.aread()
        try:
            async with session.request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                data=body or None,
                timeout=_timeout(request),
                allow_redirects=False,
                skip_auto_headers=("Content-Type",),
            ) as response:
                content = await response.read()
                headers = [(k.decode(), v.decode()) for k, v in response.raw_headers]
        except TimeoutError as exc:
            raise httpx.TimeoutException(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.TransportError(str(exc)) from exc
        # The body is already decoded by aiohttp if compressed: drop the header saying otherwise.
        headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
        return httpx.Response(response.status, headers=headers, content=content, request=request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    limits = request.extensions.get("timeout", {})
    seconds = max((v for v in limits.values() if v is not None), default=DEFAULT_TIMEOUT)
    return aiohttp.ClientTimeout(total=seconds)
