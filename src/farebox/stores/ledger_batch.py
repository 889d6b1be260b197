"""The payments ledger the gateway holds: final rows queued and written in batches,
pending settlements written before record_pending() returns.

record() never waits: it puts the row on a bounded queue that one background task
drains into the engine, many rows per transaction. When the queue is full (the engine
is down or far too slow) a row is dropped and counted, never the request delayed.
Rows a write could not store after its retries are logged as JSON, so nothing is lost
without a trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from farebox.stores.group_commit import GroupCommit
from farebox.stores.ledger_backend import LedgerBackend
from farebox.stores.ledger_rows import (
    LedgerRow,
    Outcome,
    PendingSettlement,
    Resolution,
    TokenAverage,
    UsageLike,
)

log = logging.getLogger("farebox.ledger")

DEFAULT_CAPACITY = 10_000
DEFAULT_BATCH_SIZE = 500
DEFAULT_RETRY_DELAYS = (0.2, 1.0, 5.0)
DEFAULT_LEASE_SECONDS = 600  # outlives any upstream timeout: the recorder is still serving
DEFAULT_CLOSE_TIMEOUT = 30.0
_DROP_LOG_EVERY = 1000


class BatchedLedger:
    """A PaymentLedger over one storage engine (see farebox.stores.ledger.open_ledger)."""

    def __init__(
        self,
        backend: LedgerBackend,
        *,
        capacity: int = DEFAULT_CAPACITY,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self.backend = backend
        self.capacity = capacity
        self.batch_size = batch_size
        self.retry_delays = tuple(retry_delays)
        self.dropped = 0  # rows refused because the queue was full
        self.lost = 0  # rows whose write failed after every retry (logged as JSON)
        self._queue: asyncio.Queue[LedgerRow] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._in_flight: list[LedgerRow] = []
        # concurrent record_pending() calls share one transaction (one fsync)
        self._pending_commits = GroupCommit(self.backend.insert_pending)

    @property
    def description(self) -> str:
        return self.backend.description

    async def open(self) -> None:
        await self.backend.open()
        self._queue = asyncio.Queue(self.capacity)
        self._writer = asyncio.create_task(self._write_loop(self._queue), name="farebox-ledger")

    async def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT) -> None:
        """Write what is queued (waiting at most `timeout` seconds), then disconnect."""
        queue, writer = self._queue, self._writer
        if queue is None or writer is None:
            return
        self._queue = None  # record() refuses from here on
        try:
            await asyncio.wait_for(queue.join(), timeout)
        except TimeoutError:
            stuck = [*self._in_flight, *_drain(queue)]
            self._give_up(stuck, f"not written within {timeout:g}s of shutdown")
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        self._writer = None
        await self.backend.close()

    def record(self, row: LedgerRow) -> None:
        """Queue a final row; returns at once. Also ends a pending row with the same id."""
        if row.outcome == Outcome.PENDING:
            raise ValueError(
                f"ledger row {row.request_id} is pending: use await record_pending(...) so "
                "the settlement can be retried after a crash"
            )
        if self._queue is None:  # e.g. a request finishing after shutdown: keep it in the logs
            self._give_up([row], "the ledger is not open (closed, or never opened)")
            return
        try:
            self._queue.put_nowait(row)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped % _DROP_LOG_EVERY == 1:
                log.error(
                    "ledger queue full (%d rows): dropped row %s (%d dropped so far); "
                    "the %s is not keeping up",
                    self.capacity,
                    row.request_id,
                    self.dropped,
                    self.description,
                )

    async def flush(self) -> None:
        """Wait until every row queued so far is written (or given up on)."""
        if self._queue is not None:
            await self._queue.join()

    async def record_pending(
        self,
        row: LedgerRow,
        *,
        payment_header: str,
        requirements_json: str,
        expires_at: int,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        now: int | None = None,
    ) -> PendingSettlement:
        """Durably store a settlement about to be attempted; returns once committed.

        The recording instance holds it for `lease_seconds`: until then no other instance
        claims it for a retry (see claim_pending).
        """
        if row.outcome != Outcome.PENDING:
            raise ValueError(
                f"ledger row {row.request_id} has outcome {row.outcome!r}; "
                "record_pending takes rows with outcome 'pending'"
            )
        pending = PendingSettlement(
            row=row,
            payment_header=payment_header,
            requirements_json=requirements_json,
            expires_at=expires_at,
            lease_until=_now(now) + lease_seconds,
        )
        await self._pending_commits.submit(pending)
        return pending

    async def claim_pending(
        self,
        request_id: str,
        *,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        now: int | None = None,
        ignore_lease: bool = False,
    ) -> bool:
        """Take a pending settlement to retry it; False when another holder's lease runs.

        ignore_lease=True takes it regardless: right for a single gateway instance at
        start-up, where every pending row was left by a process that is gone.
        """
        moment = _now(now)
        return await self.backend.claim(request_id, moment + lease_seconds, moment, ignore_lease)

    async def resolve_pending(
        self,
        request_id: str,
        *,
        outcome: str,
        charged: int = 0,
        tx: str | None = None,
        reason: str | None = None,
        usage: UsageLike | None = None,
        upstream_cost: Decimal | None = None,
    ) -> bool:
        """End a pending settlement durably; False when it was not (or no longer) pending."""
        resolution = Resolution(
            outcome=outcome,
            charged=charged,
            tx=tx,
            reason=reason,
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            cached_input_tokens=usage.cached_input_tokens if usage else None,
            tokens_estimated=usage.estimated if usage else None,
            upstream_cost=upstream_cost,
        )
        return await self.backend.resolve(request_id, resolution)

    async def pending_settlements(self) -> list[PendingSettlement]:
        """Every settlement still pending, oldest first, with its retry data."""
        return await self.backend.pending()

    async def rows(self, since: datetime | None = None) -> list[LedgerRow]:
        """Rows at or after `since` (all when None), oldest first."""
        return await self.backend.rows(since)

    async def average_tokens_by_model(
        self, since: datetime | None = None, *, include_estimated: bool = False
    ) -> dict[str, TokenAverage]:
        """Observed token shapes: mean input/output tokens per model over rows with usage.

        Estimated counts are upper bounds, not observations; they are left out unless asked.
        """
        sums = await self.backend.token_sums(since, include_estimated)
        return {
            model: TokenAverage(total_in / n, total_out / n, n)
            for model, (total_in, total_out, n) in sums.items()
            if n
        }

    # --- the background writer -----------------------------------------------------

    async def _write_loop(self, queue: asyncio.Queue[LedgerRow]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            self._in_flight = batch
            try:
                await self._write(batch)
            finally:
                self._in_flight = []
                for _ in batch:
                    queue.task_done()

    async def _write(self, batch: list[LedgerRow]) -> None:
        for delay in (*self.retry_delays, None):
            try:
                await self.backend.upsert(batch)
                return
            except Exception as exc:  # any engine failure: retry, then keep the rows in logs
                if delay is None:
                    self._give_up(batch, f"{type(exc).__name__}: {exc}")
                    return
                log.warning("ledger write of %d rows failed (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)

    def _give_up(self, rows: list[LedgerRow], why: str) -> None:
        if not rows:
            return
        self.lost += len(rows)
        log.error(
            "ledger: %d rows could not be written to the %s (%s); each follows as JSON "
            "(logger farebox.ledger.lost) so it can be re-imported",
            len(rows),
            self.description,
            why,
        )
        lost_log = logging.getLogger("farebox.ledger.lost")
        for row in rows:
            lost_log.error("%s", row_json(row))


def row_json(row: LedgerRow) -> str:
    """One row as JSON: money and times as exact strings."""
    fields: dict[str, Any] = asdict(row)
    fields["time"] = row.time.isoformat()
    if row.upstream_cost is not None:
        fields["upstream_cost"] = str(row.upstream_cost)
    return json.dumps(fields, separators=(",", ":"))


def _drain(queue: asyncio.Queue[LedgerRow]) -> list[LedgerRow]:
    rows: list[LedgerRow] = []
    while not queue.empty():
        rows.append(queue.get_nowait())
        queue.task_done()
    return rows


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now
