"""A paid request end to end, and every way one payment could buy two responses."""

from __future__ import annotations

import asyncio

import httpx
from x402.http.utils import decode_payment_response_header

from tests.integration.conftest import Facilitator, GatewayFactory, Upstream, base_config
from tests.support.payer import new_account, paying_client, required_of, sign_for

ROUTES = """\
  "GET /data":
    upstream: api
    price: "$0.01"
  "POST /gen":
    upstream: api
    match:
      - where: {{ body.size: large }}
        price: "$0.50"
    fallback: "$0.01"
"""


async def test_paid_request_moves_exactly_the_price(
    gateway: GatewayFactory, facilitator: Facilitator, upstream: Upstream, merchant: str
) -> None:
    url = gateway(base_config(ROUTES))
    payer = new_account()
    payer_before = facilitator.balance(payer.address)
    merchant_before = facilitator.balance(merchant)

    async with paying_client(payer) as client:
        response = await client.get(f"{url}/data")

    assert response.status_code == 200, response.text
    receipt = decode_payment_response_header(response.headers["payment-response"])
    assert receipt.success and receipt.transaction.startswith("0x")
    assert receipt.payer is not None and receipt.payer.lower() == payer.address.lower()
    assert facilitator.balance(payer.address) == payer_before - 10_000
    assert facilitator.balance(merchant) == merchant_before + 10_000

    seen = upstream.log.requests[-1]["headers"]
    assert seen["authorization"] == "Bearer upstream-secret"
    assert "payment-signature" not in seen and "x-payment" not in seen


async def test_replayed_payment_is_refused(
    gateway: GatewayFactory, facilitator: Facilitator, upstream: Upstream
) -> None:
    url = gateway(base_config(ROUTES))
    payer = new_account()
    async with httpx.AsyncClient(timeout=30) as plain:
        header = await sign_for(payer, required_of(await plain.get(f"{url}/data")))
        first = await plain.get(f"{url}/data", headers={"PAYMENT-SIGNATURE": header})
        second = await plain.get(f"{url}/data", headers={"PAYMENT-SIGNATURE": header})
    assert first.status_code == 200
    assert second.status_code == 402
    assert "already been used" in second.json()["error"]
    assert len(upstream.log.requests) == 1
    assert facilitator.balance(payer.address) == 100_000_000 - 10_000


async def test_twenty_concurrent_replays_buy_exactly_one_response(
    gateway: GatewayFactory, facilitator: Facilitator, upstream: Upstream
) -> None:
    url = gateway(base_config(ROUTES))
    payer = new_account()
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=40)) as plain:
        header = await sign_for(payer, required_of(await plain.get(f"{url}/data")))
        responses = await asyncio.gather(
            *(plain.get(f"{url}/data", headers={"PAYMENT-SIGNATURE": header}) for _ in range(20))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [402] * 19
    assert len(upstream.log.requests) == 1
    assert facilitator.balance(payer.address) == 100_000_000 - 10_000


async def test_payment_for_a_cheaper_body_does_not_buy_a_dearer_one(
    gateway: GatewayFactory, facilitator: Facilitator, upstream: Upstream
) -> None:
    url = gateway(base_config(ROUTES))
    payer = new_account()
    async with httpx.AsyncClient(timeout=30) as plain:
        cheap = required_of(await plain.post(f"{url}/gen", json={"size": "small"}))
        header = await sign_for(payer, cheap)
        dear = await plain.post(
            f"{url}/gen", json={"size": "large"}, headers={"PAYMENT-SIGNATURE": header}
        )
    assert dear.status_code == 402
    assert "costs 500000" in dear.json()["error"]
    assert upstream.log.requests == []
    assert facilitator.balance(payer.address) == 100_000_000


async def test_payment_response_from_upstream_is_not_passed_through(
    gateway: GatewayFactory,
) -> None:
    routes = '  "GET /forge":\n    upstream: api\n    price: "$0"\n'
    url = gateway(base_config(routes))
    async with httpx.AsyncClient(timeout=30) as plain:
        response = await plain.get(f"{url}/forge")
    assert response.status_code == 200
    assert "payment-response" not in response.headers
