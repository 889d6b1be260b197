"""HttpFacilitator speaks the SDK client's wire format, byte for byte."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from x402.http import HTTPFacilitatorClient
from x402.http.facilitator_client import FacilitatorResponseError
from x402.schemas import PaymentPayload, PaymentRequirements

from bench.payments import unsigned_payment_headers
from bench.services.facilitator_stub import build_stub
from bench.services.gateway import MERCHANT
from farebox.config.chain import usdc_address
from farebox.payments.facilitator_http import HttpFacilitator, request_body
from farebox.payments.header import decode_payment
from farebox.serving import BackgroundServer

REQUIREMENTS = PaymentRequirements(
    scheme="exact",
    network="eip155:84532",
    asset=usdc_address("eip155:84532"),
    amount="10000",
    pay_to=MERCHANT,
    max_timeout_seconds=60,
    extra={"name": "USDC", "version": "2"},
)


def payload() -> PaymentPayload:
    return decode_payment(unsigned_payment_headers(REQUIREMENTS, 1)[0])


def test_request_body_is_the_json_the_sdk_client_sends() -> None:
    p = payload()
    sdk = HTTPFacilitatorClient()._build_request_body(
        p.x402_version,
        p.model_dump(by_alias=True, exclude_none=True),
        REQUIREMENTS.model_dump(by_alias=True, exclude_none=True),
    )
    assert json.loads(request_body(p, REQUIREMENTS)) == sdk


class Recorder:
    """A facilitator that records what it was sent and answers with a fixed status/body."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body
        self.seen: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        self.seen.append((scope["path"], json.loads(b"".join(chunks))))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": self.body})


async def test_verify_and_settle_against_the_stub() -> None:
    with BackgroundServer(build_stub()) as stub:
        client = HttpFacilitator(stub.url)
        try:
            verified = await client.verify(payload(), REQUIREMENTS)
            settled = await client.settle(payload(), REQUIREMENTS)
        finally:
            await client.aclose()
        stats = httpx.get(f"{stub.url}/stats").json()
    assert verified.is_valid
    assert settled.success and settled.transaction.startswith("0x")
    assert stats == {"verify": 1, "settle": 1}


async def test_posts_the_wire_format_to_verify() -> None:
    recorder = Recorder(200, b'{"isValid": false, "invalidReason": "insufficient_funds"}')
    with BackgroundServer(recorder) as server:
        client = HttpFacilitator(server.url + "/")
        try:
            verified = await client.verify(payload(), REQUIREMENTS)
        finally:
            await client.aclose()
    assert not verified.is_valid and verified.invalid_reason == "insufficient_funds"
    path, body = recorder.seen[0]
    assert path == "/verify"
    assert body["x402Version"] == 2
    assert body["paymentRequirements"]["payTo"] == MERCHANT
    assert body["paymentPayload"]["payload"]["authorization"]["value"] == "10000"


@pytest.mark.parametrize(
    ("status", "body", "error", "says"),
    [
        (500, b"facilitator on fire", ValueError, "settle failed (500): facilitator on fire"),
        (200, b"not json", FacilitatorResponseError, "settle returned invalid data: not json"),
        (200, b'{"success": true}', FacilitatorResponseError, "invalid data"),
    ],
)
async def test_failures_raise_like_the_sdk_client(
    status: int, body: bytes, error: type[Exception], says: str
) -> None:
    with BackgroundServer(Recorder(status, body)) as server:
        client = HttpFacilitator(server.url)
        try:
            with pytest.raises(error, match=says.replace("(", r"\(").replace(")", r"\)")):
                await client.settle(payload(), REQUIREMENTS)
        finally:
            await client.aclose()


def test_get_supported_uses_the_stub() -> None:
    with BackgroundServer(build_stub()) as stub:
        supported = HttpFacilitator(stub.url).get_supported()
    assert supported.kinds[0].scheme == "exact"
