"""What a route accepts as payment, prepared once so each 402 is a cheap copy.

The SDK's own server-side scheme fills in the asset address and its EIP-712
domain (`extra`), so our requirements are exactly what SDK clients expect.
Per request only the amount (and possibly payTo) change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from x402.mechanisms.evm.exact.server import ExactEvmScheme as ExactServerScheme
from x402.schemas import PaymentRequired, PaymentRequirements, ResourceInfo, SupportedKind

DEFAULT_MAX_TIMEOUT_SECONDS = 300
SCHEME_EXACT = "exact"


@dataclass(frozen=True, slots=True)
class AcceptedPayment:
    """One way to pay: a network, an asset and the address that receives it."""

    network: str
    asset: str  # "USDC" or a token contract address
    pay_to: str


def exact_template(accepted: AcceptedPayment, max_timeout_seconds: int) -> PaymentRequirements:
    """Requirements for `exact` on one network/asset, with amount left at zero."""
    scheme = ExactServerScheme()  # type: ignore[no-untyped-call]
    base = PaymentRequirements(
        scheme=SCHEME_EXACT,
        network=accepted.network,
        asset="" if accepted.asset.upper() == "USDC" else accepted.asset,
        amount="0",
        pay_to=accepted.pay_to,
        max_timeout_seconds=max_timeout_seconds,
        extra={},
    )
    kind = SupportedKind(x402_version=2, scheme=SCHEME_EXACT, network=accepted.network)
    enhanced: PaymentRequirements = scheme.enhance_payment_requirements(base, kind, [])
    return enhanced


class PaymentOffer:
    """The payment requirements of one route, ready to be priced per request."""

    def __init__(self, templates: Sequence[PaymentRequirements]) -> None:
        if not templates:
            raise ValueError("a paid route needs at least one accepted payment")
        self.templates = tuple(templates)

    @classmethod
    def exact(
        cls,
        accepted: Sequence[AcceptedPayment],
        max_timeout_seconds: int = DEFAULT_MAX_TIMEOUT_SECONDS,
    ) -> PaymentOffer:
        return cls([exact_template(a, max_timeout_seconds) for a in accepted])

    def requirements(self, amount: int, pay_to: str | None = None) -> list[PaymentRequirements]:
        update: dict[str, object] = {"amount": str(amount)}
        if pay_to is not None:
            update["pay_to"] = pay_to
        return [t.model_copy(update=update) for t in self.templates]


def payment_required(
    requirements: list[PaymentRequirements],
    resource_url: str,
    error: str | None = None,
    description: str | None = None,
) -> PaymentRequired:
    return PaymentRequired(
        x402_version=2,
        error=error,
        resource=ResourceInfo(url=resource_url, description=description),
        accepts=requirements,
    )
