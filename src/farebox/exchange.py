"""One request's state as it moves through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse

from farebox.accounting import Trace
from farebox.asgi import Receive, Scope
from farebox.hooks.context import hook_payment, hook_quote, hook_request
from farebox.hooks.types import HookContext, HookRequest, HookResponse
from farebox.pricing.quote import Quote, RequestFacts
from farebox.runtime import CompiledRoute


@dataclass(slots=True)
class Exchange:
    scope: Scope
    receive: Receive
    raw_path: str  # the path as received (percent-encoded), decoded as latin-1
    route: CompiledRoute
    params: dict[str, str]
    headers: dict[str, str]
    trace: Trace
    behind_proxy: bool = False  # gateway.trustProxy: X-Forwarded-* describe the caller
    upstream_url: str | None = None
    raw_body: bytes | None = None
    facts: RequestFacts | None = None
    quote: Quote | None = None
    header: str | None = None  # the PAYMENT-SIGNATURE as received
    payload: PaymentPayload | None = None
    requirements: PaymentRequirements | None = None
    reserved_key: str | None = None
    keep_claim: bool = False  # the payment is spent (or may be) even if nothing is served
    hook_view: HookRequest | None = field(default=None, init=False, repr=False)

    @property
    def metering_body(self) -> bytes | None:
        metering = self.quote.metering if self.quote is not None else None
        return metering.body if metering is not None else None

    def hook_context(
        self,
        name: str,
        *,
        response: HookResponse | None = None,
        error: str | None = None,
        settled: SettleResponse | None = None,
    ) -> HookContext:
        """What a hook sees at this point of the request."""
        assert self.facts is not None and self.route.hook_route is not None
        if self.hook_view is None:  # the facts are final once read: one view for every hook
            self.hook_view = hook_request(self.facts)
        payment = None
        if self.requirements is not None:
            payment = hook_payment(self.requirements, payer=self.trace.payer, settled=settled)
        return HookContext(
            hook=name,
            request=self.hook_view,
            route=self.route.hook_route,
            quote=hook_quote(self.quote) if self.quote is not None else None,
            payment=payment,
            response=response,
            error=error,
        )
