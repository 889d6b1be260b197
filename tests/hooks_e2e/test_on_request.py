"""onRequest through real sockets: a rejection comes before any 402, payment or upstream call."""

from __future__ import annotations

import httpx
import pytest

from tests.hooks_e2e.conftest import GatewayFactory
from tests.hooks_e2e.support import START_BALANCE, Facilitator, HookFiles, Upstream, example
from tests.support.payer import new_account, paying_client

ALLOWLIST_ROUTES = """\
  "POST /allow/class":
    upstream: api
    price: "$0.02"
    hooks:
      onRequest: "{examples}/hooks/enforce_model_allowlist.py"
  "POST /allow/dict":
    upstream: api
    price: "$0.02"
    hooks:
      onRequest: "{examples}/hooks/enforce_model_allowlist_dict.py"
"""

ALLOWLISTS = pytest.mark.parametrize("path", ["/allow/class", "/allow/dict"])


def test_the_examples_are_used_unchanged() -> None:
    # The config names the example files themselves, not copies.
    assert example("hooks/enforce_model_allowlist.py").endswith("enforce_model_allowlist.py")
    assert example("hooks/enforce_model_allowlist_dict.py")


@ALLOWLISTS
async def test_allowlisted_model_is_priced_paid_and_served(
    gateway: GatewayFactory, facilitator: Facilitator, upstream: Upstream, path: str
) -> None:
    url = gateway(ALLOWLIST_ROUTES)
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}{path}", json={"model": "gpt-4o-mini"})
    assert response.status_code == 200, response.text
    assert "payment-response" in response.headers
    assert response.json()["path"] == path  # the test upstream echoes what it got
    assert facilitator.balance(payer.address) == START_BALANCE - 20_000


@ALLOWLISTS
@pytest.mark.parametrize(
    "body",
    [{"model": "gpt-3.5-turbo"}, {"messages": []}, {"model": ""}, None],
    ids=["unlisted", "no-model", "empty-model", "no-body"],
)
async def test_other_models_are_refused_before_any_402(
    gateway: GatewayFactory,
    facilitator: Facilitator,
    upstream: Upstream,
    path: str,
    body: object,
) -> None:
    url = gateway(ALLOWLIST_ROUTES)
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}{path}", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": "Unsupported model"}
    assert "payment-required" not in response.headers
    assert not upstream.called(path)
    assert facilitator.balance(payer.address) == START_BALANCE


async def test_plain_caller_gets_the_rejection_not_a_402(
    gateway: GatewayFactory, upstream: Upstream
) -> None:
    url = gateway(ALLOWLIST_ROUTES)
    async with httpx.AsyncClient(timeout=30) as plain:
        refused = await plain.post(f"{url}/allow/class", json={"model": "o1"})
        allowed = await plain.post(f"{url}/allow/class", json={"model": "gpt-4o"})
    assert refused.status_code == 400
    assert "payment-required" not in refused.headers
    assert allowed.status_code == 402  # the same route asks for payment once allowed
    assert upstream.log.requests == []


async def test_a_rejection_carries_its_status_body_and_headers(
    gateway: GatewayFactory, files: HookFiles, upstream: Upstream
) -> None:
    files.write(
        "tier_gate.py",
        """
        from farebox import Reject

        def hook(ctx):
            if ctx.request.header("X-Tier") != "gold":
                return Reject(
                    403,
                    {"error": "forbidden", "route": ctx.route.key, "id": ctx.request.params["id"]},
                    {"Retry-After": "60"},
                )
            return None
        """,
    )
    routes = """\
  "GET /items/:id":
    upstream: api
    price: "$0.01"
    hooks:
      onRequest: "{hooks}/tier_gate.py"
"""
    url = gateway(routes)
    async with httpx.AsyncClient(timeout=30) as plain:
        refused = await plain.get(f"{url}/items/42")
        allowed = await plain.get(f"{url}/items/42", headers={"X-Tier": "gold"})
    assert refused.status_code == 403
    assert refused.json() == {"error": "forbidden", "route": "GET /items/:id", "id": "42"}
    assert refused.headers["retry-after"] == "60"
    assert allowed.status_code == 402
    assert upstream.log.requests == []


async def test_on_request_on_a_free_route_refuses_too(
    gateway: GatewayFactory, files: HookFiles, upstream: Upstream
) -> None:
    files.write(
        "needs_key.py",
        """
        def hook(ctx):
            if "key" not in ctx.request.query:
                return {"reject": True, "status": 401, "body": "add ?key="}
        """,
    )
    routes = """\
  "GET /free":
    upstream: api
    price: "$0"
    hooks:
      onRequest: "{hooks}/needs_key.py"
"""
    url = gateway(routes)
    async with httpx.AsyncClient(timeout=30) as plain:
        refused = await plain.get(f"{url}/free")
        served = await plain.get(f"{url}/free?key=1")
    assert refused.status_code == 401
    assert refused.json() == {"error": "add ?key="}
    assert served.status_code == 200
    assert upstream.log.paths() == ["/free"]
