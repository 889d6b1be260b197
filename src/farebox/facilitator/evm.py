"""A minimal EVM-shaped execution model: message calls into Python contracts.

Contracts receive decoded arguments and a `Call` (msg.sender, block.timestamp, the open
ledger transaction, the log sink). A failed `require` raises `ContractRevert`; the caller
rolls the ledger back, so a reverted call leaves no trace, as on chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from eth_abi.abi import decode

from .abi import (
    AbiEntry,
    ContractRevert,
    Function,
    checksum,
    encode_result,
    function_entry,
    input_types,
    revert,
    selector,
)
from .ledger import LedgerView

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass
class Call:
    """The environment of one message call."""

    view: LedgerView
    chain_id: int
    sender: str
    now: int
    logs: list[dict[str, Any]] = field(default_factory=list)

    def from_contract(self, address: str) -> Call:
        """The environment of a nested call made by the contract at `address`."""
        return replace(self, sender=address)

    def emit(self, address: str, topics: list[str], data: bytes = b"") -> None:
        self.logs.append({"address": address, "topics": topics, "data": "0x" + data.hex()})


class Contract:
    """A contract at a fixed address whose functions are Python methods."""

    def __init__(self, address: str) -> None:
        self.address = checksum(address)
        self._functions: dict[bytes, Function] = {}

    def expose(self, abi: list[AbiEntry], name: str, handler: Callable[..., Any]) -> None:
        entry = function_entry(abi, name)
        self._functions[selector(entry)] = Function(entry, handler)

    def execute(self, call: Call, calldata: bytes) -> bytes:
        function = self._functions.get(calldata[:4])
        if function is None:
            raise revert(
                f"{type(self).__name__} at {self.address} has no function with selector "
                f"0x{calldata[:4].hex()} (the local ledger implements only what x402 calls)"
            )
        try:
            args = decode(input_types(function.entry), calldata[4:])
        except Exception as exc:
            raise ContractRevert(f"calldata for {function.name} does not decode: {exc}") from exc
        return encode_result(function.entry, function.handler(call, *args))
