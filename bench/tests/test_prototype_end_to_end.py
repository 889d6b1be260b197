"""The prototype facilitator client carries a real signed payment through the gateway."""

from __future__ import annotations

from tests.support.payer import new_account, paying_client
from x402.http.utils import decode_payment_response_header

from bench.services.gateway import PAID_PATH, build_gateway
from bench.services.upstream import BODY
from bench.services.upstream import app as upstream_app
from farebox.facilitator.app import build_facilitator_app
from farebox.facilitator.local import build_local_facilitator
from farebox.serving import BackgroundServer


async def test_official_client_pays_through_the_aiohttp_facilitator_client() -> None:
    facilitator = build_local_facilitator()
    with (
        BackgroundServer(upstream_app) as upstream,
        BackgroundServer(build_facilitator_app(facilitator)) as local,
    ):
        app, client_name = build_gateway(upstream.url, local.url, "aiohttp")
        with BackgroundServer(app) as gateway:
            async with paying_client(new_account()) as client:
                first = await client.get(gateway.url + PAID_PATH)
                second = await client.get(gateway.url + PAID_PATH)
    assert client_name == "AiohttpFacilitatorClient"
    for response in (first, second):
        assert response.status_code == 200, response.text
        assert response.content == BODY
        receipt = decode_payment_response_header(response.headers["payment-response"])
        assert receipt.success and receipt.transaction.startswith("0x")
