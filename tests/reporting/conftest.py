"""Each report test runs on a ledger in SQLite (a temp file) and in PostgreSQL (a temp schema)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.stores.postgres import POSTGRES_URL, fresh_schema


@pytest.fixture(params=["sqlite", "postgres"])
async def location(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a ledger lives, as stores.ledger would say it."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    async with fresh_schema() as schema:
        conn = await asyncpg.connect(POSTGRES_URL)
        await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.close()
        # asyncpg passes unknown URL parameters to the server: this selects the schema.
        yield f"{POSTGRES_URL}?search_path={schema}"
