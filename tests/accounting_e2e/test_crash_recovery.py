"""A gateway killed between the upstream's answer and the settlement settles it on its next start.

`farebox start` runs as a subprocess whose facilitator is a proxy that forwards /supported and
/verify to the local facilitator but never answers /settle. A paid request is made; once its
pending row is durable and the settle call is in flight, the gateway gets SIGKILL. It is then
started again with the local facilitator itself, and must settle exactly what was owed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from x402.http.clients.httpx import PaymentError

from farebox.serving import BackgroundServer
from farebox.stores.ledger import Outcome, PendingSettlement
from farebox.stores.ledger_retry import EXPIRED_REASON
from tests.accounting_e2e.conftest import Facilitator, Ledger
from tests.accounting_e2e.support import (
    START_BALANCE,
    GatewayProcess,
    HangingProxy,
    Servers,
    config_text,
    ledger_rows,
    pending_settlements,
    set_pending,
    wait_until,
)
from tests.accounting_e2e.traffic import (
    CATALOG_MODEL,
    MESSAGES,
    PROMPT,
    catalog_charge,
    catalog_cost,
)
from tests.llm_routes.support import FAKE_REPLY_WORDS, Payer
from tests.support.payer import new_account

PRICE = 20_000

ROUTES = """\
  "GET /status/:code":
    upstream: api
    price: "$0.02"
    settlement: after-response
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
    markup: 50%  # every model from the catalog: the upstream cost is known
"""


@pytest.fixture
def hanging(facilitator: Facilitator) -> Iterator[tuple[HangingProxy, str]]:
    proxy = HangingProxy(facilitator.url)
    server = BackgroundServer(proxy.app(), timeout_graceful_shutdown=0).start()
    try:
        yield proxy, server.url
    finally:
        proxy.release.set()
        server.stop()


class Crash:
    """Runs the first gateway up to the crash, then restarts it as often as a test needs."""

    def __init__(self, tmp_path: Path, servers: Servers, merchant: str, ledger: Ledger) -> None:
        self.tmp_path = tmp_path
        self.servers = servers
        self.merchant = merchant
        self.ledger = ledger
        self.config = tmp_path / "farebox.yaml"
        self.starts = 0

    def process(self, facilitator: str) -> GatewayProcess:
        text = config_text(
            ROUTES, self.servers, self.merchant, ledger=self.ledger.setting, facilitator=facilitator
        )
        self.config.write_text(text)
        self.starts += 1
        return GatewayProcess(self.config, self.tmp_path / f"gateway-{self.starts}.log")

    async def crash_while_settling(
        self, proxy: HangingProxy, proxy_url: str, payer: Payer, stream: bool
    ) -> tuple[PendingSettlement, str]:
        """Pay; SIGKILL the gateway once the settlement is pending and being attempted.

        Returns the pending settlement and what the caller received before the crash.
        """
        received: list[str] = []
        with self.process(proxy_url) as gateway:
            url = await gateway.ready()
            request = asyncio.create_task(paid_request(url, payer, stream, received))
            try:
                [pending] = await wait_until(self.pending, "the pending row to be written")
                await wait_until(proxy_saw_settle(proxy), "the settle call to reach the proxy")
                assert not request.done()  # the caller still waits on the settlement
            finally:
                gateway.kill()
                with contextlib.suppress(httpx.HTTPError, PaymentError):
                    await request
        return pending, "".join(received)

    async def pending(self) -> list[PendingSettlement] | None:
        return await pending_settlements(self.ledger.location) or None

    async def restart(self, facilitator: str) -> GatewayProcess:
        """Start again with `facilitator` and stop (pending settlements are retried at startup)."""
        with self.process(facilitator) as gateway:
            await gateway.ready()
            gateway.stop()
        return gateway


def proxy_saw_settle(proxy: HangingProxy) -> Callable[[], Awaitable[bool | None]]:
    async def check() -> bool | None:
        return True if proxy.settle_seen.is_set() else None

    return check


async def paid_request(url: str, payer: Payer, stream: bool, received: list[str]) -> None:
    async with payer.http() as client:
        if not stream:
            await client.get(f"{url}/status/200")
            return
        body = {"model": CATALOG_MODEL, "messages": MESSAGES, "stream": True}
        async with client.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
            async for text in response.aiter_text():
                received.append(text)


@pytest.fixture
def crash(tmp_path: Path, servers: Servers, merchant: str, ledger: Ledger) -> Crash:
    return Crash(tmp_path, servers, merchant, ledger)


@pytest.mark.parametrize("stream", [False, True], ids=["after-response", "metered-stream"])
async def test_a_pending_settlement_is_settled_on_the_next_start(
    crash: Crash,
    hanging: tuple[HangingProxy, str],
    facilitator: Facilitator,
    ledger: Ledger,
    merchant: str,
    stream: bool,
) -> None:
    payer = Payer(new_account())
    pending, received = await crash.crash_while_settling(*hanging, payer, stream)

    owed = catalog_charge() if stream else PRICE
    row = pending.row
    assert row.outcome == Outcome.PENDING
    assert row.payer is not None and row.payer.lower() == payer.address.lower()
    assert (row.charged, row.scheme) == (owed, "upto" if stream else "exact")
    assert pending.expires_at > 0
    assert facilitator.balance(payer.address) == START_BALANCE  # nothing moved yet
    if stream:  # the caller got the whole answer before the crash
        assert "Every" in received and "began." in received

    if ledger.kind == "postgres":
        # A shared ledger: the crashed instance's lease still runs, and another instance may
        # be settling it. A restart leaves it alone until the lease ends.
        await crash.restart(facilitator.url)
        assert [p.request_id for p in await pending_settlements(ledger.location)] == [
            row.request_id
        ]
        assert facilitator.balance(payer.address) == START_BALANCE
        await set_pending(ledger.location, lease_until=0)  # as if the lease had run out

    restarted = await crash.restart(facilitator.url)

    assert facilitator.balance(payer.address) == START_BALANCE - owed
    assert facilitator.balance(merchant) == START_BALANCE + owed
    [settled] = await ledger_rows(ledger.location)
    assert settled.request_id == row.request_id
    assert (settled.outcome, settled.charged, settled.reason) == (Outcome.SETTLED, owed, None)
    assert facilitator.mined(settled.tx)
    if stream:  # what was metered before the crash is kept
        assert (settled.model, settled.input_tokens) == (CATALOG_MODEL, PROMPT)
        assert settled.output_tokens == FAKE_REPLY_WORDS
        assert settled.upstream_cost == catalog_cost()
    assert await pending_settlements(ledger.location) == []
    events = [e for e in restarted.json_lines() if e.get("logger") == "farebox.settlement"]
    assert [(e["event"], e["request_id"], e["tx"]) for e in events] == [
        ("retried-settled", row.request_id, settled.tx)
    ]


async def test_an_expired_pending_settlement_is_marked_expired(
    crash: Crash,
    hanging: tuple[HangingProxy, str],
    facilitator: Facilitator,
    ledger: Ledger,
) -> None:
    payer = Payer(new_account())
    pending, _ = await crash.crash_while_settling(*hanging, payer, stream=False)
    await set_pending(ledger.location, expires_at=1, lease_until=0)  # the authorization ran out

    await crash.restart(facilitator.url)

    [row] = await ledger_rows(ledger.location)
    assert row.request_id == pending.request_id
    assert (row.outcome, row.reason, row.charged, row.tx) == (
        Outcome.EXPIRED,
        EXPIRED_REASON,
        0,
        None,
    )
    assert await pending_settlements(ledger.location) == []
    assert facilitator.balance(payer.address) == START_BALANCE
