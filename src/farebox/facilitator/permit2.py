"""Local Permit2 and the two x402 Permit2 proxies (exact and upto).

Permit2's signature transfer is played faithfully where x402 depends on it: deadline,
requested amount <= permitted amount, an unordered nonce used once (bitmap per owner),
an EIP-712 witness signature whose spender is the calling proxy, then the token's
transferFrom. The proxies add x402's rules: recipient and validAfter come from the
signed witness, and the upto proxy lets only the named facilitator settle an amount at
or below the ceiling. Revert names match the real contracts' custom errors, which is
what the SDK's error mapping reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from x402.mechanisms.evm.constants import (
    PERMIT2_ADDRESS,
    PERMIT2_WITNESS_TYPES,
    UPTO_PERMIT2_WITNESS_TYPES,
    X402_EXACT_PERMIT2_PROXY_ABI,
    X402_EXACT_PERMIT2_PROXY_ADDRESS,
    X402_UPTO_PERMIT2_PROXY_ABI,
    X402_UPTO_PERMIT2_PROXY_ADDRESS,
)

from . import eip712
from .abi import ContractRevert, checksum, custom_error, revert
from .evm import ZERO_ADDRESS, Call, Contract
from .usdc import LocalUsdc

_NONCE_BITMAP_ABI = [
    {
        "type": "function",
        "name": "nonceBitmap",
        "inputs": [{"name": "owner", "type": "address"}, {"name": "wordPos", "type": "uint256"}],
        "outputs": [{"name": "", "type": "uint256"}],
        "stateMutability": "view",
    }
]

WitnessTypes = dict[str, list[dict[str, str]]]
Permit = tuple[tuple[str, int], int, int]  # ((token, amount), nonce, deadline)


def _failed(name: str, detail: str) -> ContractRevert:
    error = custom_error(name)
    return ContractRevert(f"{error.reason}: {detail}", error.data)


class LocalPermit2(Contract):
    """Permit2's SignatureTransfer, over the ledger's nonce bitmaps."""

    def __init__(self, token_at: Callable[[str], LocalUsdc | None]) -> None:
        super().__init__(PERMIT2_ADDRESS)
        self._token_at = token_at
        self.expose(_NONCE_BITMAP_ABI, "nonceBitmap", self.nonce_bitmap)

    def nonce_bitmap(self, call: Call, owner: str, word: int) -> int:
        return call.view.permit2_bitmap(owner, word)

    def permit_witness_transfer_from(
        self,
        call: Call,
        permit: Permit,
        to: str,
        requested_amount: int,
        owner: str,
        witness_types: WitnessTypes,
        witness: dict[str, Any],
        signature: bytes,
    ) -> None:
        (token, permitted_amount), nonce, deadline = permit
        if call.now > deadline:
            raise custom_error("SignatureExpired", ("uint256",), (deadline,))
        if requested_amount > permitted_amount:
            raise custom_error("InvalidAmount", ("uint256",), (permitted_amount,))
        if not call.view.use_permit2_nonce(owner, nonce):
            raise custom_error("InvalidNonce")
        document = eip712.permit_witness_transfer_from(
            chain_id=call.chain_id,
            witness_types=witness_types,
            message={
                "permitted": {"token": checksum(token), "amount": permitted_amount},
                "spender": checksum(call.sender),
                "nonce": nonce,
                "deadline": deadline,
                "witness": witness,
            },
        )
        self._verify_signature(document, signature, owner)
        token_contract = self._token_at(token)
        if token_contract is None:
            raise revert(f"TRANSFER_FROM_FAILED: {token} is not a token on the local ledger")
        token_contract.transfer_from(call.from_contract(self.address), owner, to, requested_amount)

    @staticmethod
    def _verify_signature(document: eip712.TypedData, signature: bytes, owner: str) -> None:
        if len(signature) != 65:
            raise _failed("InvalidSignatureLength", f"{len(signature)} bytes, expected 65")
        signer = eip712.recover_signer(document, signature)
        if signer is None:
            raise _failed("InvalidSignature", "the signature does not recover to any address")
        if signer.lower() != owner.lower():
            # Permit2 names this InvalidSigner; the SDK's mapping looks for "InvalidSignature".
            raise _failed("InvalidSignature", f"signed by {signer}, not by owner {checksum(owner)}")


class _Permit2Proxy(Contract):
    """What both x402 proxies do before handing the transfer to Permit2."""

    witness_types: WitnessTypes

    def __init__(self, address: str, permit2: LocalPermit2) -> None:
        super().__init__(address)
        self.permit2 = permit2

    def _settle(
        self,
        call: Call,
        permit: Permit,
        amount: int,
        owner: str,
        witness: dict[str, Any],
        signature: bytes,
    ) -> None:
        if checksum(owner) == ZERO_ADDRESS:
            raise custom_error("InvalidOwner")
        if checksum(witness["to"]) == ZERO_ADDRESS:
            raise custom_error("InvalidDestination")
        if call.now < witness["validAfter"]:
            raise custom_error("PaymentTooEarly")
        self.permit2.permit_witness_transfer_from(
            call.from_contract(self.address),
            permit,
            witness["to"],
            amount,
            owner,
            self.witness_types,
            witness,
            signature,
        )


class LocalExactPermit2Proxy(_Permit2Proxy):
    """x402ExactPermit2Proxy.settle: moves exactly the permitted amount."""

    witness_types = PERMIT2_WITNESS_TYPES

    def __init__(self, permit2: LocalPermit2) -> None:
        super().__init__(X402_EXACT_PERMIT2_PROXY_ADDRESS, permit2)
        self.expose(X402_EXACT_PERMIT2_PROXY_ABI, "settle", self.settle)

    def settle(
        self, call: Call, permit: Permit, owner: str, witness: tuple[str, int], signature: bytes
    ) -> None:
        to, valid_after = witness
        document_witness = {"to": checksum(to), "validAfter": valid_after}
        self._settle(call, permit, permit[0][1], owner, document_witness, signature)


class LocalUptoPermit2Proxy(_Permit2Proxy):
    """x402UptoPermit2Proxy.settle: the named facilitator moves any amount <= the ceiling."""

    witness_types = UPTO_PERMIT2_WITNESS_TYPES

    def __init__(self, permit2: LocalPermit2) -> None:
        super().__init__(X402_UPTO_PERMIT2_PROXY_ADDRESS, permit2)
        self.expose(X402_UPTO_PERMIT2_PROXY_ABI, "settle", self.settle)

    def settle(
        self,
        call: Call,
        permit: Permit,
        amount: int,
        owner: str,
        witness: tuple[str, str, int],
        signature: bytes,
    ) -> None:
        to, facilitator, valid_after = witness
        if amount > permit[0][1]:
            raise custom_error("AmountExceedsPermitted")
        if checksum(call.sender) != checksum(facilitator):
            raise _failed(
                "UnauthorizedFacilitator", f"{call.sender} is not {checksum(facilitator)}"
            )
        document_witness = {
            "to": checksum(to),
            "facilitator": checksum(facilitator),
            "validAfter": valid_after,
        }
        self._settle(call, permit, amount, owner, document_witness, signature)
