"""Body-based pricing: an image API priced by the JSON request body.

    "POST /v1/images/generations":
      upstream: openai
      price: {fn: pricing/by_body.py}

{"n": 2, "size": "1024x1024", "quality": "hd"} costs 2 x $0.04 x 2 = $0.16.
Missing or odd fields fall back to defaults instead of failing; `n` is
clamped to 1-10. A body that is not a JSON object is refused with a 400.
"""

from decimal import Decimal
from typing import Any

from farebox import HookRequest, PricingError

PER_IMAGE = {"256x256": Decimal("0.016"), "512x512": Decimal("0.018"), "1024x1024": Decimal("0.04")}
DEFAULT_SIZE = "1024x1024"
HD_MULTIPLIER = Decimal(2)
MAX_IMAGES = 10


def count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 1
    return max(1, min(value, MAX_IMAGES))


def price(req: HookRequest) -> Decimal:
    body = req.json
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise PricingError('send a JSON object like {"prompt": "...", "n": 1}')
    rate = PER_IMAGE.get(str(body.get("size", DEFAULT_SIZE)), PER_IMAGE[DEFAULT_SIZE])
    if body.get("quality") == "hd":
        rate *= HD_MULTIPLIER
    return rate * count(body.get("n", 1))
