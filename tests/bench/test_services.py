"""The processes under test answer what the x402 SDK and the gateway expect."""

from __future__ import annotations

import httpx
import pytest
from x402.schemas import SettleResponse, SupportedResponse, VerifyResponse

from bench.payments import requirements_from_402, unsigned_payment_headers
from bench.services.facilitator_stub import build_stub
from bench.services.gateway import (
    FREE_PATH,
    MERCHANT,
    PAID_AFTER_PATH,
    PAID_PATH,
    build_gateway,
)
from bench.services.upstream import BODY
from bench.services.upstream import app as upstream_app
from farebox.serving import BackgroundServer


def test_upstream_answers_every_path_with_the_static_json() -> None:
    with BackgroundServer(upstream_app) as server:
        response = httpx.post(f"{server.url}/v1/chat/completions", content=b'{"x": 1}')
    assert response.status_code == 200
    assert response.content == BODY
    assert response.headers["content-type"] == "application/json"


def test_stub_answers_parse_into_the_sdk_models_and_are_counted() -> None:
    with BackgroundServer(build_stub()) as server, httpx.Client(base_url=server.url) as client:
        verify = VerifyResponse.model_validate(client.post("/verify", json={}).json())
        settle = SettleResponse.model_validate(client.post("/settle", json={}).json())
        client.post("/settle", json={})
        supported = SupportedResponse.model_validate(client.get("/supported").json())
        stats = client.get("/stats").json()
        missing = client.get("/nothing")
    assert verify.is_valid and verify.payer
    assert settle.success and settle.network == "eip155:84532"
    assert len(settle.transaction) == 66 and int(settle.transaction, 16) >= 0
    assert [(k.scheme, k.network, k.x402_version) for k in supported.kinds] == [
        ("exact", "eip155:84532", 2)
    ]
    assert stats == {"verify": 1, "settle": 2, "supported": 1}
    assert missing.status_code == 404 and "/nothing" in missing.json()["error"]


def test_benchmark_gateway_serves_a_free_route_and_asks_payment_on_both_paid_routes() -> None:
    with BackgroundServer(upstream_app) as upstream, BackgroundServer(build_stub()) as stub:
        app, client_name = build_gateway(upstream.url, stub.url, "own")
        with BackgroundServer(app) as gateway:
            free = httpx.get(gateway.url + FREE_PATH)
            paid = [httpx.get(gateway.url + path) for path in (PAID_PATH, PAID_AFTER_PATH)]
    assert client_name == "HttpFacilitator"
    assert free.status_code == 200 and free.content == BODY
    for response in paid:
        assert response.status_code == 402
        assert response.json()["accepts"][0]["amount"] == "10000"
        assert response.json()["accepts"][0]["payTo"].lower() == MERCHANT


@pytest.mark.parametrize("client", ["own", "sdk"])
@pytest.mark.parametrize(
    ("path", "verifies"),
    [(PAID_PATH, 0), (PAID_AFTER_PATH, 1)],  # before-, after-response
)
def test_each_settlement_timing_costs_its_facilitator_calls(
    client: str, path: str, verifies: int
) -> None:
    with BackgroundServer(upstream_app) as upstream, BackgroundServer(build_stub()) as stub:
        app, _ = build_gateway(upstream.url, stub.url, client)
        with BackgroundServer(app) as gateway, httpx.Client(base_url=gateway.url) as http:
            requirements = requirements_from_402(http.get(path).headers["payment-required"])
            before = http.get(f"{stub.url}/stats").json()
            header = unsigned_payment_headers(requirements, 1)[0]
            response = http.get(path, headers={"PAYMENT-SIGNATURE": header})
            after = http.get(f"{stub.url}/stats").json()
    assert response.status_code == 200, response.text
    assert response.content == BODY and "payment-response" in response.headers
    calls = {step: after.get(step, 0) - before.get(step, 0) for step in ("verify", "settle")}
    assert calls == {"verify": verifies, "settle": 1}


def test_gateway_client_can_be_swapped_for_the_sdk_client_only() -> None:
    names = [
        build_gateway("http://127.0.0.1:1", "http://127.0.0.1:2", k)[1] for k in ("own", "sdk")
    ]
    assert names == ["HttpFacilitator", "HTTPFacilitatorClient"]
    with pytest.raises(ValueError, match="--client 'aiohttp': choose one of own, sdk"):
        build_gateway("http://127.0.0.1:1", "http://127.0.0.1:2", "aiohttp")
