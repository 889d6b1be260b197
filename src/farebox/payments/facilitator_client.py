"""Talking to a facilitator with deadlines, and turning its failures into 502/504."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Protocol, TypeVar

import aiohttp
import httpx
from x402.http import FacilitatorConfig, HTTPFacilitatorClient
from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedResponse,
    VerifyResponse,
)

DEFAULT_FACILITATOR_TIMEOUT = 15.0

T = TypeVar("T")


class Facilitator(Protocol):
    """The async surface shared by the SDK's HTTP client and our local facilitator."""

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse: ...

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse: ...

    def get_supported(self) -> SupportedResponse: ...


class FacilitatorUnavailable(Exception):
    """The facilitator could not give an answer; status is 502 (failed) or 504 (slow)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class GuardedFacilitator:
    """A facilitator whose every call has a deadline and a clear failure."""

    def __init__(self, inner: Facilitator, name: str, timeout: float) -> None:
        self.inner = inner
        self.name = name
        self.timeout = timeout

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        return await self._call("verify", self.inner.verify(payload, requirements))

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        return await self._call("settle", self.inner.settle(payload, requirements))

    async def supported(self) -> SupportedResponse:
        return await self._call("supported", asyncio.to_thread(self.inner.get_supported))

    async def _call(self, step: str, answer: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(answer, self.timeout)
        except Exception as exc:
            raise self._unavailable(step, exc) from exc

    def _unavailable(self, step: str, exc: Exception) -> FacilitatorUnavailable:
        if isinstance(exc, TimeoutError | httpx.TimeoutException | aiohttp.ServerTimeoutError):
            return FacilitatorUnavailable(
                504, f"facilitator {self.name} did not answer {step} within {self.timeout:g}s"
            )
        return FacilitatorUnavailable(
            502, f"facilitator {self.name} failed during {step}: {_describe(exc)}"
        )


def http_facilitator(url: str, timeout: float) -> HTTPFacilitatorClient:
    return HTTPFacilitatorClient(FacilitatorConfig(url=url, timeout=timeout))


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError | aiohttp.ClientConnectorError):
        return "connection refused or unreachable"
    text = str(exc).strip() or type(exc).__name__
    return text[:300]
