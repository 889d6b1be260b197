"""Turning hook results into HTTP: a Reject into a response, a ResponseOverride onto one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from farebox.errors import GatewayError
from farebox.hooks.types import Reject, ResponseOverride

RawHeaders = list[tuple[bytes, bytes]]

_JSON = (b"content-type", b"application/json")
# Stale once the body changes: the length is recomputed, the encoding no longer applies,
# and the type is replaced for text and JSON bodies (raw bytes keep the upstream's).
_BODY_HEADERS = frozenset({b"content-length", b"content-encoding", b"content-type"})


def render_reject(reject: Reject) -> tuple[int, bytes, RawHeaders]:
    """(status, JSON body, headers) for a Reject; a text body is sent as {"error": text}.

    The headers hold no content-length: send_response (farebox.asgi) adds it.
    """
    payload: Any = {"error": reject.body} if isinstance(reject.body, str) else dict(reject.body)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    headers = [_JSON, *_raw_headers(reject.headers)]
    return reject.status, body, headers


class Rejected(GatewayError):
    """A Reject as an exception, for code paths that can only raise (pricing functions).

    For a text body, the gateway's usual error rendering ({"error": message})
    gives the same bytes as render_reject; for a mapping body, render `.reject`
    with render_reject.
    """

    def __init__(self, reject: Reject) -> None:
        message = reject.body if isinstance(reject.body, str) else "request rejected"
        super().__init__(reject.status, message, _raw_headers(reject.headers))
        self.reject = reject


def apply_override(
    override: ResponseOverride, status: int, headers: RawHeaders, body: bytes
) -> tuple[int, RawHeaders, bytes]:
    """The upstream response (already buffered) with a hook's changes applied.

    A dict or list body is sent as JSON; text as UTF-8. Header values from the
    hook replace the upstream's of the same name. The returned headers hold no
    content-length: the sender sets it from the new body.
    """
    if override.status is not None:
        status = override.status
    if override.body is not None:
        body, content_type = _encode_body(override.body)
        stale = _BODY_HEADERS if content_type is not None else _BODY_HEADERS - {b"content-type"}
        headers = [(k, v) for k, v in headers if k.lower() not in stale]
        if content_type is not None:
            headers.append((b"content-type", content_type))
    else:
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    if override.headers:
        replaced = {name.lower().encode("latin-1") for name in override.headers}
        headers = [(k, v) for k, v in headers if k.lower() not in replaced]
        headers.extend(_raw_headers(override.headers))
    return status, headers, body


def _encode_body(body: bytes | str | dict[str, Any] | list[Any]) -> tuple[bytes, bytes | None]:
    if isinstance(body, bytes):
        return body, None
    if isinstance(body, str):
        return body.encode(), b"text/plain; charset=utf-8"
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
    return data.encode(), b"application/json"


def _raw_headers(headers: Mapping[str, str] | None) -> RawHeaders:
    if not headers:
        return []
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


__all__ = ["Rejected", "apply_override", "render_reject"]
