"""Caps and floors: a data export priced per row, never below $0.002 nor above $0.25.

    "GET /reports/export":
      upstream: analytics
      price: {fn: pricing/caps_and_floors.py}

?rows=5000 costs 5000 x $0.00002 = $0.10; ?rows=1 costs the $0.002 floor and
?rows=10000000 the $0.25 cap. The cap is the operator's promise to callers;
maxPrice (default $10) stays the backstop against a bug.
"""

from decimal import Decimal

from farebox import HookRequest

PER_ROW = Decimal("0.00002")
FLOOR = Decimal("0.002")
CAP = Decimal("0.25")
DEFAULT_ROWS = 1000


def rows(text: str | None) -> int:
    try:
        value = int(text or DEFAULT_ROWS)
    except ValueError:
        return DEFAULT_ROWS
    return value if value > 0 else DEFAULT_ROWS


def price(req: HookRequest) -> Decimal:
    raw = PER_ROW * rows(req.query.get("rows"))
    return min(CAP, max(FLOOR, raw))
