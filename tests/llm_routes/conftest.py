"""Real sockets, shared per module: the fake LLM upstream, the local facilitator, gateways.

Servers start once per test module (a gateway per distinct config), so the many small
end-to-end tests here stay fast. Each test pays from a fresh account, so balances never mix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from farebox.app import build_app
from farebox.config.loader import parse_config
from farebox.demo.llm import FakeLLMLog, build_fake_llm
from farebox.facilitator.app import build_facilitator_app
from farebox.facilitator.local import build_local_facilitator
from farebox.serving import BackgroundServer
from tests.llm_routes.support import Facilitator, FakeLLM, Payer, Slow, build_slow_upstream
from tests.support.payer import new_account

GatewayFactory = Callable[..., str]


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    log = FakeLLMLog()
    with BackgroundServer(build_fake_llm(log)) as server:
        yield FakeLLM(server.url, log)


@pytest.fixture(scope="module")
def slow_upstream() -> Iterator[Slow]:
    with BackgroundServer(build_slow_upstream(), timeout_graceful_shutdown=0) as server:
        yield Slow(server.url)


@pytest.fixture(scope="module")
def facilitator() -> Iterator[Facilitator]:
    local = build_local_facilitator()
    with BackgroundServer(build_facilitator_app(local)) as server:
        yield Facilitator(server.url, local)
    local.ledger.close()


@pytest.fixture(scope="module")
def merchant() -> str:
    return str(new_account().address)


@pytest.fixture(scope="module")
def gateway(
    fake_llm: FakeLLM, facilitator: Facilitator, merchant: str, slow_upstream: Slow
) -> Iterator[GatewayFactory]:
    """Start (or reuse) a gateway for a config; returns its URL.

    The YAML may use {llm}, {slow}, {facilitator} and {merchant} (replaced as text, so
    YAML braces need no escaping); `routes` goes under
    `routes:`, with the fake LLM as upstreams `openai` and `anthropic`, the slow one as `slow`.
    """
    started: dict[str, str] = {}
    with ExitStack() as stack:

        def start(routes: str, extra: str = "") -> str:
            text = config_text(routes, extra)
            for name, value in (
                ("llm", fake_llm.url),
                ("slow", slow_upstream.url),
                ("facilitator", facilitator.url),
                ("merchant", merchant),
            ):
                text = text.replace("{" + name + "}", value)
            if text not in started:
                app = build_app(parse_config(text))
                started[text] = stack.enter_context(BackgroundServer(app)).url
            return started[text]

        yield start


def config_text(routes: str, extra: str = "") -> str:
    return (
        'wallets:\n  base-sepolia: "{merchant}"\n'
        'facilitator: "{facilitator}"\n'
        "upstreams:\n"
        '  openai:\n    url: "{llm}"\n'
        '  anthropic:\n    url: "{llm}"\n'
        '  slow:\n    url: "{slow}"\n    timeout: 0.3\n'
        f"{extra}"
        "routes:\n" + routes
    )


@pytest.fixture
def payer() -> Payer:
    """A fresh account paying with the official x402 client (upto and exact)."""
    return Payer(new_account(), upto=True)


@pytest.fixture
def exact_payer() -> Payer:
    """A fresh account whose client can only pay `exact`."""
    return Payer(new_account(), upto=False)
