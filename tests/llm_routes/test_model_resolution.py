"""How a model ID finds its price, through a running gateway: reject lists, globs, `base:`
inheritance, fine-tunes, the catalog's dated snapshots, deployments and allowModels."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import httpx
import pytest

from farebox.llm.bounds import input_token_bound
from farebox.llm.catalog import Catalog
from farebox.llm.shapes import ApiShape
from tests.llm_routes.conftest import GatewayFactory
from tests.llm_routes.support import Facilitator, FakeLLM, Payer, prompt_tokens, receipt_of
from tests.support.payer import required_of

REJECTING = """\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    unknownModels: reject
    markup: 20%
    models:
      gpt-4o: "$0.05"
      "ft:gpt-4o:acme:*": "$0.08"
    fallback: "$0.02"
"""

GLOBS = """\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    models:
      gpt-4o: "$0.05"
      "gpt-4o-*": "$0.01"
      "gpt-4*": "$0.04"
      "claude-?-haiku": "$0.003"
      "ft:gpt-4.1-mini:acme:*": {base: gpt-4.1-mini, markup: 50%}
      "ft:gpt-4o:acme:*": {base: gpt-4o, markup: 50%}
      "ft:house:*": {base: house-model, markup: 10%}
      house-model: {input: "$1.00/1M", output: "$4.00/1M"}
    fallback: "$0.02"
"""

CATALOG = """\
  "POST /v1/messages":
    upstream: anthropic
    type: token-based
    markup: 20%
    fallback: "$0.02"
"""

DEPLOYMENTS = """\
  "POST /openai/deployments/:deployment/chat/completions":
    upstream: openai
    type: token-based
    modelFrom: params.deployment
    deployments:
      prod-4o: gpt-4o
      cheap: gpt-4o-mini
    models:
      gpt-4o: "$0.05"
      gpt-4o-mini: "$0.005"
    fallback: "$0.01"
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    modelFrom: headers.x-deployment
    deployments:
      prod-4o: gpt-4o
    models:
      gpt-4o: "$0.05"
    unknownModels: reject
"""

ALLOWED = """\
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    allowModels: ["gpt-4o*", "ft:*"]
    models:
      gpt-4o: "$0.05"
      gpt-4.1: "$0.04"
    fallback: "$0.02"
"""

MESSAGES = [{"role": "user", "content": "hello"}]


def post(url: str, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        return client.post(f"{url}{path}", json=body, headers=headers or {})


def chat(url: str, model: str) -> httpx.Response:
    return post(url, "/v1/chat/completions", {"model": model, "messages": MESSAGES})


def offers(response: httpx.Response) -> dict[str, int]:
    return {r.scheme: int(r.amount) for r in required_of(response).accepts}


def flat(response: httpx.Response) -> int:
    found = offers(response)
    assert list(found) == ["exact"], found
    return found["exact"]


# --- unknownModels: reject --------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o-mini",
        "gpt-4.1",  # in the catalog, and the route has a markup: still refused
        "claude-sonnet-4-5",
        "ft:gpt-4o:other:x",
        "GPT-4O",
        "gpt-4o ",
    ],
)
async def test_reject_refuses_every_model_outside_models(
    gateway: GatewayFactory,
    fake_llm: FakeLLM,
    facilitator: Facilitator,
    payer: Payer,
    model: str,
) -> None:
    url = gateway(REJECTING)
    seen = len(fake_llm.log.requests)
    async with payer.http() as client:
        response = await client.post(
            f"{url}/v1/chat/completions", json={"model": model, "messages": MESSAGES}
        )
    assert response.status_code == 400
    if model == model.strip():
        assert response.json() == {"error": f"model '{model}' is not offered on this route"}
    assert "payment-required" not in response.headers
    assert payer.selected == []  # the client was never asked to pay
    assert payer.spent(facilitator) == 0
    assert len(fake_llm.log.requests) == seen


def test_reject_still_prices_what_models_names(gateway: GatewayFactory) -> None:
    url = gateway(REJECTING)
    assert flat(chat(url, "gpt-4o")) == 50_000
    assert flat(chat(url, "ft:gpt-4o:acme:support-v2")) == 80_000


# --- globs and base: inheritance ------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "amount"),
    [
        ("gpt-4o", 50_000),  # an exact key beats every glob
        ("gpt-4o-mini", 10_000),  # first glob written that matches
        ("gpt-4o-2024-08-06", 10_000),
        ("gpt-4.1", 40_000),  # only the later glob matches
        ("gpt-4o", 50_000),
        ("claude-3-haiku", 3_000),
        ("claude-35-haiku", 20_000),  # ? is one character
        ("gpt-3.5-turbo", 20_000),
        ("ft:gpt-4o:acme:bot", 75_000),  # base gpt-4o ($0.05 flat) + 50%
        ("ft:gpt-4o:other:bot", 20_000),  # an unmatched ft: ID is never priced from its base
        ("ft:gpt-4o", 20_000),
    ],
)
def test_globs_in_order_and_flat_inheritance(
    gateway: GatewayFactory, model: str, amount: int
) -> None:
    assert flat(chat(gateway(GLOBS), model)) == amount


def ceiling(body: dict[str, Any], input_rate: Decimal, output_rate: Decimal, cap: int) -> int:
    """input bound x input rate + output cap x output rate, rounded up."""
    raw = httpx.Request("POST", "http://x", json=body).content
    bound = input_token_bound(ApiShape.OPENAI_CHAT, body, raw)
    return math.ceil(bound * input_rate + cap * output_rate)


def test_base_from_the_catalog_is_marked_up_per_token(gateway: GatewayFactory) -> None:
    url = gateway(GLOBS)
    body = {"model": "ft:gpt-4.1-mini:acme:support", "messages": MESSAGES}
    mini = Catalog().lookup("gpt-4.1-mini", provider="openai")
    assert mini is not None
    factor = Decimal("1.5")
    expected = ceiling(body, mini.input_per_mtok * factor, mini.output_per_mtok * factor, cap=4096)
    assert offers(post(url, "/v1/chat/completions", body)) == {
        "upto": expected,
        "exact": expected,
    }


def test_base_from_models_is_marked_up_per_token(gateway: GatewayFactory) -> None:
    url = gateway(GLOBS)
    body = {"model": "ft:house:v7", "messages": MESSAGES}
    expected = ceiling(body, Decimal("1.1"), Decimal("4.4"), cap=4096)
    assert offers(post(url, "/v1/chat/completions", body)) == {
        "upto": expected,
        "exact": expected,
    }


def test_unmatched_fine_tune_of_a_catalog_model_gets_the_fallback(
    gateway: GatewayFactory,
) -> None:
    # gpt-4.1-mini is in the catalog, and ft:gpt-4.1-mini:acme:* inherits from it; another
    # org's fine-tune of the same base is not guessed from it.
    assert flat(chat(gateway(GLOBS), "ft:gpt-4.1-mini:other-org:x")) == 20_000


# --- the catalog ---------------------------------------------------------------------------


def test_a_dated_snapshot_is_priced_as_its_catalog_model(gateway: GatewayFactory) -> None:
    url = gateway(CATALOG)
    body = {
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 1000,
        "messages": MESSAGES,
    }
    sonnet = Catalog().lookup("claude-sonnet-4-5")
    assert sonnet is not None and (sonnet.input_per_mtok, sonnet.output_per_mtok) == (3, 15)
    raw = httpx.Request("POST", "http://x", json=body).content
    bound = input_token_bound(ApiShape.ANTHROPIC_MESSAGES, body, raw)
    # The ceiling assumes every input token could be a cache write, Sonnet's dearest
    # input rate ($6.00/1M x 1.2); the charge is at the rates of the real usage.
    expected = math.ceil(bound * Decimal("7.2") + 1000 * Decimal("18"))
    assert offers(post(url, "/v1/messages", body)) == {"upto": expected, "exact": expected}


@pytest.mark.parametrize(
    "model", ["claude-nonexistent-9", "ft:claude-sonnet-4-5:acme", "ft:gpt-4.1-mini:acme:x"]
)
def test_what_the_catalog_does_not_price_gets_the_fallback(
    gateway: GatewayFactory, model: str
) -> None:
    response = post(
        gateway(CATALOG), "/v1/messages", {"model": model, "max_tokens": 10, "messages": MESSAGES}
    )
    assert flat(response) == 20_000


def test_a_bare_route_prices_from_the_catalog_with_the_default_markup(
    gateway: GatewayFactory,
) -> None:
    routes = '  "POST /v1/chat/completions":\n    upstream: openai\n    type: openai-compatible\n'
    url = gateway(routes, 'defaults:\n  price: "$0.07"\n')
    body = {"model": "gpt-4.1-mini", "messages": MESSAGES, "max_tokens": 100}
    mini = Catalog().lookup("gpt-4.1-mini", provider="openai")
    assert mini is not None
    factor = Decimal("1.2")
    expected = ceiling(body, mini.input_per_mtok * factor, mini.output_per_mtok * factor, 100)
    assert offers(post(url, "/v1/chat/completions", body)) == {
        "upto": expected,
        "exact": expected,
    }
    # what the catalog does not know falls through to defaults.price
    assert flat(chat(url, "my-own-model")) == 70_000


# --- deployments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deployment", "amount"),
    [("prod-4o", 50_000), ("cheap", 5_000), ("gpt-4o", 50_000), ("staging", 10_000)],
)
def test_deployment_in_the_path_names_the_model(
    gateway: GatewayFactory, deployment: str, amount: int
) -> None:
    url = gateway(DEPLOYMENTS)
    path = f"/openai/deployments/{deployment}/chat/completions"
    # the body's model is ignored: the deployment decides
    assert flat(post(url, path, {"model": "gpt-4o-mini", "messages": MESSAGES})) == amount


async def test_a_paid_deployment_request_reaches_the_deployment(
    gateway: GatewayFactory, fake_llm: FakeLLM, facilitator: Facilitator, payer: Payer
) -> None:
    url = gateway(DEPLOYMENTS)
    async with payer.http() as client:
        response = await client.post(
            f"{url}/openai/deployments/prod-4o/chat/completions", json={"messages": MESSAGES}
        )
    assert response.status_code == 200, response.text
    assert fake_llm.log.requests[-1]["path"] == "/openai/deployments/prod-4o/chat/completions"
    assert payer.spent(facilitator) == 50_000


def test_deployment_from_a_header(gateway: GatewayFactory) -> None:
    url = gateway(DEPLOYMENTS)
    body = {"model": "whatever", "messages": MESSAGES}
    response = post(url, "/v1/chat/completions", body, {"x-deployment": "prod-4o"})
    assert flat(response) == 50_000
    refused = post(url, "/v1/chat/completions", body, {"x-deployment": "dev"})
    assert refused.status_code == 400
    assert refused.json() == {"error": "model 'dev' is not offered on this route"}
    missing = post(url, "/v1/chat/completions", body)
    assert missing.status_code == 400
    assert "headers.x-deployment" in missing.json()["error"]


# --- allowModels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "amount"),
    [
        ("gpt-4o", 50_000),
        ("gpt-4o-mini", 20_000),
        ("ft:anything", 20_000),
        ("gpt-4.1", None),  # in models, but not allowed
        ("claude-sonnet-4-5", None),
    ],
)
def test_allow_models_restricts(gateway: GatewayFactory, model: str, amount: int | None) -> None:
    response = chat(gateway(ALLOWED), model)
    if amount is None:
        assert response.status_code == 400
        assert response.json()["error"].startswith(f"model '{model}' is not offered on this route")
    else:
        assert flat(response) == amount


# --- paying catalog-derived per-token prices ----------------------------------------------


async def test_a_dated_snapshot_is_charged_at_marked_up_catalog_rates(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    body = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 1000, "messages": MESSAGES}
    async with payer.http() as client:
        response = await client.post(f"{gateway(CATALOG)}/v1/messages", json=body)
    assert response.status_code == 200, response.text
    usage = response.json()["usage"]
    assert usage == {"input_tokens": prompt_tokens(MESSAGES), "output_tokens": 29}
    expected = math.ceil(usage["input_tokens"] * Decimal("3.6") + 29 * Decimal(18))
    assert payer.spent(facilitator) == expected
    receipt = receipt_of(response.headers["payment-response"])
    assert receipt["rates"] == {
        "input": "$3.60/1M",
        "output": "$18.00/1M",
        "cachedInput": "$0.36/1M",
        "cacheWrite": "$7.20/1M",
    }
    assert receipt["model"] == "claude-sonnet-4-5-20250929"


async def test_a_fine_tune_is_charged_at_its_base_rates_with_its_markup(
    gateway: GatewayFactory, facilitator: Facilitator, payer: Payer
) -> None:
    client = payer.openai(gateway(GLOBS))
    completion = await client.chat.completions.create(
        model="ft:gpt-4.1-mini:acme:support", messages=MESSAGES
    )
    assert completion.usage is not None
    mini = Catalog().lookup("gpt-4.1-mini", provider="openai")
    assert mini is not None
    factor = Decimal("1.5")
    expected = math.ceil(
        completion.usage.prompt_tokens * mini.input_per_mtok * factor
        + completion.usage.completion_tokens * mini.output_per_mtok * factor
    )
    assert payer.spent(facilitator) == expected > 0
