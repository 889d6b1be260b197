"""farebox: a pay-per-request x402 gateway for LLM APIs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from farebox.pricing.quote import PricingError

# What hook and pricing-function authors import (`from farebox import HookContext, Reject`).
# Loaded on first use, so `import farebox` stays cheap and no import cycle can start here.
_EXPORTS = {
    "HookContext": "farebox.hooks.types",
    "HookPayment": "farebox.hooks.types",
    "HookQuote": "farebox.hooks.types",
    "HookRequest": "farebox.hooks.types",
    "HookResponse": "farebox.hooks.types",
    "HookRoute": "farebox.hooks.types",
    "PriceOverride": "farebox.hooks.types",
    "Reject": "farebox.hooks.types",
    "ResponseOverride": "farebox.hooks.types",
    "PricingError": "farebox.pricing.quote",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'farebox' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "HookContext",
    "HookPayment",
    "HookQuote",
    "HookRequest",
    "HookResponse",
    "HookRoute",
    "PriceOverride",
    "PricingError",
    "Reject",
    "ResponseOverride",
]
