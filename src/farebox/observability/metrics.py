"""Prometheus metrics for one gateway: served at /metrics when `gateway.metrics: true`.

Each gateway owns its CollectorRegistry (no global state: tests build many apps). The
pipeline calls small typed methods; label values that come from callers (a model name
in a request body, an HTTP method) are bounded, so nobody can grow the registry
without limit by sending made-up values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from farebox.pricing.money import atomic_to_dollars

PAYMENT_OUTCOMES: Final = frozenset(
    {"missing", "rejected", "verified", "settled", "settle_failed", "refunded"}
)
"""missing: no payment header (402); rejected: refused before or by verify; verified: the
facilitator accepted it; settled: money moved; settle_failed: the settle call failed;
refunded: verified but deliberately not settled (upstream 5xx, a hook said no)."""

HTTP_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)
DEFAULT_MAX_LABEL_VALUES = 200
OTHER = "other"
# Seconds; a paid LLM request can stream for minutes.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class BoundedLabel:
    """At most `limit` distinct values of one label; later newcomers become "other"."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str | None) -> str:
        text = value or ""
        if text in self._seen:
            return text
        if len(self._seen) >= self.limit:
            return OTHER
        self._seen.add(text)
        return text


class GatewayMetrics:
    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        max_label_values: int = DEFAULT_MAX_LABEL_VALUES,
        process: bool = True,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process:  # CPU, memory, open files of this process
            ProcessCollector(registry=self.registry)
        self._route = BoundedLabel(max_label_values)
        self._model = BoundedLabel(max_label_values)
        self._upstream = BoundedLabel(max_label_values)
        self._source = BoundedLabel(max_label_values)
        self._build(self.registry)

    def _build(self, r: CollectorRegistry) -> None:
        self._requests = Counter(
            "farebox_requests",
            "HTTP requests answered, by route, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self._request_seconds = Histogram(
            "farebox_request_duration_seconds",
            "Time from request to the end of the response",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self._active = Gauge("farebox_active_requests", "Requests in progress", registry=r)
        self._payments = Counter("farebox_payments", "Payments by outcome", ["outcome"], registry=r)
        self._settle_seconds = Histogram(
            "farebox_settlement_duration_seconds",
            "Facilitator settle calls, by whether they succeeded",
            ["success"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self._upstream_seconds = Histogram(
            "farebox_upstream_duration_seconds",
            "Time until the upstream's response headers, by upstream",
            ["upstream"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self._upstream_responses = Counter(
            "farebox_upstream_responses",
            "Upstream responses (or failures such as timeout), by upstream and status",
            ["upstream", "status"],
            registry=r,
        )
        self._upstream_errors = Counter(
            "farebox_upstream_errors",
            "Upstream 5xx responses and failures, by upstream and status",
            ["upstream", "status"],
            registry=r,
        )
        self._revenue = Counter(
            "farebox_revenue_usd", "Settled revenue in USD", ["route", "model"], registry=r
        )
        self._cost = Counter(
            "farebox_upstream_cost_usd",
            "Upstream cost in USD from the price catalog",
            ["route", "model"],
            registry=r,
        )
        self._tokens = Counter(
            "farebox_tokens",
            "LLM tokens by model and direction",
            ["model", "direction"],
            registry=r,
        )
        self._price_resolutions = Counter(
            "farebox_price_resolutions",
            "How requests were priced (models, glob, catalog, fallback, reject, ...)",
            ["source"],
            registry=r,
        )

    # --- what the pipeline calls -------------------------------------------------------

    def request_started(self) -> None:
        self._active.inc()

    def request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        """Once per request_started(), whatever happened in between."""
        self._active.dec()
        route_label = self._route(route)
        self._requests.labels(route_label, _method(method), _status(status)).inc()
        self._request_seconds.labels(route_label).observe(seconds)

    def payment(self, outcome: str) -> None:
        if outcome not in PAYMENT_OUTCOMES:
            known = ", ".join(sorted(PAYMENT_OUTCOMES))
            raise ValueError(f"{outcome!r} is not a payment outcome; use one of: {known}")
        self._payments.labels(outcome).inc()

    def settlement_latency(self, seconds: float, *, success: bool) -> None:
        self._settle_seconds.labels("true" if success else "false").observe(seconds)

    def upstream(self, upstream: str, status: int | str, seconds: float) -> None:
        """An upstream answered with `status`, or failed with a kind like "timeout"."""
        name = self._upstream(upstream)
        label = _status(status) if isinstance(status, int) else _failure(status)
        self._upstream_responses.labels(name, label).inc()
        self._upstream_seconds.labels(name).observe(seconds)
        if not isinstance(status, int) or status >= 500:
            self._upstream_errors.labels(name, label).inc()

    def revenue(self, route: str, model: str | None, atomic: int) -> None:
        """Money settled for a request, in USDC atomic units."""
        usd = atomic_to_dollars(atomic)
        # Prometheus values are float64: the conversion happens here, at the boundary only.
        self._revenue.labels(self._route(route), self._model(model)).inc(float(usd))

    def cost(self, route: str, model: str | None, usd: Decimal) -> None:
        self._cost.labels(self._route(route), self._model(model)).inc(float(usd))

    def tokens(self, model: str | None, input: int, output: int, cached_input: int = 0) -> None:
        label = self._model(model)
        self._tokens.labels(label, "input").inc(input)
        self._tokens.labels(label, "output").inc(output)
        if cached_input:
            self._tokens.labels(label, "cached_input").inc(cached_input)

    def price_resolution(self, source: str) -> None:
        self._price_resolutions.labels(self._source(source)).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its Content-Type, for GET /metrics."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _method(method: str) -> str:
    upper = method.upper()
    return upper if upper in HTTP_METHODS else OTHER


def _status(status: int) -> str:
    return str(status) if 100 <= status <= 599 else OTHER


def _failure(kind: str) -> str:
    return kind if kind.isidentifier() and len(kind) <= 32 else "error"
