"""Proxying: rewrites, traversal, headers, streaming, failures, built-in endpoints."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import Facilitator, GatewayFactory, Upstream, base_config
from tests.support.payer import new_account, paying_client

ROUTES = """\
  "GET /items/:id":
    upstream: api
    path: "/v2/catalog/${{params.id}}/detail"
    price: "$0"
  "GET /files/*":
    upstream: api
    path: "/store/${{params.*}}"
    price: "$0"
  "GET /sse-gated":
    upstream: api
    price: "$0"
  "POST /echo":
    upstream: api
    price: "$0"
  "GET /paid-sse":
    upstream: api
    path: /sse
    price: "$0.01"
"""


@pytest.fixture
def url(gateway: GatewayFactory) -> str:
    return gateway(base_config(ROUTES))


def test_path_rewrite_with_params_and_query(
    url: str, plain: httpx.Client, upstream: Upstream
) -> None:
    assert plain.get(f"{url}/items/abc-1?lang=en&x=a%20b").status_code == 200
    seen = upstream.log.requests[-1]
    assert seen["path"] == "/v2/catalog/abc-1/detail"
    assert seen["query"] == "lang=en&x=a%20b"


def test_catch_all_rewrite(url: str, plain: httpx.Client, upstream: Upstream) -> None:
    assert plain.get(f"{url}/files/a/b/c.txt").status_code == 200
    assert upstream.log.requests[-1]["path"] == "/store/a/b/c.txt"


@pytest.mark.parametrize(
    "attempt",
    [
        "/items/..",
        "/items/%2e%2e",
        "/items/%2E%2E",
        "/files/../secret",
        "/files/a/%2e%2e/b",
        "/files/a%2Fb/..%2F",
    ],
)
def test_traversal_never_leaves_the_rewrite_prefix(
    url: str, attempt: str, upstream: Upstream
) -> None:
    # httpx would normalise dot segments; send the raw path untouched.
    with httpx.Client(timeout=10) as client:
        request = client.build_request("GET", url)
        request.url = request.url.copy_with(raw_path=attempt.encode())
        response = client.send(request)
    if response.status_code == 200:
        seen = upstream.log.requests[-1]["raw_path"]
        assert seen.startswith(("/v2/catalog/", "/store/"))
        assert "/../" not in seen and not seen.endswith("/..")
    else:
        assert response.status_code in (400, 404)
        assert "error" in response.json()


def test_encoded_slash_in_a_param_stays_inside_the_segment(
    url: str, plain: httpx.Client, upstream: Upstream
) -> None:
    response = plain.get(f"{url}/items/a%2F..%2F..%2Fadmin")
    if response.status_code == 200:
        raw = upstream.log.requests[-1]["raw_path"]
        assert raw.startswith("/v2/catalog/") and raw.endswith("/detail")
        assert raw.count("/") == 4  # /v2/catalog/<one segment>/detail
    else:
        assert response.status_code == 400


def test_headers_injected_and_hop_by_hop_stripped(
    url: str, plain: httpx.Client, upstream: Upstream
) -> None:
    response = plain.post(
        f"{url}/echo",
        json={"a": 1},
        headers={
            "Authorization": "Bearer caller-supplied",
            "PAYMENT-SIGNATURE": "abc",
            "X-Payment": "def",
            "X-Custom": "kept",
            "Connection": "keep-alive, x-drop-me",
            "X-Drop-Me": "1",
        },
    )
    assert response.status_code == 200
    seen = upstream.log.requests[-1]["headers"]
    assert seen["authorization"] == "Bearer upstream-secret"
    assert seen["x-custom"] == "kept"
    assert "payment-signature" not in seen and "x-payment" not in seen
    assert "x-drop-me" not in seen
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert upstream.log.requests[-1]["body"] == '{"a":1}'


def test_streamed_request_body_reaches_upstream(
    url: str, plain: httpx.Client, upstream: Upstream
) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b"part-1;"
        yield b"part-2"

    assert plain.post(f"{url}/echo", content=chunks()).status_code == 200
    assert upstream.log.requests[-1]["body"] == "part-1;part-2"


def test_sse_arrives_event_by_event(url: str, plain: httpx.Client, upstream: Upstream) -> None:
    """The upstream sends each event only after the client has the previous one, so a
    gateway that buffered the stream would leave the client waiting (and the read
    timing out): no clock involved."""
    received: list[str] = []
    with plain.stream("GET", f"{url}/sse-gated?events=4", timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            received.append(line)
            upstream.log.gates[len(received) - 1].set()  # only now may the next one leave
    assert received == [f"data: event {i}" for i in range(4)]


async def test_paid_sse_streams_too(url: str, facilitator: Facilitator) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/paid-sse?events=3&delay=0.05")
    assert response.status_code == 200
    assert response.text.count("data:") == 4
    assert "payment-response" in response.headers


def test_upstream_down_is_502(gateway: GatewayFactory, plain: httpx.Client) -> None:
    config = base_config('  "GET /x":\n    upstream: api\n    price: "$0"\n').replace(
        '"{upstream}"', '"http://127.0.0.1:9"', 1
    )
    response = plain.get(f"{gateway(config)}/x")
    assert response.status_code == 502
    assert "could not be reached" in response.json()["error"]


def test_upstream_slow_is_504(gateway: GatewayFactory, plain: httpx.Client) -> None:
    config = base_config('  "GET /slow":\n    upstream: api\n    price: "$0"\n').replace(
        '    url: "{upstream}"\n', '    url: "{upstream}"\n    timeout: 0.3\n', 1
    )
    response = plain.get(f"{gateway(config)}/slow?seconds=2")
    assert response.status_code == 504
    assert "within 0.3s" in response.json()["error"]


def test_health_discovery_404_405(url: str, plain: httpx.Client, merchant: str) -> None:
    assert plain.get(f"{url}/health").json() == {"status": "ok"}
    discovery = plain.get(f"{url}/.well-known/x402").json()
    paid = [r for r in discovery["routes"]]
    assert [(r["method"], r["path"]) for r in paid] == [("GET", "/paid-sse")]
    assert paid[0]["pricing"] == {"kind": "static", "price": "$0.01"}
    assert paid[0]["accepts"][0]["payTo"] == merchant
    missing = plain.get(f"{url}/nope")
    assert missing.status_code == 404 and "no route for GET /nope" in missing.json()["error"]
    wrong = plain.delete(f"{url}/echo")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


async def test_a_traversal_on_a_paid_route_is_refused_before_any_payment(
    gateway: GatewayFactory, facilitator: Facilitator, upstream: Upstream
) -> None:
    routes = (
        '  "GET /paid/:id":\n    upstream: api\n    path: "/v1/${{params.id}}"\n'
        '    price: "$0.01"\n'
    )
    url = gateway(base_config(routes))
    payer = new_account()
    async with paying_client(payer) as client:
        request = client.build_request("GET", url)
        request.url = request.url.copy_with(raw_path=b"/paid/%2e%2e")
        response = await client.send(request)
    assert response.status_code == 400
    assert "payment-required" not in response.headers
    assert facilitator.balance(payer.address) == 100_000_000
    assert upstream.log.requests == []
