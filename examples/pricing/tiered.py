"""Tiered pricing: each further block of a batch is cheaper than the one before.

    "POST /v1/embeddings/batch":
      upstream: embeddings
      price: {fn: pricing/tiered.py}

{"input": [...150 texts...]} costs 100 x $0.0005 + 50 x $0.0003 = $0.065.
An empty batch costs the minimum, $0.001. `price` may be async, like here:
farebox awaits it (with the same time limit as a sync one).
"""

from decimal import Decimal

from farebox import HookRequest

# (items in this tier, price per item); the last tier has no end.
TIERS: list[tuple[int | None, Decimal]] = [
    (100, Decimal("0.0005")),
    (900, Decimal("0.0003")),
    (None, Decimal("0.0001")),
]
MINIMUM = Decimal("0.001")


def batch_size(body: object) -> int:
    items = body.get("input") if isinstance(body, dict) else None
    if isinstance(items, str):
        return 1
    return len(items) if isinstance(items, list) else 0


def tiered_total(units: int) -> Decimal:
    total = Decimal(0)
    for size, rate in TIERS:
        in_tier = units if size is None else min(units, size)
        total += in_tier * rate
        units -= in_tier
        if units == 0:
            break
    return total


async def price(req: HookRequest) -> Decimal:
    return max(MINIMUM, tiered_total(batch_size(req.json)))
