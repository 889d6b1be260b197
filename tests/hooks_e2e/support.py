"""End-to-end hook test helpers: server handles, hook files, reading 402s and receipts."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from x402.http.utils import decode_payment_response_header

from farebox.demo.llm import FakeLLMLog
from farebox.facilitator.local import LocalFacilitator
from tests.support.payer import NETWORK, required_of
from tests.support.upstream import UpstreamLog

START_BALANCE = 100_000_000  # what the local facilitator credits a new address ($100)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@dataclass
class Upstream:
    url: str
    log: UpstreamLog

    def called(self, path: str) -> bool:
        return any(entry["path"] == path for entry in self.log.requests)


@dataclass
class FakeLLM:
    url: str
    log: FakeLLMLog


@dataclass
class Facilitator:
    url: str
    local: LocalFacilitator

    def balance(self, address: str) -> int:
        return self.local.ledger.balance(NETWORK, address)


class HookFiles:
    """Operator files written into one folder for a test module."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, name: str, source: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path


def example(relative: str) -> str:
    """An example file's absolute path, for a config to name it unchanged."""
    path = EXAMPLES / relative
    assert path.is_file(), path
    return str(path)


def amount_402(response: httpx.Response) -> int:
    """The amount a 402 asks for (every offered network asks the same)."""
    amounts = {int(req.amount) for req in required_of(response).accepts}
    assert len(amounts) == 1, amounts
    return amounts.pop()


def transaction_of(response: httpx.Response) -> str:
    settled = decode_payment_response_header(response.headers["payment-response"])
    assert settled.success, settled
    return settled.transaction


def assert_fails_closed(response: httpx.Response, *names: str) -> str:
    """A 500 with a JSON error naming `names`, and nothing that asks for payment."""
    assert response.status_code == 500, response.text
    assert "payment-required" not in response.headers
    assert "payment-response" not in response.headers
    error = response.json()["error"]
    assert isinstance(error, str)
    for name in names:
        assert name in error, error
    return error


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def with_empty_replies(app: ASGIApp) -> ASGIApp:
    """The fake LLM, but with `x-fake-empty: 1` its JSON reply keeps its shape with nothing
    in it: an OpenAI completion's `choices` and an Anthropic message's `content` become []."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        if scope["type"] != "http" or headers.get(b"x-fake-empty") != b"1":
            await app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def collect(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, collect)
        reply = json.loads(b"".join(chunks))
        for name in ("choices", "content"):
            if name in reply:
                reply[name] = []
        body = json.dumps(reply).encode()
        kept = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        kept.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": kept})
        await send({"type": "http.response.body", "body": body})

    return wrapped
