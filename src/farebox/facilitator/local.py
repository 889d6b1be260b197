"""LocalFacilitator: the x402 SDK's own facilitator schemes over the local ledger.

Verification and settlement are the SDK's code (`ExactEvmScheme` and `UptoEvmScheme`
from x402.mechanisms.evm, registered on the SDK's facilitator); only the chain under
them is local. The object has the async surface of `x402.http.HTTPFacilitatorClient`,
so a resource server can use it in-process instead of over HTTP.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from x402 import x402FacilitatorSync
from x402.mechanisms.evm.exact.facilitator import ExactEvmScheme
from x402.mechanisms.evm.upto.facilitator import UptoEvmScheme
from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SchemeNotFoundError,
    SettleResponse,
    SupportedResponse,
    VerifyResponse,
)

from farebox.networks import SUPPORTED_NETWORKS

from .chain import LocalChain
from .ledger import Ledger

logger = logging.getLogger(__name__)

NETWORKS: tuple[str, ...] = tuple(sorted(SUPPORTED_NETWORKS))

ERR_UNSUPPORTED_NETWORK = "unsupported_network"
ERR_UNSUPPORTED_SCHEME = "unsupported_scheme"
ERR_INVALID_PAYLOAD = "invalid_payload"


class _PerNetwork:
    """One SDK scheme per network, registered as one entry.

    The SDK's facilitator matches an `eip155:*` pattern before it looks at a later
    registration's exact network, so per-network registrations would all land on the
    first chain. This router hands each payment to the chain of the network it names.
    """

    caip_family = "eip155:*"

    def __init__(self, scheme: str, by_network: dict[str, Any]) -> None:
        self.scheme = scheme
        self._by_network = by_network

    def get_extra(self, network: str) -> dict[str, Any] | None:
        extra: dict[str, Any] | None = self._by_network[network].get_extra(network)
        return extra

    def get_signers(self, network: str) -> list[str]:
        signers: list[str] = self._by_network[network].get_signers(network)
        return signers

    def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements, context: Any = None
    ) -> VerifyResponse:
        scheme = self._by_network.get(payload.accepted.network)
        if scheme is None:
            return VerifyResponse(
                is_valid=False,
                invalid_reason=ERR_UNSUPPORTED_NETWORK,
                invalid_message=_unsupported_network(payload.accepted.network),
            )
        response: VerifyResponse = scheme.verify(payload, requirements, context)
        return response

    def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements, context: Any = None
    ) -> SettleResponse:
        scheme = self._by_network.get(payload.accepted.network)
        if scheme is None:
            return SettleResponse(
                success=False,
                error_reason=ERR_UNSUPPORTED_NETWORK,
                error_message=_unsupported_network(payload.accepted.network),
                network=payload.accepted.network,
                transaction="",
            )
        response: SettleResponse = scheme.settle(payload, requirements, context)
        return response


def _unsupported_network(network: str) -> str:
    return f'the local facilitator has no chain for "{network}"; it serves {", ".join(NETWORKS)}'


class LocalFacilitator:
    """In-process facilitator; same async surface as x402.http.HTTPFacilitatorClient."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.address = ledger.facilitator_address()
        self.chains = {network: LocalChain(ledger, network, self.address) for network in NETWORKS}
        # x402FacilitatorSync is x402Facilitator's twin (same base: registration, routing,
        # get_supported). The schemes are synchronous either way; the sync twin lets
        # verify/settle run whole in a worker thread instead of on the event loop.
        self._facilitator = x402FacilitatorSync()
        self._facilitator.register(
            list(NETWORKS),
            _PerNetwork("exact", {n: ExactEvmScheme(c) for n, c in self.chains.items()}),
        )
        if permit2_schemes_available():
            self._facilitator.register(
                list(NETWORKS),
                _PerNetwork("upto", {n: UptoEvmScheme(c) for n, c in self.chains.items()}),
            )

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        return await asyncio.to_thread(self.verify_sync, payload, requirements)

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        return await asyncio.to_thread(self.settle_sync, payload, requirements)

    def get_supported(self) -> SupportedResponse:
        supported: SupportedResponse = self._facilitator.get_supported()
        return supported

    def verify_sync(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        try:
            response: VerifyResponse = self._facilitator.verify(payload, requirements)
            return response
        except SchemeNotFoundError as exc:
            return VerifyResponse(
                is_valid=False,
                invalid_reason=ERR_UNSUPPORTED_SCHEME,
                invalid_message=_scheme_not_found(exc),
            )
        except Exception as exc:  # the SDK raises on payloads it cannot parse
            logger.warning("local facilitator: verify failed on a malformed payload: %s", exc)
            return VerifyResponse(
                is_valid=False, invalid_reason=ERR_INVALID_PAYLOAD, invalid_message=str(exc)
            )

    def settle_sync(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        try:
            response: SettleResponse = self._facilitator.settle(payload, requirements)
            return response
        except SchemeNotFoundError as exc:
            reason, message = ERR_UNSUPPORTED_SCHEME, _scheme_not_found(exc)
        except Exception as exc:
            logger.warning("local facilitator: settle failed on a malformed payload: %s", exc)
            reason, message = ERR_INVALID_PAYLOAD, str(exc)
        return SettleResponse(
            success=False,
            error_reason=reason,
            error_message=message,
            network=payload.accepted.network,
            transaction="",
        )


def permit2_schemes_available() -> bool:
    """Whether the SDK's Permit2 facilitator code (upto, exact-permit2) can run here.

    That code imports x402.extensions, which needs jsonschema (x402[extensions]).
    Without it upto is not advertised rather than advertised and then failing.
    """
    try:
        import x402.extensions  # noqa: F401
    except ImportError as exc:
        logger.warning("local facilitator: upto disabled: %s", exc)
        return False
    return True


def _scheme_not_found(exc: SchemeNotFoundError) -> str:
    return (
        f'the local facilitator does not settle scheme "{exc.scheme}" on "{exc.network}"; '
        f"it supports exact and upto on {', '.join(NETWORKS)}"
    )


def build_local_facilitator(
    db_path: str | None = None, initial_balance: int = 100_000_000
) -> LocalFacilitator:
    """A facilitator over a SQLite ledger at `db_path` (in memory when None)."""
    return LocalFacilitator(Ledger(db_path, initial_balance))
