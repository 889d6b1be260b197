"""One ledger row per paid request, on SQLite and on PostgreSQL.

Real paid requests go through the gateway with the official x402 client; the gateway is then
shut down (which writes every queued row) and the rows are read back with open_ledger().rows().
Every request pays from a fresh account, so the payer names the row.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from farebox.stores.ledger import LedgerRow, Outcome
from tests.accounting_e2e.conftest import Facilitator, GatewayFactory, Ledger
from tests.accounting_e2e.support import START_BALANCE, ledger_rows, rows_by_payer
from tests.accounting_e2e.traffic import (
    CATALOG_MODEL,
    METERED_COST,
    MODEL,
    PREPAID,
    PROMPT,
    ROUTES,
    STATUS,
    catalog_charge,
    catalog_cost,
    metered,
    paid_get,
)
from tests.llm_routes.support import FAKE_REPLY_WORDS
from tests.support.payer import NETWORK


@dataclass
class Paid:
    payer: str
    response: httpx.Response
    row: LedgerRow


async def serve_and_read(gateway: GatewayFactory, ledger: Ledger, paths: list[str]) -> list[Paid]:
    """Pay for each path, shut the gateway down, read every row back; in the order of paths."""
    running = gateway(ROUTES, ledger=ledger.setting)
    answers = [await paid_get(f"{running.url}{path}") for path in paths]
    running.stop()
    rows = rows_by_payer(await ledger_rows(ledger.location))
    assert len(rows) == len(paths), rows
    return [Paid(payer, response, rows[payer.lower()]) for payer, response in answers]


async def test_settled_rows(
    gateway: GatewayFactory, ledger: Ledger, facilitator: Facilitator
) -> None:
    paid = await serve_and_read(gateway, ledger, ["/status/200", "/prepaid/200", "/prepaid/503"])
    expected = [  # route, settlement, price, the status the caller got
        (STATUS, "after-response", 20_000, 200),
        (PREPAID, "before-response", 30_000, 200),
        (PREPAID, "before-response", 30_000, 503),  # settled before the upstream failed
    ]
    for one, (route, settlement, price, status) in zip(paid, expected, strict=True):
        row = one.row
        assert one.response.status_code == status
        assert (row.route, row.settlement, row.status) == (route, settlement, status)
        assert row.outcome == Outcome.SETTLED
        assert (row.quoted, row.charged) == (price, price)
        assert facilitator.balance(one.payer) == START_BALANCE - price
        assert facilitator.mined(row.tx)
        assert (row.scheme, row.network, row.reason) == ("exact", NETWORK, None)
        assert row.model is None and row.input_tokens is None and row.upstream_cost is None


async def test_not_settled_rows_for_an_upstream_5xx_and_a_hook(
    gateway: GatewayFactory, ledger: Ledger, facilitator: Facilitator
) -> None:
    paid = await serve_and_read(gateway, ledger, ["/status/503", "/hooked"])
    expected = [  # route, price, status, reason
        (STATUS, 20_000, 503, "upstream answered 503"),
        ("GET /hooked", 40_000, 200, "onResponse hook said settle=False"),
    ]
    for one, (route, price, status, reason) in zip(paid, expected, strict=True):
        row = one.row
        assert one.response.status_code == status
        assert "payment-response" not in one.response.headers
        assert facilitator.balance(one.payer) == START_BALANCE
        assert (row.route, row.outcome, row.reason, row.status) == (
            route,
            Outcome.NOT_SETTLED,
            reason,
            status,
        )
        assert (row.quoted, row.charged, row.tx) == (price, 0, None)
        assert (row.scheme, row.settlement) == ("exact", "after-response")


async def test_metered_rows(
    gateway: GatewayFactory, ledger: Ledger, facilitator: Facilitator
) -> None:
    running = gateway(ROUTES, ledger=ledger.setting)
    priced, priced_response = await metered(running.url, MODEL)
    from_catalog, catalog_response = await metered(running.url, CATALOG_MODEL)
    assert priced_response.status_code == catalog_response.status_code == 200
    running.stop()

    rows = rows_by_payer(await ledger_rows(ledger.location))
    assert len(rows) == 2
    expected = {
        priced.address: (MODEL, METERED_COST),
        from_catalog.address: (CATALOG_MODEL, catalog_charge()),
    }
    for payer in (priced, from_catalog):
        row = rows[payer.address.lower()]
        model, charge = expected[payer.address]
        assert row.outcome == Outcome.SETTLED
        assert (row.scheme, row.settlement, row.status) == ("upto", "after-response", 200)
        assert row.quoted == int(payer.authorized.amount) > charge  # the ceiling
        assert row.charged == charge == payer.spent(facilitator)
        assert facilitator.mined(row.tx)
        assert (row.model, row.input_tokens, row.output_tokens) == (
            model,
            PROMPT,
            FAKE_REPLY_WORDS,
        )
        assert (row.cached_input_tokens, row.tokens_estimated) == (0, False)
    assert rows[from_catalog.address.lower()].upstream_cost == catalog_cost()
    # a model priced by the route's own rates still has its upstream cost from the catalog
    assert rows[priced.address.lower()].upstream_cost == catalog_cost(MODEL)


async def test_metered_rows_without_usage_and_on_a_5xx(
    gateway: GatewayFactory, ledger: Ledger, facilitator: Facilitator
) -> None:
    running = gateway(ROUTES, ledger=ledger.setting)
    estimated, ok = await metered(running.url, MODEL, **{"x-fake-usage": "omit"})
    failed, error = await metered(running.url, MODEL, **{"x-fake-status": "500"})
    assert (ok.status_code, error.status_code) == (200, 500)
    running.stop()

    rows = rows_by_payer(await ledger_rows(ledger.location))
    row = rows[estimated.address.lower()]  # no usage reported: charged the gateway's estimate
    assert (row.outcome, row.tokens_estimated, row.scheme) == (Outcome.SETTLED, True, "upto")
    assert 0 < row.charged == estimated.spent(facilitator) <= row.quoted
    assert row.input_tokens is not None and row.output_tokens is not None
    row = rows[failed.address.lower()]
    assert (row.outcome, row.reason, row.status) == (
        Outcome.NOT_SETTLED,
        "upstream answered 500",
        500,
    )
    assert (row.charged, row.tx, row.input_tokens) == (0, None, None)
    assert failed.spent(facilitator) == 0


async def test_unpaid_requests_leave_no_row(gateway: GatewayFactory, ledger: Ledger) -> None:
    running = gateway(ROUTES, ledger=ledger.setting)
    async with httpx.AsyncClient(timeout=30) as plain:
        assert (await plain.get(f"{running.url}/status/200")).status_code == 402
        assert (await plain.get(f"{running.url}/nowhere")).status_code == 404
    running.stop()
    assert await ledger_rows(ledger.location) == []
