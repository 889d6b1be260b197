"""`farebox report`: its totals are the ledger's rows, whatever the engine and format."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from farebox.reporting.command import add_report_arguments, report_text, run_report
from farebox.reporting.report import ReportError, parse_since, summarize
from farebox.stores.ledger import LedgerRow, open_ledger
from tests.stores.rows import T0, make_row

CHAT, WEATHER = "POST /v1/chat", "GET /weather"
P1, P2 = "0x" + "11" * 20, "0x" + "22" * 20
SINCE = T0 - timedelta(days=1)


def dataset() -> tuple[list[LedgerRow], LedgerRow]:
    """Final rows in the window, and one pending row; plus an old row outside the window."""
    chat = {"route": CHAT, "model": "gpt-4o", "payer": P1}
    claude = {"route": CHAT, "model": "claude", "payer": P2}
    final = [
        make_row(**chat, charged=10_000, upstream_cost=Decimal("0.004"), input_tokens=100,
                 output_tokens=20),
        make_row(**chat, charged=25_000, upstream_cost=Decimal("0.0105"), input_tokens=300,
                 output_tokens=40),
        make_row(**chat, outcome="not-settled", reason="upstream 503", charged=0,
                 upstream_cost=None, input_tokens=None, output_tokens=None),
        make_row(**chat, outcome="settle-failed", reason="insufficient_funds", charged=0,
                 upstream_cost=Decimal("0.002"), input_tokens=50, output_tokens=10),
        make_row(**claude, charged=5_000, upstream_cost=Decimal("0.0000005"), input_tokens=10,
                 output_tokens=5, tokens_estimated=True),
        make_row(**claude, outcome="expired", charged=0, upstream_cost=Decimal("0.001"),
                 input_tokens=20, output_tokens=4),
        make_row(route=WEATHER, model=None, payer=P2, charged=1_000, upstream_cost=None,
                 input_tokens=None, output_tokens=None, cached_input_tokens=None),
        make_row(**chat, charged=999_999, time=T0 - timedelta(days=30)),  # before --since
    ]  # fmt: skip
    pending = make_row(**claude, outcome="pending", charged=0, upstream_cost=None,
                       input_tokens=None, output_tokens=None)  # fmt: skip
    return final, pending


async def fill(location: str) -> list[LedgerRow]:
    """Write the dataset through the gateway's API; returns the rows in the window."""
    final, pending = dataset()
    ledger = await open_ledger(location)
    try:
        for row in final:
            ledger.record(row)
        await ledger.record_pending(
            pending, payment_header="h", requirements_json="{}", expires_at=2**40
        )
    finally:
        await ledger.close()
    return [row for row in [*final, pending] if row.time >= SINCE]


def expected(rows: list[LedgerRow]) -> dict[str, object]:
    """The figures straight from the rows, computed without the report code."""
    settled = [r for r in rows if r.outcome == "settled"]
    revenue = Decimal(sum(r.charged for r in settled)) / 1_000_000
    cost = sum((r.upstream_cost for r in rows if r.upstream_cost is not None), Decimal(0))
    tokens = [r for r in rows if r.input_tokens is not None]
    return {
        "requests": len(rows),
        "settled": len(settled),
        "revenue_usd": revenue,
        "upstream_cost_usd": cost,
        "margin_pct": ((revenue - cost) / revenue * 100).quantize(Decimal("0.01")),
        "not_settled": sum(r.outcome in ("not-settled", "settle-failed", "expired") for r in rows),
        "pending": sum(r.outcome == "pending" for r in rows),
        "avg_input_tokens": Decimal(sum(r.input_tokens or 0 for r in tokens)) / len(tokens),
        "avg_output_tokens": Decimal(sum(r.output_tokens or 0 for r in tokens)) / len(tokens),
    }


async def test_json_totals_equal_the_ledger_rows(location: str) -> None:
    rows = await fill(location)
    document = json.loads(await report_text(location, SINCE, "route", "json"))
    want = expected(rows)
    total = document["total"]

    assert total["requests"] == want["requests"] == 8
    assert total["settled"] == want["settled"] == 4
    assert Decimal(total["revenue_usd"]) == want["revenue_usd"] == Decimal("0.041")
    assert Decimal(total["upstream_cost_usd"]) == want["upstream_cost_usd"]
    assert want["upstream_cost_usd"] == Decimal("0.0175005")  # exact: no float crept in
    assert Decimal(total["margin_pct"]) == want["margin_pct"] == Decimal("57.32")
    assert total["not_settled"] == want["not_settled"] == 3
    assert total["pending"] == want["pending"] == 1
    assert total["uncosted"] == 3
    assert total["reasons"] == {
        "expired": 1,
        "not-settled: upstream 503": 1,
        "settle-failed: insufficient_funds": 1,
    }
    assert Decimal(total["avg_input_tokens"]) == want["avg_input_tokens"] == Decimal("96")
    assert Decimal(total["avg_output_tokens"]) == want["avg_output_tokens"] == Decimal("15.8")

    groups = {g["route"]: g for g in document["groups"]}
    assert list(groups) == [CHAT, WEATHER]  # highest revenue first
    assert Decimal(groups[WEATHER]["revenue_usd"]) == Decimal("0.001")
    assert groups[WEATHER]["margin_pct"] == "100.00"
    assert groups[WEATHER]["avg_input_tokens"] is None
    assert sum(g["requests"] for g in groups.values()) == total["requests"]
    assert document["by"] == "route" and document["since"] == SINCE.isoformat()


async def test_grouping_by_model_and_payer(location: str) -> None:
    rows = await fill(location)
    by_model = json.loads(await report_text(location, SINCE, "model", "json"))
    models = {g["model"]: g for g in by_model["groups"]}
    assert set(models) == {"gpt-4o", "claude", "(none)"}
    gpt = expected([r for r in rows if r.model == "gpt-4o"])
    assert models["gpt-4o"]["requests"] == gpt["requests"] == 4
    assert Decimal(models["gpt-4o"]["margin_pct"]) == gpt["margin_pct"]
    assert models["claude"]["pending"] == 1 and models["claude"]["reasons"] == {"expired": 1}

    by_payer = json.loads(await report_text(location, SINCE, "payer", "json"))
    payers = {g["payer"]: g for g in by_payer["groups"]}
    assert payers[P2]["requests"] == 4
    assert Decimal(payers[P2]["revenue_usd"]) == Decimal("0.006")


async def test_csv_has_a_row_per_group_and_the_total(location: str) -> None:
    rows = await fill(location)
    table = list(csv.DictReader(io.StringIO(await report_text(location, SINCE, "route", "csv"))))
    assert [r["route"] for r in table] == [CHAT, WEATHER, "(total)"]
    total = table[-1]
    want = expected(rows)
    assert int(total["requests"]) == want["requests"]
    assert Decimal(total["revenue_usd"]) == want["revenue_usd"]
    assert Decimal(total["upstream_cost_usd"]) == want["upstream_cost_usd"]
    assert Decimal(total["margin_pct"]) == want["margin_pct"]
    assert total["reasons"] == (
        "expired=1; not-settled: upstream 503=1; settle-failed: insufficient_funds=1"
    )
    assert table[1]["avg_input_tokens"] == ""  # no LLM usage on that route


async def test_the_table_shows_the_totals(location: str) -> None:
    await fill(location)
    text = await report_text(location, SINCE, "route", "table")
    lines = text.splitlines()
    assert lines[0] == "farebox report by route, since 2026-02-28 12:00 UTC: 8 requests"
    total = next(line for line in lines if line.startswith("(total)"))
    assert total.split() == ["(total)", "8", "$0.041", "$0.0175*", "57.32%", "3", "(+1",
                             "pending)", "96.0", "15.8"]  # fmt: skip
    weather = next(line for line in lines if line.startswith(WEATHER))
    assert weather.split()[2:] == ["1", "$0.001", "-", "100.00%", "0", "-", "-"]
    assert "* 3 requests have no known upstream cost" in text
    assert "       1  settle-failed: insufficient_funds" in text


def test_an_empty_ledger_reports_zeroes() -> None:
    report = summarize([], "model")
    assert report.lines == [] and report.total.requests == 0
    assert report.total.margin_pct is None and report.total.avg_input_tokens is None


@pytest.mark.parametrize(
    ("text", "days"),
    [("7d", 7), ("24h", 1), ("2w", 14), ("1w 2d", 9), ("90m", 90 / 1440), ("30s", 30 / 86400)],
)
def test_since_spans(text: str, days: float) -> None:
    assert parse_since(text, now=T0) == T0 - timedelta(days=days)


def test_since_dates_and_all() -> None:
    assert parse_since("all") is None
    assert parse_since("2026-03-01", now=T0) == T0.replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    assert parse_since("2026-03-01T14:00:00+02:00").hour == 12


@pytest.mark.parametrize("text", ["7x", "yesterday", "-1d", ""])
def test_a_bad_since_says_what_would_be_right(text: str) -> None:
    with pytest.raises(ReportError, match=r'--since: ".*" is not a time span like 7d, 24h'):
        parse_since(text, now=T0)


def test_a_bad_grouping_is_refused() -> None:
    with pytest.raises(ReportError, match='--by: "tx" is not a grouping; use one of: route'):
        summarize([], "tx")


def parse_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    return parser.parse_args(argv)


def test_the_command_prints_the_report_from_the_config_ledger(tmp_path: Path) -> None:
    location = str(tmp_path / "ledger.db")
    asyncio.run(fill(location))
    out = io.StringIO()
    code = run_report(parse_args("--since", "all", "--json"), lambda: location, out)
    assert code == 0
    assert json.loads(out.getvalue())["total"]["requests"] == 9  # the old row too


def test_the_command_prefers_ledger_and_never_creates_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_config() -> str:
        raise AssertionError("--ledger was given: the config must not be read")

    missing = tmp_path / "typo.db"
    assert run_report(parse_args("--ledger", str(missing)), no_config, io.StringIO()) == 2
    assert f"no ledger at {missing}" in capsys.readouterr().err
    assert not missing.exists()


def test_the_command_reports_a_bad_since(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_report(parse_args("--since", "soon"), lambda: ":memory:", io.StringIO()) == 2
    assert '--since: "soon" is not a time span' in capsys.readouterr().err
