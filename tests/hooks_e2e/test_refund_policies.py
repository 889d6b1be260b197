"""The refund-policy example hooks (unchanged) on after-response routes in front of the fake
LLM: each leaves the payer's balance as it was when it applies, and charges otherwise.
Also: a route's hook replaces the global hook of the same name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hooks_e2e.conftest import GatewayFactory
from tests.hooks_e2e.support import START_BALANCE, Facilitator, FakeLLM
from tests.support.payer import new_account, paying_client

PRICE = 20_000

ROUTES = """\
  "POST /rate-limit/v1/chat/completions":
    upstream: llm
    path: /v1/chat/completions
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{examples}/hooks/refund_on_rate_limit.py"}
  "POST /empty/v1/chat/completions":
    upstream: llm
    path: /v1/chat/completions
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{examples}/hooks/refund_on_empty_completion.py"}
  "POST /empty/v1/messages":
    upstream: llm
    path: /v1/messages
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{examples}/hooks/refund_on_empty_completion.py"}
  "POST /errors/v1/chat/completions":
    upstream: llm
    path: /v1/chat/completions
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{examples}/hooks/never_settle_on_error.py"}
"""

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}
MESSAGE = {"model": "claude-sonnet-4-0", "max_tokens": 50, "messages": CHAT["messages"]}


@pytest.fixture(scope="module")
def url(gateway: GatewayFactory) -> str:
    return gateway(ROUTES)


async def pay(url: str, path: str, body: Any, **headers: str) -> tuple[int, Any, bool, str]:
    """(status, JSON body, whether a receipt came, payer address) for one paid request."""
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}{path}", json=body, headers=headers)
    return (
        response.status_code,
        response.json(),
        "payment-response" in response.headers,
        (payer.address),
    )


@pytest.mark.parametrize(
    ("status", "charged"), [(None, True), ("429", False), ("400", True), ("503", False)]
)
async def test_refund_on_rate_limit(
    url: str, facilitator: Facilitator, fake_llm: FakeLLM, status: str | None, charged: bool
) -> None:
    headers = {"x-fake-status": status} if status else {}
    code, body, receipt, payer = await pay(url, "/rate-limit/v1/chat/completions", CHAT, **headers)
    assert code == int(status or 200)
    assert receipt is charged
    assert facilitator.balance(payer) == START_BALANCE - (PRICE if charged else 0)
    assert len(fake_llm.log.requests) == 1  # the upstream did answer, rate limit included
    if status == "429":
        assert body == {"error": {"message": "fake upstream failure"}}  # relayed as is


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/empty/v1/chat/completions", CHAT, "choices"),
        ("/empty/v1/messages", MESSAGE, "content"),
    ],
    ids=["openai", "anthropic"],
)
@pytest.mark.parametrize("empty", [True, False], ids=["empty", "full"])
async def test_refund_on_empty_completion(
    url: str, facilitator: Facilitator, path: str, body: Any, field: str, empty: bool
) -> None:
    headers = {"x-fake-empty": "1"} if empty else {}
    code, reply, receipt, payer = await pay(url, path, body, **headers)
    assert code == 200
    assert (reply[field] == []) is empty
    assert receipt is not empty
    assert facilitator.balance(payer) == START_BALANCE - (0 if empty else PRICE)


@pytest.mark.parametrize(
    ("status", "charged"),
    [(None, True), *((code, False) for code in ("400", "401", "404", "429", "500", "502"))],
)
async def test_never_settle_on_error(
    url: str, facilitator: Facilitator, status: str | None, charged: bool
) -> None:
    headers = {"x-fake-status": status} if status else {}
    code, _, receipt, payer = await pay(url, "/errors/v1/chat/completions", CHAT, **headers)
    assert code == int(status or 200)
    assert receipt is charged
    assert facilitator.balance(payer) == START_BALANCE - (PRICE if charged else 0)


# --- a route's hook replaces the global one of the same name --------------------

LAYERED = """\
  "POST /global/v1/chat/completions":
    upstream: llm
    path: /v1/chat/completions
    price: "$0.02"
    settlement: after-response
  "POST /own/v1/chat/completions":
    upstream: llm
    path: /v1/chat/completions
    price: "$0.02"
    settlement: after-response
    hooks:
      onResponse: "{examples}/hooks/refund_on_empty_completion.py"
"""

GLOBAL_HOOKS = """\
hooks:
  onRequest: "{examples}/hooks/enforce_model_allowlist.py"
  onResponse: "{examples}/hooks/never_settle_on_error.py"
"""


@pytest.fixture(scope="module")
def layered(gateway: GatewayFactory) -> str:
    return gateway(LAYERED, GLOBAL_HOOKS)


@pytest.mark.parametrize(
    ("path", "headers", "charged"),
    [
        ("/global", {"x-fake-status": "404"}, False),  # the global policy: no charge on 4xx
        ("/global", {"x-fake-empty": "1"}, True),  # ...which does not look at emptiness
        ("/own", {"x-fake-status": "404"}, True),  # the route's hook replaced the global one
        ("/own", {"x-fake-empty": "1"}, False),
        ("/own", {}, True),
    ],
)
async def test_a_route_hook_replaces_the_global_one(
    layered: str, facilitator: Facilitator, path: str, headers: dict[str, str], charged: bool
) -> None:
    _, _, receipt, payer = await pay(layered, f"{path}/v1/chat/completions", CHAT, **headers)
    assert receipt is charged
    assert facilitator.balance(payer) == START_BALANCE - (PRICE if charged else 0)


@pytest.mark.parametrize("path", ["/global", "/own"])
async def test_global_hooks_of_other_names_still_apply(
    layered: str, facilitator: Facilitator, fake_llm: FakeLLM, path: str
) -> None:
    code, body, receipt, payer = await pay(
        layered, f"{path}/v1/chat/completions", {**CHAT, "model": "gpt-3.5-turbo"}
    )
    assert (code, body, receipt) == (400, {"error": "Unsupported model"}, False)
    assert fake_llm.log.requests == []
    assert facilitator.balance(payer) == START_BALANCE
