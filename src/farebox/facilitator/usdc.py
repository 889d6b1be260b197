"""Local USDC: the slice of Circle's FiatTokenV2 that x402 uses.

balanceOf / name / version / allowance / authorizationState views and EIP-3009
transferWithAuthorization in both overloads (v, r, s and packed bytes), with the
same checks in the same order and the same revert strings as the real token, so
the SDK maps every failure to its own reason code.

Allowance to Permit2 is unlimited: on the local ledger every payer is treated as
having done the one-time `approve(Permit2, max)` that Permit2 payments need.
"""

from __future__ import annotations

from typing import Any

from x402.mechanisms.evm.constants import (
    AUTHORIZATION_STATE_ABI,
    BALANCE_OF_ABI,
    ERC20_ALLOWANCE_ABI,
    NAME_ABI,
    PERMIT2_ADDRESS,
    TRANSFER_WITH_AUTHORIZATION_BYTES_ABI,
    TRANSFER_WITH_AUTHORIZATION_VRS_ABI,
    VERSION_ABI,
)
from x402.mechanisms.evm.exact.eip3009_utils import ERC20_TRANSFER_EVENT_TOPIC

from . import eip712
from .abi import address_topic, checksum, event_topic, revert
from .evm import ZERO_ADDRESS, Call, Contract
from .ledger import MAX_UINT256

_AUTHORIZATION_USED_TOPIC = event_topic("AuthorizationUsed(address,bytes32)")

_VIEW_ABI = [
    {
        "type": "function",
        "name": name,
        "inputs": [],
        "outputs": [{"name": "", "type": kind}],
        "stateMutability": "view",
    }
    for name, kind in (("decimals", "uint8"), ("symbol", "string"))
]


class LocalUsdc(Contract):
    """Test USDC whose balances live in the ledger."""

    def __init__(self, address: str, name: str, version: str, symbol: str, decimals: int) -> None:
        super().__init__(address)
        self.name, self.version, self.symbol, self.decimals = name, version, symbol, decimals
        self.expose(NAME_ABI, "name", lambda call: self.name)
        self.expose(VERSION_ABI, "version", lambda call: self.version)
        self.expose(_VIEW_ABI, "symbol", lambda call: self.symbol)
        self.expose(_VIEW_ABI, "decimals", lambda call: self.decimals)
        self.expose(BALANCE_OF_ABI, "balanceOf", self.balance_of)
        self.expose(ERC20_ALLOWANCE_ABI, "allowance", self.allowance)
        self.expose(AUTHORIZATION_STATE_ABI, "authorizationState", self.authorization_state)
        self.expose(TRANSFER_WITH_AUTHORIZATION_VRS_ABI, "transferWithAuthorization", self._twa_vrs)
        self.expose(
            TRANSFER_WITH_AUTHORIZATION_BYTES_ABI, "transferWithAuthorization", self._twa_bytes
        )

    # -- views ----------------------------------------------------------------------

    def balance_of(self, call: Call, account: str) -> int:
        return call.view.balance(account)

    def allowance(self, call: Call, owner: str, spender: str) -> int:
        return MAX_UINT256 if checksum(spender) == PERMIT2_ADDRESS else 0

    def authorization_state(self, call: Call, authorizer: str, nonce: bytes) -> bool:
        return call.view.authorization_used(self.address, authorizer, nonce)

    # -- EIP-3009 -------------------------------------------------------------------

    def _twa_vrs(self, call: Call, *args: Any) -> None:
        *fields, v, r, s = args
        self.transfer_with_authorization(call, *fields, signature=r + s + bytes([v]))

    def _twa_bytes(self, call: Call, *args: Any) -> None:
        *fields, signature = args
        self.transfer_with_authorization(call, *fields, signature=signature)

    def transfer_with_authorization(
        self,
        call: Call,
        sender: str,
        to: str,
        value: int,
        valid_after: int,
        valid_before: int,
        nonce: bytes,
        *,
        signature: bytes,
    ) -> None:
        if call.now <= valid_after:
            raise revert("FiatTokenV2: authorization is not yet valid")
        if call.now >= valid_before:
            raise revert("FiatTokenV2: authorization is expired")
        if call.view.authorization_used(self.address, sender, nonce):
            raise revert("FiatTokenV2: authorization is used or canceled")
        document = eip712.transfer_with_authorization(
            chain_id=call.chain_id,
            token=self.address,
            token_name=self.name,
            token_version=self.version,
            message={
                "from": checksum(sender),
                "to": checksum(to),
                "value": value,
                "validAfter": valid_after,
                "validBefore": valid_before,
                "nonce": "0x" + nonce.hex(),
            },
        )
        if not eip712.signed_by(document, signature, sender):
            raise revert("FiatTokenV2: invalid signature")
        if not call.view.use_authorization(self.address, sender, nonce):
            raise revert("FiatTokenV2: authorization is used or canceled")
        call.emit(
            self.address, [_AUTHORIZATION_USED_TOPIC, address_topic(sender), "0x" + nonce.hex()]
        )
        self._transfer(call, sender, to, value)

    # -- ERC-20 movement --------------------------------------------------------------

    def transfer_from(self, call: Call, owner: str, to: str, amount: int) -> None:
        """transferFrom by `call.sender` (Permit2 is the only spender with an allowance)."""
        if self.allowance(call, owner, call.sender) < amount:
            raise revert("ERC20: transfer amount exceeds allowance")
        self._transfer(call, owner, to, amount)

    def _transfer(self, call: Call, sender: str, to: str, amount: int) -> None:
        if checksum(to) == ZERO_ADDRESS:
            raise revert("ERC20: transfer to the zero address")
        if call.view.balance(sender) < amount:
            raise revert("ERC20: transfer amount exceeds balance")
        call.view.debit(sender, amount)
        call.view.credit(to, amount)
        call.emit(
            self.address,
            [ERC20_TRANSFER_EVENT_TOPIC, address_topic(sender), address_topic(to)],
            amount.to_bytes(32, "big"),
        )
