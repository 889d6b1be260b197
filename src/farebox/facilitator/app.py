"""The facilitator's HTTP API: the x402 facilitator endpoints plus test-ledger helpers.

GET /supported, POST /verify, POST /settle speak the wire format of the SDK's
HTTPFacilitatorClient. GET /balances/{address} and POST /fund inspect and top up the
local test ledger. A bad body is a JSON 400 that says what was expected.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from farebox.networks import FRIENDLY_NETWORKS, to_caip2

from .ledger import LedgerError, normalize_address
from .local import NETWORKS, LocalFacilitator
from .wire import BadRequest, parse_fund_amount, parse_json_object, parse_payment_request

logger = logging.getLogger(__name__)

DEFAULT_NETWORK = "eip155:84532"
_ENDPOINTS = (
    "the facilitator serves GET /supported, POST /verify, POST /settle, "
    "GET /balances/{address}, POST /fund"
)
_FUND_SHAPE = '{"address": "0x...", "amount": "$5", "network": "base-sepolia"}'


def build_facilitator_app(facilitator: LocalFacilitator) -> Starlette:
    """An ASGI app serving `facilitator` over HTTP."""

    async def index(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "service": "farebox local facilitator",
                "notice": "LOCAL TEST LEDGER: balances are test USDC; no real money moves",
                "facilitatorAddress": facilitator.address,
                "networks": list(NETWORKS),
                "endpoints": ["/supported", "/verify", "/settle", "/balances/{address}", "/fund"],
            }
        )

    async def supported(request: Request) -> JSONResponse:
        return _model(facilitator.get_supported())

    async def verify(request: Request) -> JSONResponse:
        payload, requirements = parse_payment_request(await request.body(), "POST /verify")
        return _model(await facilitator.verify(payload, requirements))

    async def settle(request: Request) -> JSONResponse:
        payload, requirements = parse_payment_request(await request.body(), "POST /settle")
        return _model(await facilitator.settle(payload, requirements))

    async def balances(request: Request) -> JSONResponse:
        network = _network(request.query_params.get("network"))
        address = _address(request.path_params["address"])
        balance = await asyncio.to_thread(facilitator.ledger.balance, network, address)
        return _balance(address, network, balance)

    async def fund(request: Request) -> JSONResponse:
        data = parse_json_object(await request.body(), "POST /fund", _FUND_SHAPE)
        if "address" not in data or "amount" not in data:
            raise BadRequest(f"POST /fund: address and amount are required, like {_FUND_SHAPE}")
        network = _network(data.get("network"))
        address = _address(data["address"])
        amount = parse_fund_amount(data["amount"])
        try:
            balance = await asyncio.to_thread(facilitator.ledger.fund, network, address, amount)
        except LedgerError as exc:
            raise BadRequest(f"POST /fund: {exc}") from None
        return _balance(address, network, balance)

    return Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/supported", supported, methods=["GET"]),
            Route("/verify", verify, methods=["POST"]),
            Route("/settle", settle, methods=["POST"]),
            Route("/balances/{address}", balances, methods=["GET"]),
            Route("/fund", fund, methods=["POST"]),
        ],
        exception_handlers={
            BadRequest: _bad_request,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )


def _model(model: BaseModel) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", by_alias=True, exclude_none=True))


def _balance(address: str, network: str, balance: int) -> JSONResponse:
    return JSONResponse({"address": address, "network": network, "balance": str(balance)})


def _network(value: Any) -> str:
    if value is None:
        return DEFAULT_NETWORK
    if not isinstance(value, str):
        raise BadRequest(f"network must be a string like {', '.join(FRIENDLY_NETWORKS)}")
    try:
        return to_caip2(value.strip())
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def _address(value: Any) -> str:
    try:
        return normalize_address(value)
    except LedgerError as exc:
        raise BadRequest(f"address: {exc}") from None


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        {"error": f"{request.method} {request.url.path}: {exc.detail}; {_ENDPOINTS}"},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("local facilitator: %s %s failed", request.method, request.url.path)
    return JSONResponse(
        {"error": f"{request.method} {request.url.path} failed inside the facilitator: {exc}"},
        status_code=500,
    )
