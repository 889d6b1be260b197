"""EIP-712 signature recovery for the local contracts, with on-chain strictness.

The local USDC and Permit2 recover signers the way their Solidity counterparts do:
a 65-byte (r, s, v) signature, v of 27 or 28, and a low s (no malleable twins).
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from x402.mechanisms.evm.constants import PERMIT2_ADDRESS
from x402.mechanisms.evm.types import AUTHORIZATION_TYPES

from .abi import checksum

# secp256k1 group order; signatures with s above half of it are rejected on chain.
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_DOMAIN_FIELDS = {
    "name": "string",
    "version": "string",
    "chainId": "uint256",
    "verifyingContract": "address",
    "salt": "bytes32",
}

TypedData = dict[str, Any]


def typed_data(
    domain: dict[str, Any],
    types: dict[str, list[dict[str, str]]],
    primary_type: str,
    message: dict[str, Any],
) -> TypedData:
    """A complete EIP-712 document; the domain type is derived from the keys present."""
    domain_type = [{"name": key, "type": _DOMAIN_FIELDS[key]} for key in domain]
    return {
        "types": {"EIP712Domain": domain_type, **types},
        "primaryType": primary_type,
        "domain": domain,
        "message": message,
    }


def recover_signer(document: TypedData, signature: bytes) -> str | None:
    """The address that signed `document`, or None when the signature is unusable."""
    if len(signature) != 65:
        return None
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28) or not 0 < s <= _SECP256K1_N // 2 or r == 0:
        return None
    try:
        signable = encode_typed_data(full_message=document)
        return str(Account.recover_message(signable, vrs=(v, r, s)))
    except Exception:  # malformed point or document: ecrecover yields address(0)
        return None


def signed_by(document: TypedData, signature: bytes, expected: str) -> bool:
    recovered = recover_signer(document, signature)
    return recovered is not None and recovered.lower() == expected.lower()


def transfer_with_authorization(
    *,
    chain_id: int,
    token: str,
    token_name: str,
    token_version: str,
    message: dict[str, Any],
) -> TypedData:
    """EIP-3009 TransferWithAuthorization as USDC's FiatTokenV2 hashes it."""
    domain = {
        "name": token_name,
        "version": token_version,
        "chainId": chain_id,
        "verifyingContract": checksum(token),
    }
    return typed_data(domain, AUTHORIZATION_TYPES, "TransferWithAuthorization", message)


def permit_witness_transfer_from(
    *,
    chain_id: int,
    witness_types: dict[str, list[dict[str, str]]],
    message: dict[str, Any],
) -> TypedData:
    """Permit2's PermitWitnessTransferFrom with the proxy's witness type."""
    domain = {"name": "Permit2", "chainId": chain_id, "verifyingContract": PERMIT2_ADDRESS}
    return typed_data(domain, witness_types, "PermitWitnessTransferFrom", message)
