"""The benchmark gateway takes real signed payments on both paid routes."""

from __future__ import annotations

import pytest
from x402.http.utils import decode_payment_response_header

from bench.services.gateway import PAID_AFTER_PATH, PAID_PATH, build_gateway
from bench.services.upstream import BODY
from bench.services.upstream import app as upstream_app
from farebox.facilitator.app import build_facilitator_app
from farebox.facilitator.local import build_local_facilitator
from farebox.serving import BackgroundServer
from tests.support.payer import new_account, paying_client


@pytest.mark.parametrize("client", ["own", "sdk"])
async def test_official_client_pays_on_both_settlement_timings(client: str) -> None:
    facilitator = build_local_facilitator()
    with (
        BackgroundServer(upstream_app) as upstream,
        BackgroundServer(build_facilitator_app(facilitator)) as local,
    ):
        app, _ = build_gateway(upstream.url, local.url, client)
        with BackgroundServer(app) as gateway:
            async with paying_client(new_account()) as payer:
                responses = [await payer.get(gateway.url + p) for p in (PAID_PATH, PAID_AFTER_PATH)]
    for response in responses:
        assert response.status_code == 200, response.text
        assert response.content == BODY
        receipt = decode_payment_response_header(response.headers["payment-response"])
        assert receipt.success and receipt.transaction.startswith("0x")
