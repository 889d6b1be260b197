"""Builds the gateway ASGI app from a config. No globals: tests build many."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from farebox.asgi import (
    ClientDisconnected,
    Message,
    Receive,
    Scope,
    Send,
    send_json,
    send_response,
)
from farebox.config.errors import ConfigError
from farebox.config.loader import LoadedConfig
from farebox.config.resolve import effective_accepts, is_paid, pay_to_for
from farebox.config.schema import Config, Route
from farebox.discovery import discovery_document
from farebox.errors import GatewayError
from farebox.gateway import Exchange, handle_route, send_error
from farebox.llm.catalog import Catalog
from farebox.payments.facilitator_client import (
    DEFAULT_FACILITATOR_TIMEOUT,
    Facilitator,
    GuardedFacilitator,
    http_facilitator,
)
from farebox.payments.offer import AcceptedPayment, PaymentOffer
from farebox.pricing.money import format_dollars
from farebox.pricing.quote import RoutePricer
from farebox.pricing.static import build_pricer
from farebox.pricing.token_based import TokenPricer
from farebox.proxy.upstream import UpstreamPool, UpstreamSettings
from farebox.routing.table import RouteTable
from farebox.runtime import CompiledRoute, Runtime
from farebox.stores.replay import MemoryReplayGuard

log = logging.getLogger("farebox")

LOCAL = "local"
DEFAULT_FACILITATOR_URL = "https://x402.org/facilitator"
CORS_EXPOSE = b"PAYMENT-REQUIRED, PAYMENT-RESPONSE"


class Gateway:
    """The ASGI callable: built-in endpoints, then the paid-request pipeline."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.runtime.cors:
            send = with_cors(send)
            if scope["method"] == "OPTIONS" and _is_preflight(scope):
                await send_response(send, 204, headers=_preflight_headers(scope))
                return
        try:
            await self._dispatch(scope, receive, send)
        except GatewayError as exc:
            await send_error(send, exc)
        except ClientDisconnected:
            return
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await send_error(send, GatewayError(500, "internal gateway error; see gateway logs"))

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        raw_path = (scope.get("raw_path") or path.encode()).decode("latin-1")
        match = self.runtime.table.match(method, raw_path)
        if match is None:
            await self._builtin_or_404(scope, send, method, raw_path)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        exchange = Exchange(
            scope=scope,
            receive=receive,
            route=self.runtime.routes[match.key],
            params=dict(match.params),
            headers=headers,
        )
        await handle_route(self.runtime, exchange, send)

    async def _builtin_or_404(self, scope: Scope, send: Send, method: str, path: str) -> None:
        if method in ("GET", "HEAD") and path == "/health":
            await send_json(send, 200, {"status": "ok"})
            return
        if method in ("GET", "HEAD") and path == "/.well-known/x402" and self.runtime.discovery:
            await send_json(send, 200, discovery_document(self.runtime))
            return
        allowed = self.runtime.table.allowed_methods(path)
        if allowed:
            raise GatewayError(
                405,
                f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
                [(b"allow", ", ".join(allowed).encode())],
            )
        raise GatewayError(404, f"no route for {method} {path}")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.runtime.pool.open()
                except Exception as exc:  # pragma: no cover - startup failures are fatal anyway
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.runtime.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_app(
    config: Config | LoadedConfig,
    *,
    local_facilitator: Facilitator | None = None,
    facilitator_timeout: float = DEFAULT_FACILITATOR_TIMEOUT,
) -> Gateway:
    """Compile a config into a gateway.

    `local_facilitator` is the in-process facilitator used where the config says
    `facilitator: local`; one is created on demand when not given.
    """
    cfg = config.config if isinstance(config, LoadedConfig) else config
    facilitators = FacilitatorRegistry(local_facilitator, facilitator_timeout)
    catalog = Catalog() if any(r.token_based for r in cfg.routes.values()) else None
    routes = {
        key: compile_route(cfg, key, route, facilitators, catalog)
        for key, route in cfg.routes.items()
    }
    runtime = Runtime(
        table=RouteTable.from_routes(cfg.routes),
        routes=routes,
        pool=UpstreamPool(),
        replay=MemoryReplayGuard(),
        discovery=cfg.gateway.discovery,
        cors=bool(cfg.gateway.cors),
        trust_proxy=cfg.gateway.trust_proxy,
        facilitators=list(facilitators.clients.values()),
    )
    return Gateway(runtime)


class FacilitatorRegistry:
    """One guarded client per facilitator named in the config, shared by routes."""

    def __init__(self, local: Facilitator | None, timeout: float) -> None:
        self._local = local
        self._timeout = timeout
        self.clients: dict[str, GuardedFacilitator] = {}

    def get(self, spec: str) -> GuardedFacilitator:
        if spec not in self.clients:
            self.clients[spec] = GuardedFacilitator(self._connect(spec), spec, self._timeout)
        return self.clients[spec]

    def _connect(self, spec: str) -> Facilitator:
        if spec != LOCAL:
            return http_facilitator(spec, self._timeout)
        if self._local is None:
            from farebox.facilitator.local import build_local_facilitator

            self._local = build_local_facilitator()
        log.warning(
            "facilitator: local — payments settle on farebox's LOCAL TEST LEDGER; "
            "no real money moves. Never use this in production."
        )
        return self._local


def compile_route(
    cfg: Config,
    key: str,
    route: Route,
    facilitators: FacilitatorRegistry,
    catalog: Catalog | None,
) -> CompiledRoute:
    method, _, path = key.partition(" ")
    upstream = cfg.upstreams[route.upstream]
    accepted = accepted_payments(cfg, route)
    paid = is_paid(cfg, route)
    spec = route.facilitator or cfg.facilitator or DEFAULT_FACILITATOR_URL
    metadata: dict[str, Any] = route.metadata or {}
    return CompiledRoute(
        key=key,
        method=method.upper(),
        path=path.strip(),
        pricer=route_pricer(cfg, key, route, catalog),
        upstream=UpstreamSettings(
            name=route.upstream,
            base_url=upstream.url,
            headers=dict(upstream.headers),
            timeout=upstream.timeout or cfg.defaults.timeout,
        ),
        path_template=route.path,
        offer=PaymentOffer(accepted) if paid else None,
        facilitator=facilitators.get(spec) if paid else None,
        settlement=route.settlement,
        description=str(metadata["description"]) if "description" in metadata else None,
        pricing=pricing_summary(cfg, route),
    )


def accepted_payments(cfg: Config, route: Route) -> Sequence[AcceptedPayment]:
    return [
        AcceptedPayment(
            network=accept.network,
            asset=accept.asset,
            pay_to=pay_to_for(cfg, route, accept.network),
        )
        for accept in effective_accepts(cfg, route)
    ]


def route_pricer(cfg: Config, key: str, route: Route, catalog: Catalog | None) -> RoutePricer:
    if not route.token_based:
        return build_pricer(route, cfg.defaults, key=key)
    upstream_url = cfg.upstreams[route.upstream].url
    try:
        return TokenPricer(route, cfg.defaults, key=key, catalog=catalog, upstream_url=upstream_url)
    except ValueError as exc:
        raise ConfigError([f'routes."{key}".{exc}']) from None


def pricing_summary(cfg: Config, route: Route) -> dict[str, object]:
    """How a route prices, for the discovery document."""
    summary: dict[str, object] = {}
    if route.token_based:
        summary["kind"] = "token-based"
        summary["models"] = sorted(route.models)
        if route.markup is not None or not route.models:
            summary["catalog"] = True
    elif route.match:
        summary["kind"] = "match"
        summary["rules"] = [format_dollars(rule.price) for rule in route.match]
    else:
        summary["kind"] = "static"
    base = route.price if route.price is not None else route.fallback
    if base is None:
        base = cfg.defaults.price
    if base is not None:
        summary["price" if route.price is not None else "fallback"] = format_dollars(base)
    return summary


def with_cors(send: Send) -> Send:
    async def cors_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                *message.get("headers", []),
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", CORS_EXPOSE),
            ]
        await send(message)

    return cors_send


def _is_preflight(scope: Scope) -> bool:
    return any(name == b"access-control-request-method" for name, _ in scope["headers"])


def _preflight_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    requested = b"content-type, payment-signature, authorization"
    for name, value in scope["headers"]:
        if name == b"access-control-request-headers":
            requested = value
    return [
        (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        (b"access-control-allow-headers", requested),
        (b"access-control-max-age", b"600"),
    ]
