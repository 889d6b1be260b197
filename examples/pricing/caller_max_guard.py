"""A guard: refuse a job that would cost more than the caller said it will pay.

    "POST /video/render":
      upstream: video
      price: {fn: pricing/caller_max_guard.py}

The caller may send `X-Max-Price: $0.50`; a render priced above it is refused
with a 400 (and no payment) instead of a 402 the caller would not accept.
"""

from decimal import Decimal, InvalidOperation

from farebox import HookRequest, Reject

PER_MINUTE = Decimal("0.03")
MAX_MINUTES = 120


def render_minutes(body: object) -> int:
    seconds = body.get("durationSeconds", 60) if isinstance(body, dict) else 60
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        seconds = 60
    return min(MAX_MINUTES, -(-int(seconds) // 60))  # whole minutes, rounded up


def caller_max(header: str | None) -> Decimal | None:
    if header is None:
        return None
    try:
        value = Decimal(header.strip().removeprefix("$"))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def price(req: HookRequest) -> Decimal | Reject:
    cost = PER_MINUTE * render_minutes(req.json)
    limit = caller_max(req.header("x-max-price"))
    if limit is not None and cost > limit:
        return Reject(400, f"this render costs ${cost}, above your X-Max-Price of ${limit}")
    return cost
