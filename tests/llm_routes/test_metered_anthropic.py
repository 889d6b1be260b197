"""Per-token charging end to end in the Anthropic Messages shape (plain httpx + the x402
client: the `anthropic` SDK is not a dependency), against the fake LLM."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from farebox.llm.bounds import input_token_bound
from farebox.llm.shapes import ApiShape
from tests.llm_routes.conftest import GatewayFactory
from tests.llm_routes.support import (
    FAKE_REPLY_WORDS,
    Facilitator,
    FakeLLM,
    Payer,
    anthropic_text,
    cost,
    parse_sse,
    prompt_tokens,
    receipt_of,
)

IN, OUT = "$0.80/1M", "$4.00/1M"

ROUTES = """\
  "POST /v1/messages":
    upstream: anthropic
    type: token-based
    models:
      claude-haiku-4-5: {input: "$0.80/1M", output: "$4.00/1M", cachedInput: "$0.08/1M"}
    unknownModels: reject
"""

MODEL = "claude-haiku-4-5"
SYSTEM = "Answer in one sentence."
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "What does a metered gateway do?"}]
PROMPT = prompt_tokens(MESSAGES, SYSTEM)


def request(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "system": SYSTEM, "messages": MESSAGES, **extra}


def input_bound(sent: httpx.Request) -> int:
    return input_token_bound(ApiShape.ANTHROPIC_MESSAGES, json.loads(sent.content), sent.content)


async def post(
    payer: Payer, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    async with payer.http() as client:
        return await client.post(f"{url}/v1/messages", json=body, headers=headers or {})


async def test_messages_charge_exactly_usage_times_rates(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    response = await post(payer, gateway(ROUTES), request(max_tokens=50))
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["usage"] == {"input_tokens": PROMPT, "output_tokens": FAKE_REPLY_WORDS}
    expected = cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)
    ceiling = cost(input_bound(response.request), 50, IN, OUT)
    assert payer.authorized.scheme == "upto" and int(payer.authorized.amount) == ceiling
    assert payer.spent(facilitator) == expected
    assert receipt_of(response.headers["payment-response"]) == {
        "model": MODEL,
        "amount": str(expected),
        "ceiling": str(ceiling),
        "rates": {"input": IN, "output": OUT, "cachedInput": "$0.08/1M"},
        "inputTokens": PROMPT,
        "outputTokens": FAKE_REPLY_WORDS,
        "cachedInputTokens": 0,
        "estimated": False,
    }
    assert fake_llm.last_body()["max_tokens"] == 50


async def test_max_tokens_is_injected_when_missing(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    response = await post(payer, gateway(ROUTES), request())
    assert response.status_code == 200, response.text
    assert fake_llm.last_body()["max_tokens"] == 4096
    assert int(payer.authorized.amount) == cost(input_bound(response.request), 4096, IN, OUT)
    assert payer.spent(facilitator) == cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)


async def test_a_small_cap_limits_the_reply_and_the_charge(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    response = await post(payer, gateway(ROUTES), request(max_tokens=3))
    assert response.json()["usage"]["output_tokens"] == 3
    assert fake_llm.last_body()["max_tokens"] == 3
    assert payer.spent(facilitator) == cost(PROMPT, 3, IN, OUT)


async def test_messages_stream_charges_usage_and_ends_with_a_receipt(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    response = await post(payer, gateway(ROUTES), request(max_tokens=64, stream=True))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = parse_sse(response.text)
    assert len(anthropic_text(stream).split()) == FAKE_REPLY_WORDS
    names = [name for name, _ in stream.events]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    expected = cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)
    receipt = stream.receipt()
    assert (receipt["inputTokens"], receipt["outputTokens"], receipt["estimated"]) == (
        PROMPT,
        FAKE_REPLY_WORDS,
        False,
    )
    assert receipt["amount"] == str(expected)
    assert receipt["ceiling"] == str(cost(input_bound(response.request), 64, IN, OUT))
    assert payer.spent(facilitator) == expected


async def test_messages_stream_with_inflated_usage_is_capped(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    response = await post(
        payer, gateway(ROUTES), request(max_tokens=64, stream=True), {"x-fake-usage": "inflate"}
    )
    receipt = parse_sse(response.text).receipt()
    ceiling = int(payer.authorized.amount)
    assert receipt["outputTokens"] == FAKE_REPLY_WORDS * 1000
    assert receipt["amount"] == receipt["ceiling"] == str(ceiling)
    assert payer.spent(facilitator) == ceiling


async def test_messages_without_usage_are_estimated(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    response = await post(payer, gateway(ROUTES), request(max_tokens=64), {"x-fake-usage": "omit"})
    assert "usage" not in response.json()
    receipt = receipt_of(response.headers["payment-response"])
    text = response.json()["content"][0]["text"]
    bound = input_bound(response.request)
    # output: the bytes of text delivered, never more than the cap the upstream obeyed
    out = min(len(text.encode()), 64)
    assert out == 64 < len(text.encode())
    assert receipt["estimated"] is True
    assert (receipt["inputTokens"], receipt["outputTokens"]) == (bound, out)
    charged = payer.spent(facilitator)
    assert charged == int(receipt["amount"]) == cost(bound, out, IN, OUT)
    assert 0 < charged <= int(payer.authorized.amount)


@pytest.mark.parametrize("cut_after", [6, 12])
async def test_a_stream_cut_mid_output_is_charged_by_estimate(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer, cut_after: int
) -> None:
    response = await post(
        payer,
        gateway(ROUTES),
        request(max_tokens=64, stream=True),
        {"x-fake-cut-after": str(cut_after)},
    )
    stream = parse_sse(response.text)
    names = [name for name, _ in stream.events]
    assert "message_stop" not in names
    delivered = anthropic_text(stream)
    assert delivered
    receipt = stream.receipt()
    # message_start already reported the real input count; output is the bytes delivered
    assert receipt["estimated"] is True
    assert (receipt["inputTokens"], receipt["outputTokens"]) == (PROMPT, len(delivered.encode()))
    charged = payer.spent(facilitator)
    assert charged == int(receipt["amount"]) == cost(PROMPT, len(delivered.encode()), IN, OUT)
    assert 0 < charged <= int(payer.authorized.amount)


@pytest.mark.parametrize("cut_after", [0, 1, 2])
async def test_a_stream_cut_before_any_output_charges_nothing(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer, cut_after: int
) -> None:
    response = await post(
        payer,
        gateway(ROUTES),
        request(max_tokens=64, stream=True),
        {"x-fake-cut-after": str(cut_after)},
    )
    stream = parse_sse(response.text)
    assert anthropic_text(stream) == ""
    assert stream.receipt_lines == []
    assert payer.selected  # it did authorize a ceiling
    assert payer.spent(facilitator) == 0


@pytest.mark.parametrize("stream", [False, True])
async def test_an_upstream_500_charges_nothing(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer, stream: bool
) -> None:
    response = await post(
        payer, gateway(ROUTES), request(max_tokens=64, stream=stream), {"x-fake-status": "500"}
    )
    assert response.status_code == 500
    assert fake_llm.log.requests[-1]["headers"]["x-fake-status"] == "500"  # it was paid for
    assert payer.selected and payer.spent(facilitator) == 0
    assert "payment-response" not in response.headers
