"""Every cookbook pricing function (examples/pricing/*, unchanged) through a gateway: the 402
asks for the computed price, the payer pays exactly that, and the edge cases hold.
A function that fails (raises, negative, NaN, too high, too slow) fails closed: a 500 naming
it, no 402, and the upstream is never called."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.hooks_e2e.conftest import GatewayFactory
from tests.hooks_e2e.support import (
    START_BALANCE,
    Facilitator,
    HookFiles,
    Upstream,
    amount_402,
    assert_fails_closed,
)
from tests.support.payer import new_account, paying_client

COOKBOOK = """\
  "GET /stream/:assetId":
    upstream: api
    price: {fn: "{examples}/pricing/by_params.py"}
  "POST /v1/images/generations":
    upstream: api
    price: {fn: "{examples}/pricing/by_body.py", maxPrice: "$2"}
  "GET /reports/export":
    upstream: api
    price: {fn: "{examples}/pricing/caps_and_floors.py"}
  "POST /v1/embeddings/batch":
    upstream: api
    price: {fn: "{examples}/pricing/tiered.py"}
  "POST /video/render":
    upstream: api
    price: {fn: "{examples}/pricing/caller_max_guard.py"}
"""


@pytest.fixture(scope="module")
def url(gateway: GatewayFactory) -> str:
    return gateway(COOKBOOK)


async def quoted(url: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as plain:
        return await plain.request(method, f"{url}{path}", **kwargs)


@pytest.mark.parametrize(
    ("query", "amount"),
    [
        ("?minutes=30&quality=hd", 90_000),  # 30 x $0.003
        ("?minutes=10&quality=4K", 80_000),  # case-insensitive quality
        ("?minutes=10&quality=sd", 10_000),
        ("?minutes=0", 3_000),  # clamped up to 1 minute
        ("?minutes=-50", 3_000),
        ("?minutes=100000", 720_000),  # clamped down to 240 minutes
        ("?minutes=abc&quality=vhs", 3_000),  # unknown values: the safe defaults
        ("", 3_000),
        ("?minutes=5&minutes=200", 15_000),  # the first value of a repeated name prices
    ],
)
async def test_by_params(url: str, upstream: Upstream, query: str, amount: int) -> None:
    assert amount_402(await quoted(url, "GET", f"/stream/abc{query}")) == amount
    assert upstream.log.requests == []


@pytest.mark.parametrize(
    ("body", "amount"),
    [
        ({"n": 2, "size": "1024x1024", "quality": "hd"}, 160_000),
        ({"n": 3, "size": "256x256"}, 48_000),
        ({"n": 50}, 400_000),  # n clamped to 10
        ({"n": 0}, 40_000),  # ...and up to 1
        ({"n": True, "size": "9x9"}, 40_000),  # odd fields fall back to defaults
        ({}, 40_000),
        (None, 40_000),  # no body at all
    ],
)
async def test_by_body(url: str, body: object, amount: int) -> None:
    response = await quoted(url, "POST", "/v1/images/generations", json=body)
    assert amount_402(response) == amount


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"[1, 2]", "send a JSON object"),  # PricingError: the function's own 400
        (b"{not json", "request body is not valid JSON"),
    ],
)
async def test_by_body_refuses_what_is_not_an_object(
    url: str, upstream: Upstream, content: bytes, error: str
) -> None:
    response = await quoted(
        url,
        "POST",
        "/v1/images/generations",
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert "payment-required" not in response.headers
    assert upstream.log.requests == []


@pytest.mark.parametrize(
    ("query", "amount"),
    [
        ("?rows=5000", 100_000),  # 5000 x $0.00002
        ("?rows=1", 2_000),  # the floor
        ("?rows=10000000", 250_000),  # the cap
        ("?rows=12500", 250_000),  # exactly at the cap
        ("?rows=100", 2_000),  # exactly at the floor
        ("?rows=-5", 20_000),  # nonsense: the default 1000 rows
        ("?rows=lots", 20_000),
        ("", 20_000),
    ],
)
async def test_caps_and_floors(url: str, query: str, amount: int) -> None:
    assert amount_402(await quoted(url, "GET", f"/reports/export{query}")) == amount


@pytest.mark.parametrize(
    ("batch", "amount"),
    [
        (150, 65_000),  # 100 x $0.0005 + 50 x $0.0003
        (100, 50_000),  # the first tier exactly
        (1000, 320_000),  # both first tiers: $0.05 + $0.27
        (1100, 330_000),  # ...and 100 in the last
        (1, 1_000),  # $0.0005 is below the minimum
        (0, 1_000),
    ],
)
async def test_tiered(url: str, batch: int, amount: int) -> None:
    body = {"input": [f"text {i}" for i in range(batch)]}
    assert amount_402(await quoted(url, "POST", "/v1/embeddings/batch", json=body)) == amount


async def test_tiered_counts_a_single_string_as_one(url: str) -> None:
    response = await quoted(url, "POST", "/v1/embeddings/batch", json={"input": "one text"})
    assert amount_402(response) == 1_000


@pytest.mark.parametrize(
    ("body", "headers", "amount"),
    [
        ({"durationSeconds": 90}, {}, 60_000),  # 2 minutes, rounded up
        ({"durationSeconds": 90}, {"X-Max-Price": "$0.06"}, 60_000),  # at the limit
        ({"durationSeconds": 90}, {"X-Max-Price": "1"}, 60_000),
        ({"durationSeconds": 90}, {"X-Max-Price": "whatever"}, 60_000),  # unreadable: no limit
        ({"durationSeconds": 10**9}, {}, 3_600_000),  # capped at 120 minutes
        ({"durationSeconds": -5}, {}, 30_000),  # nonsense: 60 seconds
        (None, {}, 30_000),
    ],
)
async def test_caller_max_guard_prices(
    url: str, body: object, headers: dict[str, str], amount: int
) -> None:
    response = await quoted(url, "POST", "/video/render", json=body, headers=headers)
    assert amount_402(response) == amount


async def test_caller_max_guard_refuses_above_the_callers_limit(
    url: str, facilitator: Facilitator, upstream: Upstream
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(
            f"{url}/video/render", json={"durationSeconds": 90}, headers={"X-Max-Price": "$0.05"}
        )
    assert response.status_code == 400
    assert response.json() == {"error": "this render costs $0.06, above your X-Max-Price of $0.05"}
    assert "payment-required" not in response.headers
    assert upstream.log.requests == []
    assert facilitator.balance(payer.address) == START_BALANCE


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "amount"),
    [
        ("GET", "/stream/abc?minutes=30&quality=hd", {}, 90_000),
        ("POST", "/v1/images/generations", {"json": {"n": 2, "quality": "hd"}}, 160_000),
        ("GET", "/reports/export?rows=1", {}, 2_000),
        ("POST", "/v1/embeddings/batch", {"json": {"input": ["a"] * 150}}, 65_000),
        ("POST", "/video/render", {"json": {"durationSeconds": 61}}, 60_000),
    ],
    ids=["by_params", "by_body", "caps_and_floors", "tiered", "caller_max_guard"],
)
async def test_the_payer_pays_the_computed_price(
    url: str,
    facilitator: Facilitator,
    upstream: Upstream,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    amount: int,
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.request(method, f"{url}{path}", **kwargs)
    assert response.status_code == 200, response.text
    assert "payment-response" in response.headers
    assert len(upstream.log.requests) == 1
    assert facilitator.balance(payer.address) == START_BALANCE - amount


# --- functions that fail close the route, before any 402 -------------------------

BROKEN = {
    "raises.py": "def price(req):\n    return 1 / 0\n",
    "negative.py": "def price(req):\n    return -0.01\n",
    "nan.py": "def price(req):\n    return float('nan')\n",
    "nan_decimal.py": "from decimal import Decimal\n\ndef price(req):\n    return Decimal('NaN')\n",
    "infinite.py": "def price(req):\n    return float('inf')\n",
    "atomic.py": "def price(req):\n    return 20000  # meant two cents; is $20,000\n",
    "three_dollars.py": "def price(req):\n    return '$3'\n",
    "none.py": "def price(req):\n    pass\n",
    "text.py": "def price(req):\n    return 'cheap'\n",
    "slow.py": "import time\n\ndef price(req):\n    time.sleep(2)\n    return 0.01\n",
    "slow_async.py": (
        "import asyncio\n\nasync def price(req):\n    await asyncio.sleep(2)\n    return 0.01\n"
    ),
}


def broken_routes() -> str:
    routes = []
    for name in BROKEN:
        stem = name.removesuffix(".py")
        max_price = ', maxPrice: "$2"' if stem == "three_dollars" else ""
        routes.append(
            f'  "GET /broken/{stem}":\n    upstream: api\n'
            f'    price: {{fn: "{{hooks}}/pricing/{name}"{max_price}}}\n'
        )
    return "".join(routes)


@pytest.fixture(scope="module")
def broken_url(gateway: GatewayFactory, files: HookFiles) -> str:
    for name, source in BROKEN.items():
        files.write(f"pricing/{name}", source)
    return gateway(broken_routes(), "defaults:\n  hookTimeout: 0.3\n")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("raises", "failed: ZeroDivisionError"),
        ("negative", "negative"),
        ("nan", "nan is not a price"),
        ("nan_decimal", "Decimal('NaN') is not a price"),
        ("infinite", "inf is not a price"),
        ("atomic", "above the maximum price $10"),
        ("three_dollars", "above the maximum price $2"),  # the route's own maxPrice
        ("none", "None is not a price"),
        ("text", '"cheap" is not a price'),
        ("slow", "timed out after 0.3s"),
        ("slow_async", "timed out after 0.3s"),
    ],
)
async def test_a_broken_function_fails_closed(
    broken_url: str, facilitator: Facilitator, upstream: Upstream, name: str, why: str
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{broken_url}/broken/{name}")
    assert_fails_closed(response, "pricing function ", f"/pricing/{name}.py", why)
    assert upstream.log.requests == []
    assert facilitator.balance(payer.address) == START_BALANCE
