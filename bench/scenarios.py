"""The HTTP scenarios: what is loaded, through which server, and which status is right.

A scenario names its server by role; run.py starts one process per role used.
Gateway roles differ only in the facilitator client (see services/gateway.py).
Each scenario also says how many facilitator calls one 200 must cost, which
run.py checks against the stub's counters.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.services.gateway import FREE_PATH, PAID_AFTER_PATH, PAID_PATH

UPSTREAM = "upstream"
GATEWAY_CLIENTS = {"gateway": "own", "gateway-sdk": "sdk", "gateway-ledger": "own-ledger"}


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str  # may name the facilitator client: "{client}" is filled in from the gateway
    server: str  # UPSTREAM or a key of GATEWAY_CLIENTS
    path: str
    expect: int
    paid: bool = False  # every request carries its own PAYMENT-SIGNATURE
    verifies: int = 0  # facilitator /verify calls per 200
    settles: int = 0  # facilitator /settle calls per 200


BASELINE = "a"
ISSUANCE = "c"  # the paid route without payment: the ceiling for every paid scenario


def paid(key: str, title: str, server: str, path: str, *, verifies: int) -> Scenario:
    return Scenario(key, title, server, path, 200, paid=True, verifies=verifies, settles=1)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("a", "upstream, direct", UPSTREAM, "/v1/chat/completions", 200),
    Scenario("b", "free route via gateway", "gateway", FREE_PATH, 200),
    Scenario("c", "402 issuance (paid route, no payment)", "gateway", PAID_PATH, 402),
    # before-response: the facilitator verifies as it settles, so one round trip.
    paid("d", "paid, before-response: settle ({client})", "gateway", PAID_PATH, verifies=0),
    paid(
        "e",
        "paid, after-response: verify + settle ({client})",
        "gateway",
        PAID_AFTER_PATH,
        verifies=1,
    ),
    # (d) with the SDK's httpx client swapped in: the measured reason for HttpFacilitator.
    paid("f", "paid, before-response: settle (SDK {client})", "gateway-sdk", PAID_PATH, verifies=0),
    # (d) with the ledger and metrics on: one queued ledger row per request.
    paid(
        "g",
        "paid, before-response + SQLite ledger + metrics",
        "gateway-ledger",
        PAID_PATH,
        verifies=0,
    ),
    # (e) with them on: a durable pending row (group-committed), then a queued final row.
    paid(
        "h",
        "paid, after-response + SQLite ledger + metrics",
        "gateway-ledger",
        PAID_AFTER_PATH,
        verifies=1,
    ),
)


def select(keys: str) -> list[Scenario]:
    """The scenarios named by their letters ("acd"), always with the baseline first."""
    unknown = set(keys) - {s.key for s in SCENARIOS}
    if unknown:
        known = "".join(s.key for s in SCENARIOS)
        raise ValueError(f"no scenario {', '.join(sorted(unknown))}; choose letters from {known}")
    return [s for s in SCENARIOS if s.key in keys or s.key == BASELINE]
