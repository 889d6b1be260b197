"""A facilitator that is down or slow: 502/504, and the upstream is never called."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from farebox.serving import BackgroundServer
from tests.integration.conftest import GatewayFactory, Upstream, base_config
from tests.support.payer import new_account, paying_client

ROUTES = '  "GET /data":\n    upstream: api\n    price: "$0.01"\n'
AFTER = ROUTES + "    settlement: after-response\n"


@pytest.fixture
def slow_facilitator() -> Iterator[str]:
    async def hang(request: Request) -> JSONResponse:
        await asyncio.sleep(5)
        return JSONResponse({})

    app = Starlette(
        routes=[Route("/verify", hang, methods=["POST"]), Route("/settle", hang, methods=["POST"])]
    )
    with BackgroundServer(app) as server:
        yield server.url


@pytest.mark.parametrize(("routes", "step"), [(ROUTES, "settle"), (AFTER, "verify")])
async def test_facilitator_down_is_502(
    gateway: GatewayFactory, upstream: Upstream, routes: str, step: str
) -> None:
    url = gateway(base_config(routes).replace('"{facilitator}"', '"http://127.0.0.1:9"'))
    async with paying_client(new_account()) as client:
        response = await client.get(f"{url}/data")
    assert response.status_code == 502
    error = response.json()["error"]
    assert f"failed during {step}: connection refused or unreachable" in error
    assert upstream.log.requests == []


@pytest.mark.parametrize(("routes", "step"), [(ROUTES, "settle"), (AFTER, "verify")])
async def test_facilitator_slow_is_504(
    gateway: GatewayFactory, upstream: Upstream, slow_facilitator: str, routes: str, step: str
) -> None:
    config = base_config(routes).replace('"{facilitator}"', f'"{slow_facilitator}"')
    url = gateway(config, facilitator_timeout=0.5)
    async with paying_client(new_account()) as client:
        response = await client.get(f"{url}/data")
    assert response.status_code == 504
    assert f"did not answer {step} within 0.5s" in response.json()["error"]
    assert upstream.log.requests == []
