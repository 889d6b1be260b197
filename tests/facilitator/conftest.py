from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from x402.http import FacilitatorConfig, HTTPFacilitatorClient

from farebox.facilitator import LocalFacilitator, build_facilitator_app, build_local_facilitator
from farebox.serving import BackgroundServer

from .payments import Shop


@pytest.fixture
def facilitator() -> Iterator[LocalFacilitator]:
    local = build_local_facilitator()
    yield local
    local.ledger.close()


@pytest.fixture
def served(facilitator: LocalFacilitator) -> Iterator[BackgroundServer]:
    with BackgroundServer(build_facilitator_app(facilitator)) as server:
        yield server


@pytest.fixture
async def http_facilitator(served: BackgroundServer) -> AsyncIterator[HTTPFacilitatorClient]:
    client = HTTPFacilitatorClient(FacilitatorConfig(url=served.url))
    yield client
    await client.aclose()


@pytest.fixture
def shop(http_facilitator: HTTPFacilitatorClient) -> Shop:
    return Shop(http_facilitator)
