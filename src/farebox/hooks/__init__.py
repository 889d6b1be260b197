"""Operator hooks and pricing functions: Python files named in the config.

Hook authors need only the types (also exported from `farebox` itself):

    from farebox import HookContext, Reject

The gateway uses the rest: CodeLoader and load_hooks at startup (file
problems are HookLoadError), HookSet.run_* per request (failures are
HookFailed, a 500), FunctionPricer for `price: {fn: ...}` routes.
See docs/hooks.md for the hook author's reference.
"""

from farebox.hooks.context import (
    hook_payment,
    hook_quote,
    hook_request,
    hook_response,
    hook_route,
    parse_json,
)
from farebox.hooks.hookset import HookSet, load_hooks
from farebox.hooks.loader import HOOK_NAMES, CodeLoader, Hook, HookLoadError, load_hook_file
from farebox.hooks.pricing_fn import (
    FN_SOURCE,
    FunctionPricer,
    call_pricing_function,
    load_pricing_function,
)
from farebox.hooks.rendering import Rejected, apply_override, render_reject
from farebox.hooks.results import (
    DEFAULT_MAX_PRICE,
    BadHookResult,
    dollars_to_price,
    interpret_price,
    interpret_reject,
    interpret_response,
)
from farebox.hooks.runner import (
    DEFAULT_HOOK_TIMEOUT,
    HookFailed,
    HookThreads,
    PricingFunctionError,
    run_hook,
)
from farebox.hooks.types import (
    HookContext,
    HookPayment,
    HookQuote,
    HookRequest,
    HookResponse,
    HookRoute,
    PriceOverride,
    Reject,
    ResponseOverride,
)

__all__ = [
    "DEFAULT_HOOK_TIMEOUT",
    "DEFAULT_MAX_PRICE",
    "FN_SOURCE",
    "HOOK_NAMES",
    "BadHookResult",
    "CodeLoader",
    "FunctionPricer",
    "Hook",
    "HookContext",
    "HookFailed",
    "HookLoadError",
    "HookPayment",
    "HookQuote",
    "HookRequest",
    "HookResponse",
    "HookRoute",
    "HookSet",
    "HookThreads",
    "PriceOverride",
    "PricingFunctionError",
    "Reject",
    "Rejected",
    "ResponseOverride",
    "apply_override",
    "call_pricing_function",
    "dollars_to_price",
    "hook_payment",
    "hook_quote",
    "hook_request",
    "hook_response",
    "hook_route",
    "interpret_price",
    "interpret_reject",
    "interpret_response",
    "load_hook_file",
    "load_hooks",
    "load_pricing_function",
    "parse_json",
    "render_reject",
    "run_hook",
]
