"""Calling operator code safely: a time limit, a thread for sync code, fail closed.

A hook or pricing function that raises or runs past its time limit ends the
request with a 500 naming it (HookFailed is a GatewayError), before any money
moves; the traceback goes to the log, never to the caller.

Sync functions run in worker threads so a slow one cannot stall the event
loop. Python cannot stop a thread: a sync function past its limit is
abandoned (the request has its 500) and finishes on its own in the background.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
from concurrent.futures import ThreadPoolExecutor

from farebox.errors import GatewayError
from farebox.hooks.loader import Hook

log = logging.getLogger("farebox.hooks")

DEFAULT_HOOK_TIMEOUT = 5.0
"""Seconds a hook or pricing function may run before the request fails closed."""

DEFAULT_HOOK_THREADS = 16
"""Worker threads for sync hooks (per HookThreads, one per app)."""

_MAX_DETAIL = 300  # characters of an exception message shown to the caller


class HookFailed(GatewayError):
    """A hook raised, timed out, or returned something unusable: the request gets a 500.

    The message (sent as {"error": ...}) names the hook and its file, like
    'hook onRequest (hooks/allow.py) failed: KeyError: 'model''.
    """

    def __init__(self, hook: Hook, reason: str) -> None:
        super().__init__(500, f"{hook.label} {reason}")
        self.hook_name = hook.name
        self.path = hook.source
        self.reason = reason


class PricingFunctionError(HookFailed):
    """A pricing function raised, timed out, or returned something that is not a usable price."""


class HookThreads:
    """The worker threads sync hooks run in, kept apart from the loop's default executor.

    The default executor also resolves upstream host names; a few slow hooks
    must not starve it. Threads start on first use; `close()` at shutdown.
    """

    def __init__(self, max_workers: int = DEFAULT_HOOK_THREADS) -> None:
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="farebox-hook")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


async def run_hook(
    hook: Hook,
    arg: object,
    *,
    timeout: float = DEFAULT_HOOK_TIMEOUT,
    threads: HookThreads | None = None,
    failure: type[HookFailed] = HookFailed,
    passthrough: tuple[type[Exception], ...] = (),
) -> object:
    """Call `hook.fn(arg)` within `timeout` seconds and return what it returned.

    Raises `failure` (logged with its traceback) when the function raises or
    times out; exceptions of a `passthrough` type propagate unchanged.
    """
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            result = await _call(hook, arg, threads)
            if inspect.isawaitable(result):  # a sync callable that returned a coroutine
                result = await result
    except passthrough:
        raise
    except TimeoutError as exc:
        if not deadline.expired():  # the function's own TimeoutError, not ours
            raise _failed(hook, exc, failure) from exc
        log.error("%s timed out after %s", hook.label, seconds(timeout))
        raise failure(hook, f"timed out after {seconds(timeout)}") from None
    except Exception as exc:
        raise _failed(hook, exc, failure) from exc
    return result


async def _call(hook: Hook, arg: object, threads: HookThreads | None) -> object:
    if hook.is_async:
        return await hook.fn(arg)  # type: ignore[misc]  # is_async: fn returns an awaitable
    loop = asyncio.get_running_loop()
    # Same as asyncio.to_thread (context vars included), but on our own threads.
    call = functools.partial(contextvars.copy_context().run, hook.fn, arg)
    return await loop.run_in_executor(threads.executor if threads else None, call)


def _failed(hook: Hook, exc: Exception, failure: type[HookFailed]) -> HookFailed:
    log.error("%s raised", hook.label, exc_info=exc)
    return failure(hook, f"failed: {describe_exception(exc)}")


def describe_exception(exc: BaseException) -> str:
    """'ValueError: bad model', cut short: enough to act on, no traceback."""
    detail = str(exc)
    if len(detail) > _MAX_DETAIL:
        detail = detail[:_MAX_DETAIL] + "..."
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def seconds(value: float) -> str:
    return f"{value:g}s"


__all__ = [
    "DEFAULT_HOOK_THREADS",
    "DEFAULT_HOOK_TIMEOUT",
    "HookFailed",
    "HookThreads",
    "PricingFunctionError",
    "describe_exception",
    "run_hook",
]
