"""A fast upstream: raw ASGI answering every request with the same small JSON body.

It is the ceiling the gateway is compared against, so it does as little as possible.
"""

from __future__ import annotations

import json
from typing import Any

from bench.services.serve import serve

BODY = json.dumps(
    {
        "id": "bench-1",
        "object": "chat.completion",
        "model": "bench-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    },
    separators=(",", ":"),
).encode()

START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ],
}
END = {"type": "http.response.body", "body": BODY, "more_body": False}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    # A request body, if any, is left unread: uvicorn discards it, which is cheaper.
    if scope["type"] == "http":
        await send(START)
        await send(END)


if __name__ == "__main__":
    serve(app)
