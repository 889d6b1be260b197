"""Pricing functions: `price: {fn: "pricing/x.py"}` names a file defining `price(req)`.

`price(req)` (sync or async) receives a HookRequest and returns dollars: a
number, a Decimal or a string like "$0.02". It may also refuse the request:
return a Reject, or raise farebox.PricingError("why") for a 400 with that
message. Anything else fails closed with a 500 naming the file: raising,
running past the time limit, returning None, a non-number, a negative, NaN
or more than the route's maxPrice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NoReturn

from farebox.hooks.context import hook_request
from farebox.hooks.loader import PRICE, CodeLoader, Hook
from farebox.hooks.rendering import Rejected
from farebox.hooks.results import (
    DEFAULT_MAX_PRICE,
    BadHookResult,
    dollars_to_price,
    interpret_reject,
    is_reject,
    shown,
)
from farebox.hooks.runner import DEFAULT_HOOK_TIMEOUT, HookThreads, PricingFunctionError, run_hook
from farebox.hooks.types import HookRequest
from farebox.pricing.quote import PricingError, Quote, RequestFacts

FN_SOURCE = "fn"
"""Quote.source of a price set by a pricing function."""

_FORMS = 'a price in dollars, like 0.01, Decimal("0.01") or "$0.01" (or Reject(...) to refuse)'


def load_pricing_function(source: object, *, loader: CodeLoader, where: str) -> Hook:
    """The `price(req)` of the file `source` (relative to the loader's folder)."""
    return loader.load(source, where=where, name=PRICE, attr="price", arg="req")


async def call_pricing_function(
    fn: Hook,
    req: HookRequest,
    *,
    max_price: int = DEFAULT_MAX_PRICE,
    timeout: float = DEFAULT_HOOK_TIMEOUT,
    threads: HookThreads | None = None,
) -> int:
    """The price of `req` in atomic units.

    Raises PricingError (400) when the function raised one, Rejected when it
    returned a Reject, and PricingFunctionError (500) for everything else.
    """
    result = await run_hook(
        fn,
        req,
        timeout=timeout,
        threads=threads,
        failure=PricingFunctionError,
        passthrough=(PricingError,),
    )
    try:
        if is_reject(result):
            reject = interpret_reject(result)
            if reject is not None:
                raise Rejected(reject)
            _unusable(fn, BadHookResult('{"reject": False} is not a price; return ' + _FORMS))
        if isinstance(result, bool) or not isinstance(result, int | float | str | Decimal):
            raise BadHookResult(f"{shown(result)} is not a price; return {_FORMS}")
        return dollars_to_price(result, max_price=max_price)
    except BadHookResult as exc:
        _unusable(fn, exc)


def _unusable(fn: Hook, exc: BadHookResult) -> NoReturn:
    raise PricingFunctionError(fn, f"returned an unusable price: {exc}") from None


class FunctionPricer:
    """A route priced by a pricing function. Async: the gateway awaits quote_async()."""

    needs_body = True  # the function may look at the body, so farebox reads it

    def __init__(
        self,
        fn: Hook,
        *,
        max_price: int = DEFAULT_MAX_PRICE,
        timeout: float = DEFAULT_HOOK_TIMEOUT,
        threads: HookThreads | None = None,
    ) -> None:
        self.fn = fn
        self.max_price = max_price
        self.timeout = timeout
        self.threads = threads

    async def quote_async(self, facts: RequestFacts) -> Quote:
        amount = await call_pricing_function(
            self.fn,
            hook_request(facts),
            max_price=self.max_price,
            timeout=self.timeout,
            threads=self.threads,
        )
        return Quote(amount=amount, source=FN_SOURCE)

    def quote(self, facts: RequestFacts) -> Quote:
        raise TypeError(f"{self.fn.label} is priced asynchronously; await quote_async(facts)")


__all__ = [
    "DEFAULT_MAX_PRICE",
    "FN_SOURCE",
    "FunctionPricer",
    "PricingFunctionError",
    "call_pricing_function",
    "load_pricing_function",
]
