"""The farebox gateway under test, built from a benchmark config.

    python -m bench.services.gateway UPSTREAM_URL FACILITATOR_URL [--client own|sdk|own-ledger]

`--client` picks who talks to the facilitator: `own` keeps the client the
gateway builds for a URL facilitator (farebox's HttpFacilitator, on aiohttp);
`sdk` swaps in the x402 SDK's HTTPFacilitatorClient (httpx), the comparison
that shows why the gateway has its own; `own-ledger` is `own` with the
payments ledger (SQLite, in a temporary folder) and Prometheus metrics on, to
show what bookkeeping costs the request path. The READY line names the client
in use, so the report says what it measured.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bench.services.serve import serve

MERCHANT = "0x" + "12" * 20
FREE_PATH = "/free"
PAID_PATH = "/paid"  # settlement: before-response (the default)
PAID_AFTER_PATH = "/paid-after"  # settlement: after-response
CLIENTS = ("own", "sdk", "own-ledger")


def gateway_config_yaml(upstream_url: str, facilitator_url: str, ledger: str | None = None) -> str:
    """A free route and two paid static routes, one per settlement timing, all proxied to
    the benchmark upstream; with `ledger`, the payments ledger and metrics are on."""
    bookkeeping = f'stores:\n  ledger: "{ledger}"\ngateway:\n  metrics: true\n' if ledger else ""
    return (
        f'wallets:\n  base-sepolia: "{MERCHANT}"\n'
        f'facilitator: "{facilitator_url}"\n'
        f"{bookkeeping}"
        f'upstreams:\n  bench:\n    url: "{upstream_url}"\n'
        "routes:\n"
        f'  "GET {FREE_PATH}":\n    upstream: bench\n    price: "$0"\n'
        f'  "GET {PAID_PATH}":\n    upstream: bench\n    price: "$0.01"\n'
        f'  "GET {PAID_AFTER_PATH}":\n    upstream: bench\n    price: "$0.01"\n'
        "    settlement: after-response\n"
    )


def build_gateway(upstream_url: str, facilitator_url: str, client: str) -> tuple[Any, str]:
    """The gateway app and the name of the facilitator client it uses."""
    from farebox.app import build_app
    from farebox.config.loader import parse_config

    if client not in CLIENTS:
        raise ValueError(f"--client {client!r}: choose one of {', '.join(CLIENTS)}")
    ledger = None
    if client == "own-ledger":
        ledger = str(Path(tempfile.mkdtemp(prefix="farebox-bench-")) / "ledger.db")
    app = build_app(parse_config(gateway_config_yaml(upstream_url, facilitator_url, ledger)))
    guards = app.runtime.facilitators
    if not guards:
        raise SystemExit("the benchmark config built a gateway with no facilitator client")
    if client == "sdk":  # the guard keeps its deadlines and error mapping; only the client changes
        for guard in guards:
            guard.inner = sdk_client(facilitator_url, guard.timeout)
    return app, type(guards[0].inner).__name__


def sdk_client(url: str, timeout: float) -> Any:
    from x402.http import FacilitatorConfig, HTTPFacilitatorClient

    return HTTPFacilitatorClient(FacilitatorConfig(url=url, timeout=timeout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("upstream_url")
    parser.add_argument("facilitator_url")
    parser.add_argument("--client", choices=CLIENTS, default="own")
    args = parser.parse_args()
    app, client_name = build_gateway(args.upstream_url, args.facilitator_url, args.client)
    serve(app, lifespan="on", ready_details=(f"client={client_name}",))


if __name__ == "__main__":
    main()
