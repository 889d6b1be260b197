"""`farebox report --json` after a scripted run: its totals are the ledger's, and the ledger's
are the money that moved at the facilitator."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from farebox.stores.ledger import LedgerRow, Outcome
from tests.accounting_e2e.conftest import Facilitator, GatewayFactory, Ledger
from tests.accounting_e2e.support import START_BALANCE, ledger_rows, run_cli
from tests.accounting_e2e.traffic import CATALOG_MODEL, MODEL, ROUTES, metered, paid_get

MICRO = Decimal("0.000001")


async def scripted_run(url: str) -> list[str]:
    """Settled, not-settled and metered requests, plus a 402; returns the payers."""
    payers = []
    for path in ["/status/200", "/status/201", "/prepaid/200", "/status/503", "/hooked"]:
        payer, _ = await paid_get(f"{url}{path}")
        payers.append(payer)
    for model in (MODEL, CATALOG_MODEL):
        payer, response = await metered(url, model)
        assert response.status_code == 200, response.text
        payers.append(payer.address)
    async with httpx.AsyncClient(timeout=30) as plain:
        assert (await plain.get(f"{url}/prepaid/200")).status_code == 402
    return payers


def report(cwd: Path, by: str, *where: str) -> dict[str, Any]:
    """`farebox report --json --by BY`, reading the ledger `where` says (--ledger / --config)."""
    result = run_cli("report", "--json", "--by", by, *where, cwd=cwd)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["by"] == by
    return document


def expected_line(rows: list[LedgerRow]) -> dict[str, Any]:
    """What a report line must say about `rows`, computed straight from them."""
    settled = [r for r in rows if r.outcome == Outcome.SETTLED]
    unpaid = [r for r in rows if r.outcome == Outcome.NOT_SETTLED]
    costed = [r.upstream_cost for r in rows if r.upstream_cost is not None]
    reasons: dict[str, int] = defaultdict(int)
    for row in unpaid:
        reasons[f"not-settled: {row.reason}"] += 1
    return {
        "requests": len(rows),
        "settled": len(settled),
        "revenue_usd": sum(r.charged for r in settled) * MICRO,
        "upstream_cost_usd": sum(costed, Decimal(0)),
        "uncosted": len(rows) - len(costed),
        "not_settled": len(unpaid),
        "pending": 0,
        "reasons": dict(reasons),
    }


def figures(line: dict[str, Any]) -> dict[str, Any]:
    """The same fields of a report line, money as Decimal."""
    return {
        "requests": line["requests"],
        "settled": line["settled"],
        "revenue_usd": Decimal(line["revenue_usd"]),
        "upstream_cost_usd": Decimal(line["upstream_cost_usd"]),
        "uncosted": line["uncosted"],
        "not_settled": line["not_settled"],
        "pending": line["pending"],
        "reasons": line["reasons"],
    }


async def test_report_totals_equal_the_ledger_and_the_money_moved(
    gateway: GatewayFactory,
    ledger: Ledger,
    facilitator: Facilitator,
    merchant: str,
    tmp_path: Path,
) -> None:
    running = gateway(ROUTES, ledger=ledger.setting)
    payers = await scripted_run(running.url)
    running.stop()
    rows = await ledger_rows(ledger.location)
    assert len(rows) == len(payers) == 7

    by_route = report(tmp_path, "route", "--ledger", ledger.location)
    assert figures(by_route["total"]) == expected_line(rows)
    assert by_route["total"]["reasons"] == {
        "not-settled: upstream answered 503": 1,
        "not-settled: onResponse hook said settle=False": 1,
    }
    routes = {line["route"]: figures(line) for line in by_route["groups"]}
    assert routes == {
        route: expected_line([r for r in rows if r.route == route])
        for route in {r.route for r in rows}
    }
    from_config = report(tmp_path, "route", "--config", "farebox.yaml")  # its stores.ledger
    assert (from_config["groups"], from_config["total"]) == (by_route["groups"], by_route["total"])
    with_tokens = [r for r in rows if r.input_tokens is not None]
    assert len(with_tokens) == 2
    assert Decimal(by_route["total"]["avg_input_tokens"]) == Decimal(
        sum(r.input_tokens or 0 for r in with_tokens)
    ) / len(with_tokens)

    # The revenue is what the payers lost and the merchant gained at the facilitator.
    revenue = Decimal(by_route["total"]["revenue_usd"]) / MICRO
    spent = sum(START_BALANCE - facilitator.balance(payer) for payer in payers)
    assert revenue == spent == facilitator.balance(merchant) - START_BALANCE > 0

    by_payer = report(tmp_path, "payer", "--ledger", ledger.location)
    for line in by_payer["groups"]:
        lost = START_BALANCE - facilitator.balance(line["payer"])
        assert Decimal(line["revenue_usd"]) / MICRO == lost
    assert {line["payer"].lower() for line in by_payer["groups"]} == {p.lower() for p in payers}
