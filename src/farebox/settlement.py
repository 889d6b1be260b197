"""Settling a verified payment through the facilitator, and writing it down.

Every settlement goes through `settle`: the facilitator call (with its
deadline), the ledger row, metrics, the settlement log and the onSettled /
onError hooks. A settlement made after the response was served is first
recorded as pending and durable, so a crash between serving and settling
cannot lose the money owed: the next start retries it.
"""

from __future__ import annotations

import time

from x402.http.utils import encode_payment_response_header
from x402.schemas import PaymentRequirements, SettleResponse

from farebox.accounting import authorization_expiry
from farebox.errors import GatewayError
from farebox.exchange import Exchange
from farebox.llm.usage import Usage
from farebox.metered import receipt
from farebox.observability.logs import receipt_log
from farebox.payments.facilitator_client import FacilitatorUnavailable, GuardedFacilitator
from farebox.runtime import Runtime

FACILITATOR_UNAVAILABLE = "facilitator_unavailable"
SETTLEMENT_PENDING = "settlement_pending"


def facilitator_of(exchange: Exchange) -> GuardedFacilitator:
    facilitator = exchange.route.facilitator
    if facilitator is None:
        raise GatewayError(500, f"route {exchange.route.key} has no facilitator")
    return facilitator


async def settle(
    runtime: Runtime,
    exchange: Exchange,
    requirements: PaymentRequirements,
    *,
    after_serving: bool,
    delivered: bool = False,
) -> SettleResponse:
    """Settle `requirements` (the amount to charge) for this exchange's payment.

    after_serving: the answer is (about to be) delivered, so the settlement is
    recorded as pending first. When the facilitator cannot answer then, the
    outcome decides: a timeout may have settled, and a delivered answer has been
    bought, so both stay pending for the retry loop (a SettleResponse with
    error_reason SETTLEMENT_PENDING); a refused connection before delivery settled
    nothing, and the request fails with 502.
    """
    assert exchange.payload is not None and exchange.header is not None
    accounting, trace = runtime.accounting, exchange.trace
    if after_serving:
        expiry = authorization_expiry(exchange.payload)
        await accounting.pending(trace, exchange.header, requirements, expiry)
    started = time.perf_counter()
    try:
        result = await facilitator_of(exchange).settle(exchange.payload, requirements)
    except FacilitatorUnavailable as exc:
        outcome_unknown = exc.status == 504
        if after_serving and (delivered or outcome_unknown):
            return SettleResponse(
                success=False,
                error_reason=SETTLEMENT_PENDING,
                error_message=f"{exc}; the settlement will be retried",
                transaction="",
                network=requirements.network,
            )
        if after_serving:
            accounting.not_settled(trace, f"{FACILITATOR_UNAVAILABLE}: {exc}")
        if outcome_unknown:
            exchange.keep_claim = True  # the money may have moved: this payment is spent
        raise GatewayError(exc.status, str(exc)) from None
    accounting.settled(trace, result, int(requirements.amount), time.perf_counter() - started)
    await observe_settlement(exchange, result)
    return result


def is_pending(result: SettleResponse) -> bool:
    """The settlement outcome is not known yet; the retry loop will settle it."""
    return result.error_reason == SETTLEMENT_PENDING


async def settle_metered(
    runtime: Runtime, exchange: Exchange, amount: int, usage: Usage | None, *, in_stream: bool
) -> SettleResponse:
    """Settle a metered amount against the ceiling the caller authorized, with a receipt."""
    assert exchange.requirements is not None and exchange.quote is not None
    metering = exchange.quote.metering
    assert metering is not None
    exchange.trace.usage = usage
    # An onPriceResolved hook may have set the ceiling below the route's own: the caller
    # authorized only that, so that is the most it is charged.
    authorized = int(exchange.requirements.amount)
    amount = min(amount, authorized)
    metered = exchange.requirements.model_copy(update={"amount": str(amount)})
    result = await settle(runtime, exchange, metered, after_serving=True, delivered=in_stream)
    details = receipt(exchange.quote.model, metering, usage, amount, authorized)
    receipt_log(
        request_id=exchange.trace.request_id,
        route=exchange.route.key,
        receipt=details,
        tx=result.transaction or None,
    )
    return result.model_copy(update={"extra": {**(result.extra or {}), "receipt": details}})


async def observe_settlement(exchange: Exchange, result: SettleResponse) -> None:
    hooks = exchange.route.hooks
    if result.success and hooks.has("onSettled"):
        await hooks.run_on_settled(exchange.hook_context("onSettled", settled=result))
    elif not result.success and hooks.has("onError"):
        await hooks.run_on_error(exchange.hook_context("onError", error=settle_failure(result)))


def settle_failure(result: SettleResponse) -> str:
    detail = f": {result.error_message}" if result.error_message else ""
    reason = result.error_reason or "unknown reason"
    return f"payment was refused by the facilitator at settlement ({reason}{detail})"


def payment_response_header(result: SettleResponse) -> tuple[bytes, bytes]:
    return (b"payment-response", encode_payment_response_header(result).encode())
