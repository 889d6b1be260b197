"""gateway.cors: let browsers call paid routes and read the payment headers."""

from __future__ import annotations

from farebox.asgi import Message, Scope, Send

EXPOSED = b"PAYMENT-REQUIRED, PAYMENT-RESPONSE"
DEFAULT_REQUEST_HEADERS = b"content-type, payment-signature, authorization"


def with_cors(send: Send) -> Send:
    async def cors_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                *message.get("headers", []),
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", EXPOSED),
            ]
        await send(message)

    return cors_send


def is_preflight(scope: Scope) -> bool:
    return scope["method"] == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in scope["headers"]
    )


def preflight_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    requested = DEFAULT_REQUEST_HEADERS
    for name, value in scope["headers"]:
        if name == b"access-control-request-headers":
            requested = value
    return [
        (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        (b"access-control-allow-headers", requested),
        (b"access-control-max-age", b"600"),
    ]
