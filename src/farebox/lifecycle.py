"""Gateway startup and shutdown: connections, the ledger, and settlements a crash left behind."""

from __future__ import annotations

import asyncio
import logging

from x402.schemas import PaymentRequirements

from farebox.payments.header import decode_payment
from farebox.runtime import Runtime
from farebox.settlement import settle_failure
from farebox.stores.ledger import (
    POSTGRES_SCHEMES,
    PaymentLedger,
    PendingSettlement,
    open_ledger,
)
from farebox.stores.ledger_retry import Settle, SettleAttempt, retry_pending_settlements

log = logging.getLogger("farebox")

RETRY_INTERVAL_SECONDS = 60.0


async def start(runtime: Runtime) -> None:
    await runtime.pool.open()
    location = runtime.ledger_location
    if location is None:
        return
    ledger = await open_ledger(location)
    runtime.accounting.ledger = ledger
    log.info("payments ledger: %s", ledger.description)
    # With one SQLite file there is one gateway: nobody else can hold a lease on its rows.
    shared = location.startswith(POSTGRES_SCHEMES)
    settler = pending_settler(runtime)
    await retry_pending_settlements(ledger, settler, ignore_leases=not shared)
    runtime.background.append(asyncio.create_task(keep_retrying(ledger, settler)))


async def keep_retrying(ledger: PaymentLedger, settler: Settle) -> None:
    """Settle what another (crashed) instance left pending once its lease has lapsed.

    Leases are honoured, so a settlement this process is making right now is never
    retried underneath it.
    """
    while True:
        await asyncio.sleep(RETRY_INTERVAL_SECONDS)
        try:
            await retry_pending_settlements(ledger, settler)
        except Exception:  # a ledger hiccup must not end the loop
            log.exception("retrying pending settlements failed; trying again later")


async def stop(runtime: Runtime) -> None:
    for task in runtime.background:
        task.cancel()
    await asyncio.gather(*runtime.background, return_exceptions=True)
    ledger = runtime.accounting.ledger
    if ledger is not None:
        await ledger.close()
    await runtime.pool.close()
    for facilitator in runtime.facilitators:
        close = getattr(facilitator.inner, "aclose", None)
        if close is not None:
            await close()
    if runtime.hook_threads is not None:
        runtime.hook_threads.close()
    close_replay = getattr(runtime.replay, "close", None)
    if close_replay is not None:
        await close_replay()


def pending_settler(runtime: Runtime) -> Settle:
    """Settle a payment recorded as pending by an earlier run of this gateway."""

    async def settle(pending: PendingSettlement) -> SettleAttempt:
        route = runtime.routes.get(pending.row.route)
        if route is None or route.facilitator is None:
            raise LookupError(f"route {pending.row.route} is no longer configured with payments")
        payload = decode_payment(pending.payment_header)
        requirements = PaymentRequirements.model_validate_json(pending.requirements_json)
        result = await route.facilitator.settle(payload, requirements)
        return SettleAttempt(
            success=result.success,
            charged=int(requirements.amount) if result.success else 0,
            tx=result.transaction or None,
            reason=None if result.success else settle_failure(result),
        )

    return settle
