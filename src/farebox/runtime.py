"""Everything the request pipeline needs, compiled once from a config."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from farebox.accounting import Accounting
from farebox.cors import CorsPolicy
from farebox.hooks.hookset import HookSet
from farebox.hooks.runner import HookThreads
from farebox.hooks.types import HookRoute
from farebox.payments.facilitator_client import GuardedFacilitator
from farebox.payments.offer import PaymentOffer
from farebox.pricing.quote import RoutePricer
from farebox.proxy.upstream import UpstreamPool, UpstreamSettings
from farebox.routing.table import RouteTable
from farebox.stores.replay import ReplayGuard

DEFAULT_MAX_PRICED_BODY = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    key: str
    method: str
    path: str
    pricer: RoutePricer  # a FunctionPricer is awaited (quote_async)
    upstream: UpstreamSettings
    path_template: str | None
    offer: PaymentOffer | None  # None: the route can only ever be free
    facilitator: GuardedFacilitator | None
    settlement: str
    description: str | None = None
    pricing: dict[str, object] = field(default_factory=dict)  # for discovery
    hooks: HookSet = field(default_factory=HookSet)
    hook_route: HookRoute | None = None  # what hooks see of the route (None: no hooks)


@dataclass(slots=True)
class Runtime:
    table: RouteTable
    routes: dict[str, CompiledRoute]
    pool: UpstreamPool
    replay: ReplayGuard
    discovery: bool = True
    cors: CorsPolicy | None = None  # None: no CORS headers
    trust_proxy: bool | int = False
    max_priced_body: int = DEFAULT_MAX_PRICED_BODY
    facilitators: list[GuardedFacilitator] = field(default_factory=list)
    accounting: Accounting = field(default_factory=lambda: Accounting(None, None))
    ledger_location: str | None = None  # opened at startup; None: no ledger
    hook_threads: HookThreads | None = None  # where sync hooks run; closed at shutdown
    background: list[asyncio.Task[None]] = field(default_factory=list)  # cancelled at shutdown
