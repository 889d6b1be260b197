"""The routes these tests serve and the paid requests they make (official x402 client)."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import httpx

from farebox.llm.catalog import Catalog
from farebox.llm.usage import Usage
from tests.llm_routes.support import FAKE_REPLY_WORDS, Payer, cost, prompt_tokens
from tests.support.payer import new_account, paying_client

IN, OUT = "$1/1M", "$4/1M"  # above the catalog's gpt-4.1-mini cost: audits pass
MODEL = "gpt-4.1-mini"  # priced by the route's own rates
CATALOG_MODEL = "gpt-4o-mini"  # priced from the catalog, plus the markup
UNKNOWN_MODEL = "acme-house-model"  # in neither: the flat fallback
MARKUP = Decimal("1.5")
FALLBACK = 10_000
MESSAGES = [{"role": "user", "content": "How is a metered request charged, exactly?"}]
PROMPT = prompt_tokens(MESSAGES)
METERED_COST = cost(PROMPT, FAKE_REPLY_WORDS, IN, OUT)
CHAT = "POST /v1/chat/completions"
STATUS = "GET /status/:code"
PREPAID = "GET /prepaid/:code"

ROUTES = f"""\
  "{STATUS}":
    upstream: api
    price: "$0.02"
    settlement: after-response
  "{PREPAID}":
    upstream: api
    path: "/status/${{params.code}}"
    price: "$0.03"
    settlement: before-response
  "GET /hooked":
    upstream: api
    price: "$0.04"
    settlement: after-response
    hooks:
      onResponse: hooks/no_charge.py
  "{CHAT}":
    upstream: openai
    type: token-based
    models:
      {MODEL}: {{input: "{IN}", output: "{OUT}"}}
    markup: 50%
    fallback: "$0.01"
"""

NO_CHARGE_HOOK = """\
def hook(ctx):
    return {"settle": False}
"""


def write_hooks(config_dir: Path) -> None:
    (config_dir / "hooks").mkdir(exist_ok=True)
    (config_dir / "hooks" / "no_charge.py").write_text(NO_CHARGE_HOOK)


def catalog_cost(model: str = CATALOG_MODEL) -> Decimal:
    """What the upstream bills (USD) for the fake LLM's answer to MESSAGES on `model`."""
    price = Catalog().lookup(model)
    assert price is not None
    return price.cost(Usage(PROMPT, FAKE_REPLY_WORDS))


def catalog_charge() -> int:
    return math.ceil(catalog_cost() * 1_000_000 * MARKUP)


async def paid_get(url: str) -> tuple[str, httpx.Response]:
    """One GET paid by a fresh account; (payer address, response)."""
    account = new_account()
    async with paying_client(account) as client:
        response = await client.get(url)
    return str(account.address), response


async def metered(
    url: str, model: str, *, max_tokens: int | None = None, **headers: str
) -> tuple[Payer, httpx.Response]:
    """One chat completion paid by a fresh account (upto when offered); (payer, response)."""
    payer = Payer(new_account())
    body: dict[str, object] = {"model": model, "messages": MESSAGES}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    async with payer.http() as client:
        response = await client.post(f"{url}/v1/chat/completions", json=body, headers=headers)
    return payer, response
