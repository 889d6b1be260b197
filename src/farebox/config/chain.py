"""On-chain values a config names: EVM addresses and the USDC contract of each network."""

from __future__ import annotations

import re

from farebox.networks import FRIENDLY_NETWORKS

_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def check_evm_address(value: object) -> str:
    """An EVM address: 0x + 40 hex digits, with a valid EIP-55 checksum when mixed case."""
    if not isinstance(value, str) or not _EVM_ADDRESS.fullmatch(value):
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        raise ValueError(f"{shown} is not an address; write 0x followed by 40 hex digits")
    digits = value[2:]
    # Mixed case carries a checksum; a wrong one almost always means a typo, and
    # money sent to a mistyped address is gone.
    if digits not in (digits.lower(), digits.upper()) and not _is_checksummed(value):
        raise ValueError(
            f'"{value}" has a wrong checksum (its upper/lower case letters); '
            "check it for a typo, or write it all in lower case"
        )
    return value


def usdc_address(network: str) -> str:
    """The USDC contract on a CAIP-2 network, as the x402 SDK knows it."""
    # Imported here: the SDK's EVM package takes a second to import, and most
    # configs (asset: USDC) never need it; `farebox validate` stays quick.
    from x402.mechanisms.evm.default_assets import get_default_asset

    return str(get_default_asset(network, "USDC")["asset"])


def _is_checksummed(address: str) -> bool:
    from eth_utils.address import is_checksum_address  # imported late, as above

    return bool(is_checksum_address(address))


def friendly_network(network: str) -> str:
    """ "eip155:84532" -> "base-sepolia", for messages that suggest YAML to write."""
    for name, caip in FRIENDLY_NETWORKS.items():
        if caip == network:
            return name
    return network
