"""When the upstream fails, the caller pays for what it got: nothing before any output,
an estimate (never above the ceiling) for a stream cut off mid-way."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.llm_routes.conftest import GatewayFactory
from tests.llm_routes.support import (
    Facilitator,
    FakeLLM,
    Payer,
    cost,
    openai_text,
    parse_sse,
    post_stream,
)
from tests.support.payer import required_of, sign_for

IN, OUT = "$2.00/1M", "$8.00/1M"

ROUTES = """\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    models:
      gpt-4.1: {input: "$2.00/1M", output: "$8.00/1M"}
    unknownModels: reject
  "POST /slow/v1/chat/completions":
    upstream: slow
    path: /v1/chat/completions
    type: token-based
    models:
      gpt-4.1: {input: "$2.00/1M", output: "$8.00/1M"}
"""

MODEL = "gpt-4.1"
MESSAGES = [{"role": "user", "content": "Count to thirty, please."}]
BODY = {"model": MODEL, "messages": MESSAGES}


@pytest.mark.parametrize("stream", [False, True])
async def test_an_upstream_500_charges_nothing(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer, stream: bool
) -> None:
    client = payer.openai(gateway(ROUTES))
    seen = len(fake_llm.log.requests)
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=stream, extra_headers={"x-fake-status": "500"}
        )
    assert len(fake_llm.log.requests) == seen + 1  # paid, forwarded, failed
    assert payer.selected and payer.spent(facilitator) == 0


async def test_after_a_500_the_same_authorization_buys_the_retry(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    url = f"{gateway(ROUTES)}/v1/chat/completions"
    async with httpx.AsyncClient(timeout=30) as client:
        signature = await sign_for(payer.account, required_of(await client.post(url, json=BODY)))
        failed = await client.post(
            url, json=BODY, headers={"payment-signature": signature, "x-fake-status": "500"}
        )
        assert failed.status_code == 500
        retried = await client.post(url, json=BODY, headers={"payment-signature": signature})
    assert retried.status_code == 200, retried.text
    usage = retried.json()["usage"]
    assert payer.spent(facilitator) == cost(
        usage["prompt_tokens"], usage["completion_tokens"], IN, OUT
    )


async def test_an_upstream_4xx_without_usage_charges_nothing(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    with pytest.raises(openai.BadRequestError):
        await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, extra_headers={"x-fake-status": "400"}
        )
    assert payer.selected and payer.spent(facilitator) == 0


@pytest.mark.parametrize("cut_after", [3, 10, 25])
async def test_a_stream_cut_mid_output_is_charged_by_estimate(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer, cut_after: int
) -> None:
    async with payer.http() as client:
        response, stream = await post_stream(
            client,
            f"{gateway(ROUTES)}/v1/chat/completions",
            {**BODY, "stream": True},
            {"x-fake-cut-after": str(cut_after)},
        )
    assert response.status_code == 200
    delivered = openai_text(stream)
    assert len(delivered.split()) == cut_after - 1  # the first event carries only the role
    assert (None, "[DONE]") not in stream.events
    receipt = stream.receipt()
    ceiling = int(payer.authorized.amount)
    assert receipt["estimated"] is True
    assert receipt["outputTokens"] == len(delivered.encode())
    # no usage ever came: input is the bound the ceiling was computed from
    assert cost(receipt["inputTokens"], 4096, IN, OUT) == ceiling
    charged = payer.spent(facilitator)
    assert charged == int(receipt["amount"])
    assert charged == cost(receipt["inputTokens"], receipt["outputTokens"], IN, OUT)
    assert 0 < charged <= ceiling


@pytest.mark.parametrize("cut_after", [0, 1])
async def test_a_stream_cut_before_any_output_charges_nothing(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer, cut_after: int
) -> None:
    async with payer.http() as client:
        _, stream = await post_stream(
            client,
            f"{gateway(ROUTES)}/v1/chat/completions",
            {**BODY, "stream": True},
            {"x-fake-cut-after": str(cut_after)},
        )
    assert openai_text(stream) == ""
    assert stream.receipt_lines == []
    assert payer.selected and payer.spent(facilitator) == 0


async def test_an_upstream_timeout_before_headers_charges_nothing(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    async with payer.http() as client:
        response = await client.post(
            f"{gateway(ROUTES)}/slow/v1/chat/completions", json=BODY, headers={"x-slow": "headers"}
        )
    assert response.status_code == 504
    assert payer.selected and payer.spent(facilitator) == 0


async def test_a_stream_that_stalls_before_any_output_charges_nothing(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    async with payer.http() as client:
        response = await client.post(
            f"{gateway(ROUTES)}/slow/v1/chat/completions",
            json={**BODY, "stream": True},
            headers={"x-slow": "body"},
        )
    assert parse_sse(response.text).receipt_lines == []
    assert payer.selected and payer.spent(facilitator) == 0
