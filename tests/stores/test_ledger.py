"""The payments ledger on each engine: rows, batching, pending settlements, token shapes."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest

from farebox.stores.ledger import LedgerRow

from .conftest import LedgerFactory
from .rows import T0, FakeUsage, make_row


class CountingBackend:
    """Passes everything through; remembers the size of each batch written."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.batches: list[int] = []

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def upsert(self, rows) -> None:
        self.batches.append(len(rows))
        await self.inner.upsert(rows)


class FailingBackend(CountingBackend):
    """Fails the first `failures` writes (all of them when None)."""

    def __init__(self, inner, failures: int | None) -> None:
        super().__init__(inner)
        self.failures = failures

    async def upsert(self, rows) -> None:
        if self.failures is None or self.failures > 0:
            if self.failures is not None:
                self.failures -= 1
            raise ConnectionError("database went away")
        await super().upsert(rows)


async def test_every_field_round_trips_exactly(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger()
    full = make_row(upstream_cost=Decimal("0.000000075"), tokens_estimated=True, reason="x")
    bare = LedgerRow(request_id="bare", time=T0, route="GET /quote", outcome="settled", quoted=1)
    ledger.record(full)
    ledger.record(bare)
    await ledger.flush()

    rows = await (await make_ledger()).rows()
    assert rows == [bare, full]  # oldest first
    assert rows[1].upstream_cost == Decimal("0.000000075")
    assert rows[1].time == full.time and rows[1].time.microsecond == 123456


async def test_close_writes_all_queued_rows_in_batches(make_ledger: LedgerFactory) -> None:
    counting: list[CountingBackend] = []

    def wrap(backend):
        counting.append(CountingBackend(backend))
        return counting[-1]

    ledger = await make_ledger(wrap, batch_size=500)
    rows = [make_row() for _ in range(1200)]
    for row in rows:  # nothing awaits in between: the writer has not run yet
        ledger.record(row)
    await ledger.close()

    assert counting[0].batches == [500, 500, 200]
    stored = await (await make_ledger()).rows()
    assert [r.request_id for r in stored] == [r.request_id for r in rows]


async def test_a_full_queue_drops_and_counts_instead_of_waiting(
    make_ledger: LedgerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = await make_ledger(capacity=2)
    rows = [make_row() for _ in range(5)]
    with caplog.at_level(logging.ERROR, logger="farebox.ledger"):
        for row in rows:
            ledger.record(row)
    await ledger.flush()

    assert ledger.dropped == 3
    assert "ledger queue full" in caplog.text and rows[2].request_id in caplog.text
    assert [r.request_id for r in await ledger.rows()] == [rows[0].request_id, rows[1].request_id]


async def test_a_failed_write_is_retried(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger(lambda b: FailingBackend(b, failures=2), retry_delays=(0, 0))
    row = make_row()
    ledger.record(row)
    await ledger.flush()
    assert await ledger.rows() == [row]
    assert ledger.lost == 0


async def test_rows_that_cannot_be_written_are_logged_as_json(
    make_ledger: LedgerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = await make_ledger(lambda b: FailingBackend(b, failures=None), retry_delays=(0,))
    rows = [make_row(), make_row()]
    with caplog.at_level(logging.ERROR, logger="farebox.ledger"):
        for row in rows:
            ledger.record(row)
        await ledger.flush()

    assert ledger.lost == 2
    lost = [json.loads(r.getMessage()) for r in caplog.records if r.name == "farebox.ledger.lost"]
    assert [entry["request_id"] for entry in lost] == [r.request_id for r in rows]
    assert lost[0]["upstream_cost"] == "0.000036" and lost[0]["charged"] == 10_000
    ledger.record(make_row())  # the writer survives its failures
    await ledger.flush()
    assert ledger.lost == 3


async def test_record_refuses_pending_rows(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger()
    with pytest.raises(ValueError, match="use await record_pending"):
        ledger.record(make_row(outcome="pending"))


async def test_a_row_recorded_after_close_is_logged_not_raised(
    make_ledger: LedgerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = await make_ledger()
    await ledger.close()
    row = make_row()
    with caplog.at_level(logging.ERROR, logger="farebox.ledger"):
        ledger.record(row)
    assert ledger.lost == 1
    assert "the ledger is not open" in caplog.text
    lost = [json.loads(r.getMessage()) for r in caplog.records if r.name == "farebox.ledger.lost"]
    assert [entry["request_id"] for entry in lost] == [row.request_id]


async def test_a_pending_settlement_is_durable_before_record_pending_returns(
    make_ledger: LedgerFactory,
) -> None:
    gateway = await make_ledger()
    row = make_row(outcome="pending", settlement="after-response", charged=0, tx=None)
    await gateway.record_pending(
        row,
        payment_header="eyJwYXlsb2FkIjp7fX0=",
        requirements_json='{"scheme":"exact"}',
        expires_at=1_900_000_000,
        lease_seconds=60,
        now=1_000,
    )
    # The gateway dies here: no flush, no close. A restarted instance sees the settlement.
    restarted = await make_ledger()
    [pending] = await restarted.pending_settlements()
    assert pending.row == row
    assert pending.payment_header == "eyJwYXlsb2FkIjp7fX0="
    assert pending.requirements_json == '{"scheme":"exact"}'
    assert (pending.expires_at, pending.lease_until) == (1_900_000_000, 1_060)
    assert pending.expired(1_900_000_000) and not pending.expired(1_899_999_999)
    assert [r.outcome for r in await restarted.rows()] == ["pending"]


async def test_record_pending_takes_only_pending_rows(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger()
    with pytest.raises(ValueError, match="takes rows with outcome 'pending'"):
        await ledger.record_pending(
            make_row(), payment_header="h", requirements_json="{}", expires_at=1
        )


async def test_resolve_pending_ends_it_once(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger()
    row = make_row(outcome="pending", charged=0, tx=None, input_tokens=None, output_tokens=None)
    await ledger.record_pending(row, payment_header="h", requirements_json="{}", expires_at=9)

    resolved = await ledger.resolve_pending(
        row.request_id,
        outcome="settled",
        charged=7_500,
        tx="0xfeed",
        usage=FakeUsage(input_tokens=500, output_tokens=80, cached_input_tokens=100),
        upstream_cost=Decimal("0.0012"),
    )
    again = await ledger.resolve_pending(row.request_id, outcome="settle-failed", reason="late")

    assert (resolved, again) == (True, False)
    assert await ledger.pending_settlements() == []
    [stored] = await ledger.rows()
    assert (stored.outcome, stored.charged, stored.tx, stored.reason) == (
        "settled",
        7_500,
        "0xfeed",
        None,
    )
    assert (stored.input_tokens, stored.output_tokens, stored.cached_input_tokens) == (500, 80, 100)
    assert stored.upstream_cost == Decimal("0.0012")
    assert (stored.route, stored.payer, stored.quoted) == (row.route, row.payer, row.quoted)


async def test_resolving_without_usage_keeps_the_recorded_tokens(
    make_ledger: LedgerFactory,
) -> None:
    ledger = await make_ledger()
    row = make_row(outcome="pending", input_tokens=40, output_tokens=2, tokens_estimated=True)
    await ledger.record_pending(row, payment_header="h", requirements_json="{}", expires_at=9)
    await ledger.resolve_pending(row.request_id, outcome="not-settled", reason="upstream 502")
    [stored] = await ledger.rows()
    assert (stored.outcome, stored.reason, stored.charged) == ("not-settled", "upstream 502", 0)
    assert (stored.input_tokens, stored.output_tokens, stored.tokens_estimated) == (40, 2, True)
    assert stored.upstream_cost == row.upstream_cost


async def test_resolve_pending_refuses_pending_and_unknown_outcomes(
    make_ledger: LedgerFactory,
) -> None:
    ledger = await make_ledger()
    with pytest.raises(ValueError, match="cannot be resolved as pending"):
        await ledger.resolve_pending("x", outcome="pending")
    with pytest.raises(ValueError, match="not a ledger outcome; use one of: settled"):
        await ledger.resolve_pending("x", outcome="paid")
    assert await ledger.resolve_pending("unknown", outcome="expired") is False


async def test_recording_a_final_row_also_ends_a_pending_one(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger()
    row = make_row(outcome="pending")
    await ledger.record_pending(row, payment_header="h", requirements_json="{}", expires_at=9)
    final = make_row(request_id=row.request_id, time=row.time, outcome="settled", tx="0x1")
    ledger.record(final)
    await ledger.flush()
    assert await ledger.pending_settlements() == []
    assert await ledger.rows() == [final]


async def test_claim_pending_honours_the_recorders_lease(make_ledger: LedgerFactory) -> None:
    recorder, other = await make_ledger(), await make_ledger()
    row = make_row(outcome="pending")
    await recorder.record_pending(
        row, payment_header="h", requirements_json="{}", expires_at=9, lease_seconds=600, now=1000
    )
    rid = row.request_id
    assert not await other.claim_pending(rid, now=1599)  # the recorder may still be serving
    assert await other.claim_pending(rid, now=1600, lease_seconds=30)
    assert not await recorder.claim_pending(rid, now=1629)  # now `other` holds it
    assert await recorder.claim_pending(rid, now=1629, ignore_lease=True)
    assert not await other.claim_pending("no-such-request")
    [pending] = await other.pending_settlements()
    assert pending.lease_until == 1629 + 600


async def test_only_one_of_racing_claims_wins(make_ledger: LedgerFactory) -> None:
    instances = [await make_ledger() for _ in range(4)]
    row = make_row(outcome="pending")
    await instances[0].record_pending(
        row, payment_header="h", requirements_json="{}", expires_at=9, lease_seconds=0, now=50
    )
    claims = await asyncio.gather(
        *(ledger.claim_pending(row.request_id, now=100) for ledger in instances)
    )
    assert sorted(claims) == [False, False, False, True]


async def test_rows_since(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger()
    old = make_row(time=T0 - timedelta(days=10))
    edge = make_row(time=T0)
    new = make_row(time=T0 + timedelta(hours=1))
    for row in (new, old, edge):
        ledger.record(row)
    await ledger.flush()
    assert await ledger.rows(since=T0) == [edge, new]
    assert await ledger.rows() == [old, edge, new]


async def test_average_tokens_by_model(make_ledger: LedgerFactory) -> None:
    ledger = await make_ledger()
    rows = [
        make_row(model="a", input_tokens=100, output_tokens=10),
        make_row(model="a", input_tokens=301, output_tokens=21),
        make_row(model="a", input_tokens=9000, output_tokens=900, tokens_estimated=True),
        make_row(model="b", input_tokens=7, output_tokens=3),
        make_row(model="b", input_tokens=None, output_tokens=None),  # upstream failed: no usage
        make_row(model=None, route="GET /plain", input_tokens=None, output_tokens=None),
        make_row(model="b", input_tokens=1000, output_tokens=1000, time=T0 - timedelta(days=1)),
    ]
    for row in rows:
        ledger.record(row)
    await ledger.flush()

    measured = await ledger.average_tokens_by_model(since=T0)
    assert measured == {"a": (200.5, 15.5, 2), "b": (7.0, 3.0, 1)}
    everything = await ledger.average_tokens_by_model(include_estimated=True)
    assert everything["a"] == ((100 + 301 + 9000) / 3, (10 + 21 + 900) / 3, 3)
    assert everything["b"] == (503.5, 501.5, 2)
    assert everything["a"].n == 3
