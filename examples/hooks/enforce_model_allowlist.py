"""onRequest: refuse models you do not resell, before any price or payment.

hooks:
  onRequest: hooks/enforce_model_allowlist.py
"""

from farebox import HookContext, Reject

ALLOWED = {"gpt-4o", "gpt-4o-mini", "ft:gpt-4o:acme-support-v2"}


def hook(ctx: HookContext) -> Reject | None:
    body = ctx.request.json or {}
    model = body.get("model")
    if not model or model not in ALLOWED:
        return Reject(400, "Unsupported model")
    return None
