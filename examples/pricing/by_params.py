"""Parameter-based pricing with clamped ranges: a video stream priced per minute.

    "GET /stream/:assetId":
      upstream: media
      price: {fn: pricing/by_params.py}

GET /stream/abc?minutes=30&quality=hd costs 30 x $0.003 = $0.09. Minutes are
clamped to 1-240 and unknown or missing values fall back to safe defaults, so
no query string can make the price zero, negative or unbounded.
"""

from decimal import Decimal

from farebox import HookRequest

PER_MINUTE = {"sd": Decimal("0.001"), "hd": Decimal("0.003"), "4k": Decimal("0.008")}
DEFAULT_QUALITY = "hd"
MIN_MINUTES, MAX_MINUTES, DEFAULT_MINUTES = 1, 240, 1


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def minutes(text: str | None) -> int:
    try:
        return clamp(int(text or ""), MIN_MINUTES, MAX_MINUTES)
    except ValueError:
        return DEFAULT_MINUTES


def price(req: HookRequest) -> Decimal:
    quality = req.query.get("quality", DEFAULT_QUALITY).lower()
    rate = PER_MINUTE.get(quality, PER_MINUTE[DEFAULT_QUALITY])
    return rate * minutes(req.query.get("minutes"))
