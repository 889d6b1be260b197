"""A tiny upstream for the demo: a paid fortune API that needs an API key."""

from __future__ import annotations

import itertools

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DEMO_API_KEY = "demo-upstream-key"

FORTUNES = (
    "A paid request is a happy request.",
    "Your tokens will be counted fairly.",
    "The facilitator smiles upon you.",
)


def build_demo_upstream() -> Starlette:
    counter = itertools.count()

    async def fortune(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {DEMO_API_KEY}":
            return JSONResponse({"error": "missing or wrong upstream API key"}, status_code=401)
        n = next(counter)
        return JSONResponse({"fortune": FORTUNES[n % len(FORTUNES)], "n": n})

    return Starlette(routes=[Route("/v1/fortune", fortune)])
