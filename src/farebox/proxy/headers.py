"""Header hygiene between caller, gateway and upstream."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# RFC 9110 §7.6.1 connection-specific headers, plus ones aiohttp/the server recompute.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Payment headers belong to the gateway; the upstream never sees a caller's payment.
PAYMENT_HEADERS = frozenset({"payment-signature", "x-payment", "payment-required"})
NOT_FORWARDED_UP = HOP_BY_HOP | PAYMENT_HEADERS | {"host", "content-length"}
# The gateway's server sets its own Date and Server; relaying the upstream's would send two.
NOT_FORWARDED_DOWN = HOP_BY_HOP | {
    "content-length",
    "payment-response",
    "x-payment-response",
    "date",
    "server",
}


def upstream_headers(
    client: Iterable[tuple[bytes, bytes]],
    injected: Mapping[str, str],
    forwarded_for: str | None,
    forwarded_proto: str,
) -> list[tuple[str, str]]:
    """Headers for the upstream request: the caller's, cleaned, with config headers winning."""
    override = {name.lower() for name in injected}
    connection_named = _connection_tokens(client)
    out: list[tuple[str, str]] = []
    prior_forwarded: str | None = None
    for raw_name, raw_value in client:
        name = raw_name.decode("latin-1").lower()
        if name in NOT_FORWARDED_UP or name in override or name in connection_named:
            continue
        if name == "x-forwarded-for":
            prior_forwarded = raw_value.decode("latin-1")
            continue
        out.append((name, raw_value.decode("latin-1")))
    out.extend(injected.items())
    if forwarded_for:
        chain = f"{prior_forwarded}, {forwarded_for}" if prior_forwarded else forwarded_for
        out.append(("x-forwarded-for", chain))
        out.append(("x-forwarded-proto", forwarded_proto))
    return out


def downstream_headers(upstream: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Upstream response headers minus hop-by-hop ones and any payment header it tried to set."""
    return [
        (name.lower(), value)
        for name, value in upstream
        if name.decode("latin-1").lower() not in NOT_FORWARDED_DOWN
    ]


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> set[str]:
    tokens: set[str] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            tokens.update(t.strip().lower() for t in value.decode("latin-1").split(","))
    return tokens
