"""Hooks on a metered (upto) LLM route: onResponse can still refuse settlement, and
onPriceResolved sets the ceiling the caller authorizes (usage is charged below it)."""

from __future__ import annotations

import httpx
import pytest
from x402.http.utils import decode_payment_response_header

from tests.hooks_e2e.conftest import GatewayFactory
from tests.hooks_e2e.support import START_BALANCE, Facilitator, HookFiles, amount_402
from tests.support.payer import new_account, paying_client, required_of

ROUTES = """\
  "POST /v1/chat/completions":
    upstream: llm
    type: token-based
    schemes: [upto]
    models:
      gpt-4.1-mini: {input: "$1/1M", output: "$4/1M"}
    hooks:
      onResponse: "{examples}/hooks/refund_on_empty_completion.py"
      onPriceResolved: "{hooks}/ceiling_times_three.py"
"""

CHAT = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Hello"}]}


@pytest.fixture(scope="module")
def url(gateway: GatewayFactory, files: HookFiles) -> str:
    files.write(
        "ceiling_times_three.py",
        """
        from farebox import PriceOverride

        def hook(ctx):
            assert ctx.quote.scheme == "upto" and ctx.quote.model == "gpt-4.1-mini"
            return PriceOverride(atomic=ctx.quote.amount * 3)
        """,
    )
    return gateway(ROUTES)


async def test_the_ceiling_is_the_hooks(url: str, gateway: GatewayFactory) -> None:
    plain_url = gateway(ROUTES.split("    hooks:")[0])
    async with httpx.AsyncClient(timeout=30) as plain:
        hooked = await plain.post(f"{url}/v1/chat/completions", json=CHAT)
        unhooked = await plain.post(f"{plain_url}/v1/chat/completions", json=CHAT)
    assert {r.scheme for r in required_of(hooked).accepts} == {"upto"}
    assert amount_402(hooked) == 3 * amount_402(unhooked)


async def test_usage_is_charged_below_the_ceiling(url: str, facilitator: Facilitator) -> None:
    payer = new_account()
    async with httpx.AsyncClient(timeout=30) as plain:
        ceiling = amount_402(await plain.post(f"{url}/v1/chat/completions", json=CHAT))
    async with paying_client(payer) as client:
        response = await client.post(f"{url}/v1/chat/completions", json=CHAT)
    assert response.status_code == 200, response.text
    assert "payment-response" in response.headers
    charged = START_BALANCE - facilitator.balance(payer.address)
    assert 0 < charged < ceiling


async def test_an_empty_completion_is_not_charged(url: str, facilitator: Facilitator) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(
            f"{url}/v1/chat/completions", json=CHAT, headers={"x-fake-empty": "1"}
        )
    assert response.status_code == 200
    assert response.json()["choices"] == []
    assert response.json()["usage"]["completion_tokens"] > 0  # usage there, still not charged
    assert "payment-response" not in response.headers
    assert facilitator.balance(payer.address) == START_BALANCE


LOWERED = """\
  "POST /v1/chat/completions":
    upstream: llm
    type: token-based
    schemes: [upto]
    models:
      gpt-4.1-mini: {input: "$1/1M", output: "$4/1M"}
    hooks:
      onPriceResolved: "{hooks}/ceiling_tiny.py"
"""


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_a_lowered_ceiling_caps_the_charge(
    gateway: GatewayFactory, files: HookFiles, facilitator: Facilitator, stream: bool
) -> None:
    """The caller authorized the hook's price: usage above it is charged at that price."""
    files.write("ceiling_tiny.py", "def hook(ctx):\n    return {'atomic': 3}\n")
    url = gateway(LOWERED)
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}/v1/chat/completions", json={**CHAT, "stream": stream})
    assert response.status_code == 200, response.text
    assert facilitator.balance(payer.address) == START_BALANCE - 3


async def test_the_receipt_names_the_ceiling_the_caller_authorized(
    gateway: GatewayFactory, files: HookFiles
) -> None:
    files.write("ceiling_tiny.py", "def hook(ctx):\n    return {'atomic': 3}\n")
    url = gateway(LOWERED)
    async with paying_client(new_account()) as client:
        response = await client.post(f"{url}/v1/chat/completions", json=CHAT)
    settled = decode_payment_response_header(response.headers["payment-response"])
    assert settled.extra is not None
    assert settled.extra["receipt"]["ceiling"] == "3"
    assert settled.extra["receipt"]["amount"] == "3"


REWRITTEN = """\
  "POST /v1/chat/completions":
    upstream: llm
    type: token-based
    schemes: [upto]
    models:
      gpt-4.1-mini: {input: "$1/1M", output: "$4/1M"}
    hooks:
      onResponse: "{hooks}/rewrite_body.py"
"""


async def test_usage_is_metered_on_the_upstreams_answer_not_the_hooks(
    gateway: GatewayFactory, files: HookFiles, facilitator: Facilitator
) -> None:
    """A hook that rewrites the body (here: dropping the usage) changes what the caller
    reads, not what the upstream billed: the charge follows the upstream's usage."""
    files.write(
        "rewrite_body.py",
        "def hook(ctx):\n    return {'body': {'rewritten': True}, 'status': 200}\n",
    )
    url = gateway(REWRITTEN)
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}/v1/chat/completions", json=CHAT)
    assert response.status_code == 200 and response.json() == {"rewritten": True}
    receipt = decode_payment_response_header(response.headers["payment-response"]).extra
    assert receipt is not None
    details = receipt["receipt"]
    assert details["estimated"] is False
    assert details["outputTokens"] == 29  # the fake upstream's reply, as it reported it
    assert facilitator.balance(payer.address) == START_BALANCE - int(details["amount"])
