"""The issue's example configs, verbatim, give exactly the documented prices."""

from __future__ import annotations

import httpx
import pytest

from farebox.app import build_app
from farebox.config.errors import ConfigError
from farebox.config.loader import parse_config
from tests.llm_routes.conftest import GatewayFactory
from tests.llm_routes.support import Facilitator, FakeLLM, Payer
from tests.support.payer import NETWORK, required_of

PER_MODEL = """\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    models:
      gpt-4o: "$0.05"
      gpt-4o-mini: "$0.005"
      claude-sonnet-4-5: "$0.02"
    fallback: "$0.02" # safe default for unknown models
"""

FINE_TUNES = """\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    models:
      gpt-4o: "$0.05"
      ft:gpt-4o:acme-support-v2: "$0.08"
      ft:gpt-4o-mini:triage: "$0.015"
    fallback: "$0.03"
"""

MESSAGES = [{"role": "user", "content": "hello"}]


def quoted(url: str, model: object) -> int:
    """The one `exact` amount a flat-priced model is offered at (decoded with the SDK)."""
    with httpx.Client(timeout=30) as client:
        response = client.post(f"{url}/v1/chat/completions", json={"model": model, "messages": []})
    required = required_of(response)
    assert [(r.scheme, r.network) for r in required.accepts] == [("exact", NETWORK)]
    return int(required.accepts[0].amount)


@pytest.mark.parametrize(
    ("model", "amount"),
    [
        ("gpt-4o", 50_000),
        ("gpt-4o-mini", 5_000),
        ("claude-sonnet-4-5", 20_000),
        ("gpt-4.1", 20_000),
        ("gpt-4o-2024-08-06", 20_000),  # no catalog on this route: a dated ID is just unknown
        ("GPT-4O", 20_000),  # model IDs are case-sensitive
        ("llama-3.3-70b", 20_000),
        ("ft:gpt-4o:someone-else", 20_000),
    ],
)
def test_per_model_prices(gateway: GatewayFactory, model: str, amount: int) -> None:
    assert quoted(gateway(PER_MODEL), model) == amount


@pytest.mark.parametrize(
    ("model", "amount"),
    [
        ("ft:gpt-4o:acme-support-v2", 80_000),
        ("ft:gpt-4o-mini:triage", 15_000),
        ("gpt-4o", 50_000),
        ("ft:gpt-4o:acme-support-v3", 30_000),
        ("ft:gpt-4o-mini:triage:extra", 30_000),
        ("gpt-4o-mini", 30_000),  # never guessed from the ft: entries that mention it
        ("acme-support-v2", 30_000),
    ],
)
def test_fine_tune_prices(gateway: GatewayFactory, model: str, amount: int) -> None:
    assert quoted(gateway(FINE_TUNES), model) == amount


@pytest.mark.parametrize(
    ("content", "body"),
    [
        ("", None),
        ("application/json", {}),
        ("application/json", {"messages": MESSAGES}),
        ("application/json", {"model": 4, "messages": MESSAGES}),
        ("application/json", {"model": None, "messages": MESSAGES}),
        ("application/json", {"model": ["gpt-4o"], "messages": MESSAGES}),
        ("application/json", {"model": "", "messages": MESSAGES}),
        ("application/json", {"model": "   ", "messages": MESSAGES}),
        ("application/json", ["gpt-4o"]),
    ],
)
def test_a_request_without_a_usable_model_is_a_400_before_payment(
    gateway: GatewayFactory,
    fake_llm: FakeLLM,
    facilitator: Facilitator,
    payer: Payer,
    content: str,
    body: object,
) -> None:
    url = gateway(PER_MODEL)
    seen = len(fake_llm.log.requests)
    with httpx.Client(timeout=30) as client:
        if body is None:
            response = client.post(f"{url}/v1/chat/completions")
        else:
            response = client.post(f"{url}/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    assert "model" in response.json()["error"]
    assert "payment-required" not in response.headers
    assert len(fake_llm.log.requests) == seen


def test_a_body_that_is_not_json_is_a_400(gateway: GatewayFactory) -> None:
    url = gateway(PER_MODEL)
    with httpx.Client(timeout=30) as client:
        response = client.post(f"{url}/v1/chat/completions", content=b"model=gpt-4o")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


async def test_paying_a_flat_model_price_moves_exactly_that(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    url = gateway(FINE_TUNES)
    async with payer.http() as client:
        response = await client.post(
            f"{url}/v1/chat/completions",
            json={"model": "ft:gpt-4o:acme-support-v2", "messages": MESSAGES},
        )
    assert response.status_code == 200, response.text
    assert payer.authorized.scheme == "exact"
    assert payer.spent(facilitator) == 80_000
    # a flat price is not metered: the request goes upstream as the client sent it
    assert fake_llm.last_body() == {"model": "ft:gpt-4o:acme-support-v2", "messages": MESSAGES}


def test_a_misspelt_provider_is_refused_at_startup() -> None:
    text = (
        'wallets:\n  base-sepolia: "0x1111111111111111111111111111111111111111"\n'
        "upstreams:\n  openai:\n    url: http://127.0.0.1:9\n"
        "routes:\n" + PER_MODEL + "    markup: 10%\n    provider: opnai\n"
    )
    with pytest.raises(ConfigError) as info:
        build_app(parse_config(text))
    assert "provider: unknown provider 'opnai'" in str(info.value)
    assert "routes" in str(info.value)
