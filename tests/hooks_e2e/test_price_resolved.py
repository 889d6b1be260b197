"""onPriceResolved through real sockets: the 402 asks for the hook's price, and the payer
pays exactly that; a rejection or an unusable price ends the request before any 402."""

from __future__ import annotations

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

HOOKS = {
    "double.py": """
        def hook(ctx):
            return ctx.quote.dollars * 2
        """,
    "vip_discount.py": """
        from farebox import PriceOverride

        def hook(ctx):
            if ctx.request.header("x-vip") == "yes":
                return PriceOverride(atomic=ctx.quote.amount * 9 // 10)
            return None
        """,
    "fixed_string.py": """
        def hook(ctx):
            return {"price": "$0.05"}
        """,
    "free_for_tests.py": """
        def hook(ctx):
            return 0 if ctx.request.query.get("free") == "1" else None
        """,
    "refuse_big.py": """
        from farebox import Reject

        def hook(ctx):
            if ctx.quote.amount > 30000:
                return Reject(403, "too expensive for this plan")
            return None
        """,
    "in_atomic_by_mistake.py": """
        def hook(ctx):
            return ctx.quote.amount  # 20000 dollars: above any maxPrice
        """,
    "fifteen.py": """
        def hook(ctx):
            return "$15"
        """,
}

ROUTES = """\
  "GET /double":
    upstream: api
    price: "$0.02"
    hooks: {onPriceResolved: "{hooks}/double.py"}
  "GET /vip":
    upstream: api
    price: "$0.10"
    hooks: {onPriceResolved: "{hooks}/vip_discount.py"}
  "GET /fixed":
    upstream: api
    price: "$0.02"
    hooks: {onPriceResolved: "{hooks}/fixed_string.py"}
  "GET /maybe-free":
    upstream: api
    price: "$0.02"
    hooks: {onPriceResolved: "{hooks}/free_for_tests.py"}
  "GET /match/:size":
    upstream: api
    match:
      - where: {params.size: "big"}
        price: "$0.04"
    fallback: "$0.01"
    hooks: {onPriceResolved: "{hooks}/refuse_big.py"}
  "GET /atomic":
    upstream: api
    price: "$0.02"
    hooks: {onPriceResolved: "{hooks}/in_atomic_by_mistake.py"}
  "GET /fifteen":
    upstream: api
    price: "$0.02"
    hooks: {onPriceResolved: "{hooks}/fifteen.py"}
"""


@pytest.fixture(scope="module")
def url(gateway: GatewayFactory, files: HookFiles) -> str:
    for name, source in HOOKS.items():
        files.write(name, source)
    return gateway(ROUTES)


@pytest.mark.parametrize(
    ("path", "headers", "amount"),
    [
        ("/double", {}, 40_000),
        ("/vip", {"X-VIP": "yes"}, 90_000),
        ("/vip", {}, 100_000),  # None keeps the quote
        ("/fixed", {}, 50_000),
        ("/match/small", {}, 10_000),
    ],
)
async def test_the_402_asks_for_the_hooks_price(
    url: str, path: str, headers: dict[str, str], amount: int
) -> None:
    async with httpx.AsyncClient(timeout=30) as plain:
        response = await plain.get(f"{url}{path}", headers=headers)
    assert amount_402(response) == amount


@pytest.mark.parametrize(("path", "amount"), [("/double", 40_000), ("/fixed", 50_000)])
async def test_the_payer_pays_the_hooks_price(
    url: str, facilitator: Facilitator, upstream: Upstream, path: str, amount: int
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}{path}")
    assert response.status_code == 200, response.text
    assert upstream.called(path)
    assert facilitator.balance(payer.address) == START_BALANCE - amount


async def test_a_price_of_zero_serves_free(url: str, upstream: Upstream) -> None:
    async with httpx.AsyncClient(timeout=30) as plain:
        free = await plain.get(f"{url}/maybe-free?free=1")
        paid = await plain.get(f"{url}/maybe-free")
    assert free.status_code == 200
    assert "payment-response" not in free.headers
    assert paid.status_code == 402
    assert upstream.log.paths() == ["/maybe-free"]


async def test_a_rejection_comes_instead_of_the_402(url: str, upstream: Upstream) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}/match/big")
    assert response.status_code == 403
    assert response.json() == {"error": "too expensive for this plan"}
    assert "payment-required" not in response.headers
    assert upstream.log.requests == []


@pytest.mark.parametrize(
    ("path", "why"),
    [("/atomic", "above the maximum price $10"), ("/fifteen", "above the maximum price $10")],
)
async def test_a_price_above_max_price_fails_closed(
    url: str, facilitator: Facilitator, upstream: Upstream, path: str, why: str
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.get(f"{url}{path}")
    assert_fails_closed(response, "hook onPriceResolved", why)
    assert upstream.log.requests == []
    assert facilitator.balance(payer.address) == START_BALANCE


async def test_defaults_max_price_raises_the_limit(
    gateway: GatewayFactory, files: HookFiles
) -> None:
    files.write("fifteen.py", HOOKS["fifteen.py"])
    routes = '  "GET /fifteen":\n    upstream: api\n    price: "$0.02"\n'
    routes += '    hooks: {onPriceResolved: "{hooks}/fifteen.py"}\n'
    url = gateway(routes, extra='defaults:\n  maxPrice: "$20"\n')
    async with httpx.AsyncClient(timeout=30) as plain:
        response = await plain.get(f"{url}/fifteen")
    assert amount_402(response) == 15_000_000
