"""After a crash: pending settlements are retried, expired, or left for later, once."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from farebox.stores.ledger import PendingSettlement
from farebox.stores.ledger_retry import (
    EXPIRED_REASON,
    RetrySummary,
    SettleAttempt,
    retry_pending_settlements,
)

from .conftest import LedgerFactory
from .rows import make_row

NOW = 1_800_000_000


class Facilitator:
    """Answers settle calls from a script keyed by payment header; records each call."""

    def __init__(self, answers: dict[str, SettleAttempt | Exception]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def settle(self, pending: PendingSettlement) -> SettleAttempt:
        self.calls.append(pending.payment_header)
        await asyncio.sleep(0)  # a real call yields to the loop
        answer = self.answers[pending.payment_header]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def leave_pending(ledger, header: str, expires_at: int, lease_until: int = NOW):
    row = make_row(outcome="pending", charged=0, tx=None)
    await ledger.record_pending(
        row,
        payment_header=header,
        requirements_json=json.dumps({"amount": "10000"}),
        expires_at=expires_at,
        lease_seconds=0,
        now=lease_until,
    )
    return row


async def test_a_restart_settles_fails_expires_and_defers(
    make_ledger: LedgerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    crashed = await make_ledger()
    ok = await leave_pending(crashed, "ok", NOW + 300)
    refused = await leave_pending(crashed, "refused", NOW + 300)
    late = await leave_pending(crashed, "late", NOW + 3)  # inside the safety margin
    down = await leave_pending(crashed, "down", NOW + 300)
    facilitator = Facilitator(
        {
            "ok": SettleAttempt(True, charged=10_000, tx="0xabc"),
            "refused": SettleAttempt(False, reason="invalid_signature"),
            "down": ConnectionError("facilitator unreachable"),
        }
    )

    restarted = await make_ledger()
    with caplog.at_level(logging.INFO, logger="farebox"):
        summary = await retry_pending_settlements(
            restarted, facilitator.settle, now=NOW, ignore_leases=True
        )

    assert summary == RetrySummary(settled=1, failed=1, expired=1, deferred=1)
    assert sorted(facilitator.calls) == ["down", "ok", "refused"]  # never the expired one
    rows = {r.request_id: r for r in await restarted.rows()}
    assert (rows[ok.request_id].outcome, rows[ok.request_id].charged) == ("settled", 10_000)
    assert rows[ok.request_id].tx == "0xabc"
    assert rows[refused.request_id].outcome == "settle-failed"
    assert rows[refused.request_id].reason == "invalid_signature"
    assert (rows[late.request_id].outcome, rows[late.request_id].reason) == (
        "expired",
        EXPIRED_REASON,
    )
    assert rows[down.request_id].outcome == "pending"
    assert [p.request_id for p in await restarted.pending_settlements()] == [down.request_id]
    events = {r.farebox_fields["event"] for r in caplog.records if hasattr(r, "farebox_fields")}
    assert events == {"retried-settled", "retried-settle-failed", "expired", "retry-deferred"}


async def test_instances_retrying_together_settle_each_payment_once(
    make_ledger: LedgerFactory,
) -> None:
    crashed = await make_ledger()
    for i in range(5):
        await leave_pending(crashed, f"p{i}", NOW + 300)
    facilitator = Facilitator(
        {f"p{i}": SettleAttempt(True, charged=1, tx=f"t{i}") for i in range(5)}
    )
    instances = [await make_ledger() for _ in range(3)]

    summaries = await asyncio.gather(
        *(retry_pending_settlements(i, facilitator.settle, now=NOW) for i in instances)
    )

    assert sorted(facilitator.calls) == [f"p{i}" for i in range(5)]  # each exactly once
    assert sum(s.settled for s in summaries) == 5
    assert sum(s.held_elsewhere for s in summaries) == 10
    assert {r.outcome for r in await crashed.rows()} == {"settled"}


async def test_a_live_instance_keeps_its_pending_settlement(make_ledger: LedgerFactory) -> None:
    serving = await make_ledger()
    row = make_row(outcome="pending")
    await serving.record_pending(
        row, payment_header="live", requirements_json="{}", expires_at=NOW + 300, now=NOW
    )  # the default lease: it is still streaming the response
    facilitator = Facilitator({})
    other = await make_ledger()

    summary = await retry_pending_settlements(other, facilitator.settle, now=NOW + 1)

    assert summary == RetrySummary(held_elsewhere=1)
    assert facilitator.calls == []
