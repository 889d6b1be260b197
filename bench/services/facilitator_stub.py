"""A zero-latency facilitator: every payment is valid and settles at once.

It checks no signature, so the benchmark can send unsigned payments and measure
the gateway's own cost of a paid request. It counts verify and settle calls
(GET /stats) so the harness can prove every 200 on a paid route was settled.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from bench.services.serve import serve

NETWORK = "eip155:84532"
PAYER = "0x" + "ab" * 20
TRANSACTION = "0x" + "cd" * 32
SIGNER = "0x" + "ef" * 20


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


VERIFY = _json({"isValid": True, "payer": PAYER})
SETTLE = _json({"success": True, "transaction": TRANSACTION, "network": NETWORK, "payer": PAYER})
SUPPORTED = _json(
    {
        "kinds": [{"x402Version": 2, "scheme": "exact", "network": NETWORK}],
        "extensions": [],
        "signers": {"eip155:*": [SIGNER]},
    }
)
ROUTES = {
    ("POST", "/verify"): VERIFY,
    ("POST", "/settle"): SETTLE,
    ("GET", "/supported"): SUPPORTED,
}


def build_stub() -> Any:
    calls: Counter[str] = Counter()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        key = (scope["method"], scope["path"])
        if key == ("GET", "/stats"):
            body, status = _json(dict(calls)), 200
        elif key in ROUTES:
            calls[key[1].lstrip("/")] += 1
            body, status = ROUTES[key], 200
        else:
            body, status = _json({"error": f"no {key[0]} {key[1]} on the stub"}), 404
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    serve(build_stub())
