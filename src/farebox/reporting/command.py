"""`farebox report [--since 7d] [--by route|model|payer] [--json|--csv] [--ledger LOCATION]`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from farebox.reporting.render import render
from farebox.reporting.report import GROUPINGS, ReportError, parse_since, summarize
from farebox.stores.ledger import POSTGRES_SCHEMES, LedgerError, open_ledger
from farebox.stores.ledger_sqlite import MEMORY


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", default="7d", help='how far back: 7d, 24h, 30m, 2w, a date, or "all" (7d)'
    )
    parser.add_argument("--by", default="route", choices=GROUPINGS, help="group rows by (route)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="format", action="store_const", const="json")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv")
    parser.set_defaults(format="table")
    parser.add_argument(
        "--ledger", help="ledger file or postgresql:// URL (default: the config's stores.ledger)"
    )


def run_report(
    args: argparse.Namespace,
    config_location: Callable[[], str],
    out: TextIO | None = None,
) -> int:
    """Print the report; `config_location` gives the config's ledger when --ledger is absent
    (called only then, so --ledger works without a config file)."""
    out = out or sys.stdout
    try:
        location = args.ledger or config_location()
        since = parse_since(args.since)
        text = asyncio.run(report_text(location, since, args.by, args.format))
    except (ReportError, LedgerError) as exc:
        print(f"farebox report: {exc}", file=sys.stderr)
        return 2
    out.write(text)
    return 0


async def report_text(location: str, since: datetime | None, by: str, fmt: str) -> str:
    _require_existing(location)
    ledger = await open_ledger(location)
    try:
        rows = await ledger.rows(since)
    finally:
        await ledger.close()
    return render(summarize(rows, by, since), fmt)


def _require_existing(location: str) -> None:
    # Opening an SQLite path creates it: a typo would report an empty new ledger.
    if location.startswith(POSTGRES_SCHEMES) or location == MEMORY or Path(location).exists():
        return
    raise LedgerError(
        f"no ledger at {location}; the gateway creates it when it starts. Pass --ledger, "
        "or run from the directory of the config whose stores.ledger you want"
    )
