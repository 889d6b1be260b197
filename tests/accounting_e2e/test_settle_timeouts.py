"""A facilitator that times out on /settle: the outcome is unknown, so nothing is written off.

After serving (after-response), the caller gets the answer it paid for and the settlement
stays pending for the retry loop. Before serving (before-response), the request fails with
504, and the payment stays claimed: the money may have moved.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from farebox.serving import BackgroundServer
from farebox.stores.ledger import Outcome
from tests.accounting_e2e.conftest import Facilitator, GatewayFactory, Ledger
from tests.accounting_e2e.support import HangingProxy, ledger_rows, pending_settlements
from tests.support.payer import new_account, required_of, sign_for

ROUTES = """\
  "GET /after":
    upstream: api
    path: /status/200
    price: "$0.02"
    settlement: after-response
  "GET /before":
    upstream: api
    path: /status/200
    price: "$0.02"
"""


@pytest.fixture
def hanging(facilitator: Facilitator) -> Iterator[str]:
    proxy = HangingProxy(facilitator.url)
    server = BackgroundServer(proxy.app(), timeout_graceful_shutdown=0).start()
    try:
        yield server.url
    finally:
        proxy.release.set()
        server.stop()


async def test_after_response_delivers_and_leaves_the_settlement_pending(
    gateway: GatewayFactory, ledger: Ledger, hanging: str
) -> None:
    running = gateway(ROUTES, ledger=ledger.setting, facilitator=hanging, facilitator_timeout=0.5)
    payer = new_account()
    async with httpx.AsyncClient(timeout=30) as client:
        header = await sign_for(payer, required_of(await client.get(f"{running.url}/after")))
        paid = await client.get(f"{running.url}/after", headers={"PAYMENT-SIGNATURE": header})
        replay = await client.get(f"{running.url}/after", headers={"PAYMENT-SIGNATURE": header})
    assert paid.status_code == 200
    assert paid.json() == {"status": 200}  # the caller got what it is paying for
    assert "payment-response" not in paid.headers  # not settled yet
    assert replay.status_code == 402 and "already been used" in replay.json()["error"]
    running.stop()
    pending = await pending_settlements(ledger.location)
    assert [p.row.payer for p in pending] == [payer.address]
    assert all(r.outcome == Outcome.PENDING for r in await ledger_rows(ledger.location))


async def test_before_response_fails_with_504_and_keeps_the_payment_claimed(
    gateway: GatewayFactory, ledger: Ledger, hanging: str
) -> None:
    running = gateway(ROUTES, ledger=ledger.setting, facilitator=hanging, facilitator_timeout=0.5)
    payer = new_account()
    async with httpx.AsyncClient(timeout=30) as client:
        header = await sign_for(payer, required_of(await client.get(f"{running.url}/before")))
        paid = await client.get(f"{running.url}/before", headers={"PAYMENT-SIGNATURE": header})
        replay = await client.get(f"{running.url}/before", headers={"PAYMENT-SIGNATURE": header})
    assert paid.status_code == 504
    assert "did not answer settle" in paid.json()["error"]
    assert replay.status_code == 402 and "already been used" in replay.json()["error"]
    running.stop()
