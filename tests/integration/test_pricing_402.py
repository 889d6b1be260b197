"""The 402 a caller sees: amounts for static, match, param, fallback and default prices."""

from __future__ import annotations

import httpx

from tests.integration.conftest import GatewayFactory, Upstream, base_config
from tests.support.payer import NETWORK, required_of

ROUTES = """\
  "GET /static":
    upstream: api
    price: "$0.01"
  "POST /search":
    upstream: api
    match:
      - where: {{ body.mode: "deep*" }}
        price: "$0.05"
      - where: {{ query.tier: premium, headers.x-plan: gold }}
        price: "$0.03"
    fallback: "$0.002"
  "GET /items/:id":
    upstream: api
    match:
      - where: {{ params.id: "vip-*" }}
        price: "$1.25"
    fallback: "$0.25"
  "GET /default":
    upstream: api
  "GET /free":
    upstream: api
    price: "$0"
"""

EXTRA = 'defaults:\n  price: "$0.004"\n'


def amount(response: httpx.Response) -> int:
    offer = required_of(response).accepts[0]
    assert offer.network == NETWORK
    assert offer.scheme == "exact"
    return int(offer.amount)


def test_each_pricing_kind_sets_the_402_amount(
    gateway: GatewayFactory, plain: httpx.Client, merchant: str
) -> None:
    url = gateway(base_config(ROUTES, EXTRA))
    assert amount(plain.get(f"{url}/static")) == 10_000
    assert amount(plain.post(f"{url}/search", json={"mode": "deep-research"})) == 50_000
    assert (
        amount(plain.post(f"{url}/search?tier=premium", json={}, headers={"x-plan": "gold"}))
        == 30_000
    )
    # one condition of the rule missing -> next rule, then fallback
    assert amount(plain.post(f"{url}/search?tier=premium", json={"mode": "quick"})) == 2_000
    assert amount(plain.get(f"{url}/items/vip-7")) == 1_250_000
    assert amount(plain.get(f"{url}/items/regular")) == 250_000
    assert amount(plain.get(f"{url}/default")) == 4_000


def test_402_carries_requirements_in_header_and_body(
    gateway: GatewayFactory, plain: httpx.Client, merchant: str
) -> None:
    url = gateway(base_config(ROUTES, EXTRA))
    response = plain.get(f"{url}/static")
    required = required_of(response)
    body = response.json()
    assert body["x402Version"] == 2
    assert body["accepts"] == [
        r.model_dump(by_alias=True, exclude_none=True) for r in required.accepts
    ]
    offer = required.accepts[0]
    assert offer.pay_to == merchant
    assert offer.asset.lower() == "0x036cbd53842c5426634e7929541ec2318f3dcf7e"  # USDC, Base Sepolia
    assert offer.extra["name"] == "USDC" and offer.extra["version"] == "2"
    assert offer.max_timeout_seconds > 0
    assert required.resource is not None and required.resource.url.endswith("/static")
    assert "error" not in body  # no payment was offered, so nothing was refused


def test_free_route_proxies_without_payment(
    gateway: GatewayFactory, plain: httpx.Client, upstream: Upstream
) -> None:
    url = gateway(base_config(ROUTES, EXTRA))
    response = plain.get(f"{url}/free?x=1")
    assert response.status_code == 200
    assert "payment-response" not in response.headers
    assert upstream.log.requests[-1]["path"] == "/free"
    assert upstream.log.requests[-1]["query"] == "x=1"


def test_priced_body_that_is_not_json_is_refused_before_payment(
    gateway: GatewayFactory, plain: httpx.Client, upstream: Upstream
) -> None:
    url = gateway(base_config(ROUTES, EXTRA))
    response = plain.post(
        f"{url}/search", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert "payment-required" not in response.headers
    assert upstream.log.requests == []


def test_match_only_route_with_no_matching_rule_is_a_400(
    gateway: GatewayFactory, plain: httpx.Client
) -> None:
    routes = """\
  "POST /only-rules":
    upstream: api
    match:
      - where: {{ body.size: large }}
        price: "$0.10"
"""
    url = gateway(base_config(routes))
    response = plain.post(f"{url}/only-rules", json={"size": "small"})
    assert response.status_code == 400
    assert "matched" in response.json()["error"]
    assert amount(plain.post(f"{url}/only-rules", json={"size": "large"})) == 100_000


def test_rule_pay_to_overrides_the_wallet(gateway: GatewayFactory, plain: httpx.Client) -> None:
    other = "0x" + "ab" * 20
    routes = f"""\
  "POST /split":
    upstream: api
    match:
      - where: {{{{ body.partner: acme }}}}
        price: "$0.02"
        payTo: "{other}"
    fallback: "$0.01"
"""
    url = gateway(base_config(routes))
    partner = required_of(plain.post(f"{url}/split", json={"partner": "acme"})).accepts[0]
    assert partner.pay_to.lower() == other
    assert int(partner.amount) == 20_000
