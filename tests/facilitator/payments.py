"""Real x402 payments for the facilitator tests, made only with the official SDK.

A `Shop` is the SDK's resource server pricing through whichever facilitator client
the test hands it (HTTP or in-process); `pay` is the SDK's client signing with a
fresh eth_account key.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from x402 import x402Client, x402ResourceServer
from x402.mechanisms.evm.exact import ExactEvmClientScheme, ExactEvmServerScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.upto.client import UptoEvmScheme as UptoEvmClientScheme
from x402.mechanisms.evm.upto.server import UptoEvmScheme as UptoEvmServerScheme
from x402.schemas import PaymentPayload, PaymentRequirements, ResourceConfig

from farebox.facilitator.local import permit2_schemes_available

BASE = "eip155:8453"
BASE_SEPOLIA = "eip155:84532"
NETWORKS = (BASE, BASE_SEPOLIA)
UPTO_AVAILABLE = permit2_schemes_available()


def new_account() -> LocalAccount:
    return Account.create()


class Shop:
    """The SDK's resource server, pricing through `facilitator_client`."""

    def __init__(self, facilitator_client: Any) -> None:
        self.server = x402ResourceServer(facilitator_client)
        for network in NETWORKS:
            self.server.register(network, ExactEvmServerScheme())
            if UPTO_AVAILABLE:
                self.server.register(network, UptoEvmServerScheme())
        self.server.initialize()

    def requirements(
        self,
        price: str,
        pay_to: str,
        *,
        scheme: str = "exact",
        network: str = BASE_SEPOLIA,
        max_timeout_seconds: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> PaymentRequirements:
        config = ResourceConfig(
            scheme=scheme,
            pay_to=pay_to,
            price=price,
            network=network,
            max_timeout_seconds=max_timeout_seconds,
            extra=extra,
        )
        (requirements,) = self.server.build_payment_requirements(config)
        return requirements

    async def pay(self, account: LocalAccount, requirements: PaymentRequirements) -> PaymentPayload:
        """The SDK client's answer to a 402 carrying exactly `requirements`."""
        payment_required = await self.server.create_payment_required_response([requirements])
        signer = EthAccountSigner(account)
        client = x402Client().set_spend_controls(False)  # tests pay above $1
        client.register(requirements.network, ExactEvmClientScheme(signer))
        client.register(requirements.network, UptoEvmClientScheme(signer))
        payload = await client.create_payment_payload(payment_required)
        assert isinstance(payload, PaymentPayload)
        return payload


def with_authorization(payload: PaymentPayload, **changes: str) -> PaymentPayload:
    """A copy of an exact EIP-3009 payload with authorization fields replaced."""
    inner = dict(payload.payload)
    inner["authorization"] = {**inner["authorization"], **changes}
    return payload.model_copy(update={"payload": inner})


def with_accepted(payload: PaymentPayload, **changes: Any) -> PaymentPayload:
    accepted = payload.accepted.model_copy(update=changes)
    return payload.model_copy(update={"accepted": accepted})
