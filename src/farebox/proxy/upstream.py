"""The upstream client: pooled aiohttp connections, streaming both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import yarl

from farebox.asgi import Receive


class UpstreamError(Exception):
    """The upstream could not answer; status is 502 (failed) or 504 (too slow)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class UpstreamSettings:
    name: str
    base_url: str
    headers: dict[str, str]
    timeout: float


class UpstreamPool:
    """One connection pool for all upstreams, opened at startup and closed at shutdown."""

    def __init__(self, max_connections: int = 512) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=0, ttl_dns_cache=300
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # relay bytes exactly as the upstream encoded them
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        upstream: UpstreamSettings,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | AsyncIterator[bytes] | None,
    ) -> aiohttp.ClientResponse:
        """Send the request and return once the upstream's status and headers arrived."""
        if self._session is None:
            raise RuntimeError("UpstreamPool.open() was not called")
        # sock_read bounds every wait for bytes, so long streams stay alive while they flow.
        timeout = aiohttp.ClientTimeout(
            total=None, connect=upstream.timeout, sock_read=upstream.timeout
        )
        try:
            return await self._session.request(
                method,
                # encoded=True: send the path we checked byte for byte; yarl would re-normalise it
                yarl.URL(url, encoded=True),
                headers=headers,
                data=body,
                timeout=timeout,
                allow_redirects=False,
                compress=None,
            )
        except TimeoutError:
            raise UpstreamError(
                504, f"upstream {upstream.name} did not answer within {upstream.timeout:g}s"
            ) from None
        except aiohttp.ClientError as exc:
            raise UpstreamError(
                502, f"upstream {upstream.name} could not be reached: {_describe(exc)}"
            ) from None


async def stream_request_body(receive: Receive) -> AsyncIterator[bytes]:
    """Relay the caller's body to the upstream as it arrives."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk: bytes = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


def _describe(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"connection to {exc.host}:{exc.port} failed"
    return str(exc) or type(exc).__name__
