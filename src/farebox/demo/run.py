"""The demo: upstream, local facilitator, gateway and a paying client on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
from eth_account import Account
from x402 import x402Client
from x402.http.clients.httpx import x402HttpxClient
from x402.http.utils import decode_payment_required_header, decode_payment_response_header
from x402.mechanisms.evm.exact.client import ExactEvmScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.upto.client import UptoEvmScheme
from x402.schemas import PaymentRequired

from farebox.app import build_app
from farebox.config.loader import parse_config
from farebox.demo.llm import build_fake_llm
from farebox.demo.upstream import DEMO_API_KEY, build_demo_upstream
from farebox.facilitator.app import build_facilitator_app
from farebox.facilitator.local import build_local_facilitator
from farebox.pricing.money import format_dollars
from farebox.serving import BackgroundServer

NETWORK = "eip155:84532"

DEMO_CONFIG = """\
wallets:
  base-sepolia: "{merchant}"
facilitator: "{facilitator}"
upstreams:
  fortunes:
    url: "{upstream}"
    headers:
      Authorization: "Bearer {api_key}"
  llm:
    url: "{llm}"
routes:
  "GET /fortune":
    upstream: fortunes
    path: /v1/fortune
    price: "$0.01"
  "POST /v1/chat/completions":
    upstream: llm
    type: token-based
    models:
      gpt-4.1: {{input: "$2.00/1M", output: "$8.00/1M"}}
      gpt-4o-mini: "$0.005"
    fallback: "$0.02"
    maxOutputTokens: 256
"""


def run_demo(out: Callable[[str], None] = print) -> int:
    with ExitStack() as stack:
        facilitator = build_local_facilitator()
        upstream = stack.enter_context(BackgroundServer(build_demo_upstream()))
        llm = stack.enter_context(BackgroundServer(build_fake_llm()))
        fac_server = stack.enter_context(BackgroundServer(build_facilitator_app(facilitator)))
        merchant = Account.create().address
        config_text = DEMO_CONFIG.format(
            merchant=merchant,
            facilitator=fac_server.url,
            upstream=upstream.url,
            llm=llm.url,
            api_key=DEMO_API_KEY,
        )
        gateway = stack.enter_context(BackgroundServer(build_app(parse_config(config_text))))
        out("farebox demo: paid requests, end to end, on this machine")
        out("(local test ledger: no real money moves)\n")
        out(f"  upstream     {upstream.url}   demo fortune API (needs an API key)")
        out(f"  facilitator  {fac_server.url}   local ledger, x402 exact on Base Sepolia")
        out(f"  llm          {llm.url}   a fake OpenAI-compatible model server")
        out(f"  gateway      {gateway.url}   GET /fortune costs $0.01\n")
        out("config:\n" + _indent(config_text))
        flat = asyncio.run(_client_story(out, gateway.url, fac_server.url, merchant))
        metered = asyncio.run(_metered_story(out, gateway.url, fac_server.url))
        return flat or metered
    return 1  # pragma: no cover - ExitStack never swallows


async def _client_story(out: Callable[[str], None], gateway: str, fac: str, merchant: str) -> int:
    account = Account.create()
    async with httpx.AsyncClient(timeout=30) as plain:
        before = await _balance(plain, fac, account.address)
        merchant_before = await _balance(plain, fac, merchant)
        out("1. The caller asks without paying")
        unpaid = await plain.get(f"{gateway}/fortune")
        required = decode_payment_required_header(unpaid.headers["payment-required"])
        assert isinstance(required, PaymentRequired)
        offer = required.accepts[0]
        out(f"   <- {unpaid.status_code} Payment Required")
        out(
            f"      price {format_dollars(int(offer.amount))} = {offer.amount} atomic USDC, "
            f"scheme {offer.scheme} on {offer.network}, pay to {offer.pay_to}\n"
        )

        out(f"2. A fresh wallet pays with the official x402 client: {account.address}")
        out(f"   balance before: {format_dollars(before)}")
        client = x402Client()
        client.register(NETWORK, ExactEvmScheme(signer=EthAccountSigner(account)))
        async with x402HttpxClient(client, timeout=30) as paying:
            paid = await paying.get(f"{gateway}/fortune")
        out(f"   <- {paid.status_code} {json.dumps(paid.json())}")
        if paid.status_code != 200:
            out("   the paid request failed; see the response above")
            return 1
        receipt = decode_payment_response_header(paid.headers["payment-response"])
        out(f"      settled: tx {receipt.transaction}")
        out(f"      payer {receipt.payer} on {receipt.network}\n")

        after = await _balance(plain, fac, account.address)
        merchant_after = await _balance(plain, fac, merchant)
        out("3. Balances at the facilitator")
        out(f"   payer     {format_dollars(before)} -> {format_dollars(after)}")
        out(f"   merchant  {format_dollars(merchant_before)} -> {format_dollars(merchant_after)}")
        charged = before - after
        ok = charged == int(offer.amount) and merchant_after - merchant_before == charged
        out(f"\n{'OK' if ok else 'MISMATCH'}: charged exactly {format_dollars(charged)}")
        return 0 if ok else 1


async def _metered_story(out: Callable[[str], None], gateway: str, fac: str) -> int:
    """A per-token call: authorize a ceiling with upto, pay only for the tokens used."""
    account = Account.create()
    request = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "Say something."}]}
    url = f"{gateway}/v1/chat/completions"
    out("\n4. A metered LLM call: gpt-4.1 at $2.00/1M input, $8.00/1M output tokens")
    async with httpx.AsyncClient(timeout=30) as plain:
        before = await _balance(plain, fac, account.address)
        unpaid = await plain.post(url, json=request)
        required = decode_payment_required_header(unpaid.headers["payment-required"])
        assert isinstance(required, PaymentRequired)
        for offer in required.accepts:
            out(f"   402 offers {offer.scheme:5} up to {format_dollars(int(offer.amount))}")
        client = x402Client()
        signer = EthAccountSigner(account)
        client.register(NETWORK, UptoEvmScheme(signer=signer))
        client.register(NETWORK, ExactEvmScheme(signer=signer))
        async with x402HttpxClient(client, timeout=30) as paying:
            paid = await paying.post(url, json=request)
        if paid.status_code != 200:
            out(f"   <- {paid.status_code} {paid.text}")
            return 1
        reply = paid.json()
        receipt = decode_payment_response_header(paid.headers["payment-response"])
        details = (receipt.extra or {}).get("receipt", {})
        out(f'   <- 200 "{reply["choices"][0]["message"]["content"][:60]}..."')
        out(
            f"      ceiling authorized {format_dollars(int(details['ceiling']))} (upto), "
            f"usage {details['inputTokens']} in + {details['outputTokens']} out tokens"
        )
        out(f"      settled {format_dollars(int(details['amount']))}: tx {receipt.transaction}")
        after = await _balance(plain, fac, account.address)
        out(f"   payer     {format_dollars(before)} -> {format_dollars(after)}")
        ok = before - after == int(details["amount"]) < int(details["ceiling"])
        out(f"\n{'OK' if ok else 'MISMATCH'}: paid for the tokens used, not the ceiling")
        return 0 if ok else 1


async def _balance(client: httpx.AsyncClient, fac: str, address: str) -> int:
    response = await client.get(f"{fac}/balances/{address}", params={"network": NETWORK})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return int(body["balance"])


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())
