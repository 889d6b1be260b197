"""onResponse: do not charge when the upstream answered 429 (rate limited).

The caller gets the upstream's 429 as is and keeps its money. Use it on a
route with `settlement: after-response` (or a metered `upto` route): on a
before-response route the payment has settled before the upstream answers.
"""

from farebox import HookContext, ResponseOverride

TOO_MANY_REQUESTS = 429


def hook(ctx: HookContext) -> ResponseOverride | None:
    if ctx.response is not None and ctx.response.status == TOO_MANY_REQUESTS:
        return ResponseOverride(settle=False)
    return None
