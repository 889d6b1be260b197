"""A route's hooks, and one method per lifecycle point for the gateway to call.

    hooks = load_hooks(config_hooks, route_hooks, loader=loader, route_where=...)
    reject = await hooks.run_on_request(ctx)            # Reject | None
    change = await hooks.run_on_price_resolved(ctx)     # Reject | int (new price) | None
    override = await hooks.run_on_response(ctx)         # ResponseOverride | None
    await hooks.run_on_settled(ctx); await hooks.run_on_error(ctx)   # observers

Deciding hooks (onRequest, onPriceResolved, onResponse) fail closed: a raise,
a timeout or an unusable return value is a HookFailed (500, nothing settled).
Observers (onSettled, onError) run after the outcome is decided: money has
moved or the request has failed, so their failures are logged and change
nothing.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TypeVar

from farebox.hooks.loader import HOOK_NAMES, CodeLoader, Hook, HookLoadError
from farebox.hooks.results import (
    DEFAULT_MAX_PRICE,
    BadHookResult,
    interpret_price,
    interpret_reject,
    interpret_response,
    is_reject,
)
from farebox.hooks.runner import DEFAULT_HOOK_TIMEOUT, HookFailed, HookThreads, run_hook
from farebox.hooks.types import HookContext, Reject, ResponseOverride

log = logging.getLogger("farebox.hooks")

T = TypeVar("T")


def _no_hooks() -> Mapping[str, Hook]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class HookSet:
    """The hooks in force on one route (a route's own replace the global ones by name)."""

    hooks: Mapping[str, Hook] = field(default_factory=_no_hooks)
    timeout: float = DEFAULT_HOOK_TIMEOUT
    """Seconds each hook may run."""
    max_price: int = DEFAULT_MAX_PRICE
    """The highest price onPriceResolved may set, in atomic units."""
    threads: HookThreads | None = None
    """Where sync hooks run; None: the event loop's default executor."""

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def get(self, name: str) -> Hook | None:
        return self.hooks.get(name)

    def has(self, name: str) -> bool:
        return name in self.hooks

    async def run_on_request(self, ctx: HookContext) -> Reject | None:
        """Before pricing and payment: a Reject refuses the request, free of charge."""
        hook = self.hooks.get("onRequest")
        if hook is None:
            return None
        result = await self._run(hook, ctx)
        return _interpret(hook, result, interpret_reject)

    async def run_on_price_resolved(self, ctx: HookContext) -> Reject | int | None:
        """After the quote: a Reject, a new price in atomic units, or None (keep the quote)."""
        hook = self.hooks.get("onPriceResolved")
        if hook is None:
            return None
        result = await self._run(hook, ctx)
        if is_reject(result):
            return _interpret(hook, result, interpret_reject)
        return _interpret(hook, result, lambda r: interpret_price(r, max_price=self.max_price))

    async def run_on_response(self, ctx: HookContext) -> ResponseOverride | None:
        """After the upstream answered: changes to the response and/or settle=False."""
        hook = self.hooks.get("onResponse")
        if hook is None:
            return None
        result = await self._run(hook, ctx)
        return _interpret(hook, result, interpret_response)

    async def run_on_settled(self, ctx: HookContext) -> None:
        """After settlement; never raises."""
        await self._observe("onSettled", ctx)

    async def run_on_error(self, ctx: HookContext) -> None:
        """After the upstream or settlement failed; never raises."""
        await self._observe("onError", ctx)

    async def _observe(self, name: str, ctx: HookContext) -> None:
        hook = self.hooks.get(name)
        if hook is None:
            return
        # run_hook logged any failure with its traceback; the outcome is already decided.
        with contextlib.suppress(HookFailed):
            await self._run(hook, ctx)

    async def _run(self, hook: Hook, ctx: HookContext) -> object:
        if ctx.hook != hook.name:
            ctx = replace(ctx, hook=hook.name)
        return await run_hook(hook, ctx, timeout=self.timeout, threads=self.threads)


def _interpret(hook: Hook, result: object, interpret: Callable[[object], T]) -> T:
    try:
        return interpret(result)
    except BadHookResult as exc:
        log.error("%s returned an unusable value: %s", hook.label, exc)
        raise HookFailed(hook, f"returned an unusable value: {exc}") from None


def load_hooks(
    global_hooks: Mapping[str, object] | None,
    route_hooks: Mapping[str, object] | None,
    *,
    loader: CodeLoader,
    route_where: str,
    global_where: str = "hooks",
    timeout: float = DEFAULT_HOOK_TIMEOUT,
    max_price: int = DEFAULT_MAX_PRICE,
    threads: HookThreads | None = None,
) -> HookSet:
    """Load a route's hooks: the global ones, each replaced by the route's own of that name.

    Every named file is loaded (an overridden global hook too, so its errors
    surface); the first unusable one raises HookLoadError.
    """
    merged: dict[str, Hook] = {}
    for where, hooks in ((global_where, global_hooks), (route_where, route_hooks)):
        for name, source in (hooks or {}).items():
            merged[name] = load_one(loader, name, source, f"{where}.{name}")
    return HookSet(MappingProxyType(merged), timeout, max_price, threads)


def load_one(loader: CodeLoader, name: str, source: object, where: str) -> Hook:
    if name not in HOOK_NAMES:
        raise HookLoadError(where, unknown_hook(name))
    return loader.load(source, where=where, name=name, attr="hook", arg="ctx")


def unknown_hook(name: str) -> str:
    close = difflib.get_close_matches(name, HOOK_NAMES, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f'"{name}" is not a hook; {hint}the hooks are {", ".join(HOOK_NAMES)}'


__all__ = ["HookSet", "load_hooks", "load_one", "unknown_hook"]
