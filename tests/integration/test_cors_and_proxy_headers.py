"""gateway.cors and gateway.trustProxy, as a browser and a load balancer see them."""

from __future__ import annotations

import httpx

from tests.integration.conftest import GatewayFactory, base_config
from tests.support.payer import required_of

ROUTES = '  "GET /data":\n    upstream: api\n    price: "$0.01"\n'


def test_cors_true_lets_any_origin_read_the_payment_headers(
    gateway: GatewayFactory, plain: httpx.Client
) -> None:
    url = gateway(base_config(ROUTES, "gateway:\n  cors: true\n"))
    response = plain.get(f"{url}/data", headers={"Origin": "https://app.example"})
    assert response.status_code == 402
    assert response.headers["access-control-allow-origin"] == "*"
    assert "PAYMENT-REQUIRED" in response.headers["access-control-expose-headers"]
    preflight = plain.options(
        f"{url}/data",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "payment-signature",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-headers"] == "payment-signature"
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_cors_origins_narrow_who_is_allowed(gateway: GatewayFactory, plain: httpx.Client) -> None:
    extra = (
        'gateway:\n  cors:\n    origins: ["https://app.example"]\n    credentials: true\n'
        "    headers: [authorization]\n"
    )
    url = gateway(base_config(ROUTES, extra))
    allowed = plain.get(f"{url}/data", headers={"Origin": "https://app.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert allowed.headers["vary"] == "Origin"
    other = plain.get(f"{url}/data", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = plain.options(
        f"{url}/data",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["access-control-allow-headers"] == (
        "authorization, content-type, payment-signature"
    )


def test_no_cors_headers_unless_configured(gateway: GatewayFactory, plain: httpx.Client) -> None:
    url = gateway(base_config(ROUTES))
    response = plain.get(f"{url}/data", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


def test_trust_proxy_takes_the_resource_url_from_the_proxy(
    gateway: GatewayFactory, plain: httpx.Client
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com, inner"}
    trusting = gateway(base_config(ROUTES, "gateway:\n  trustProxy: true\n"))
    resource = required_of(plain.get(f"{trusting}/data", headers=forwarded)).resource
    assert resource is not None and resource.url == "https://api.example.com/data"
    wary = gateway(base_config(ROUTES))
    resource = required_of(plain.get(f"{wary}/data", headers=forwarded)).resource
    assert resource is not None and resource.url.startswith("http://127.0.0.1:")
