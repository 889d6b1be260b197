"""Solidity ABI plumbing for the local chain: selectors, calldata, return data, reverts.

Calls reach the local contracts as real calldata (the SDK's own encoder builds it),
so a malformed argument fails here exactly where it would fail against a node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

AbiEntry = dict[str, Any]

_ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]


class ContractRevert(Exception):
    """A local contract call reverted; the message reads like a node's revert error.

    The SDK classifies failures by substrings of the message ("execution reverted",
    "authorization is used", "InvalidNonce", ...), so the wording is the interface.
    """

    def __init__(self, reason: str, data: bytes = b"") -> None:
        super().__init__(f"execution reverted: {reason}" if reason else "execution reverted")
        self.reason = reason
        self.data = data


def revert(reason: str) -> ContractRevert:
    """A `require(..., reason)` failure, encoded as Solidity's Error(string)."""
    return ContractRevert(reason, _ERROR_STRING_SELECTOR + encode(["string"], [reason]))


def custom_error(
    name: str, types: tuple[str, ...] = (), values: tuple[Any, ...] = ()
) -> ContractRevert:
    """A Solidity custom error such as `InvalidNonce()`, with its ABI-encoded revert data."""
    signature = f"{name}({','.join(types)})"
    data = keccak(text=signature)[:4] + encode(list(types), list(values))
    shown = ", ".join(str(v) for v in values)
    return ContractRevert(f"{name}({shown})", data)


def canonical_type(item: AbiEntry) -> str:
    """The type as it appears in a function signature: tuples become "(a,b)"."""
    kind: str = item["type"]
    if not kind.startswith("tuple"):
        return kind
    inner = ",".join(canonical_type(component) for component in item["components"])
    return f"({inner}){kind[len('tuple') :]}"


def input_types(entry: AbiEntry) -> list[str]:
    return [canonical_type(item) for item in entry.get("inputs", [])]


def output_types(entry: AbiEntry) -> list[str]:
    return [canonical_type(item) for item in entry.get("outputs", [])]


def selector(entry: AbiEntry) -> bytes:
    return keccak(text=f"{entry['name']}({','.join(input_types(entry))})")[:4]


def function_entry(abi: list[AbiEntry], name: str) -> AbiEntry:
    for entry in abi:
        if entry.get("type") == "function" and entry.get("name") == name:
            return entry
    raise ValueError(f"function {name!r} is not in the ABI given")


def decode_result(entry: AbiEntry, data: bytes) -> Any:
    """Return data as web3 would hand it back: None, a single value, or a list."""
    types = output_types(entry)
    if not types:
        return None
    values = decode(types, data)
    return values[0] if len(values) == 1 else list(values)


def encode_result(entry: AbiEntry, value: Any) -> bytes:
    types = output_types(entry)
    if not types:
        return b""
    return encode(types, [value] if len(types) == 1 else list(value))


def checksum(address: str) -> str:
    return str(to_checksum_address(address))


def address_topic(address: str) -> str:
    return "0x" + "00" * 12 + address.lower().removeprefix("0x")


def event_topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


@dataclass(frozen=True)
class Function:
    """One callable function of a local contract."""

    entry: AbiEntry
    handler: Any  # Callable[[Call, *decoded args], result]

    @property
    def name(self) -> str:
        return str(self.entry["name"])
