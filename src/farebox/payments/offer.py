"""What a route accepts as payment, prepared once so each 402 is a cheap copy.

The SDK's own server-side scheme fills in the asset address and its EIP-712
domain (`extra`), so our requirements are exactly what SDK clients expect.
Per request only the amount (and possibly payTo) change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from x402.mechanisms.evm.exact.server import ExactEvmScheme as ExactServerScheme
from x402.mechanisms.evm.upto.server import UptoEvmScheme as UptoServerScheme
from x402.schemas import (
    PaymentRequired,
    PaymentRequirements,
    ResourceInfo,
    SupportedKind,
    SupportedResponse,
)

DEFAULT_MAX_TIMEOUT_SECONDS = 300
SCHEME_EXACT = "exact"
SCHEME_UPTO = "upto"


@dataclass(frozen=True, slots=True)
class AcceptedPayment:
    """One way to pay: a network, an asset and the address that receives it."""

    network: str
    asset: str  # "USDC" or a token contract address
    pay_to: str


def exact_template(accepted: AcceptedPayment, max_timeout_seconds: int) -> PaymentRequirements:
    """Requirements for `exact` on one network/asset, with amount left at zero."""
    kind = SupportedKind(x402_version=2, scheme=SCHEME_EXACT, network=accepted.network)
    server = ExactServerScheme()  # type: ignore[no-untyped-call]
    return _template(server, accepted, kind, max_timeout_seconds)


def upto_template(
    accepted: AcceptedPayment, kind: SupportedKind, max_timeout_seconds: int
) -> PaymentRequirements:
    """Requirements for `upto` (Permit2, a ceiling) as the facilitator supports it.

    The facilitator's supported kind carries its address, which the payer's
    authorization names: only that facilitator may settle it.
    """
    server = UptoServerScheme()  # type: ignore[no-untyped-call]
    return _template(server, accepted, kind, max_timeout_seconds)


def _template(
    server: ExactServerScheme | UptoServerScheme,
    accepted: AcceptedPayment,
    kind: SupportedKind,
    max_timeout_seconds: int,
) -> PaymentRequirements:
    base = PaymentRequirements(
        scheme=kind.scheme,
        network=accepted.network,
        asset="" if accepted.asset.upper() == "USDC" else accepted.asset,
        amount="0",
        pay_to=accepted.pay_to,
        max_timeout_seconds=max_timeout_seconds,
        extra={},
    )
    # The SDK's own server scheme fills in the asset and its EIP-712 domain.
    enhanced: PaymentRequirements = server.enhance_payment_requirements(base, kind, [])
    return enhanced


def upto_kind(supported: SupportedResponse, network: str) -> SupportedKind | None:
    for kind in supported.kinds:
        if kind.scheme == SCHEME_UPTO and kind.network == network and kind.x402_version == 2:
            return kind
    return None


class PaymentOffer:
    """The payment requirements of one route, per scheme, ready to be priced per request."""

    def __init__(
        self,
        accepted: Sequence[AcceptedPayment],
        max_timeout_seconds: int = DEFAULT_MAX_TIMEOUT_SECONDS,
    ) -> None:
        if not accepted:
            raise ValueError("a paid route needs at least one accepted payment")
        self.accepted = tuple(accepted)
        self.max_timeout_seconds = max_timeout_seconds
        self.templates: dict[str, tuple[PaymentRequirements, ...]] = {
            SCHEME_EXACT: tuple(exact_template(a, max_timeout_seconds) for a in accepted)
        }
        self.upto_checked = False  # whether the facilitator answered about upto yet
        self.upto_retry_at = 0.0  # monotonic time before which not to ask again

    def add_upto(self, supported: SupportedResponse) -> list[str]:
        """Offer `upto` where the facilitator supports it; returns networks it does not."""
        templates, missing = [], []
        for accepted in self.accepted:
            kind = upto_kind(supported, accepted.network)
            if kind is None:
                missing.append(accepted.network)
            else:
                templates.append(upto_template(accepted, kind, self.max_timeout_seconds))
        if templates:
            self.templates[SCHEME_UPTO] = tuple(templates)
        return missing

    def requirements(
        self, amount: int, pay_to: str | None = None, schemes: Sequence[str] = (SCHEME_EXACT,)
    ) -> list[PaymentRequirements]:
        update: dict[str, object] = {"amount": str(amount)}
        if pay_to is not None:
            update["pay_to"] = pay_to
        return [
            template.model_copy(update=update)
            for scheme in schemes
            for template in self.templates.get(scheme, ())
        ]


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
