"""TokenPricer: which model a request names, its quote, and the metering it carries."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest

from farebox.config.schema import Defaults, Route
from farebox.llm.bounds import input_token_bound
from farebox.llm.catalog import CatalogPrice, PriceTier
from farebox.llm.shapes import ApiShape
from farebox.llm.usage import Usage
from farebox.pricing.quote import PricingError, Quote, RequestFacts
from farebox.pricing.rates import TokenRates
from farebox.pricing.token_based import TokenPricer
from tests.pricing.test_models import CATALOG, StubCatalog

CENT = 10_000
CHAT = "/v1/chat/completions"
PER_TOKEN = {"input": "$2.00/1M", "output": "$8.00/1M"}
MESSAGES = [{"role": "user", "content": "hello there"}]


def pricer(
    spec: dict[str, Any],
    default: str | None = None,
    upstream_url: str = "http://127.0.0.1:1",
    catalog: Any = None,
    key: str = f"POST {CHAT}",
) -> TokenPricer:
    route = Route.model_validate({"upstream": "api", "type": "token-based", **spec})
    defaults = Defaults.model_validate({} if default is None else {"price": default})
    return TokenPricer(
        route,
        defaults,
        key=key,
        catalog=StubCatalog(CATALOG) if catalog is None else catalog,
        upstream_url=upstream_url,
    )


def facts(
    body: Any = None,
    path: str = CHAT,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> RequestFacts:
    raw = json.dumps(body).encode() if body is not None else b""
    return RequestFacts("POST", path, params or {}, {}, headers or {}, body, raw)


def chat(model: str = "gpt-4.1", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": MESSAGES, **extra}


def sent(quote: Quote) -> dict[str, Any]:
    assert quote.metering is not None
    body: dict[str, Any] = json.loads(quote.metering.body)
    return body


def bound(body: dict[str, Any], shape: ApiShape = ApiShape.OPENAI_CHAT) -> int:
    return input_token_bound(shape, body, json.dumps(body).encode())


# --- the model --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (None, "the request has no JSON body"),
        ([], "the request body is a JSON array"),
        ({}, 'the request body has no "model" field'),
        ({"model": 4}, '"model" must be a string'),
        ({"model": None}, '"model" must be a string'),
        ({"model": ""}, '"model" is empty'),
        ({"model": " gpt-4o"}, "has spaces around it"),
        ({"model": "x" * 300}, "at most 256 characters"),
    ],
)
def test_a_request_without_a_usable_model_is_refused(body: Any, error: str) -> None:
    with pytest.raises(PricingError, match=error):
        pricer({"models": {"gpt-4o": "$0.05"}, "fallback": "$0.02"}).quote(facts(body))


def test_the_fallback_order_is_fallback_then_price_then_defaults() -> None:
    assert pricer({"fallback": "$0.02", "price": "$0.06"}, "$0.09").quote(facts(chat())).amount == (
        2 * CENT
    )
    assert pricer({"price": "$0.06"}, "$0.09").quote(facts(chat())).amount == 6 * CENT
    with_models = pricer({"models": {"gpt-4o": "$0.05"}}, "$0.09")
    assert with_models.quote(facts(chat())) == Quote(9 * CENT, "fallback", model="gpt-4.1")
    with pytest.raises(PricingError, match="no price is configured"):
        pricer({"models": {"gpt-4o": "$0.05"}}).quote(facts(chat()))


def test_a_flat_quote_offers_exact_only_and_leaves_the_body_alone() -> None:
    quote = pricer({"models": {"gpt-4.1": "$0.05"}}).quote(facts(chat(stream=True)))
    assert quote == Quote(5 * CENT, "models", model="gpt-4.1")
    assert quote.schemes == ("exact",) and quote.metering is None


@pytest.mark.parametrize(
    ("where", "model"),
    [
        ({"params": {"deployment": "prod-4o"}}, "gpt-4o"),
        ({"params": {"deployment": "gpt-4o-mini"}}, "gpt-4o-mini"),  # not mapped: as named
        ({"headers": {"x-deployment": "prod-4o"}}, "gpt-4o"),
    ],
)
def test_deployments_name_the_model(where: dict[str, Any], model: str) -> None:
    source = "params.deployment" if "params" in where else "headers.X-Deployment"
    p = pricer(
        {
            "modelFrom": source,
            "deployments": {"prod-4o": "gpt-4o"},
            "models": {"gpt-4o": "$0.05", "gpt-4o-mini": "$0.005"},
        }
    )
    path = "/openai/deployments/x/chat/completions"
    quote = p.quote(facts({"messages": MESSAGES, "model": "ignored"}, path, **where))
    assert quote.model == model


def test_an_empty_deployment_is_refused() -> None:
    p = pricer({"modelFrom": "params.deployment", "models": {"gpt-4o": "$0.05"}})
    with pytest.raises(PricingError, match=r"takes the model from params\.deployment"):
        p.quote(facts(chat(), params={}))


def test_gemini_takes_the_model_from_the_path() -> None:
    p = pricer({"models": {"gemini-2.5-flash": PER_TOKEN}}, key="POST /v1beta/*")
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    body = {"contents": [{"parts": [{"text": "hi"}]}]}
    quote = p.quote(facts(body, path))
    assert quote.model == "gemini-2.5-flash"
    assert sent(quote)["generationConfig"] == {"maxOutputTokens": 4096}


# --- metered quotes ---------------------------------------------------------------------


def test_a_per_token_quote_is_the_ceiling_offered_as_upto_and_exact() -> None:
    body = chat()
    quote = pricer({"models": {"gpt-4.1": PER_TOKEN}}).quote(facts(body))
    metering = quote.metering
    assert metering is not None
    assert quote.schemes == ("upto", "exact")
    assert (metering.input_bound, metering.output_cap) == (bound(body), 4096)
    assert quote.amount == metering.ceiling == bound(body) * 2 + 4096 * 8
    assert metering.rates == TokenRates(Decimal(2), Decimal(8))
    assert sent(quote) == {**body, "max_tokens": 4096}
    assert (metering.stream, metering.strip_usage_chunk) == (False, False)


@pytest.mark.parametrize(("schemes", "offered"), [(["exact"], ("exact",)), (["upto"], ("upto",))])
def test_schemes_restrict_the_offer(schemes: list[str], offered: tuple[str, ...]) -> None:
    p = pricer({"models": {"gpt-4.1": PER_TOKEN}, "schemes": schemes})
    assert p.quote(facts(chat())).schemes == offered


@pytest.mark.parametrize(
    ("spec", "extra", "field", "cap"),
    [
        ({}, {}, {"max_tokens": 4096}, 4096),
        ({"maxOutputTokens": 300}, {}, {"max_tokens": 300}, 300),
        ({}, {"max_tokens": 50}, {"max_tokens": 50}, 50),
        ({}, {"max_tokens": 99_999}, {"max_tokens": 4096}, 4096),
        ({}, {"max_completion_tokens": 70}, {"max_completion_tokens": 70}, 70),
        ({"maxOutputTokens": 60}, {"max_completion_tokens": 70}, {"max_completion_tokens": 60}, 60),
    ],
)
def test_the_output_cap_is_injected_kept_or_lowered(
    spec: dict[str, Any], extra: dict[str, Any], field: dict[str, int], cap: int
) -> None:
    quote = pricer({"models": {"gpt-4.1": PER_TOKEN}, **spec}).quote(facts(chat(**extra)))
    body = sent(quote)
    assert {k: body[k] for k in ("max_tokens", "max_completion_tokens") if k in body} == field
    assert quote.metering is not None and quote.metering.output_cap == cap


def test_openai_itself_gets_max_completion_tokens() -> None:
    p = pricer({"models": {"gpt-4.1": PER_TOKEN}}, upstream_url="https://api.openai.com")
    body = sent(p.quote(facts(chat())))
    assert body["max_completion_tokens"] == 4096 and "max_tokens" not in body


@pytest.mark.parametrize(
    ("options", "strip"),
    [
        (None, True),
        ({}, True),
        ({"include_usage": False}, True),
        ({"include_usage": True}, False),
    ],
)
def test_openai_streams_are_made_to_report_usage(
    options: dict[str, Any] | None, strip: bool
) -> None:
    extra: dict[str, Any] = {"stream": True}
    if options is not None:
        extra["stream_options"] = options
    quote = pricer({"models": {"gpt-4.1": PER_TOKEN}}).quote(facts(chat(**extra)))
    assert quote.metering is not None
    assert quote.metering.stream and quote.metering.strip_usage_chunk is strip
    assert sent(quote)["stream_options"]["include_usage"] is True


def test_anthropic_shape_follows_the_upstream_path() -> None:
    p = pricer({"path": "/v1/messages", "models": {"claude-x": PER_TOKEN}}, key="POST /claude")
    body = {"model": "claude-x", "messages": MESSAGES, "stream": True}
    quote = p.quote(facts(body, "/claude"))
    assert quote.metering is not None
    assert quote.metering.shape is ApiShape.ANTHROPIC_MESSAGES
    assert (quote.metering.stream, quote.metering.strip_usage_chunk) == (True, False)
    assert sent(quote) == {**body, "max_tokens": 4096}  # no stream_options for Anthropic


def test_per_token_pricing_needs_a_known_api_and_a_json_object() -> None:
    p = pricer({"models": {"gpt-4.1": PER_TOKEN, "flat": "$0.01"}}, key="POST /v1/embeddings")
    with pytest.raises(PricingError, match="not an LLM API this gateway can meter"):
        p.quote(facts(chat(), "/v1/embeddings"))
    assert p.quote(facts(chat("flat"), "/v1/embeddings")).amount == CENT  # flat needs no shape
    by_deployment = pricer({"modelFrom": "params.d", "models": {"gpt-4.1": PER_TOKEN}})
    with pytest.raises(PricingError, match="needs a JSON object request body"):
        by_deployment.quote(facts(["not", "an", "object"], params={"d": "gpt-4.1"}))


def test_input_that_cannot_be_bounded_is_refused() -> None:
    p = pricer({"models": {"gpt-4.1": PER_TOKEN}}, key="POST /v1/responses")
    body = {"model": "gpt-4.1", "input": "hi", "previous_response_id": "resp_123"}
    with pytest.raises(PricingError, match="cannot bound"):
        p.quote(facts(body, "/v1/responses"))


# --- catalog-priced quotes ----------------------------------------------------------------

TIERED = CatalogPrice(
    "stub",
    "tiered",
    Decimal(1),
    Decimal(2),
    Decimal("0.1"),
    tiers=(PriceTier(100, Decimal(5), Decimal(10), Decimal("0.5"), None),),
    context_window=100_000,
)


def test_the_catalog_context_window_clamps_the_input_bound() -> None:
    small = CatalogPrice("stub", "small", Decimal(1), Decimal(2), None, context_window=50)
    p = pricer({"markup": "0%"}, catalog=StubCatalog({"small": small}))
    quote = p.quote(facts(chat("small")))
    assert quote.metering is not None and quote.metering.input_bound == 50
    assert quote.amount == 50 * 1 + 4096 * 2


def test_a_tiered_catalog_price_quotes_the_tier_of_the_input_bound() -> None:
    p = pricer({"markup": "20%"}, catalog=StubCatalog({"tiered": TIERED}))
    body = chat("tiered", max_tokens=10)
    quote = p.quote(facts(body))
    assert bound(body) > 100
    assert quote.amount == math.ceil(bound(body) * Decimal(6) + 10 * Decimal(12))


def test_a_tiered_catalog_price_charges_the_tier_of_the_real_input() -> None:
    # The quote must assume the dearer tier (the bound is over 100 tokens), but a request
    # that used 40 input tokens costs the upstream the base rates: charge those.
    p = pricer({"markup": "20%"}, catalog=StubCatalog({"tiered": TIERED}))
    metering = p.quote(facts(chat("tiered", max_tokens=10))).metering
    assert metering is not None
    assert metering.charge(Usage(40, 10)) == math.ceil(40 * Decimal("1.2") + 10 * Decimal("2.4"))
    assert metering.charge(Usage(101, 10)) == math.ceil(101 * Decimal(6) + 10 * Decimal(12))
    assert metering.rates_for(40) == TokenRates(Decimal("1.2"), Decimal("2.4"), Decimal("0.12"))
    assert metering.rates_for(101) == metering.rates


def test_the_receipt_names_the_rates_actually_charged() -> None:
    from farebox.metered import receipt

    p = pricer({"markup": "20%"}, catalog=StubCatalog({"tiered": TIERED}))
    metering = p.quote(facts(chat("tiered", max_tokens=10))).metering
    assert metering is not None
    usage = Usage(40, 10)
    details = receipt("tiered", metering, usage, metering.charge(usage), metering.ceiling)
    assert details["rates"] == {
        "input": "$1.20/1M",
        "output": "$2.40/1M",
        "cachedInput": "$0.12/1M",
    }
    assert details["amount"] == "72"
    assert details["ceiling"] == str(metering.ceiling)
    assert receipt("tiered", metering, None, 0, 0)["rates"] == metering.rates.describe()
