"""Real sockets, shared per module: a test upstream, the fake LLM, the local facilitator,
and gateways built from config files that name hook and pricing files.

A gateway starts once per distinct config text in a module; each test pays from a
fresh account (so balances never mix) and names its own hook files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from farebox.app import build_app
from farebox.config.loader import load_config
from farebox.demo.llm import FakeLLMLog, build_fake_llm
from farebox.facilitator.app import build_facilitator_app
from farebox.facilitator.local import build_local_facilitator
from farebox.serving import BackgroundServer
from tests.hooks_e2e.support import (
    EXAMPLES,
    Facilitator,
    FakeLLM,
    HookFiles,
    Upstream,
    with_empty_replies,
)
from tests.support.payer import new_account
from tests.support.upstream import UpstreamLog, build_test_upstream

ConfigWriter = Callable[..., Path]
GatewayFactory = Callable[..., str]

CONFIG = """\
wallets:
  base-sepolia: "{merchant}"
facilitator: "{facilitator}"
upstreams:
  api:
    url: "{upstream}"
  llm:
    url: "{llm}"
  nowhere:
    url: "http://127.0.0.1:9"
{extra}routes:
{routes}"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    log = UpstreamLog()
    with BackgroundServer(build_test_upstream(log)) as server:
        yield Upstream(server.url, log)


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    log = FakeLLMLog()
    with BackgroundServer(with_empty_replies(build_fake_llm(log))) as server:
        yield FakeLLM(server.url, log)


@pytest.fixture(scope="module")
def facilitator() -> Iterator[Facilitator]:
    local = build_local_facilitator()
    with BackgroundServer(build_facilitator_app(local)) as server:
        yield Facilitator(server.url, local)
    local.ledger.close()


@pytest.fixture(autouse=True)
def fresh_logs(upstream: Upstream, fake_llm: FakeLLM) -> None:
    """Each test sees only the upstream calls it caused."""
    upstream.log.requests.clear()
    fake_llm.log.requests.clear()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="module")
def files(folder: Path) -> HookFiles:
    """Where a test writes its hook and pricing files ({hooks} in a config)."""
    return HookFiles(folder / "hooks")


@pytest.fixture(scope="module")
def write_config(
    folder: Path, upstream: Upstream, fake_llm: FakeLLM, facilitator: Facilitator
) -> ConfigWriter:
    """Write a config file in a folder of its own (its own ledger) and return its path.

    `routes` goes under `routes:`, `extra` above it. The text may use {hooks} (the
    folder HookFiles writes to) and {examples}; upstreams are `api` (the test
    upstream), `llm` (the fake LLM) and `nowhere` (nothing listens there).
    """
    merchant = str(new_account().address)
    count = 0

    def write(routes: str, extra: str = "") -> Path:
        nonlocal count
        count += 1
        text = CONFIG.replace("{routes}", routes).replace("{extra}", extra)
        for name, value in (
            ("merchant", merchant),
            ("facilitator", facilitator.url),
            ("upstream", upstream.url),
            ("llm", fake_llm.url),
            ("hooks", str(folder / "hooks")),
            ("examples", str(EXAMPLES)),
        ):
            text = text.replace("{" + name + "}", value)
        path = folder / f"gateway-{count}" / "farebox.yaml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="module")
def gateway(write_config: ConfigWriter) -> Iterator[GatewayFactory]:
    """Start (or reuse) a gateway for a config (see write_config); returns its URL."""
    started: dict[tuple[str, str], str] = {}
    with ExitStack() as stack:

        def start(routes: str, extra: str = "") -> str:
            if (routes, extra) not in started:
                app = build_app(load_config(write_config(routes, extra)))
                server = BackgroundServer(app)
                started[routes, extra] = stack.enter_context(server).url
            return started[routes, extra]

        yield start
