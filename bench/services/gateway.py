"""The farebox gateway under test, built from a benchmark config.

    python -m bench.services.gateway UPSTREAM_URL FACILITATOR_URL [--client own|sdk|aiohttp]

`--client` picks who talks to the facilitator: `own` keeps whatever client the
gateway builds for an http facilitator today; `sdk` forces the x402 SDK's
HTTPFacilitatorClient (httpx); `aiohttp` swaps in bench's prototype client;
`sdk-aiohttp` keeps the SDK client but sends through bench's aiohttp transport.
The READY line names the client in use, so the report can say what it measured.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.services.serve import serve

MERCHANT = "0x" + "12" * 20
FREE_PATH = "/free"
PAID_PATH = "/paid"
CLIENTS = ("own", "sdk", "aiohttp", "sdk-aiohttp")


def gateway_config_yaml(upstream_url: str, facilitator_url: str) -> str:
    """A free route and a paid static route, both proxied to the benchmark upstream."""
    return (
        f'wallets:\n  base-sepolia: "{MERCHANT}"\n'
        f'facilitator: "{facilitator_url}"\n'
        f'upstreams:\n  bench:\n    url: "{upstream_url}"\n'
        "routes:\n"
        f'  "GET {FREE_PATH}":\n    upstream: bench\n    price: "$0"\n'
        f'  "GET {PAID_PATH}":\n    upstream: bench\n    price: "$0.01"\n'
    )


def build_gateway(upstream_url: str, facilitator_url: str, client: str) -> tuple[Any, str]:
    """The gateway app and the name of the facilitator client it uses."""
    from farebox.app import build_app
    from farebox.config.loader import parse_config

    app = build_app(parse_config(gateway_config_yaml(upstream_url, facilitator_url)))
    guards = app.runtime.facilitators
    if not guards:
        raise SystemExit("the benchmark config built a gateway with no facilitator client")
    for guard in guards:  # the guard keeps its deadlines and error mapping; only the client changes
        if client != "own":
            guard.inner = facilitator_client(client, facilitator_url, guard.timeout)
    return app, client_name(guards[0].inner)


def facilitator_client(kind: str, url: str, timeout: float) -> Any:
    from x402.http import FacilitatorConfig, HTTPFacilitatorClient

    if kind == "sdk":
        return HTTPFacilitatorClient(FacilitatorConfig(url=url, timeout=timeout))
    if kind == "sdk-aiohttp":
        import httpx

        from bench.httpx_aiohttp_transport import AiohttpTransport

        http = httpx.AsyncClient(transport=AiohttpTransport(), timeout=timeout)
        return HTTPFacilitatorClient(FacilitatorConfig(url=url, timeout=timeout, http_client=http))
    from bench.facilitator_aiohttp import AiohttpFacilitatorClient

    return AiohttpFacilitatorClient(url, timeout=timeout)


def client_name(inner: Any) -> str:
    """The facilitator client's class, and its transport's when it is not httpx's own."""
    name = type(inner).__name__
    http = getattr(inner, "_http_client", None)  # the SDK client's httpx client, if given
    transport = getattr(http, "_transport", None)
    if transport is not None and not type(transport).__module__.startswith("httpx"):
        name += f"+{type(transport).__name__}"
    return name


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
