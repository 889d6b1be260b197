"""Compiling a config into the runtime the request pipeline uses.

Everything that can be decided once is decided here: route table, pricers,
payment offers, facilitator clients, hooks. A mistake found here (a hook file
that does not import, a fine-tune's base model nobody prices) is a
ConfigError with its config path, so `farebox validate` reports it too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from farebox.accounting import Accounting
from farebox.config.errors import ConfigError
from farebox.config.loader import LoadedConfig
from farebox.config.paths import format_path
from farebox.config.resolve import effective_accepts, is_paid, pay_to_for
from farebox.config.schema import Config, Route
from farebox.cors import CorsPolicy
from farebox.hooks.context import hook_route
from farebox.hooks.hookset import HookSet, load_hooks
from farebox.hooks.loader import CodeLoader, HookLoadError
from farebox.hooks.pricing_fn import FunctionPricer, load_pricing_function
from farebox.hooks.runner import HookThreads
from farebox.llm.catalog import Catalog
from farebox.observability.metrics import GatewayMetrics
from farebox.payments.facilitator_client import Facilitator, GuardedFacilitator
from farebox.payments.facilitator_http import HttpFacilitator
from farebox.payments.offer import AcceptedPayment, PaymentOffer
from farebox.pricing.money import format_dollars
from farebox.pricing.quote import RoutePricer
from farebox.pricing.static import build_pricer
from farebox.pricing.token_based import TokenPricer
from farebox.proxy.upstream import UpstreamPool, UpstreamSettings
from farebox.routing.table import RouteTable
from farebox.runtime import CompiledRoute, Runtime
from farebox.stores.ledger import ledger_location
from farebox.stores.replay import MemoryReplayGuard, ReplayGuard

log = logging.getLogger("farebox")

LOCAL = "local"
DEFAULT_FACILITATOR_URL = "https://x402.org/facilitator"


def build_runtime(
    loaded: LoadedConfig,
    *,
    local_facilitator: Facilitator | None,
    facilitator_timeout: float,
) -> Runtime:
    cfg = loaded.config
    facilitators = FacilitatorRegistry(local_facilitator, facilitator_timeout)
    compiler = RouteCompiler(cfg, loaded.base_dir, facilitators)
    routes = {key: compiler.compile(key, route) for key, route in cfg.routes.items()}
    metrics = GatewayMetrics() if cfg.gateway.metrics else None
    try:
        table = RouteTable.from_routes(cfg.routes)
    except ValueError as exc:  # two keys for the same requests: names both keys
        raise ConfigError([str(exc)]) from None
    return Runtime(
        table=table,
        routes=routes,
        pool=UpstreamPool(),
        replay=replay_guard(cfg.stores.replay),
        discovery=cfg.gateway.discovery,
        cors=CorsPolicy.from_config(cfg.gateway.cors),
        trust_proxy=cfg.gateway.trust_proxy,
        facilitators=list(facilitators.clients.values()),
        accounting=Accounting(None, metrics),
        ledger_location=ledger_of(loaded),
        hook_threads=compiler.threads,
    )


def replay_guard(setting: str | None) -> ReplayGuard:
    if setting is None or setting == "memory":
        return MemoryReplayGuard()
    from farebox.stores.replay_redis import RedisReplayGuard  # only when configured

    return RedisReplayGuard(setting)


def ledger_of(loaded: LoadedConfig) -> str | None:
    """The ledger to open: `stores.ledger`, or by default a file next to the config file.

    A config built from text (tests, the demo) has no file to sit next to: it gets a
    ledger only when it names one.
    """
    setting = loaded.config.stores.ledger
    if setting is None and loaded.path is None:
        return None
    return ledger_location(setting, loaded.base_dir)


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
            return HttpFacilitator(spec, timeout=self._timeout)
        if self._local is None:
            from farebox.facilitator.local import build_local_facilitator

            self._local = build_local_facilitator()
        log.warning(
            "facilitator: local — payments settle on farebox's LOCAL TEST LEDGER; "
            "no real money moves. Never use this in production."
        )
        return self._local


class RouteCompiler:
    def __init__(self, cfg: Config, base_dir: Path, facilitators: FacilitatorRegistry) -> None:
        self.cfg = cfg
        self.facilitators = facilitators
        self.catalog = Catalog() if any(r.token_based for r in cfg.routes.values()) else None
        self.loader = CodeLoader(base_dir)
        uses_code = cfg.hooks or any(r.hooks or r.price_fn for r in cfg.routes.values())
        self.threads = HookThreads() if uses_code else None

    def compile(self, key: str, route: Route) -> CompiledRoute:
        cfg = self.cfg
        method, _, path = key.partition(" ")
        upstream = cfg.upstreams[route.upstream]
        paid = is_paid(cfg, route)
        spec = route.facilitator or cfg.facilitator or DEFAULT_FACILITATOR_URL
        metadata: dict[str, Any] = route.metadata or {}
        hooks = self.hooks(key, route)
        return CompiledRoute(
            key=key,
            method=method.upper(),
            path=path.strip(),
            pricer=self.pricer(key, route),
            upstream=UpstreamSettings(
                name=route.upstream,
                base_url=upstream.url,
                headers=dict(upstream.headers),
                timeout=upstream.timeout or cfg.defaults.timeout,
            ),
            path_template=route.path,
            offer=PaymentOffer(accepted_payments(cfg, route)) if paid else None,
            facilitator=self.facilitators.get(spec) if paid else None,
            settlement=route.settlement,
            description=str(metadata["description"]) if "description" in metadata else None,
            pricing=pricing_summary(cfg, route),
            hooks=hooks,
            hook_route=hook_route(key, route) if hooks else None,
        )

    def pricer(self, key: str, route: Route) -> RoutePricer:
        defaults = self.cfg.defaults
        if route.price_fn is not None:
            where = format_path(("routes", key, "price", "fn"))
            try:
                fn = load_pricing_function(route.price_fn.fn, loader=self.loader, where=where)
            except HookLoadError as exc:
                raise ConfigError([str(exc)]) from None
            return FunctionPricer(
                fn,
                max_price=route.price_fn.max_price or defaults.max_price,
                timeout=defaults.hook_timeout,
                threads=self.threads,
            )
        if not route.token_based:
            try:
                return build_pricer(route, defaults, key=key)
            except ValueError as exc:  # a `where` the schema lets through: names key and rule
                raise ConfigError([str(exc)]) from None
        upstream_url = self.cfg.upstreams[route.upstream].url
        try:
            return TokenPricer(
                route, defaults, key=key, catalog=self.catalog, upstream_url=upstream_url
            )
        except ValueError as exc:
            raise ConfigError([f"{format_path(('routes', key))}.{exc}"]) from None

    def hooks(self, key: str, route: Route) -> HookSet:
        if not self.cfg.hooks and not route.hooks:
            return HookSet()
        try:
            return load_hooks(
                self.cfg.hooks,
                route.hooks,
                loader=self.loader,
                route_where=format_path(("routes", key, "hooks")),
                timeout=self.cfg.defaults.hook_timeout,
                max_price=self.cfg.defaults.max_price,
                threads=self.threads,
            )
        except HookLoadError as exc:
            raise ConfigError([str(exc)]) from None


def accepted_payments(cfg: Config, route: Route) -> Sequence[AcceptedPayment]:
    return [
        AcceptedPayment(
            network=accept.network,
            asset=accept.asset,
            pay_to=pay_to_for(cfg, route, accept.network),
        )
        for accept in effective_accepts(cfg, route)
    ]


def pricing_summary(cfg: Config, route: Route) -> dict[str, object]:
    """How a route prices, for the discovery document."""
    summary: dict[str, object] = {}
    if route.token_based:
        summary["kind"] = "token-based"
        summary["models"] = sorted(route.models)
        if route.markup is not None or not route.models:
            summary["catalog"] = True
    elif route.price_fn is not None:
        summary["kind"] = "function"
    elif route.match:
        summary["kind"] = "match"
        summary["rules"] = [format_dollars(rule.price) for rule in route.match]
    else:
        summary["kind"] = "static"
    price = route.static_price
    base = price if price is not None else route.fallback
    if base is None and route.price_fn is None:
        base = cfg.defaults.price
    if base is not None:
        summary["price" if price is not None else "fallback"] = format_dollars(base)
    return summary
