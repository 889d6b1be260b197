"""onResponse through real sockets on `settlement: after-response` routes: it changes what
the caller gets, and `settle: False` leaves the payer's balance at the facilitator as it was."""

from __future__ import annotations

import pytest

from tests.hooks_e2e.conftest import GatewayFactory
from tests.hooks_e2e.support import START_BALANCE, Facilitator, HookFiles, Upstream
from tests.support.payer import new_account, paying_client

HOOKS = {
    "transform.py": """
        from farebox import ResponseOverride

        def hook(ctx):
            echoed = ctx.response.json
            return ResponseOverride(
                status=201,
                headers={
                    "X-Payer": ctx.payment.payer,
                    "X-Upstream-Status": str(ctx.response.status),
                },
                body={"wrapped": echoed["path"], "price": str(ctx.quote.dollars)},
            )
        """,
    "text_body.py": """
        def hook(ctx):
            return {"body": "plain words", "headers": {"X-Hooked": "yes"}}
        """,
    "free_on_query.py": """
        def hook(ctx):
            if ctx.request.query.get("free") == "1":
                return {"settle": False, "headers": {"X-Refunded": "yes"}}
            return None
        """,
    "paper_over_5xx.py": """
        def hook(ctx):
            # Tries to make an upstream failure look like a success: must not be charged.
            return {"status": 200, "body": {"ok": True}}
        """,
    "fail_a_success.py": """
        def hook(ctx):
            return {"status": 502, "body": {"error": "empty"}}
        """,
}

ROUTES = """\
  "GET /transform":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/transform.py"}
  "GET /text":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/text_body.py"}
  "GET /refund":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/free_on_query.py"}
  "GET /status/:code":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/paper_over_5xx.py"}
  "GET /fail":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/fail_a_success.py"}
  "GET /too-late":
    upstream: api
    price: "$0.02"
    settlement: before-response
    hooks: {onResponse: "{hooks}/free_on_query.py"}
"""


@pytest.fixture(scope="module")
def url(gateway: GatewayFactory, files: HookFiles) -> str:
    for name, source in HOOKS.items():
        files.write(name, source)
    return gateway(ROUTES)


async def test_the_caller_gets_the_transformed_response_and_pays(
    url: str, facilitator: Facilitator
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/transform")
    assert response.status_code == 201
    assert response.json() == {"wrapped": "/transform", "price": "0.02"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-payer"].lower() == payer.address.lower()
    assert response.headers["x-upstream-status"] == "200"
    assert int(response.headers["content-length"]) == len(response.content)
    assert "payment-response" in response.headers
    assert facilitator.balance(payer.address) == START_BALANCE - 20_000


async def test_a_text_body_is_sent_as_text(url: str) -> None:
    async with paying_client(new_account()) as client:
        response = await client.get(f"{url}/text")
    assert response.status_code == 200
    assert response.text == "plain words"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-hooked"] == "yes"


async def test_settle_false_relays_the_answer_and_charges_nothing(
    url: str, facilitator: Facilitator, upstream: Upstream
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        refunded = await client.get(f"{url}/refund?free=1")
        assert facilitator.balance(payer.address) == START_BALANCE
        charged = await client.get(f"{url}/refund")
    assert refunded.status_code == 200
    assert refunded.json()["path"] == "/refund"  # the upstream's answer, as is
    assert refunded.headers["x-refunded"] == "yes"
    assert "payment-response" not in refunded.headers
    assert upstream.log.paths() == ["/refund", "/refund"]
    assert "payment-response" in charged.headers
    assert facilitator.balance(payer.address) == START_BALANCE - 20_000


async def test_a_hook_cannot_turn_an_upstream_5xx_into_a_charge(
    url: str, facilitator: Facilitator
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/status/503")
    assert response.status_code == 200  # the hook's response is what the caller gets...
    assert response.json() == {"ok": True}
    assert "payment-response" not in response.headers
    assert facilitator.balance(payer.address) == START_BALANCE  # ...but it is not charged


async def test_a_response_the_hook_turned_into_a_5xx_is_not_charged(
    url: str, facilitator: Facilitator
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/fail")
    assert response.status_code == 502
    assert response.json() == {"error": "empty"}
    assert "payment-response" not in response.headers
    assert facilitator.balance(payer.address) == START_BALANCE


async def test_settle_false_comes_too_late_on_a_before_response_route(
    url: str, facilitator: Facilitator
) -> None:
    """As documented: the payment settled before the upstream was called."""
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/too-late?free=1")
    assert response.status_code == 200
    assert response.headers["x-refunded"] == "yes"
    assert "payment-response" in response.headers
    assert facilitator.balance(payer.address) == START_BALANCE - 20_000
