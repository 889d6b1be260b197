"""Run the local facilitator in the foreground, with a banner no one can mistake."""

from __future__ import annotations

import sys

import uvicorn

from farebox.pricing.money import format_dollars
from farebox.serving import bind_socket, uvicorn_config

from .app import build_facilitator_app
from .local import NETWORKS, LocalFacilitator, build_local_facilitator


def banner(facilitator: LocalFacilitator, url: str) -> str:
    """The startup notice: what this is, where its state lives, and that it is not money."""
    ledger = facilitator.ledger
    storage = f"SQLite file {ledger.path}" if ledger.path else "in memory (lost on exit)"
    schemes = ", ".join(sorted({kind.scheme for kind in facilitator.get_supported().kinds}))
    rule = "=" * 78
    lines = [
        rule,
        "  LOCAL TEST LEDGER - NO REAL MONEY MOVES",
        "  farebox local x402 facilitator: payments settle against a local ledger,",
        "  never a blockchain. Balances here are test USDC and worth nothing.",
        rule,
        f"  listening      {url}",
        f"  networks       {', '.join(NETWORKS)}",
        f"  schemes        {schemes}{_upto_note(schemes)}",
        f"  ledger         {storage}",
        f"  new addresses  start with {format_dollars(ledger.initial_balance)} of test USDC",
        f"  facilitator    {facilitator.address}",
        '  top up         POST /fund {"address": "0x...", "amount": "$5"}',
        rule,
    ]
    return "\n".join(lines)


def _upto_note(schemes: str) -> str:
    if "upto" in schemes:
        return ""
    return " (upto off: the SDK's upto code needs jsonschema, pip install 'x402[extensions]')"


def run_facilitator(
    host: str = "127.0.0.1",
    port: int = 4020,
    db: str | None = None,
    initial_balance: int = 100_000_000,
) -> None:
    """Serve the local facilitator until interrupted (blocking)."""
    facilitator = build_local_facilitator(db, initial_balance)
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{bound_port}"
    print(banner(facilitator, url), flush=True, file=sys.stdout)
    server = uvicorn.Server(uvicorn_config(build_facilitator_app(facilitator)))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        facilitator.ledger.close()
