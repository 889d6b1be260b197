"""Where every request and payment event is written down: ledger, metrics, logs.

The pipeline reports facts (a price was resolved, a payment was refused, a
settlement succeeded); this module turns them into a ledger row, counters and
log lines. Everything here is optional: with no ledger and no metrics it costs
a few attribute checks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse

from farebox.llm.usage import Usage
from farebox.observability.logs import request_log, settlement_log
from farebox.observability.metrics import GatewayMetrics
from farebox.pricing.quote import Quote
from farebox.stores.ledger import LedgerRow, Outcome, PaymentLedger, new_request_id


@dataclass(slots=True)
class Trace:
    """What is known about one request, filled in as it moves through the pipeline."""

    request_id: str
    started: float
    method: str
    path: str
    status: int = 0
    route: str | None = None
    settlement: str | None = None
    quote: Quote | None = None
    payer: str | None = None
    scheme: str | None = None
    network: str | None = None
    tx: str | None = None
    usage: Usage | None = None
    recorded: LedgerRow | None = None  # the final ledger row, written when the request ends

    @classmethod
    def begin(cls, method: str, path: str) -> Trace:
        return cls(new_request_id(), time.perf_counter(), method, path)

    @property
    def quoted(self) -> int:
        return self.quote.amount if self.quote is not None else 0

    @property
    def model(self) -> str | None:
        return self.quote.model if self.quote is not None else None


class Accounting:
    def __init__(self, ledger: PaymentLedger | None, metrics: GatewayMetrics | None) -> None:
        self.ledger = ledger
        self.metrics = metrics

    # --- request level ---------------------------------------------------------

    def request_started(self) -> None:
        if self.metrics is not None:
            self.metrics.request_started()

    def request_finished(self, trace: Trace) -> None:
        seconds = time.perf_counter() - trace.started
        self._final_status(trace)
        if self.metrics is not None:
            self.metrics.request_finished(
                trace.route or "unmatched", trace.method, trace.status, seconds
            )
        request_log(
            method=trace.method,
            path=trace.path,
            route=trace.route,
            status=trace.status,
            duration_ms=seconds * 1000,
            price=trace.quote.amount if trace.quote is not None else None,
            model=trace.model,
            payer=trace.payer,
            tx=trace.tx,
            request_id=trace.request_id,
        )

    def _final_status(self, trace: Trace) -> None:
        """Write the request's row once, when the request is over, with the status the
        caller got: a before-response settlement happens before the upstream answers, and
        a failure after settling (a 402, a 502) changes the status."""
        row = trace.recorded
        if self.ledger is None or row is None:
            return
        if trace.status and row.status != trace.status:
            row = replace(row, status=trace.status)
        self.ledger.record(row)

    def _record(self, trace: Trace, row: LedgerRow) -> None:
        """Keep the request's final row; request_finished writes it (one write per request)."""
        trace.recorded = row

    def price_resolved(self, trace: Trace, quote: Quote) -> None:
        trace.quote = quote
        if self.metrics is not None:
            self.metrics.price_resolution(quote.source)

    def price_refused(self) -> None:
        if self.metrics is not None:
            self.metrics.price_resolution("reject")

    def payment(self, outcome: str) -> None:
        """missing | rejected | verified | refunded (settled is counted by settled())."""
        if self.metrics is not None:
            self.metrics.payment(outcome)

    def upstream(self, name: str, status: int | str, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.upstream(name, status, seconds)

    # --- settlement ------------------------------------------------------------

    def paid_with(self, trace: Trace, payload: PaymentPayload, payer: str | None) -> None:
        trace.payer = payer
        trace.scheme = payload.accepted.scheme
        trace.network = payload.accepted.network

    async def pending(
        self, trace: Trace, header: str, requirements: PaymentRequirements, expires_at: int
    ) -> None:
        """Durably note a settlement about to be attempted after serving (crash recovery)."""
        if self.ledger is None:
            return
        # Tokens and upstream cost go in now: a retry after a crash only adds the tx.
        cost = self.upstream_cost(trace)
        await self.ledger.record_pending(
            self.row(trace, Outcome.PENDING, charged=int(requirements.amount), cost=cost),
            payment_header=header,
            requirements_json=requirements.model_dump_json(by_alias=True, exclude_none=True),
            expires_at=expires_at,
        )
        settlement_log(
            event="pending",
            request_id=trace.request_id,
            route=trace.route,
            amount=int(requirements.amount),
            network=trace.network,
            payer=trace.payer,
        )

    def settled(self, trace: Trace, result: SettleResponse, amount: int, seconds: float) -> None:
        trace.tx = result.transaction or None
        outcome = Outcome.SETTLED if result.success else Outcome.SETTLE_FAILED
        reason = None if result.success else (result.error_reason or "settlement failed")
        cost = self.upstream_cost(trace)
        if self.metrics is not None:
            self._count_settlement(self.metrics, trace, result.success, amount, cost, seconds)
        if self.ledger is not None:
            charged = amount if result.success else 0
            self._record(
                trace,
                self.row(trace, outcome, charged=charged, reason=reason, tx=trace.tx, cost=cost),
            )
        settlement_log(
            event=outcome.value,
            request_id=trace.request_id,
            route=trace.route,
            amount=amount,
            network=trace.network,
            payer=trace.payer,
            tx=trace.tx,
            reason=reason,
            duration_ms=seconds * 1000,
        )

    @staticmethod
    def _count_settlement(
        metrics: GatewayMetrics,
        trace: Trace,
        success: bool,
        amount: int,
        cost: Decimal | None,
        seconds: float,
    ) -> None:
        metrics.settlement_latency(seconds, success=success)
        metrics.payment("settled" if success else "settle_failed")
        if not success:
            return
        route = trace.route or ""
        metrics.revenue(route, trace.model, amount)
        if cost is not None:
            metrics.cost(route, trace.model, cost)
        usage = trace.usage
        if usage is not None:
            metrics.tokens(
                trace.model, usage.input_tokens, usage.output_tokens, usage.cached_input_tokens
            )

    def not_settled(self, trace: Trace, reason: str) -> None:
        """A verified payment that is deliberately not charged (upstream 5xx, a hook, no usage)."""
        if self.metrics is not None:
            self.metrics.payment("refunded")
        if self.ledger is not None:
            self._record(trace, self.row(trace, Outcome.NOT_SETTLED, reason=reason))
        settlement_log(
            event="not-settled",
            request_id=trace.request_id,
            route=trace.route,
            network=trace.network,
            payer=trace.payer,
            reason=reason,
        )

    def row(
        self,
        trace: Trace,
        outcome: str,
        *,
        charged: int = 0,
        reason: str | None = None,
        tx: str | None = None,
        cost: Decimal | None = None,
    ) -> LedgerRow:
        return LedgerRow(
            request_id=trace.request_id,
            time=datetime.now(UTC),
            route=trace.route or "",
            outcome=outcome,
            quoted=trace.quoted,
            charged=charged,
            model=trace.model,
            payer=trace.payer,
            scheme=trace.scheme,
            network=trace.network,
            settlement=trace.settlement,
            reason=reason,
            tx=tx,
            status=trace.status or None,
            upstream_cost=cost,
        ).with_usage(trace.usage)

    @staticmethod
    def upstream_cost(trace: Trace) -> Decimal | None:
        """What the upstream charged for this request, when the catalog and usage tell."""
        metering = trace.quote.metering if trace.quote is not None else None
        if metering is None or metering.cost is None or trace.usage is None:
            return None
        return metering.cost.cost(trace.usage)


def authorization_expiry(payload: PaymentPayload) -> int:
    """When the payer's authorization stops being settleable (unix seconds)."""
    inner: dict[str, Any] = payload.payload
    if "authorization" in inner:
        return int(inner["authorization"].get("validBefore", 0))
    permit = inner.get("permit2Authorization") or {}
    return int(permit.get("deadline", 0))
