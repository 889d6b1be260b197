"""onResponse: charge only for success; any upstream status >= 400 is free.

By default an after-response route already skips settlement on 5xx; this
policy also refunds 4xx answers (a bad request the upstream refused, an
expired upstream key, ...).
"""

from farebox import HookContext, ResponseOverride


def hook(ctx: HookContext) -> ResponseOverride | None:
    if ctx.response is not None and ctx.response.status >= 400:
        return ResponseOverride(settle=False)
    return None
