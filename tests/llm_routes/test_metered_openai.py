"""Per-token charging end to end with the official `openai` SDK as the client.

The SDK's http_client is the official x402 httpx client, so every request here is
402 -> sign (upto unless said otherwise) -> retry -> meter -> settle, over real sockets,
against the fake LLM whose usage is known in advance.
"""

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
    cost,
    parse_sse,
    prompt_tokens,
    receipt_of,
)
from tests.support.payer import required_of

IN, OUT = "$0.15/1M", "$0.60/1M"  # fractional units per token: rounding is exercised

ROUTES = """\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    models:
      gpt-4.1-mini: {input: "$0.15/1M", output: "$0.60/1M"}
      gpt-4o: "$0.05"
    fallback: "$0.02"
"""

SMALL_CAP = ROUTES + "    maxOutputTokens: 20\n"
UPTO_ONLY = ROUTES + "    schemes: [upto]\n"
EXACT_ONLY = ROUTES + "    schemes: [exact]\n"

MODEL = "gpt-4.1-mini"
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Tell me how metered charging works, in one sentence."},
]
PROMPT = prompt_tokens(MESSAGES)


def expected_receipt(amount: int, ceiling: int, out: int, **extra: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "amount": str(amount),
        "ceiling": str(ceiling),
        "rates": {"input": IN, "output": OUT},
        "inputTokens": PROMPT,
        "outputTokens": out,
        "cachedInputTokens": 0,
        "estimated": False,
        **extra,
    }


# --- non-streamed --------------------------------------------------------------------------


async def test_charges_exactly_usage_times_rates(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    completion = raw.parse()

    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (
        PROMPT,
        FAKE_REPLY_WORDS,
    )
    expected = cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)
    assert expected * 1_000_000 != PROMPT * 150_000 + FAKE_REPLY_WORDS * 600_000  # rounds up
    assert payer.authorized.scheme == "upto"
    ceiling = int(payer.authorized.amount)
    assert payer.spent(facilitator) == expected
    assert receipt_of(raw.headers["payment-response"]) == expected_receipt(
        expected, ceiling, FAKE_REPLY_WORDS
    )
    assert ceiling == cost(input_bound(raw.http_request), 4096, IN, OUT)
    assert fake_llm.last_body()["max_tokens"] == 4096  # injected: the client sent no cap


def input_bound(request: httpx.Request) -> int:
    """The provable input bound of the request the client sent (its body bytes and more)."""
    bound = input_token_bound(ApiShape.OPENAI_CHAT, json.loads(request.content), request.content)
    assert bound >= len(request.content)  # every byte of the body may be a token
    return bound


async def test_the_402_offers_upto_and_exact_at_the_ceiling(gateway: GatewayFactory) -> None:
    body = {"model": MODEL, "messages": MESSAGES}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{gateway(ROUTES)}/v1/chat/completions", json=body)
    ceiling = cost(input_bound(response.request), 4096, IN, OUT)
    required = required_of(response)
    assert [(r.scheme, int(r.amount)) for r in required.accepts] == [
        ("upto", ceiling),
        ("exact", ceiling),
    ]


@pytest.mark.parametrize(("routes", "schemes"), [(UPTO_ONLY, ["upto"]), (EXACT_ONLY, ["exact"])])
async def test_schemes_restricts_the_offer(
    gateway: GatewayFactory, routes: str, schemes: list[str]
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{gateway(routes)}/v1/chat/completions", json={"model": MODEL, "messages": MESSAGES}
        )
    assert [r.scheme for r in required_of(response).accepts] == schemes


async def test_a_flat_model_on_a_metered_route_is_exact_only(gateway: GatewayFactory) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{gateway(ROUTES)}/v1/chat/completions", json={"model": "gpt-4o", "messages": []}
        )
    assert [(r.scheme, r.amount) for r in required_of(response).accepts] == [("exact", "50000")]


async def test_charge_is_capped_at_the_ceiling_when_usage_is_inflated(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    raw = await client.chat.completions.with_raw_response.create(
        model=MODEL, messages=MESSAGES, extra_headers={"x-fake-usage": "inflate"}
    )
    usage = raw.parse().usage
    assert usage is not None and usage.completion_tokens == FAKE_REPLY_WORDS * 1000
    ceiling = int(payer.authorized.amount)
    assert cost(usage.prompt_tokens, usage.completion_tokens, IN, OUT) > ceiling
    assert payer.spent(facilitator) == ceiling
    receipt = receipt_of(raw.headers["payment-response"])
    assert receipt["amount"] == receipt["ceiling"] == str(ceiling)
    assert receipt["outputTokens"] == FAKE_REPLY_WORDS * 1000


@pytest.mark.parametrize(
    ("sent", "upstream_saw", "out"),
    [
        ({"max_tokens": 7}, {"max_tokens": 7}, 7),
        ({"max_completion_tokens": 5}, {"max_completion_tokens": 5}, 5),
        ({"max_tokens": 100_000}, {"max_tokens": 4096}, FAKE_REPLY_WORDS),
    ],
)
async def test_the_clients_own_cap_is_kept_or_lowered(
    gateway: GatewayFactory,
    fake_llm: FakeLLM,
    facilitator: Facilitator,
    payer: Payer,
    sent: dict[str, int],
    upstream_saw: dict[str, int],
    out: int,
) -> None:
    client = payer.openai(gateway(ROUTES))
    raw = await client.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=MESSAGES,
        **sent,  # type: ignore[arg-type]
    )
    body = fake_llm.last_body()
    assert {k: body[k] for k in ("max_tokens", "max_completion_tokens") if k in body} == (
        upstream_saw
    )
    assert payer.spent(facilitator) == cost(PROMPT, out, IN, OUT)
    cap = next(iter(upstream_saw.values()))
    assert int(payer.authorized.amount) == cost(input_bound(raw.http_request), cap, IN, OUT)
    assert receipt_of(raw.headers["payment-response"])["outputTokens"] == out


async def test_the_routes_max_output_tokens_is_injected(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(SMALL_CAP))
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert fake_llm.last_body()["max_tokens"] == 20
    assert completion.usage is not None and completion.usage.completion_tokens == 20
    assert payer.spent(facilitator) == cost(PROMPT, 20, IN, OUT)


async def test_a_client_paying_exact_pays_the_ceiling(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, exact_payer: Payer
) -> None:
    client = exact_payer.openai(gateway(ROUTES))
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.parse().choices[0].message.content
    assert exact_payer.authorized.scheme == "exact"
    ceiling = int(exact_payer.authorized.amount)
    assert ceiling > cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)
    assert exact_payer.spent(facilitator) == ceiling
    assert raw.headers.get("payment-response")
    assert fake_llm.last_body()["max_tokens"] == 4096  # still capped: the ceiling covers 4096


async def test_missing_usage_is_estimated_and_never_above_the_ceiling(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    raw = await client.chat.completions.with_raw_response.create(
        model=MODEL, messages=MESSAGES, extra_headers={"x-fake-usage": "omit"}
    )
    completion = raw.parse()
    assert completion.usage is None
    receipt = receipt_of(raw.headers["payment-response"])
    ceiling = int(payer.authorized.amount)
    text = completion.choices[0].message.content or ""
    # the documented estimate: output = bytes of text delivered, input = the input bound
    assert receipt["estimated"] is True
    assert receipt["outputTokens"] == len(text.encode())
    assert receipt["inputTokens"] == input_bound(raw.http_request) > PROMPT
    charged = payer.spent(facilitator)
    assert charged == int(receipt["amount"])
    assert charged == cost(receipt["inputTokens"], receipt["outputTokens"], IN, OUT)
    assert 0 < charged <= ceiling


# --- streamed ------------------------------------------------------------------------------


async def test_stream_charges_usage_and_strips_the_usage_chunk(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    chunks = [chunk async for chunk in stream]

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text.split()) == FAKE_REPLY_WORDS
    assert all(c.usage is None for c in chunks)  # the client did not ask for usage
    assert all(c.choices for c in chunks)
    sent = fake_llm.last_body()
    assert sent["stream_options"] == {"include_usage": True}  # the gateway asked for it
    assert sent["max_tokens"] == 4096
    assert payer.spent(facilitator) == cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)


async def test_stream_keeps_the_usage_chunk_when_the_client_asked(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    stream = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1 and usage_chunks[0].choices == []
    usage = usage_chunks[0].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (PROMPT, FAKE_REPLY_WORDS)
    assert payer.spent(facilitator) == cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)


async def test_stream_ends_with_a_decodable_receipt_comment(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MESSAGES, stream=True
    ) as response:
        stream = parse_sse(await response.text())
    assert "payment-response" not in response.headers  # it cannot be known before the end
    assert stream.raw.rstrip("\n").splitlines()[-1].startswith(": x402-receipt ")
    settled = stream.settled()
    assert settled.success and settled.payer == payer.address
    expected = cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)
    ceiling = int(payer.authorized.amount)
    assert stream.receipt() == expected_receipt(expected, ceiling, FAKE_REPLY_WORDS)
    assert payer.spent(facilitator) == expected
    assert stream.events[-1] == (None, "[DONE]")
    assert not any(d.get("usage") for d in stream.data())  # stripped on the wire too


async def test_stream_with_inflated_usage_is_capped_at_the_ceiling(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-fake-usage": "inflate"},
    ) as response:
        stream = parse_sse(await response.text())
    ceiling = int(payer.authorized.amount)
    receipt = stream.receipt()
    assert receipt["inputTokens"] == PROMPT * 1000
    assert receipt["amount"] == receipt["ceiling"] == str(ceiling)
    assert payer.spent(facilitator) == ceiling


async def test_stream_without_usage_is_estimated(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(ROUTES))
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers={"x-fake-usage": "omit"}
    ) as response:
        stream = parse_sse(await response.text())
    text = "".join(
        c["choices"][0]["delta"].get("content", "") for c in stream.data() if c["choices"]
    )
    receipt = stream.receipt()
    ceiling = int(payer.authorized.amount)
    assert receipt["estimated"] is True
    assert receipt["outputTokens"] == len(text.encode())
    assert receipt["inputTokens"] == input_bound(response.http_request) > PROMPT
    charged = payer.spent(facilitator)
    assert (
        charged
        == int(receipt["amount"])
        == cost(receipt["inputTokens"], receipt["outputTokens"], IN, OUT)
    )
    assert 0 < charged <= ceiling


async def test_exact_payment_on_a_stream_pays_the_ceiling_and_strips_usage(
    gateway: GatewayFactory, facilitator: Facilitator, exact_payer: Payer
) -> None:
    client = exact_payer.openai(gateway(ROUTES))
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    chunks = [chunk async for chunk in stream]
    assert all(c.usage is None for c in chunks)
    assert exact_payer.spent(facilitator) == int(exact_payer.authorized.amount)


async def test_a_streamed_receipt_is_also_logged(
    gateway: GatewayFactory, payer: Payer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="farebox.settlement")
    client = payer.openai(gateway(ROUTES))
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    [chunk async for chunk in stream]
    logged = [r for r in caplog.records if r.getMessage() == "receipt"]
    assert len(logged) == 1
    fields = logged[0].__dict__["farebox_fields"]
    assert (fields["model"], fields["inputTokens"], fields["outputTokens"]) == (
        MODEL,
        PROMPT,
        FAKE_REPLY_WORDS,
    )
    assert fields["amount"] == str(cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT))
    assert fields["tx"].startswith("0x")
