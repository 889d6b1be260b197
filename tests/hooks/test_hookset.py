"""A route's hooks at each lifecycle point: what they decide, and how they fail closed."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from farebox.hooks import (
    CodeLoader,
    HookContext,
    HookFailed,
    HookQuote,
    HookResponse,
    HookSet,
    Reject,
    ResponseOverride,
    load_hooks,
)

from .support import context, example_hook, write


def hookset(folder: Path, files: dict[str, str], **settings: object) -> HookSet:
    for name, source in files.items():
        write(folder, f"hooks/{name}.py", source)
    return load_hooks(
        None,
        {name: f"hooks/{name}.py" for name in files},
        loader=CodeLoader(folder),
        route_where='routes."POST /v1/chat/completions".hooks',
        **settings,
    )


# --- the allowlist from the issue, both ways ------------------------------------

ALLOWLISTS = ["enforce_model_allowlist.py", "enforce_model_allowlist_dict.py"]


@pytest.mark.parametrize("example", ALLOWLISTS)
@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "ft:gpt-4o:acme-support-v2"])
async def test_the_allowlist_lets_allowed_models_through(example: str, model: str) -> None:
    hooks = HookSet({"onRequest": example_hook(example)})
    assert await hooks.run_on_request(context({"model": model})) is None


@pytest.mark.parametrize("example", ALLOWLISTS)
@pytest.mark.parametrize("body", [{"model": "gpt-5"}, {"model": ""}, {}, None, {"model": "GPT-4O"}])
async def test_the_allowlist_refuses_everything_else(example: str, body: object) -> None:
    hooks = HookSet({"onRequest": example_hook(example)})
    assert await hooks.run_on_request(context(body)) == Reject(400, "Unsupported model")


async def test_the_allowlist_fails_closed_on_a_body_that_is_not_an_object() -> None:
    # The hook calls .get on the body; a JSON list makes it raise: a 500, no charge.
    hooks = HookSet({"onRequest": example_hook("enforce_model_allowlist.py")})
    with pytest.raises(
        HookFailed,
        match=r"^hook onRequest \(hooks/enforce_model_allowlist.py\) failed: AttributeError",
    ):
        await hooks.run_on_request(context(["gpt-4o"]))


# --- onRequest ---------------------------------------------------------------------


async def test_on_request_sees_its_own_name_in_ctx(tmp_path: Path) -> None:
    hooks = hookset(
        tmp_path, {"onRequest": "def hook(ctx):\n    return {'reject': True, 'body': ctx.hook}\n"}
    )
    assert await hooks.run_on_request(context(hook="something else")) == Reject(400, "onRequest")


async def test_on_request_with_an_unusable_result_fails_closed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = hookset(tmp_path, {"onRequest": "def hook(ctx):\n    return False\n"})
    with (
        caplog.at_level(logging.ERROR, logger="farebox.hooks"),
        pytest.raises(HookFailed) as caught,
    ):
        await hooks.run_on_request(context())
    assert caught.value.status == 500
    assert caught.value.message.startswith(
        "hook onRequest (hooks/onRequest.py) returned an unusable value: False is not a rejection"
    )
    assert "returned an unusable value" in caplog.text


async def test_without_the_hook_nothing_runs() -> None:
    hooks = HookSet()
    assert await hooks.run_on_request(context()) is None
    assert await hooks.run_on_price_resolved(context()) is None
    assert await hooks.run_on_response(context()) is None
    await hooks.run_on_settled(context())
    await hooks.run_on_error(context())


# --- onPriceResolved -------------------------------------------------------------

PRICE_HOOK = """
from decimal import Decimal
from farebox import HookContext, PriceOverride, Reject

def hook(ctx: HookContext):
    action = ctx.request.json["action"]
    if action == "keep":
        return None
    if action == "double":
        return PriceOverride(atomic=ctx.quote.amount * 2)
    if action == "dollars":
        return ctx.quote.dollars + Decimal("0.01")
    if action == "string":
        return "$0.05"
    if action == "reject":
        return Reject(402, "out of budget")
    if action == "reject-dict":
        return {"reject": True, "status": 403, "body": "no"}
    if action == "atomic-by-mistake":
        return ctx.quote.amount * 10
    return "lots"
"""


@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        ("keep", None),
        ("double", 40_000),
        ("dollars", 30_000),
        ("string", 50_000),
        ("reject", Reject(402, "out of budget")),
        ("reject-dict", Reject(403, "no")),
    ],
)
async def test_on_price_resolved_may_keep_change_or_reject(
    tmp_path: Path, action: str, outcome: object
) -> None:
    hooks = hookset(tmp_path, {"onPriceResolved": PRICE_HOOK})
    ctx = context({"action": action}, hook="onPriceResolved")
    ctx = replace(ctx, quote=HookQuote(amount=20_000, source="price"))
    assert await hooks.run_on_price_resolved(ctx) == outcome


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("atomic-by-mistake", "200000 is above the maximum price $10.00"),
        ("nonsense", '"lots" is not a price like "$0.01"'),
    ],
)
async def test_on_price_resolved_unusable_prices_fail_closed(
    tmp_path: Path, action: str, message: str
) -> None:
    hooks = hookset(tmp_path, {"onPriceResolved": PRICE_HOOK})
    ctx = context({"action": action}, hook="onPriceResolved")
    ctx = replace(ctx, quote=HookQuote(amount=20_000, source="price"))
    with pytest.raises(HookFailed) as caught:
        await hooks.run_on_price_resolved(ctx)
    assert caught.value.hook_name == "onPriceResolved"
    assert message in caught.value.message


async def test_on_price_resolved_respects_the_routes_max_price(tmp_path: Path) -> None:
    hooks = hookset(
        tmp_path, {"onPriceResolved": "def hook(ctx):\n    return 25\n"}, max_price=50_000_000
    )
    assert await hooks.run_on_price_resolved(context()) == 25_000_000


# --- onResponse --------------------------------------------------------------------


def response_ctx(status: int, json: object = None) -> HookContext:
    return context(
        {"model": "gpt-4o"}, hook="onResponse", response=HookResponse(status=status, json=json)
    )


@pytest.mark.parametrize(
    ("example", "status", "body", "settles"),
    [
        ("refund_on_rate_limit.py", 429, {"error": {"type": "rate_limit"}}, False),
        ("refund_on_rate_limit.py", 200, {"choices": [{}]}, True),
        ("refund_on_rate_limit.py", 500, None, True),  # not its concern: the 5xx default applies
        ("refund_on_empty_completion.py", 200, {"choices": []}, False),  # OpenAI
        ("refund_on_empty_completion.py", 200, {"content": []}, False),  # Anthropic
        ("refund_on_empty_completion.py", 200, {"choices": [{"message": {"content": "hi"}}]}, True),
        ("refund_on_empty_completion.py", 200, {"content": [{"type": "text", "text": "hi"}]}, True),
        ("refund_on_empty_completion.py", 200, {"id": "no choices key at all"}, True),
        ("refund_on_empty_completion.py", 200, None, True),  # not JSON / streamed
        ("refund_on_empty_completion.py", 200, [], True),
        ("never_settle_on_error.py", 400, {"error": "bad"}, False),
        ("never_settle_on_error.py", 404, None, False),
        ("never_settle_on_error.py", 429, None, False),
        ("never_settle_on_error.py", 503, None, False),
        ("never_settle_on_error.py", 200, None, True),
        ("never_settle_on_error.py", 302, None, True),
        ("never_settle_on_error.py", 399, None, True),
    ],
)
async def test_refund_policies(example: str, status: int, body: object, settles: bool) -> None:
    hooks = HookSet({"onResponse": example_hook(example, "onResponse")})
    override = await hooks.run_on_response(response_ctx(status, body))
    settle = override.settle if override is not None else True
    assert settle is settles
    assert override is None or not override.changes_response


async def test_on_response_may_rewrite_the_response(tmp_path: Path) -> None:
    source = (
        "def hook(ctx):\n    return {'status': 502, 'body': {'error': 'empty'}, 'settle': False}\n"
    )
    hooks = hookset(tmp_path, {"onResponse": source})
    override = await hooks.run_on_response(response_ctx(200, {"choices": []}))
    assert override == ResponseOverride(status=502, body={"error": "empty"}, settle=False)


async def test_on_response_that_raises_fails_closed(tmp_path: Path) -> None:
    hooks = hookset(
        tmp_path, {"onResponse": "def hook(ctx):\n    return ctx.response.json['choices']\n"}
    )
    with pytest.raises(
        HookFailed, match=r"^hook onResponse \(hooks/onResponse.py\) failed: TypeError"
    ):
        await hooks.run_on_response(response_ctx(200, None))


# --- observers ---------------------------------------------------------------------


async def test_observers_see_the_context_and_their_return_is_ignored(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hooks/audit.py",
        "SEEN = []\ndef hook(ctx):\n    SEEN.append(ctx.hook)\n    return 'ignored'\n",
    )
    both = {"onSettled": "hooks/audit.py", "onError": "hooks/audit.py"}
    hooks = load_hooks(both, None, loader=CodeLoader(tmp_path), route_where="r")
    await hooks.run_on_settled(context())
    await hooks.run_on_error(context())
    module = hooks.hooks["onSettled"].fn.__globals__  # type: ignore[attr-defined]
    assert module["SEEN"] == ["onSettled", "onError"]


@pytest.mark.parametrize("name", ["onSettled", "onError"])
async def test_observer_failures_are_logged_and_change_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    hooks = hookset(
        tmp_path, {name: "def hook(ctx):\n    raise RuntimeError('ledger down')\n"}, timeout=1.0
    )
    run = hooks.run_on_settled if name == "onSettled" else hooks.run_on_error
    with caplog.at_level(logging.ERROR, logger="farebox.hooks"):
        await run(context())
    assert f"hook {name} (hooks/{name}.py) raised" in caplog.text
    assert "RuntimeError: ledger down" in caplog.text
