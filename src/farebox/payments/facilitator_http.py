"""A facilitator client on aiohttp: the SDK's wire format, without httpx on the paid path.

It speaks exactly what x402's HTTPFacilitatorClient speaks (POST /verify and
/settle with {"x402Version", "paymentPayload", "paymentRequirements"}; answers
parsed into the SDK's pydantic models; a non-200 raised as ValueError with the
status and body, a malformed answer as the SDK's FacilitatorResponseError).
`make bench` measured the SDK's httpx client as what limits paid requests on
the gateway: this one pools keep-alive connections on aiohttp and serializes
the request body with pydantic straight to JSON bytes.
"""

from __future__ import annotations

from typing import TypeVar

import aiohttp
from pydantic import ValidationError
from x402.http import FacilitatorConfig, HTTPFacilitatorClient
from x402.http.extension_responses import extract_extension_responses_header
from x402.http.facilitator_client import FacilitatorResponseError
from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedResponse,
    VerifyResponse,
)

from farebox.payments.facilitator_client import DEFAULT_FACILITATOR_TIMEOUT

Answer = TypeVar("Answer", VerifyResponse, SettleResponse)
JSON_HEADERS = {"Content-Type": "application/json"}


class HttpFacilitator:
    """The async verify/settle surface of HTTPFacilitatorClient, over a pooled aiohttp session."""

    def __init__(
        self, url: str, *, timeout: float = DEFAULT_FACILITATOR_TIMEOUT, max_connections: int = 100
    ) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        return await self._post("verify", request_body(payload, requirements), VerifyResponse)

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        return await self._post("settle", request_body(payload, requirements), SettleResponse)

    def get_supported(self) -> SupportedResponse:
        # Called once at startup, synchronously: the SDK's own client is fine there.
        sdk = HTTPFacilitatorClient(FacilitatorConfig(url=self.url, timeout=self._timeout))
        return sdk.get_supported()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(self, step: str, body: bytes, model: type[Answer]) -> Answer:
        session = self._session or self._open()
        async with session.post(f"{self.url}/{step}", data=body, headers=JSON_HEADERS) as response:
            raw = await response.read()
            if response.status != 200:
                text = raw.decode("utf-8", "replace")
                raise ValueError(f"Facilitator {step} failed ({response.status}): {text}")
            result = parse_answer(raw, model, step)
            sidechannel = extract_extension_responses_header(response)
        if sidechannel is not None:
            result = result.model_copy(update={"extension_responses": sidechannel})
        return result

    def _open(self) -> aiohttp.ClientSession:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session


def request_body(payload: PaymentPayload, requirements: PaymentRequirements) -> bytes:
    """The verify/settle request JSON, byte for byte what pydantic would dump for the SDK."""
    return b'{"x402Version":%d,"paymentPayload":%s,"paymentRequirements":%s}' % (
        payload.x402_version,
        payload.model_dump_json(by_alias=True, exclude_none=True).encode(),
        requirements.model_dump_json(by_alias=True, exclude_none=True).encode(),
    )


def parse_answer(raw: bytes, model: type[Answer], step: str) -> Answer:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        excerpt = raw[:200].decode("utf-8", "replace")
        raise FacilitatorResponseError(
            f"Facilitator {step} returned invalid data: {excerpt}"
        ) from exc
