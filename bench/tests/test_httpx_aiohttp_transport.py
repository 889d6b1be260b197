"""The SDK's facilitator client works unchanged on the aiohttp transport."""

from __future__ import annotations

import httpx
import pytest
from x402.http import FacilitatorConfig, HTTPFacilitatorClient

from bench.httpx_aiohttp_transport import AiohttpTransport
from bench.services.facilitator_stub import build_stub
from bench.tests.test_facilitator_aiohttp import REQUIREMENTS, payload
from farebox.serving import BackgroundServer


def sdk_client(url: str, transport: AiohttpTransport) -> HTTPFacilitatorClient:
    http = httpx.AsyncClient(transport=transport, timeout=5)
    return HTTPFacilitatorClient(FacilitatorConfig(url=url, timeout=5, http_client=http))


async def test_sdk_client_verifies_and_settles_through_aiohttp() -> None:
    transport = AiohttpTransport()
    with BackgroundServer(build_stub()) as stub:
        client = sdk_client(stub.url, transport)
        try:
            verified = await client.verify(payload(), REQUIREMENTS)
            settled = await client.settle(payload(), REQUIREMENTS)
        finally:
            await transport.aclose()
        stats = httpx.get(f"{stub.url}/stats").json()
    assert verified.is_valid and settled.success
    assert stats == {"verify": 1, "settle": 1}


async def test_a_refused_connection_is_an_httpx_connect_error() -> None:
    transport = AiohttpTransport()
    with BackgroundServer(build_stub()) as stub:
        url = stub.url  # the port is free again once the server is gone
    try:
        with pytest.raises(httpx.ConnectError):
            await sdk_client(url, transport).verify(payload(), REQUIREMENTS)
    finally:
        await transport.aclose()


async def test_non_200_reaches_the_sdk_as_its_own_error() -> None:
    transport = AiohttpTransport()
    with BackgroundServer(build_stub()) as stub:
        try:
            with pytest.raises(ValueError, match=r"Facilitator verify failed \(404\)"):
                await sdk_client(stub.url + "/nowhere", transport).verify(payload(), REQUIREMENTS)
        finally:
            await transport.aclose()
