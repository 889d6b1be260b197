"""Building a hook's read-only view of the request from the gateway's objects."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

import pytest
from x402.schemas import PaymentRequirements, SettleResponse

from farebox.config.schema import Route
from farebox.hooks import (
    HookQuote,
    hook_payment,
    hook_quote,
    hook_request,
    hook_response,
    hook_route,
    parse_json,
)
from farebox.pricing.quote import Quote, RequestFacts

PAYER = "0x" + "a" * 40
PAY_TO = "0x" + "b" * 40


def test_hook_request_copies_facts_into_read_only_mappings() -> None:
    headers = {"content-type": "application/json", "x-tier": "gold"}
    facts = RequestFacts(
        method="POST",
        path="/v1/chat/completions",
        params={"id": "7"},
        query={"debug": "1"},
        headers=headers,
        body={"model": "gpt-4o"},
        raw_body=b'{"model":"gpt-4o"}',
    )
    req = hook_request(facts)
    assert (req.method, req.path, req.json) == ("POST", "/v1/chat/completions", {"model": "gpt-4o"})
    assert req.body == b'{"model":"gpt-4o"}'
    assert req.params == {"id": "7"} and req.query == {"debug": "1"}
    assert req.header("X-Tier") == "gold" and req.header("x-missing", "no") == "no"
    with pytest.raises(TypeError):
        req.headers["x-tier"] = "free"  # type: ignore[index]
    headers["x-tier"] = "changed"  # a copy: the gateway's dict does not leak in
    assert req.header("x-tier") == "gold"


def test_an_unread_body_is_none() -> None:
    facts = RequestFacts(method="GET", path="/x", params={}, query={}, headers={})
    req = hook_request(facts)
    assert req.json is None and req.body is None


def test_hook_route_takes_the_configured_route() -> None:
    route = Route.model_validate(
        {
            "upstream": "openai",
            "price": "$0.01",
            "settlement": "after-response",
            "metadata": {"tier": 2},
        }
    )
    view = hook_route("POST /v1/chat/completions", route)
    assert (view.key, view.upstream, view.settlement, view.type) == (
        "POST /v1/chat/completions",
        "openai",
        "after-response",
        None,
    )
    assert view.metadata == {"tier": 2} and isinstance(view.metadata, MappingProxyType)


def test_hook_quote_has_atomic_and_dollar_amounts() -> None:
    quote = hook_quote(
        Quote(amount=15_000, source="match", model="gpt-4o", schemes=("upto", "exact"))
    )
    assert quote == HookQuote(amount=15_000, source="match", model="gpt-4o", scheme="upto")
    assert quote.dollars == Decimal("0.015")


def requirements(amount: str = "20000") -> PaymentRequirements:
    return PaymentRequirements(
        scheme="exact",
        network="eip155:84532",
        asset="0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        amount=amount,
        pay_to=PAY_TO,
        max_timeout_seconds=60,
    )


def test_hook_payment_before_settlement_is_the_authorized_amount() -> None:
    payment = hook_payment(requirements(), payer=PAYER)
    assert (payment.payer, payment.amount, payment.network, payment.scheme) == (
        PAYER,
        20_000,
        "eip155:84532",
        "exact",
    )
    assert payment.transaction is None and payment.dollars == Decimal("0.02")


def test_hook_payment_after_settlement_is_what_settled() -> None:
    settled = SettleResponse(
        success=True, payer=PAYER, transaction="0xabc", network="eip155:84532", amount="12000"
    )
    payment = hook_payment(requirements(), settled=settled)
    assert (payment.payer, payment.amount, payment.transaction) == (PAYER, 12_000, "0xabc")


def test_hook_response_parses_json_bodies_only() -> None:
    raw = [
        (b"Content-Type", b"application/json; charset=utf-8"),
        (b"set-cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
    ]
    response = hook_response(200, raw, b'{"choices": []}')
    assert response.json == {"choices": []} and response.body == b'{"choices": []}'
    assert response.header("content-type") == "application/json; charset=utf-8"
    assert response.headers["set-cookie"] == "a=1, b=2"


@pytest.mark.parametrize(
    ("content_type", "body", "parsed"),
    [
        ("application/json", b'{"a": 1}', {"a": 1}),
        ("application/problem+json", b'{"a": 1}', {"a": 1}),
        ("text/plain", b'{"a": 1}', None),
        ("text/event-stream", b"data: {}\n\n", None),
        ("application/json", b"not json", None),
        ("application/json", b"\xff\xfe", None),
        ("application/json", b"", None),
        (None, b'{"a": 1}', None),
        ("application/json", None, None),
    ],
)
def test_parse_json(content_type: str | None, body: bytes | None, parsed: object) -> None:
    assert parse_json(content_type, body) == parsed


def test_hook_response_takes_a_mapping_of_headers() -> None:
    response = hook_response(429, {"Retry-After": "3"}, None)
    assert (
        response.status == 429 and response.header("retry-after") == "3" and response.json is None
    )
