"""The one exception the pipeline raises to answer a caller with an error."""

from __future__ import annotations


class GatewayError(Exception):
    """Ends the request with `status` and a JSON body {"error": message}."""

    def __init__(self, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []
