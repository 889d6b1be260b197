"""Ledger rows for tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from farebox.stores.ledger import LedgerRow

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
_ids = itertools.count(1)


def make_row(**overrides: Any) -> LedgerRow:
    n = next(_ids)
    fields: dict[str, Any] = {
        "request_id": f"req-{n:06d}",
        "time": T0 + timedelta(seconds=n),
        "route": "POST /v1/chat/completions",
        "outcome": "settled",
        "quoted": 10_000,
        "charged": 10_000,
        "model": "gpt-4o-mini",
        "payer": "0x" + "ab" * 20,
        "scheme": "exact",
        "network": "eip155:84532",
        "settlement": "before-response",
        "tx": "0x" + f"{n:064x}",
        "status": 200,
        "input_tokens": 120,
        "output_tokens": 30,
        "cached_input_tokens": 0,
        "tokens_estimated": False,
        "upstream_cost": Decimal("0.000036"),
    }
    fields.update(overrides)
    return LedgerRow(**fields)


@dataclass(frozen=True)
class FakeUsage:
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    estimated: bool = False
