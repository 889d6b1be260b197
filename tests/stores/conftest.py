"""The ledger suite runs once per engine: SQLite (a temp file) and PostgreSQL (a temp schema)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from farebox.stores.ledger import BatchedLedger
from farebox.stores.ledger_backend import LedgerBackend
from farebox.stores.ledger_postgres import PostgresLedgerBackend
from farebox.stores.ledger_sqlite import SqliteLedgerBackend

from .postgres import POSTGRES_URL, fresh_schema


class LedgerFactory:
    """Opens ledgers that share one store, as gateway instances (or restarts) would."""

    def __init__(self, kind: str, backend: Callable[[], LedgerBackend]) -> None:
        self.kind = kind
        self.backend = backend
        self.opened: list[BatchedLedger] = []

    async def __call__(self, wrap: Callable[[LedgerBackend], Any] | None = None, **options: Any):
        backend = self.backend()
        ledger = BatchedLedger(wrap(backend) if wrap else backend, **options)
        await ledger.open()
        self.opened.append(ledger)
        return ledger

    async def close_all(self) -> None:
        for ledger in self.opened:
            await ledger.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def make_ledger(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LedgerFactory]:
    if request.param == "sqlite":
        factory = LedgerFactory("sqlite", lambda: SqliteLedgerBackend(tmp_path / "ledger.db"))
        yield factory
        await factory.close_all()
        return
    async with fresh_schema() as schema:
        factory = LedgerFactory(
            "postgres", lambda: PostgresLedgerBackend(POSTGRES_URL, schema=schema)
        )
        yield factory
        await factory.close_all()
