"""Hooks that raise, run too long, or are missing: deciding hooks fail closed (a 500 naming
the hook, nothing settled), and a missing or broken file stops the gateway from starting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from farebox.app import build_app
from farebox.config.errors import ConfigError
from farebox.config.loader import load_config
from tests.hooks_e2e.conftest import ConfigWriter, GatewayFactory
from tests.hooks_e2e.support import (
    START_BALANCE,
    Facilitator,
    HookFiles,
    Upstream,
    assert_fails_closed,
    transaction_of,
)
from tests.support.payer import new_account, paying_client, required_of, sign_for

HOOKS = {
    "raises.py": """
        def hook(ctx):
            return ctx.request.json["model"]  # KeyError when there is no model
        """,
    "slow_sync.py": """
        import time

        def hook(ctx):
            time.sleep(2)
        """,
    "slow_async.py": """
        import asyncio

        async def hook(ctx):
            await asyncio.sleep(2)
        """,
    "raises_on_header.py": """
        def hook(ctx):
            if ctx.request.header("x-fail"):
                raise RuntimeError("asked to fail")
        """,
    "unusable.py": """
        def hook(ctx):
            return "settle please"
        """,
}

ROUTES = """\
  "POST /request/raises":
    upstream: api
    price: "$0.02"
    hooks: {onRequest: "{hooks}/raises.py"}
  "POST /request/slow":
    upstream: api
    price: "$0.02"
    hooks: {onRequest: "{hooks}/slow_sync.py"}
  "POST /price/raises":
    upstream: api
    price: "$0.02"
    hooks: {onPriceResolved: "{hooks}/raises.py"}
  "POST /price/slow":
    upstream: api
    price: "$0.02"
    hooks: {onPriceResolved: "{hooks}/slow_async.py"}
  "POST /response/raises":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/raises.py"}
  "POST /response/slow":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/slow_sync.py"}
  "POST /response/slow-async":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/slow_async.py"}
  "POST /response/on-header":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/raises_on_header.py"}
  "POST /response/unusable":
    upstream: api
    price: "$0.02"
    settlement: after-response
    hooks: {onResponse: "{hooks}/unusable.py"}
  "POST /before/raises":
    upstream: api
    price: "$0.02"
    settlement: before-response
    hooks: {onResponse: "{hooks}/raises.py"}
"""

TIMEOUT = "defaults:\n  hookTimeout: 0.3\n"


@pytest.fixture(scope="module")
def url(gateway: GatewayFactory, files: HookFiles) -> str:
    for name, source in HOOKS.items():
        files.write(name, source)
    return gateway(ROUTES, TIMEOUT)


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/request/raises", ("hook onRequest", "raises.py", "failed: KeyError: 'model'")),
        ("/request/slow", ("hook onRequest", "slow_sync.py", "timed out after 0.3s")),
        ("/price/raises", ("hook onPriceResolved", "raises.py", "KeyError")),
        ("/price/slow", ("hook onPriceResolved", "slow_async.py", "timed out after 0.3s")),
    ],
)
async def test_a_failing_hook_before_payment_fails_closed_without_a_402(
    url: str, facilitator: Facilitator, upstream: Upstream, path: str, names: tuple[str, ...]
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}{path}", json={"prompt": "hi"})
    error = assert_fails_closed(response, *names)
    assert "Traceback" not in error
    assert upstream.log.requests == []
    assert facilitator.balance(payer.address) == START_BALANCE


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/response/raises", ("hook onResponse", "raises.py", "KeyError")),
        ("/response/slow", ("hook onResponse", "slow_sync.py", "timed out after 0.3s")),
        ("/response/slow-async", ("hook onResponse", "slow_async.py", "timed out")),
        ("/response/unusable", ("hook onResponse", "unusable.py", "unusable value")),
    ],
)
async def test_a_failing_on_response_on_a_paid_route_settles_nothing(
    url: str, facilitator: Facilitator, upstream: Upstream, path: str, names: tuple[str, ...]
) -> None:
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}{path}", json={"prompt": "hi"})
    assert_fails_closed(response, *names)
    assert upstream.log.paths() == [path]  # verified and served upstream, then the hook failed
    assert facilitator.balance(payer.address) == START_BALANCE


async def test_the_same_payment_works_once_the_failure_is_gone(
    url: str, facilitator: Facilitator
) -> None:
    """Nothing was settled on a hook failure, so the reservation is released for a retry."""
    payer = new_account()
    target = f"{url}/response/on-header"
    async with httpx.AsyncClient(timeout=30) as plain:
        payment = await sign_for(payer, required_of(await plain.post(target, json={})))
        failed = await plain.post(
            target, json={}, headers={"PAYMENT-SIGNATURE": payment, "X-Fail": "1"}
        )
        assert facilitator.balance(payer.address) == START_BALANCE
        served = await plain.post(target, json={}, headers={"PAYMENT-SIGNATURE": payment})
    assert_fails_closed(failed, "asked to fail")
    assert served.status_code == 200, served.text
    assert "payment-response" in served.headers
    assert facilitator.balance(payer.address) == START_BALANCE - 20_000


async def test_on_response_failing_after_a_before_response_settlement(
    url: str, facilitator: Facilitator
) -> None:
    """The payment settled before the upstream was called: the 500 carries its receipt."""
    payer = new_account()
    async with paying_client(payer) as client:
        response = await client.post(f"{url}/before/raises", json={"prompt": "hi"})
    assert response.status_code == 500
    assert "hook onResponse" in response.json()["error"]
    assert facilitator.balance(payer.address) == START_BALANCE - 20_000
    assert transaction_of(response)  # the caller learns it was charged


# --- files that cannot be used: the gateway does not start ---------------------

MISSING = """\
  "POST /chat":
    upstream: api
    price: "$0.02"
    hooks:
      onResponse: hooks/not_there.py
"""


def test_a_missing_hook_is_a_config_error_naming_it(write_config: ConfigWriter) -> None:
    config = write_config(MISSING)
    with pytest.raises(ConfigError) as caught:
        build_app(load_config(config))
    message = str(caught.value)
    assert 'routes."POST /chat".hooks.onResponse' in message
    assert '"hooks/not_there.py" does not exist' in message
    assert str(config.parent / "hooks" / "not_there.py") in message


@pytest.mark.parametrize(
    ("config_text", "expected"),
    [
        (
            MISSING,
            [
                'routes."POST /chat".hooks.onResponse: "hooks/not_there.py" does not exist',
            ],
        ),
        (
            '  "GET /x":\n    upstream: api\n    price: {fn: pricing/none.py}\n',
            ['routes."GET /x".price.fn: "pricing/none.py" does not exist'],
        ),
    ],
    ids=["hook", "pricing-function"],
)
def test_farebox_validate_exits_1_naming_the_missing_file(
    write_config: ConfigWriter, config_text: str, expected: list[str]
) -> None:
    config = write_config(config_text)
    result = validate(config)
    assert result.returncode == 1, result
    for text in expected:
        assert text in result.stderr, result.stderr


def test_global_hook_problems_name_the_global_path(
    write_config: ConfigWriter, files: HookFiles
) -> None:
    files.write("typo.py", "def hook(ctx):\n    return stauts\n\nx = undefined_name\n")
    config = write_config(
        '  "GET /x":\n    upstream: api\n    price: "$0.01"\n',
        extra='hooks:\n  onRequest: "{hooks}/typo.py"\n',
    )
    result = validate(config)
    assert result.returncode == 1
    assert "hooks.onRequest:" in result.stderr
    assert "typo.py" in result.stderr
    assert "failed to import: NameError" in result.stderr
    assert "(line 4)" in result.stderr


def test_validate_accepts_the_same_config_once_the_file_exists(
    write_config: ConfigWriter,
) -> None:
    config = write_config(MISSING)
    hook = config.parent / "hooks" / "not_there.py"
    hook.parent.mkdir()
    hook.write_text("def hook(ctx):\n    return None\n")
    result = validate(config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def validate(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "farebox.cli", "validate", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_plain_request_to_a_failing_hook_route_gets_no_402(url: str) -> None:
    async with httpx.AsyncClient(timeout=30) as plain:
        response = await plain.post(f"{url}/price/raises", json={})
    assert_fails_closed(response, "hook onPriceResolved")
