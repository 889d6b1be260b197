"""gateway.cors: let browsers call paid routes and read the payment headers.

`cors: true` allows every origin; a mapping narrows it:
`cors: {origins: ["https://app.example"], methods: [...], headers: [...], credentials: true}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from farebox.asgi import Message, Scope, Send
from farebox.config.schema import CorsConfig

EXPOSED = b"PAYMENT-REQUIRED, PAYMENT-RESPONSE"
PAYMENT_REQUEST_HEADERS = ("content-type", "payment-signature")


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...]  # allowed request headers; empty: whatever the browser asks
    credentials: bool

    @classmethod
    def from_config(cls, value: bool | CorsConfig) -> CorsPolicy | None:
        if value is False:
            return None
        settings = CorsConfig() if value is True else value
        return cls(
            tuple(settings.origins),
            tuple(m.upper() for m in settings.methods),
            tuple(h.lower() for h in settings.headers),
            settings.credentials,
        )

    def allowed_origin(self, origin: str | None) -> bytes | None:
        """The Access-Control-Allow-Origin value for this caller, or None to refuse."""
        if "*" in self.origins and not self.credentials:
            return b"*"
        if origin is not None and ("*" in self.origins or origin in self.origins):
            return origin.encode("latin-1")  # credentials forbid "*": name the origin
        return None

    def response_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return []
        headers = [
            (b"access-control-allow-origin", allowed),
            (b"access-control-expose-headers", EXPOSED),
        ]
        if allowed != b"*":
            headers.append((b"vary", b"Origin"))
        if self.credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    def preflight_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        requested = header(scope, b"access-control-request-headers")
        if self.headers:
            names = ", ".join(dict.fromkeys([*self.headers, *PAYMENT_REQUEST_HEADERS]))
            allowed_headers = names.encode()
        else:
            allowed_headers = requested or ", ".join(PAYMENT_REQUEST_HEADERS).encode()
        return [
            *self.response_headers(origin_of(scope)),
            (b"access-control-allow-methods", ", ".join([*self.methods, "OPTIONS"]).encode()),
            (b"access-control-allow-headers", allowed_headers),
            (b"access-control-max-age", b"600"),
        ]


def with_cors(send: Send, policy: CorsPolicy, scope: Scope) -> Send:
    extra = policy.response_headers(origin_of(scope))

    async def cors_send(message: Message) -> None:
        if message["type"] == "http.response.start" and extra:
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return cors_send


def is_preflight(scope: Scope) -> bool:
    return (
        scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method") is not None
    )


def origin_of(scope: Scope) -> str | None:
    value = header(scope, b"origin")
    return value.decode("latin-1") if value is not None else None


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None
