"""Real sockets: a test upstream, the local facilitator over HTTP, and gateways."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from farebox.app import build_app
from farebox.config.loader import parse_config
from farebox.facilitator.app import build_facilitator_app
from farebox.facilitator.local import LocalFacilitator, build_local_facilitator
from farebox.serving import BackgroundServer
from tests.support.payer import NETWORK, new_account
from tests.support.upstream import UpstreamLog, build_test_upstream


@dataclass
class Upstream:
    url: str
    log: UpstreamLog


@dataclass
class Facilitator:
    url: str
    local: LocalFacilitator

    def balance(self, address: str) -> int:
        return self.local.ledger.balance(NETWORK, address)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    log = UpstreamLog()
    with BackgroundServer(build_test_upstream(log)) as server:
        yield Upstream(server.url, log)


@pytest.fixture
def facilitator() -> Iterator[Facilitator]:
    local = build_local_facilitator()
    with BackgroundServer(build_facilitator_app(local)) as server:
        yield Facilitator(server.url, local)


@pytest.fixture
def merchant() -> str:
    return str(new_account().address)


GatewayFactory = Callable[[str], str]


@pytest.fixture
def gateway(
    upstream: Upstream, facilitator: Facilitator, merchant: str
) -> Iterator[GatewayFactory]:
    """Start a gateway from YAML routes (and optional extra top-level YAML); returns its URL.

    The YAML may use {upstream}, {facilitator} and {merchant} placeholders.
    """
    with ExitStack() as stack:

        def start(yaml_text: str, facilitator_timeout: float = 15.0) -> str:
            text = yaml_text.format(
                upstream=upstream.url, facilitator=facilitator.url, merchant=merchant
            )
            app = build_app(parse_config(text), facilitator_timeout=facilitator_timeout)
            return stack.enter_context(BackgroundServer(app)).url

        yield start


def base_config(routes: str, extra: str = "") -> str:
    """A config with wallets, the test facilitator and upstream, plus `routes`."""
    return (
        'wallets:\n  base-sepolia: "{merchant}"\n'
        'facilitator: "{facilitator}"\n'
        'upstreams:\n  api:\n    url: "{upstream}"\n    headers:\n'
        '      Authorization: "Bearer upstream-secret"\n'
        f"{extra}"
        "routes:\n" + routes
    )


@pytest.fixture
def plain() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client
