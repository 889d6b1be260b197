"""A test upstream that reports what it received and can fail on demand."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class UpstreamLog:
    """Every request the upstream saw, so tests can prove it was (not) called."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    # /sse-gated sends its next event only once the test sets the gate for it
    gates: list[threading.Event] = field(
        default_factory=lambda: [threading.Event() for _ in range(8)]
    )

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]


def build_test_upstream(log: UpstreamLog) -> Starlette:
    async def record(request: Request) -> dict[str, Any]:
        body = await request.body()
        entry = {
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope.get("raw_path", b"").decode("latin-1"),
            "query": request.url.query,
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        log.requests.append(entry)
        return entry

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(await record(request))

    async def status(request: Request) -> JSONResponse:
        await record(request)
        code = int(request.path_params["code"])
        return JSONResponse({"status": code}, status_code=code)

    async def slow(request: Request) -> JSONResponse:
        await record(request)
        await asyncio.sleep(float(request.query_params.get("seconds", "5")))
        return JSONResponse({"slow": True})

    async def sse(request: Request) -> StreamingResponse:
        await record(request)
        count = int(request.query_params.get("events", "3"))
        delay = float(request.query_params.get("delay", "0.3"))

        async def events() -> AsyncIterator[bytes]:
            for i in range(count):
                yield f"data: event {i}\n\n".encode()
                await asyncio.sleep(delay)
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def sse_gated(request: Request) -> StreamingResponse:
        """Event i goes out only after gates[i - 1] is set: a client that has event i
        before the test opens the next gate got it without the stream being buffered."""
        await record(request)
        count = int(request.query_params.get("events", "3"))

        async def events() -> AsyncIterator[bytes]:
            for i in range(count):
                if i > 0:
                    while not log.gates[i - 1].is_set():
                        await asyncio.sleep(0.005)
                yield f"data: event {i}\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    async def sets_payment_response(request: Request) -> Response:
        await record(request)
        return Response("ok", headers={"payment-response": "forged", "connection": "close"})

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[
            Route("/status/{code:int}", status, methods=methods),
            Route("/slow", slow, methods=methods),
            Route("/sse", sse, methods=methods),
            Route("/sse-gated", sse_gated, methods=methods),
            Route("/forge", sets_payment_response, methods=methods),
            Route("/{rest:path}", echo, methods=methods),
        ]
    )
