"""The route's own ceiling bounds a metered charge even when a hook authorizes more.

An onPriceResolved hook may raise the ceiling a caller authorizes, but the usage is
still charged at the route's rates: no honest usage can cost more than every input
and output token at full rate, so an upstream that reports more is not believed.
The gateway's later min(amount, authorized) cannot catch this, since the hook's
ceiling is above the route's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.llm_routes.conftest import GatewayFactory
from tests.llm_routes.support import Facilitator, Payer, cost, parse_sse, receipt_of
from tests.support.payer import required_of

IN, OUT = "$0.15/1M", "$0.60/1M"
ROUTE = f"""\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    schemes: [upto]
    models:
      gpt-4.1-mini: {{input: "{IN}", output: "{OUT}"}}
"""
RAISE_HOOK = """\
from farebox import PriceOverride

def hook(ctx):
    return PriceOverride(atomic=ctx.quote.amount * 3)
"""
BODY: dict[str, Any] = {
    "model": "gpt-4.1-mini",
    "messages": [{"role": "user", "content": "Tell me how metered charging works."}],
}
INFLATE = {"x-fake-usage": "inflate"}  # the fake LLM reports 1000x the real usage


@pytest.fixture(scope="module")
def hook_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hooks") / "ceiling_times_three.py"
    path.write_text(RAISE_HOOK, encoding="utf-8")
    return path


async def ceiling_of(url: str, body: dict[str, Any]) -> int:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{url}/v1/chat/completions", json=body)
    (offer,) = required_of(response).accepts
    assert offer.scheme == "upto"
    return int(offer.amount)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_inflated_usage_is_charged_at_most_the_routes_ceiling(
    gateway: GatewayFactory,
    facilitator: Facilitator,
    payer: Payer,
    hook_file: Path,
    stream: bool,
) -> None:
    raised_url = gateway(ROUTE + f'    hooks: {{onPriceResolved: "{hook_file}"}}\n')
    body = {**BODY, "stream": True, "stream_options": {"include_usage": True}} if stream else BODY
    route_ceiling = await ceiling_of(gateway(ROUTE), body)  # the body's size bounds the input
    raised_ceiling = await ceiling_of(raised_url, body)
    assert raised_ceiling == 3 * route_ceiling

    async with payer.http() as client:
        response = await client.post(
            f"{raised_url}/v1/chat/completions", json=body, headers=INFLATE
        )
    assert response.status_code == 200, response.text
    if stream:
        receipt = parse_sse(response.text).receipt()
    else:
        receipt = receipt_of(response.headers["payment-response"])
        usage = response.json()["usage"]
        reported = cost(usage["prompt_tokens"], usage["completion_tokens"], IN, OUT)
        assert reported > raised_ceiling  # so only the route's ceiling can bound the charge

    assert int(payer.authorized.amount) == raised_ceiling
    assert receipt["ceiling"] == str(raised_ceiling)
    assert receipt["amount"] == str(route_ceiling)
    assert payer.spent(facilitator) == route_ceiling
