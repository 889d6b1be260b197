"""settlement: after-response charges only when the upstream answered below 500."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import Facilitator, GatewayFactory, base_config
from tests.support.payer import new_account, paying_client, required_of, sign_for

ROUTES = """\
  "GET /status/:code":
    upstream: api
    price: "$0.02"
    settlement: after-response
  "GET /slow":
    upstream: api
    price: "$0.02"
    settlement: after-response
"""


@pytest.mark.parametrize(
    ("status", "charged"), [(200, True), (404, True), (429, True), (500, False), (503, False)]
)
async def test_charged_only_below_500(
    gateway: GatewayFactory, facilitator: Facilitator, status: int, charged: bool
) -> None:
    url = gateway(base_config(ROUTES))
    payer = new_account()
    before = facilitator.balance(payer.address)
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/status/{status}")
    assert response.status_code == status
    assert ("payment-response" in response.headers) is charged
    assert facilitator.balance(payer.address) == before - (20_000 if charged else 0)


async def test_upstream_timeout_settles_nothing(
    gateway: GatewayFactory, facilitator: Facilitator
) -> None:
    routes = (
        '  "GET /slow":\n    upstream: api\n    price: "$0.02"\n    settlement: after-response\n'
    )
    config = base_config(routes).replace(
        '    url: "{upstream}"\n', '    url: "{upstream}"\n    timeout: 0.5\n', 1
    )
    url = gateway(config)
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/slow?seconds=3")
    assert response.status_code == 504
    assert "did not answer" in response.json()["error"]
    assert facilitator.balance(payer.address) == 100_000_000


async def test_unreachable_upstream_settles_nothing(
    gateway: GatewayFactory, facilitator: Facilitator
) -> None:
    routes = '  "GET /x":\n    upstream: api\n    price: "$0.02"\n    settlement: after-response\n'
    config = base_config(routes).replace('"{upstream}"', '"http://127.0.0.1:9"', 1)
    url = gateway(config)
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/x")
    assert response.status_code == 502
    assert "could not be reached" in response.json()["error"]
    assert facilitator.balance(payer.address) == 100_000_000


async def test_same_payment_can_be_retried_after_a_5xx(
    gateway: GatewayFactory, facilitator: Facilitator
) -> None:
    """Nothing was served on a 5xx, so the reservation is released for a retry."""
    url = gateway(base_config(ROUTES))
    payer = new_account()
    async with httpx.AsyncClient(timeout=30) as plain:
        header = await sign_for(payer, required_of(await plain.get(f"{url}/status/500")))
        failed = await plain.get(f"{url}/status/500", headers={"PAYMENT-SIGNATURE": header})
        after_failure = facilitator.balance(payer.address)
        retried = await plain.get(f"{url}/status/200", headers={"PAYMENT-SIGNATURE": header})
    assert failed.status_code == 500
    assert after_failure == 100_000_000
    assert retried.status_code == 200
    assert facilitator.balance(payer.address) == 100_000_000 - 20_000
