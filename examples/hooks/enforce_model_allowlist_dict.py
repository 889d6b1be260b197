"""onRequest, the plain-dict way: the same allowlist without importing farebox.

routes:
  "POST /v1/chat/completions":
    hooks:
      onRequest: hooks/enforce_model_allowlist_dict.py
"""

from typing import Any

ALLOWED = {"gpt-4o", "gpt-4o-mini", "ft:gpt-4o:acme-support-v2"}


def hook(ctx: Any) -> dict[str, Any] | None:
    body = ctx.request.json
    model = body.get("model") if isinstance(body, dict) else None
    if model not in ALLOWED:
        return {"reject": True, "status": 400, "body": "Unsupported model"}
    return None
