"""The HTTP scenarios: what is loaded, through which server, and which status is right.

A scenario names its server by role; run.py starts one process per role used.
Gateway roles differ only in the facilitator client (see services/gateway.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.services.gateway import FREE_PATH, PAID_PATH

UPSTREAM = "upstream"
GATEWAY_CLIENTS = {
    "gateway": "own",
    "gateway-sdk": "sdk",
    "gateway-aiohttp": "aiohttp",
    "gateway-sdk-aiohttp": "sdk-aiohttp",
}


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str  # may name the facilitator client: "{client}" is filled in from the gateway
    server: str  # UPSTREAM or a key of GATEWAY_CLIENTS
    path: str
    expect: int
    paid: bool = False  # every request carries its own PAYMENT-SIGNATURE


BASELINE = "a"
ISSUANCE = "c"  # the paid route without payment: the ceiling for every paid scenario


def paid(key: str, title: str, server: str) -> Scenario:
    return Scenario(key, title, server, PAID_PATH, 200, paid=True)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("a", "upstream, direct", UPSTREAM, "/v1/chat/completions", 200),
    Scenario("b", "free route via gateway", "gateway", FREE_PATH, 200),
    Scenario("c", "402 issuance (paid route, no payment)", "gateway", PAID_PATH, 402),
    paid("d", "paid, gateway as built ({client})", "gateway"),
    paid("e", "paid, SDK HTTPFacilitatorClient (httpx)", "gateway-sdk"),
    paid("f", "paid, bench AiohttpFacilitatorClient", "gateway-aiohttp"),
    paid("g", "paid, SDK client on bench aiohttp transport", "gateway-sdk-aiohttp"),
)


def select(keys: str) -> list[Scenario]:
    """The scenarios named by their letters ("acd"), always with the baseline first."""
    unknown = set(keys) - {s.key for s in SCENARIOS}
    if unknown:
        known = "".join(s.key for s in SCENARIOS)
        raise ValueError(f"no scenario {', '.join(sorted(unknown))}; choose letters from {known}")
    return [s for s in SCENARIOS if s.key in keys or s.key == BASELINE]
