"""Running hooks: sync in a thread, async awaited, and every failure closed with the hook named."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from pathlib import Path

import pytest

from farebox.errors import GatewayError
from farebox.hooks import HookFailed, HookThreads, PricingFunctionError, run_hook
from farebox.pricing.quote import PricingError

from .support import load

SHORT = 0.05  # bounds how long a test waits for a hook that never finishes; asserts nothing


async def test_a_sync_hook_returns_its_value(tmp_path: Path) -> None:
    hook = load(tmp_path, "h.py", "def hook(ctx):\n    return ('seen', ctx)\n")
    assert await run_hook(hook, 7) == ("seen", 7)


async def test_an_async_hook_is_awaited(tmp_path: Path) -> None:
    hook = load(
        tmp_path,
        "h.py",
        "import asyncio\nasync def hook(ctx):\n    await asyncio.sleep(0)\n    return ctx * 2\n",
    )
    assert await run_hook(hook, 21) == 42


async def test_a_sync_callable_returning_a_coroutine_is_awaited(tmp_path: Path) -> None:
    source = """
    async def check(ctx, suffix):
        return f"{ctx}{suffix}"

    def hook(ctx):
        return check(ctx, "!")
    """
    hook = load(tmp_path, "h.py", source)
    assert not hook.is_async
    assert await run_hook(hook, "ok") == "ok!"


async def test_a_sync_hook_runs_off_the_event_loop(tmp_path: Path) -> None:
    # The hook blocks until the loop sets the event: on the loop itself it would deadlock.
    hook = load(
        tmp_path,
        "h.py",
        "def hook(ctx):\n    ctx['started'].set()\n    return ctx['go'].wait(30)\n",
    )
    started, go = threading.Event(), threading.Event()

    async def release() -> None:
        while not started.is_set():
            await asyncio.sleep(0.001)
        go.set()

    result, _ = await asyncio.gather(
        run_hook(hook, {"started": started, "go": go}, timeout=30), release()
    )
    assert result is True


async def test_sync_hooks_use_the_given_threads_and_see_context_vars(tmp_path: Path) -> None:
    hook = load(
        tmp_path,
        "h.py",
        "import threading\ndef hook(ctx):\n    return threading.current_thread().name, ctx.get()\n",
    )
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    request_id.set("req-1")
    threads = HookThreads(max_workers=2)
    try:
        name, seen = await run_hook(hook, request_id, threads=threads)  # type: ignore[misc]
    finally:
        threads.close()
    assert name.startswith("farebox-hook") and seen == "req-1"


async def test_a_raising_hook_fails_closed_naming_the_hook(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = load(
        tmp_path, "hooks/x.py", "def hook(ctx):\n    raise ValueError('no model in body')\n"
    )
    with (
        caplog.at_level(logging.ERROR, logger="farebox.hooks"),
        pytest.raises(HookFailed) as caught,
    ):
        await run_hook(hook, None)
    error = caught.value
    assert isinstance(error, GatewayError) and error.status == 500
    assert error.message == "hook onRequest (hooks/x.py) failed: ValueError: no model in body"
    assert (error.hook_name, error.path) == ("onRequest", "hooks/x.py")
    # The traceback is logged for the operator (and never part of the message).
    record = next(r for r in caplog.records if r.exc_info)
    assert "hook onRequest (hooks/x.py) raised" in record.getMessage()
    assert "Traceback" not in error.message


async def test_an_async_raising_hook_fails_closed(tmp_path: Path) -> None:
    hook = load(
        tmp_path, "h.py", "async def hook(ctx):\n    return {}['model']\n", hook="onResponse"
    )
    with pytest.raises(HookFailed, match=r"^hook onResponse \(h.py\) failed: KeyError: 'model'$"):
        await run_hook(hook, None)


async def test_a_long_exception_message_is_cut_short(tmp_path: Path) -> None:
    hook = load(tmp_path, "h.py", "def hook(ctx):\n    raise RuntimeError('x' * 5000)\n")
    with pytest.raises(HookFailed) as caught:
        await run_hook(hook, None)
    assert len(caught.value.message) < 400 and caught.value.message.endswith("...")


async def test_an_async_hook_past_its_limit_times_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = load(
        tmp_path,
        "slow.py",
        "import asyncio\nasync def hook(ctx):\n    await asyncio.Event().wait()\n",
    )
    with (
        caplog.at_level(logging.ERROR, logger="farebox.hooks"),
        pytest.raises(HookFailed) as caught,
    ):
        await run_hook(hook, None, timeout=SHORT)
    assert caught.value.message == "hook onRequest (slow.py) timed out after 0.05s"
    assert "timed out" in caplog.text


async def test_a_sync_hook_past_its_limit_times_out_and_is_abandoned(tmp_path: Path) -> None:
    hook = load(tmp_path, "slow.py", "def hook(ctx):\n    ctx.wait(30)\n    return 'late'\n")
    release = threading.Event()
    threads = HookThreads(max_workers=1)
    try:
        with pytest.raises(HookFailed, match=r"timed out after 0.05s$"):
            await run_hook(hook, release, timeout=SHORT, threads=threads)
    finally:
        release.set()
        threads.close()


async def test_a_hooks_own_timeout_error_is_a_failure_not_our_timeout(tmp_path: Path) -> None:
    hook = load(tmp_path, "h.py", "def hook(ctx):\n    raise TimeoutError('allowlist service')\n")
    with pytest.raises(HookFailed, match=r"failed: TimeoutError: allowlist service$"):
        await run_hook(hook, None, timeout=30)


async def test_failure_class_and_passthrough_serve_pricing_functions(tmp_path: Path) -> None:
    refuse = load(
        tmp_path,
        "a.py",
        "from farebox import PricingError\ndef hook(ctx):\n    raise PricingError('send n')\n",
    )
    with pytest.raises(PricingError, match="send n"):
        await run_hook(refuse, None, passthrough=(PricingError,))
    with pytest.raises(PricingFunctionError):
        await run_hook(refuse, None, failure=PricingFunctionError)


async def test_cancellation_is_not_turned_into_a_hook_failure(tmp_path: Path) -> None:
    # A client disconnect cancels the request task; that must propagate as is.
    hook = load(
        tmp_path, "h.py", "import asyncio\nasync def hook(ctx):\n    await asyncio.Event().wait()\n"
    )
    task = asyncio.create_task(run_hook(hook, None, timeout=30))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_hook_threads_start_lazily_and_close(tmp_path: Path) -> None:
    threads = HookThreads(max_workers=3)
    threads.close()  # nothing started: nothing to do
    executor = threads.executor
    assert threads.executor is executor
    threads.close()
    assert threads.executor is not executor  # a new pool after close
    threads.close()
