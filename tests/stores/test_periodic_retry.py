"""A running gateway settles what a crashed instance left pending, once its lease lapsed."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from farebox import lifecycle
from farebox.stores.ledger import LedgerRow, Outcome, PendingSettlement, open_ledger
from farebox.stores.ledger_retry import SettleAttempt


def pending_row(request_id: str) -> LedgerRow:
    return LedgerRow(
        request_id=request_id,
        time=datetime.now(UTC),
        route="GET /data",
        outcome=Outcome.PENDING,
        quoted=10_000,
        charged=10_000,
        scheme="exact",
        network="eip155:84532",
    )


async def test_pending_rows_are_retried_once_their_lease_lapses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle, "RETRY_INTERVAL_SECONDS", 0.05)
    ledger = await open_ledger(str(tmp_path / "ledger.db"))
    now = int(time.time())
    common = {"payment_header": "h", "requirements_json": "{}", "expires_at": now + 600}
    # one left by a dead instance (lease over), one in flight here (lease running)
    await ledger.record_pending(pending_row("orphan"), lease_seconds=1, now=now - 10, **common)
    await ledger.record_pending(pending_row("in-flight"), lease_seconds=600, **common)
    settled: list[str] = []

    async def settle(pending: PendingSettlement) -> SettleAttempt:
        settled.append(pending.request_id)
        return SettleAttempt(success=True, charged=10_000, tx="0x" + "ab" * 32)

    task = asyncio.create_task(lifecycle.keep_retrying(ledger, settle))
    try:
        for _ in range(100):
            if settled:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a few more rounds: nothing is settled twice
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert settled == ["orphan"]
    left = {p.request_id for p in await ledger.pending_settlements()}
    assert left == {"in-flight"}
    await ledger.close()
