"""Helpers for the LLM-route tests: payers, expected usage and costs, receipts, SSE."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from openai import AsyncOpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from x402.http.clients.httpx import x402HttpxClient
from x402.http.utils import decode_payment_response_header
from x402.schemas import PaymentRequirements, SettleResponse
from x402.schemas.hooks import PaymentCreationContext

from farebox.demo.llm import FakeLLMLog
from farebox.facilitator.local import LocalFacilitator
from tests.support.payer import NETWORK, x402_client_for

START_BALANCE = 100_000_000  # what the local facilitator credits a new address
FAKE_REPLY_WORDS = 29  # the fake LLM's full reply, in words (one word = one token)
RECEIPT_PREFIX = ": x402-receipt "


@dataclass
class FakeLLM:
    url: str
    log: FakeLLMLog

    def last_body(self) -> dict[str, Any]:
        body: dict[str, Any] = self.log.requests[-1]["body"]
        return body


@dataclass
class Slow:
    url: str


@dataclass
class Facilitator:
    url: str
    local: LocalFacilitator

    def balance(self, address: str) -> int:
        return self.local.ledger.balance(NETWORK, address)


@dataclass
class Payer:
    """A fresh account paying through the official x402 client; remembers what it was offered."""

    account: LocalAccount
    upto: bool = True
    selected: list[PaymentRequirements] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.x402 = x402_client_for(self.account, upto=self.upto)
        self.x402.on_before_payment_creation(self._record)

    def _record(self, context: PaymentCreationContext) -> None:
        assert isinstance(context.selected_requirements, PaymentRequirements)
        self.selected.append(context.selected_requirements)

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def authorized(self) -> PaymentRequirements:
        """The requirements the client paid against last (scheme, ceiling)."""
        assert self.selected, "the client was never asked to pay"
        return self.selected[-1]

    def spent(self, facilitator: Facilitator) -> int:
        return START_BALANCE - facilitator.balance(self.address)

    def http(self) -> x402HttpxClient:
        return x402HttpxClient(self.x402, timeout=30)

    def openai(self, gateway_url: str) -> AsyncOpenAI:
        return AsyncOpenAI(
            base_url=f"{gateway_url}/v1",
            api_key="not-used-the-gateway-holds-the-key",
            http_client=self.http(),
            max_retries=0,
        )


# --- what the fake LLM bills -------------------------------------------------------------


def prompt_tokens(messages: list[dict[str, Any]], system: str | None = None) -> int:
    """The fake's documented prompt count: chars // 4 + 3 per message + 1."""
    texts = [m["content"] for m in messages] + ([system] if system else [])
    return sum(len(t) for t in texts) // 4 + 3 * len(messages) + 1


def reply_tokens(cap: int) -> int:
    return min(cap, FAKE_REPLY_WORDS)


def rate(text: str) -> Fraction:
    """ "$0.15/1M" -> atomic units per token (1e-6 dollars per token is 1 unit per 1M)."""
    assert text.startswith("$") and text.endswith("/1M"), text
    return Fraction(text[1:-3])


def cost(input_tokens: int, output_tokens: int, input_rate: str, output_rate: str) -> int:
    """Exact cost rounded up to a whole atomic unit."""
    return math.ceil(input_tokens * rate(input_rate) + output_tokens * rate(output_rate))


# --- receipts and streams ----------------------------------------------------------------


def settle_response(header: str) -> SettleResponse:
    decoded = decode_payment_response_header(header)
    assert isinstance(decoded, SettleResponse)
    return decoded


def receipt_of(header: str) -> dict[str, Any]:
    settled = settle_response(header)
    assert settled.success, settled
    assert settled.extra is not None
    receipt: dict[str, Any] = settled.extra["receipt"]
    return receipt


@dataclass
class SseStream:
    events: list[tuple[str | None, Any]]  # (event name, parsed data or the raw "[DONE]")
    comments: list[str]
    raw: str

    @property
    def receipt_lines(self) -> list[str]:
        return [c for c in self.comments if c.startswith(RECEIPT_PREFIX)]

    def settled(self) -> SettleResponse:
        lines = self.receipt_lines
        assert len(lines) == 1, self.raw
        return settle_response(lines[0].removeprefix(RECEIPT_PREFIX))

    def receipt(self) -> dict[str, Any]:
        settled = self.settled()
        assert settled.success and settled.extra is not None, settled
        receipt: dict[str, Any] = settled.extra["receipt"]
        return receipt

    def data(self) -> list[dict[str, Any]]:
        return [d for _, d in self.events if isinstance(d, dict)]


def parse_sse(text: str) -> SseStream:
    events: list[tuple[str | None, Any]] = []
    comments: list[str] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith(":"):
                comments.append(line)
            elif line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data.append(line.removeprefix("data:").strip())
        if data:
            joined = "\n".join(data)
            events.append((name, joined if joined == "[DONE]" else json.loads(joined)))
    return SseStream(events, comments, text)


def openai_text(stream: SseStream) -> str:
    return "".join(
        choice["delta"].get("content") or ""
        for chunk in stream.data()
        for choice in chunk.get("choices", [])
    )


def anthropic_text(stream: SseStream) -> str:
    return "".join(
        d["delta"].get("text", "") for d in stream.data() if d["type"] == "content_block_delta"
    )


async def post_stream(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[httpx.Response, SseStream]:
    response = await client.post(url, json=body, headers=headers or {})
    return response, parse_sse(response.text)


# --- an upstream that is too slow ----------------------------------------------------------

SLOW_SECONDS = 2.0  # well past the 0.3 s timeout the tests' `slow` upstream is given


def build_slow_upstream() -> Starlette:
    """x-slow: headers -> no answer in time; x-slow: body -> a stream that stalls at once."""

    async def chat(request: Request) -> Response:
        await request.body()
        if request.headers.get("x-slow") == "headers":
            await asyncio.sleep(SLOW_SECONDS)
            return JSONResponse({"error": "too late"})

        async def stalled() -> AsyncIterator[bytes]:
            await asyncio.sleep(SLOW_SECONDS)
            yield b'data: {"choices": [{"index": 0, "delta": {"content": "late"}}]}\n\n'

        return StreamingResponse(stalled(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()
