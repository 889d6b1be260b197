"""onResponse: do not charge for a completion with nothing in it.

An OpenAI chat completion with `choices: []`, or an Anthropic message with
`content: []`, answered 200 but generated nothing worth paying for. Needs
`settlement: after-response` (or a metered route), like every refund policy.
"""

from typing import Any

from farebox import HookContext


def is_empty_completion(body: Any) -> bool:
    if not isinstance(body, dict):
        return False  # not JSON (or a stream): nothing to judge here
    # OpenAI chat completions answer `choices`, Anthropic messages `content`.
    return any(body.get(field, None) == [] for field in ("choices", "content"))


def hook(ctx: HookContext) -> dict[str, bool] | None:
    if ctx.response is not None and is_empty_completion(ctx.response.json):
        return {"settle": False}
    return None
