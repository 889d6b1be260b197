"""Network names: friendly names from the tollbooth format, CAIP-2 IDs on the wire."""

from __future__ import annotations

FRIENDLY_NETWORKS: dict[str, str] = {
    "base": "eip155:8453",
    "base-sepolia": "eip155:84532",
}

SUPPORTED_NETWORKS = frozenset(FRIENDLY_NETWORKS.values())


def to_caip2(name: str) -> str:
    """Map "base" / "base-sepolia" / "eip155:8453" to a supported CAIP-2 ID."""
    caip = FRIENDLY_NETWORKS.get(name, name)
    if caip not in SUPPORTED_NETWORKS:
        choices = ", ".join(f'"{n}"' for n in [*FRIENDLY_NETWORKS, *sorted(SUPPORTED_NETWORKS)])
        raise ValueError(f'"{name}" is not a supported network; use one of {choices}')
    return caip
