"""Everything the request pipeline needs, compiled once from a config."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    pricer: RoutePricer
    upstream: UpstreamSettings
    path_template: str | None
    offer: PaymentOffer | None  # None: the route can only ever be free
    facilitator: GuardedFacilitator | None
    settlement: str
    description: str | None = None
    pricing: dict[str, object] = field(default_factory=dict)  # for discovery


@dataclass(slots=True)
class Runtime:
    table: RouteTable
    routes: dict[str, CompiledRoute]
    pool: UpstreamPool
    replay: ReplayGuard
    discovery: bool = True
    cors: bool = False
    trust_proxy: bool | int = False
    max_priced_body: int = DEFAULT_MAX_PRICED_BODY
    facilitators: list[GuardedFacilitator] = field(default_factory=list)
