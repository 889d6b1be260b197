"""Settling what a crashed gateway left pending.

At start-up (and, with several instances, now and then) the gateway hands this the
ledger and a function that settles one PendingSettlement with the facilitator. Each
pending row is then, exactly once across instances:
  * expired, when its authorization ends before a settle could land;
  * settled or settle-failed, by what the facilitator answered;
  * left pending, when the facilitator could not be reached (tried again next time),
    or while another instance holds its lease.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from farebox.observability.logs import settlement_log
from farebox.stores.ledger import PaymentLedger
from farebox.stores.ledger_rows import Outcome, PendingSettlement

log = logging.getLogger("farebox.ledger")

# A settle submitted this close to the authorization's end would be refused on-chain.
DEFAULT_EXPIRY_MARGIN = 6
RETRY_LEASE_SECONDS = 120  # how long one retry may take before another instance may try
EXPIRED_REASON = "the authorization expired before the settlement was retried"


@dataclass(frozen=True, slots=True)
class SettleAttempt:
    """What the facilitator answered to one settle call."""

    success: bool
    charged: int = 0  # atomic units moved (the metered amount for upto)
    tx: str | None = None
    reason: str | None = None  # why it failed


Settle = Callable[[PendingSettlement], Awaitable[SettleAttempt]]
"""Settle one pending payment; raise when the facilitator cannot be reached."""


@dataclass
class RetrySummary:
    settled: int = 0
    failed: int = 0
    expired: int = 0
    deferred: int = 0  # facilitator unreachable: still pending
    held_elsewhere: int = 0  # another instance holds the lease


async def retry_pending_settlements(
    ledger: PaymentLedger,
    settle: Settle,
    *,
    now: int | None = None,
    ignore_leases: bool = False,
    expiry_margin: int = DEFAULT_EXPIRY_MARGIN,
    lease_seconds: int = RETRY_LEASE_SECONDS,
) -> RetrySummary:
    """Retry every pending settlement; ignore_leases=True when this is the only instance."""
    moment = int(time.time()) if now is None else now
    summary = RetrySummary()
    for pending in await ledger.pending_settlements():
        if pending.expired(moment + expiry_margin):
            await _expire(ledger, pending, summary)
            continue
        claimed = await ledger.claim_pending(
            pending.request_id, lease_seconds=lease_seconds, now=moment, ignore_lease=ignore_leases
        )
        if not claimed:
            summary.held_elsewhere += 1
            continue
        await _retry(ledger, settle, pending, summary)
    if summary != RetrySummary():
        log.info("pending settlements after a restart: %s", summary)
    return summary


async def _expire(ledger: PaymentLedger, pending: PendingSettlement, summary: RetrySummary) -> None:
    if await ledger.resolve_pending(
        pending.request_id, outcome=Outcome.EXPIRED, reason=EXPIRED_REASON
    ):
        summary.expired += 1
        _log(pending, "expired", reason=EXPIRED_REASON)


async def _retry(
    ledger: PaymentLedger, settle: Settle, pending: PendingSettlement, summary: RetrySummary
) -> None:
    started = time.perf_counter()
    try:
        attempt = await settle(pending)
    except Exception as exc:  # unreachable facilitator: keep it pending for the next try
        summary.deferred += 1
        _log(pending, "retry-deferred", reason=f"{type(exc).__name__}: {exc}")
        return
    ms = (time.perf_counter() - started) * 1000
    outcome = Outcome.SETTLED if attempt.success else Outcome.SETTLE_FAILED
    resolved = await ledger.resolve_pending(
        pending.request_id,
        outcome=outcome,
        charged=attempt.charged if attempt.success else 0,
        tx=attempt.tx,
        reason=None if attempt.success else attempt.reason,
    )
    if not resolved:  # resolved meanwhile by whoever else held it
        return
    if attempt.success:
        summary.settled += 1
    else:
        summary.failed += 1
    _log(pending, f"retried-{outcome}", attempt.charged, attempt.tx, attempt.reason, ms)


def _log(
    pending: PendingSettlement,
    event: str,
    amount: int | None = None,
    tx: str | None = None,
    reason: str | None = None,
    duration_ms: float | None = None,
) -> None:
    row = pending.row
    settlement_log(
        event=event,
        request_id=row.request_id,
        route=row.route,
        amount=amount,
        network=row.network,
        payer=row.payer,
        tx=tx,
        reason=reason,
        duration_ms=duration_ms,
    )
