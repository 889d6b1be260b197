"""Observed request shapes: what callers really send and receive, per model, from the ledger."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

from farebox.audit.check import Shape
from farebox.stores.ledger import POSTGRES_SCHEMES, open_ledger


async def observed_shapes(location: str, since: datetime | None) -> dict[str, Shape]:
    """Mean measured token counts per model (estimates left out), rounded up.

    A ledger that does not exist yet has observed nothing: {}.
    """
    if not location.startswith(POSTGRES_SCHEMES) and not Path(location).exists():
        return {}
    ledger = await open_ledger(location)
    try:
        averages = await ledger.average_tokens_by_model(since)
    finally:
        await ledger.close()
    return {
        model: Shape(math.ceil(avg.avg_in), math.ceil(avg.avg_out), observed_requests=avg.n)
        for model, avg in averages.items()
        if avg.n > 0
    }
