"""Real sockets: the test upstream, the fake LLM, the local facilitator over HTTP, gateways
built from a config FILE (so the ledger defaults to a file next to it), and a ledger per
engine (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from farebox.app import build_app
from farebox.config.loader import load_config
from farebox.demo.llm import build_fake_llm
from farebox.facilitator.app import build_facilitator_app
from farebox.facilitator.local import LocalFacilitator, build_local_facilitator
from farebox.serving import BackgroundServer
from farebox.stores.ledger import DEFAULT_LEDGER_FILE
from tests.accounting_e2e.support import Servers, config_text
from tests.accounting_e2e.traffic import write_hooks
from tests.stores.postgres import POSTGRES_URL, fresh_schema
from tests.support.payer import NETWORK, new_account
from tests.support.upstream import UpstreamLog, build_test_upstream


@dataclass
class Facilitator:
    url: str
    local: LocalFacilitator

    def balance(self, address: str) -> int:
        return self.local.ledger.balance(NETWORK, address)

    def mined(self, tx: str | None) -> bool:
        """Whether `tx` is a transaction the local chain executed."""
        return tx is not None and self.local.ledger.mined_transaction(tx) is not None


@dataclass(frozen=True)
class Ledger:
    """A ledger as a config names it (`setting`, None: the default file) and where it is."""

    kind: str  # "sqlite" | "postgres"
    setting: str | None
    location: str


@pytest.fixture(scope="module")
def facilitator() -> Iterator[Facilitator]:
    local = build_local_facilitator()
    with BackgroundServer(build_facilitator_app(local)) as server:
        yield Facilitator(server.url, local)
    local.ledger.close()


@pytest.fixture(scope="module")
def servers(facilitator: Facilitator) -> Iterator[Servers]:
    with (
        BackgroundServer(build_test_upstream(UpstreamLog())) as upstream,
        BackgroundServer(build_fake_llm()) as llm,
    ):
        yield Servers(upstream.url, llm.url, facilitator.url)


@pytest.fixture
def merchant() -> str:
    """A fresh pay-to address per test, so its balance is exactly this test's revenue."""
    return str(new_account().address)


@pytest.fixture(params=["sqlite", "postgres"])
async def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Ledger]:
    if request.param == "sqlite":
        yield Ledger("sqlite", None, str(tmp_path / DEFAULT_LEDGER_FILE))
        return
    async with fresh_schema() as schema:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(f"CREATE SCHEMA {schema}")
        finally:
            await conn.close()
        url = f"{POSTGRES_URL}?search_path={schema}"
        yield Ledger("postgres", url, url)


@dataclass
class RunningGateway:
    url: str
    server: BackgroundServer

    def stop(self) -> None:
        """Shut down as `farebox start` would: the ledger writes what is queued, then closes."""
        self.server.stop()


GatewayFactory = Callable[..., RunningGateway]


@pytest.fixture
def gateway(servers: Servers, merchant: str, tmp_path: Path) -> Iterator[GatewayFactory]:
    """Write a config file into tmp_path and serve it in-process; `routes` as in config_text."""
    with ExitStack() as stack:

        def start(
            routes: str,
            *,
            ledger: str | None = None,
            metrics: bool = False,
            facilitator: str | None = None,
            facilitator_timeout: float = 15.0,
        ) -> RunningGateway:
            path = tmp_path / "farebox.yaml"
            write_hooks(tmp_path)
            text = config_text(
                routes, servers, merchant, ledger=ledger, metrics=metrics, facilitator=facilitator
            )
            path.write_text(text)
            app = build_app(load_config(path), facilitator_timeout=facilitator_timeout)
            server = stack.enter_context(BackgroundServer(app))
            return RunningGateway(server.url, server)

        yield start
