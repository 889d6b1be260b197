"""LocalChain: the SDK's FacilitatorEvmSigner, answered by a ledger instead of a node.

One LocalChain is one network. Its contracts sit at their real addresses (the
network's USDC, Permit2, the x402 proxies, Multicall3); everything else is an empty
EOA. `read_contract` is an eth_call (executed, then rolled back), `write_contract` a
transaction (executed and mined into its own block, or raising the revert, as a
node's gas estimation would). Receipts carry the token's real Transfer logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from x402.mechanisms.evm.constants import BALANCE_OF_ABI
from x402.mechanisms.evm.default_assets import get_default_asset
from x402.mechanisms.evm.multicall import encode_contract_call
from x402.mechanisms.evm.types import TransactionReceipt, TypedDataDomain, TypedDataField
from x402.mechanisms.evm.utils import get_evm_chain_id

from farebox.networks import to_caip2

from . import eip712
from .abi import AbiEntry, checksum, decode_result, function_entry
from .evm import ZERO_ADDRESS, Call, Contract
from .ledger import Ledger, LedgerView, normalize_address
from .multicall import LocalMulticall3
from .permit2 import LocalExactPermit2Proxy, LocalPermit2, LocalUptoPermit2Proxy
from .usdc import LocalUsdc

# Any non-empty bytecode tells the SDK "this is a contract"; the logic is the Python.
_CONTRACT_CODE = bytes.fromhex("6080604052")
TX_STATUS_SUCCESS = 1


class LocalChain:
    """FacilitatorEvmSigner for one network of the local ledger."""

    def __init__(
        self,
        ledger: Ledger,
        network: str,
        facilitator_address: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.network = to_caip2(network)
        self.chain_id = get_evm_chain_id(self.network)
        self.facilitator_address = normalize_address(facilitator_address)
        self.clock = clock
        asset = get_default_asset(self.network)
        self.usdc = LocalUsdc(
            asset["asset"], asset["name"], asset["version"], asset["symbol"], asset["decimals"]
        )
        permit2 = LocalPermit2(self._token_at)
        contracts: list[Contract] = [
            self.usdc,
            permit2,
            LocalExactPermit2Proxy(permit2),
            LocalUptoPermit2Proxy(permit2),
            LocalMulticall3(self._dispatch),
        ]
        self._contracts = {contract.address: contract for contract in contracts}

    # -- identity -------------------------------------------------------------------

    def get_addresses(self) -> list[str]:
        return [self.facilitator_address]

    def get_chain_id(self) -> int:
        return self.chain_id

    def get_code(self, address: str) -> bytes:
        return _CONTRACT_CODE if checksum(address) in self._contracts else b""

    def get_balance(self, address: str, token_address: str) -> int:
        if not token_address or checksum(token_address) == ZERO_ADDRESS:
            return 0  # no gas token: the local chain charges no gas
        output = self.read_contract(token_address, BALANCE_OF_ABI, "balanceOf", address)
        return int(output)

    # -- calls and transactions -----------------------------------------------------

    def read_contract(
        self, address: str, abi: list[AbiEntry], function_name: str, *args: Any
    ) -> Any:
        calldata = encode_contract_call(abi, function_name, *args)
        with self.ledger.transaction(self.network, commit=False) as view:
            output = self._dispatch(self._call(view), address, calldata)
        return decode_result(function_entry(abi, function_name), output)

    def write_contract(
        self,
        address: str,
        abi: list[AbiEntry],
        function_name: str,
        *args: Any,
        data_suffix: str | None = None,
    ) -> str:
        calldata = encode_contract_call(abi, function_name, *args)
        suffix = bytes.fromhex(data_suffix.removeprefix("0x")) if data_suffix else b""
        return self._transact(address, calldata, suffix)

    def send_transaction(self, to: str, data: bytes) -> str:
        return self._transact(to, data, b"")

    def wait_for_transaction_receipt(self, tx_hash: str) -> TransactionReceipt:
        mined = self.ledger.mined_transaction(tx_hash)
        if mined is None or mined.network != self.network:
            raise LookupError(f"transaction {tx_hash} is not on the local {self.network} ledger")
        return TransactionReceipt(
            status=TX_STATUS_SUCCESS,
            block_number=mined.block_number,
            tx_hash=mined.hash,
            logs=list(mined.logs),
        )

    def verify_typed_data(
        self,
        address: str,
        domain: TypedDataDomain,
        types: dict[str, list[TypedDataField]],
        primary_type: str,
        message: dict[str, Any],
        signature: bytes,
    ) -> bool:
        """EIP-712 recovery for EOAs; no local account has code, so no EIP-1271."""
        if self.get_code(address):
            return False
        document = eip712.typed_data(
            _domain_dict(domain), _types_dict(types), primary_type, _message_dict(message)
        )
        return eip712.signed_by(document, signature, address)

    # -- internals ------------------------------------------------------------------

    def _call(self, view: LedgerView) -> Call:
        return Call(view, self.chain_id, self.facilitator_address, int(self.clock()))

    def _transact(self, to: str, calldata: bytes, suffix: bytes) -> str:
        with self.ledger.transaction(self.network) as view:
            call = self._call(view)
            self._dispatch(call, to, calldata)
            mined = view.mine(self.facilitator_address, checksum(to), calldata + suffix, call.logs)
        return mined.hash

    def _dispatch(self, call: Call, target: str, calldata: bytes) -> bytes:
        contract = self._contracts.get(checksum(target))
        if contract is None:
            return b""  # a call to an address without code succeeds and returns nothing
        return contract.execute(call, calldata)

    def _token_at(self, address: str) -> LocalUsdc | None:
        return self.usdc if checksum(address) == self.usdc.address else None


def _domain_dict(domain: TypedDataDomain | dict[str, Any]) -> dict[str, Any]:
    if isinstance(domain, dict):
        return domain
    fields = {
        "name": domain.name,
        "version": domain.version,
        "chainId": domain.chain_id,
        "verifyingContract": domain.verifying_contract,
    }
    return {key: value for key, value in fields.items() if value}


def _types_dict(types: dict[str, list[Any]]) -> dict[str, list[dict[str, str]]]:
    return {
        name: [
            {"name": f.name, "type": f.type} if isinstance(f, TypedDataField) else dict(f)
            for f in fields
        ]
        for name, fields in types.items()
        if name != "EIP712Domain"
    }


def _message_dict(message: dict[str, Any]) -> dict[str, Any]:
    return {k: "0x" + v.hex() if isinstance(v, bytes) else v for k, v in message.items()}
